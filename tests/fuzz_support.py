"""A realistic world for fuzzing the API, and the ids its path parameters can reach."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from spread.extensions import db
from spread.models import Dialogue, Interest, LogEntry, NextAction, Pair
from spread.services import organisations, pairing_runs, rounds
from tests.factories import (
    enrol_profiles,
    make_entry,
    make_interest,
    make_round,
)


@dataclass
class FuzzWorld:
    """Who calls (``headers`` by role) and the ids of existing objects (``ids`` by parameter)."""

    headers: dict
    ids: dict = field(default_factory=dict)


def build_world(publish_pair, create_profile, create_organisation) -> FuzzWorld:
    """Seed a world in which every path parameter of the API can name an existing object.

    The fuzzed participant is the giver of a published pair (so its dialogue is theirs to
    write in), created an organisation, and owns an enrolled taker profile in an open round
    with stated interest; the coordinator also has a round in review whose pairs a finished
    pairing run proposed, and a draft round.
    """
    published = publish_pair()
    users, headers = published.users, published.headers
    participant, coordinator = headers["giver"], headers["coordinator"]
    dialogue_id = published.dialogue_id
    make_entry(db.session.get(Dialogue, dialogue_id), "giver",
               note="Vi mødtes og så løsningen i brug.", links=["https://example.dk/plan"],
               next_actions=[{"description": "Send planen", "owner": "taker",
                              "due": "2099-04-01"}])
    own_organisation = organisations.create_organisation(
        {"name": "Fuzz Kommune", "kind": "municipality", "region": "hovedstaden",
         "country": "DK"}, users["giver"]).id
    own_taker = create_profile("taker", owner=users["giver"],
                               organisation=published.giver.organisation,
                               title="Digital hjemmepleje", sectors=["elderly_care"])
    other_giver = create_profile("giver", owner=users["other"], organisation=create_organisation(),
                                 title="Velfærdsteknologi i hjemmeplejen", capacity=2,
                                 sectors=["elderly_care"])
    other_taker = create_profile("taker", owner=users["other"],
                                 organisation=create_organisation(), title="Ensomhed blandt ældre")

    the_coordinator = users["coordinator"]
    open_round = make_round(the_coordinator, "open", name="Åben runde")
    enrol_profiles(open_round, own_taker, actor=users["giver"])
    enrol_profiles(open_round, other_giver, actor=users["other"])
    make_interest(open_round, own_taker, other_giver)

    review_round = make_round(the_coordinator, "open", name="Runde til gennemsyn")
    enrol_profiles(review_round, own_taker, other_taker, other_giver, published.giver)
    rounds.transition(review_round, "pairing", the_coordinator)
    run = pairing_runs.start_run(review_round, "optimal", the_coordinator)
    db.session.commit()
    pairing_runs.execute_run(run)
    db.session.commit()
    draft_round = make_round(the_coordinator, name="Kladde")

    return FuzzWorld(
        headers={"participant": participant, "coordinator": coordinator},
        ids={
            "organisation_id": [own_organisation, published.giver.organisation_id,
                                other_taker.organisation_id],
            "profile_id": [published.giver.id, published.taker.id, own_taker.id,
                           other_giver.id, other_taker.id],
            "round_id": [published.round_id, open_round.id, review_round.id, draft_round.id],
            "interest_id": list(db.session.scalars(select(Interest.id))),
            "run_id": [run.id],
            "pair_id": _pair_ids(published.pair_id),
            "dialogue_id": [dialogue_id],
            "entry_id": list(db.session.scalars(select(LogEntry.id))),
            "action_id": list(db.session.scalars(select(NextAction.id))),
            "phase": [1, 2, 6],
            "user_id": [users["giver"].id, users["other"].id, users["coordinator"].id],
        },
    )


def _pair_ids(published_pair_id: int) -> list[int]:
    return [published_pair_id, *db.session.scalars(
        select(Pair.id).where(Pair.id != published_pair_id).order_by(Pair.id))]
