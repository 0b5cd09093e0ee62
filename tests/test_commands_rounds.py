"""The pair-round command: run a round's pairing from the command line with a progress bar."""
from datetime import date

import pytest
from sqlalchemy import select

from spread.extensions import db
from spread.models import Pair, PairingRun, Round
from spread.services import enrolments, rounds

ROUND = {"name": "Praktik 2027", "description": "", "registration_opens": None,
         "registration_closes": None, "internship_start": date(2027, 3, 1),
         "internship_end": date(2027, 3, 31), "preparatory_workshop": None,
         "followup_workshop": None, "min_fit": 0.05}


@pytest.fixture
def coordinator(create_user):
    return create_user(role="coordinator", email="karen@coi.dk")


@pytest.fixture
def round_in_pairing(coordinator, create_user, create_profile, create_organisation):
    round_ = rounds.create_round(dict(ROUND), coordinator)
    rounds.transition(round_, "open", coordinator)
    home, away = create_organisation(), create_organisation()
    owner = create_user()
    profiles = [
        create_profile("giver", owner=owner, organisation=home, title="Regnvandsbede",
                       sectors=["environment"],
                       description="Klimatilpasning med regnvandsbede og skybrudssikring."),
        create_profile("taker", owner=owner, organisation=away, title="Skybrud",
                       sectors=["environment"],
                       description="Skybrud oversvømmer byen; vi søger klimatilpasning."),
        create_profile("taker", owner=owner, organisation=home, title="Egen organisation"),
    ]
    for profile in profiles:
        enrolments.enrol(round_, profile, owner)
    rounds.transition(round_, "pairing", coordinator)
    db.session.commit()
    return round_


def test_pair_round_runs_with_progress_and_prints_the_summary(runner, round_in_pairing,
                                                              coordinator):
    result = runner.invoke(args=["pair-round", str(round_in_pairing.id), "--method", "stable"])
    assert result.exit_code == 0, result.output
    assert "method stable" in result.output and f"as {coordinator.email}" in result.output
    assert "Done: 1 pairs proposed" in result.output
    assert "Egen organisation: No allowed partner" in result.output
    run = db.session.scalar(select(PairingRun))
    assert run.status == "done" and run.method == "stable" and run.started_by_id == coordinator.id
    assert db.session.scalar(select(Pair)).source == "stable"
    round_ = db.session.get(Round, round_in_pairing.id)
    db.session.refresh(round_)
    assert round_.state == "review"


def test_pair_round_by_name_as_a_named_coordinator_keeping_proposals(
        runner, round_in_pairing, create_user):
    other = create_user(role="admin", email="admin@coi.dk")
    runner.invoke(args=["pair-round", str(round_in_pairing.id)])
    result = runner.invoke(args=["pair-round", "Praktik 2027", "--only-unpaired",
                                 "--as", other.email])
    assert result.exit_code == 0, result.output
    assert "only unpaired" in result.output and "admin@coi.dk" in result.output
    assert "1 kept" in result.output


@pytest.mark.parametrize("args, message", [
    (["pair-round", "999999"], "No round with id or name '999999'"),
    (["pair-round", "No such round"], "No round with id or name"),
    (["pair-round", "{round}", "--as", "nobody@example.dk"], "No account with email"),
    (["pair-round", "{round}", "--as", "{participant}"], "is not a coordinator"),
    (["pair-round", "{round}", "--method", "random"], "Invalid value for '--method'"),
])
def test_pair_round_reports_clear_errors(runner, round_in_pairing, create_user, args, message):
    participant = create_user()
    args = [a.format(round=round_in_pairing.id, participant=participant.email) for a in args]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert db.session.scalar(select(PairingRun)) is None


def test_pair_round_refuses_a_round_not_in_pairing(runner, coordinator):
    round_ = rounds.create_round(dict(ROUND), coordinator)
    db.session.commit()
    result = runner.invoke(args=["pair-round", str(round_.id)])
    assert result.exit_code == 1
    assert "Move the round to pairing before running the pairing." in result.output


def test_pair_round_needs_a_coordinator(runner, app, create_user, create_organisation):
    creator = create_user(role="coordinator")
    round_ = rounds.create_round(dict(ROUND), creator)
    rounds.transition(round_, "open", creator)
    rounds.transition(round_, "pairing", creator)
    creator.role = "participant"
    db.session.commit()
    result = runner.invoke(args=["pair-round", str(round_.id)])
    assert result.exit_code == 1 and "There is no coordinator or admin account" in result.output
