"""The round pages: coordinators set up, pair, review and publish; participants enrol and ask."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import (
    AuditEvent,
    BannedPair,
    Enrolment,
    Interest,
    OutboxMessage,
    Pair,
    PairingRun,
    Round,
)
from spread.services import enrolments, pairing_runs, rounds
from tests.html import page

ROUND_FORM = {
    "name": "Innovationspraktik 2027",
    "description": "Den nationale innovationspraktik.",
    "registration_opens": "2027-01-01", "registration_closes": "2027-02-01",
    "internship_start": "2027-03-01", "internship_end": "2027-03-31",
    "preparatory_workshop": "2027-02-15", "followup_workshop": "2027-05-01",
    "min_fit": "0.05",
}
ROUND_DATA = {
    "name": "Innovationspraktik 2027", "description": "",
    "registration_opens": date(2027, 1, 1), "registration_closes": date(2027, 2, 1),
    "internship_start": date(2027, 3, 1), "internship_end": date(2027, 3, 31),
    "preparatory_workshop": None, "followup_workshop": None, "min_fit": 0.05,
}


@pytest.fixture
def app(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAIRING_IN_BACKGROUND", False)
    return app


@pytest.fixture(autouse=True)
def english(client):
    """The pages in English (the default language is Danish)."""
    client.get("/language/en")


@pytest.fixture
def people(create_user):
    return {"coordinator": create_user(role="coordinator", name="Karen Koordinator"),
            "giver": create_user(name="Gitte Giver"), "taker": create_user(name="Tage Taker"),
            "other": create_user(name="Olga Other")}



def make_round(coordinator, *states, **fields) -> Round:
    round_ = rounds.create_round({**ROUND_DATA, **fields}, coordinator)
    for state in states:
        rounds.transition(round_, state, coordinator)
    db.session.commit()
    return round_


@pytest.fixture
def open_round(people, create_profile, create_organisation):
    """An open round with two givers (capacity 1 and 2) and three takers, all enrolled."""
    round_ = make_round(people["coordinator"], "open")
    home, away = create_organisation(name="Aarhus Kommune"), create_organisation(name="Vejle")
    givers = [
        create_profile("giver", owner=people["giver"], organisation=home, capacity=1,
                       title="Hverdagsrehabilitering", sectors=["elderly_care"],
                       description="Hverdagsrehabilitering og træning i eget hjem for ældre."),
        create_profile("giver", owner=people["giver"], organisation=home, capacity=2,
                       title="Regnvandsbede", sectors=["environment"],
                       description="Klimatilpasning med regnvandsbede og skybrudssikring."),
    ]
    takers = [
        create_profile("taker", owner=people["taker"], organisation=away, title="Ældrepleje",
                       sectors=["elderly_care"],
                       description="Vi vil styrke pleje af ældre med træning i hjemmet."),
        create_profile("taker", owner=people["taker"], organisation=away, title="Skybrud",
                       sectors=["environment"],
                       description="Skybrud oversvømmer byen; vi søger klimatilpasning."),
        create_profile("taker", owner=people["taker"], organisation=away, title="Skybrud 2",
                       sectors=["environment"],
                       description="Regnvand og skybrud i boligområder, klimatilpasning."),
    ]
    for profile in givers + takers:
        enrolments.enrol(round_, profile, profile.owner)
    db.session.commit()
    return {"round": round_, "givers": givers, "takers": takers}


def as_user(client, login, user):
    client.post("/logout")
    return login(user)


# ---------------------------------------------------------------- create and edit

def test_coordinator_creates_a_round_and_bad_dates_keep_the_input(client, login, people):
    login(people["coordinator"])
    assert client.get("/rounds/new").status_code == 200
    bad = {**ROUND_FORM, "registration_closes": "2026-12-01", "internship_end": "2027-02-01"}
    response = client.post("/rounds/new", data=bad)
    assert response.status_code == 422
    html = page(response)
    assert "The registration window must close after it opens." in html
    assert "The internship must end after it starts." in html
    assert 'value="Innovationspraktik 2027"' in html and 'value="2026-12-01"' in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0

    response = client.post("/rounds/new", data={**ROUND_FORM, "name": ""})
    assert response.status_code == 422 and "name-error" in page(response)

    response = client.post("/rounds/new", data=ROUND_FORM)
    assert response.status_code == 302
    round_ = db.session.scalar(select(Round))
    assert response.headers["Location"] == f"/rounds/{round_.id}"
    assert round_.state == "draft" and round_.internship_start == date(2027, 3, 1)
    assert round_.min_fit == pytest.approx(0.05)


def test_editing_a_round_and_a_stale_edit(client, login, people):
    round_ = make_round(people["coordinator"])
    login(people["coordinator"])
    html = page(client.get(f"/rounds/{round_.id}/edit"))
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert 'value="2027-03-31"' in html

    response = client.post(f"/rounds/{round_.id}/edit",
                           data={**ROUND_FORM, "internship_start": "2027-04-15",
                                 "version": version})
    assert response.status_code == 422
    assert "The internship must end after it starts." in page(response)
    assert 'value="2027-04-15"' in page(response)

    response = client.post(f"/rounds/{round_.id}/edit",
                           data={**ROUND_FORM, "name": "Praktik 2027", "version": version})
    assert response.status_code == 302

    response = client.post(f"/rounds/{round_.id}/edit",
                           data={**ROUND_FORM, "name": "Old tab", "version": version})
    assert response.status_code == 409
    assert "changed by someone else" in page(response)
    assert 'value="Old tab"' in page(response)
    db.session.refresh(round_)
    assert round_.name == "Praktik 2027"


# ---------------------------------------------------------------- states

def test_overview_offers_only_legal_transitions_and_moves_the_round(client, login, people):
    round_ = make_round(people["coordinator"])
    login(people["coordinator"])
    html = page(client.get(f"/rounds/{round_.id}"))
    assert re.findall(r'name="state" value="(\w+)"', html) == ["open"]

    response = client.post(f"/rounds/{round_.id}/state",
                           data={"state": "open", "version": round_.version,
                                 "reason": "Ready"})
    assert response.status_code == 302
    html = page(client.get(response.headers["Location"]))
    assert "The round is now: Open for registration." in html
    assert re.findall(r'name="state" value="(\w+)"', html) == ["draft", "pairing"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.state"))
    assert event.reason == "Ready"

    response = client.post(f"/rounds/{round_.id}/state", data={"state": "published"})
    assert response.status_code == 422
    assert "A round cannot go from open to published" in page(response)

    response = client.post(f"/rounds/{round_.id}/state", data={"state": "pairing",
                                                               "version": "1"})
    assert response.status_code == 409 and "changed by someone else" in page(response)
    db.session.refresh(round_)
    assert round_.state == "open"


def test_round_list_hides_drafts_from_participants(client, login, people):
    make_round(people["coordinator"], name="Kladde")
    make_round(people["coordinator"], "open", name="Åben runde")
    login(people["giver"])
    html = page(client.get("/rounds"))
    assert "Åben runde" in html and "Kladde" not in html
    assert 'href="/rounds"' in html and 'href="/outbox"' not in html
    as_user(client, login, people["coordinator"])
    html = page(client.get("/rounds"))
    assert "Åben runde" in html and "Kladde" in html and 'href="/outbox"' in html


# ---------------------------------------------------------------- participants

def test_participant_enrols_states_interest_and_withdraws(client, login, people,
                                                         create_profile, create_organisation):
    round_ = make_round(people["coordinator"], "open")
    mine = create_profile("taker", owner=people["taker"], title="Skybrud hos os")
    theirs = create_profile("giver", owner=people["giver"], title="Regnvandsbede")
    enrolments.enrol(round_, theirs, people["giver"])
    db.session.commit()

    login(people["taker"])
    html = page(client.get(f"/rounds/{round_.id}"))
    assert "Not enrolled" in html and "Regnvandsbede" not in html
    response = client.post(f"/rounds/{round_.id}/enrolments", data={"profile_id": mine.id})
    assert response.status_code == 302
    html = page(client.get(f"/rounds/{round_.id}"))
    assert "The profile is enrolled in the round." in html and "Regnvandsbede" in html
    assert "We would like to visit them" in html

    response = client.post(f"/rounds/{round_.id}/enrolments", data={"profile_id": mine.id})
    assert response.status_code == 422
    assert "This profile is already enrolled in the round." in page(response)

    response = client.post(f"/rounds/{round_.id}/interests",
                           data={"from_profile_id": mine.id, "to_profile_id": theirs.id})
    assert response.status_code == 302
    html = page(client.get(f"/rounds/{round_.id}"))
    assert "You asked for them" in html and "Take back our interest" in html

    as_user(client, login, people["giver"])
    html = page(client.get(f"/rounds/{round_.id}"))
    assert "They are interested in you" in html and "We would like to host them" in html
    client.post(f"/rounds/{round_.id}/interests",
                data={"from_profile_id": theirs.id, "to_profile_id": mine.id})
    assert "Mutual interest" in page(client.get(f"/rounds/{round_.id}"))

    as_user(client, login, people["taker"])
    interest = db.session.scalar(select(Interest).where(Interest.from_profile_id == mine.id))
    assert client.post(
        f"/rounds/{round_.id}/interests/{interest.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Interest)) == 1

    response = client.post(f"/rounds/{round_.id}/enrolments/withdraw",
                           data={"profile_id": mine.id})
    assert response.status_code == 302
    assert enrolments.active_enrolment(round_, mine) is None
    assert "Not enrolled" in page(client.get(f"/rounds/{round_.id}"))


def test_participants_act_only_for_their_own_profiles(client, login, people, create_profile):
    round_ = make_round(people["coordinator"], "open")
    draft = make_round(people["coordinator"])
    foreign = create_profile("giver", owner=people["other"])
    other_taker = create_profile("taker", owner=people["other"])
    enrolments.enrol(round_, foreign, people["other"])
    enrolments.enrol(round_, other_taker, people["other"])
    interest = enrolments.express_interest(round_, other_taker, foreign, people["other"])
    db.session.commit()
    login(people["taker"])
    assert client.post(f"/rounds/{round_.id}/enrolments",
                       data={"profile_id": foreign.id}).status_code == 403
    assert client.post(f"/rounds/{round_.id}/enrolments/withdraw",
                       data={"profile_id": foreign.id}).status_code == 403
    response = client.post(f"/rounds/{round_.id}/enrolments", data={"profile_id": 999999})
    assert response.status_code == 422 and "No such profile." in page(response)
    assert client.get(f"/rounds/{draft.id}").status_code == 403
    assert client.post(
        f"/rounds/{round_.id}/interests/{interest.id}/delete").status_code == 403
    assert client.post(f"/rounds/{round_.id}/interests",
                       data={"from_profile_id": other_taker.id,
                             "to_profile_id": foreign.id}).status_code == 403


def test_enrolment_closes_with_registration(client, login, people, create_profile):
    round_ = make_round(people["coordinator"], "open", "pairing")
    mine = create_profile("taker", owner=people["taker"])
    login(people["taker"])
    assert "Enrol<" not in page(client.get(f"/rounds/{round_.id}"))
    response = client.post(f"/rounds/{round_.id}/enrolments", data={"profile_id": mine.id})
    assert response.status_code == 422
    assert "The round is not open for registration." in page(response)


# ---------------------------------------------------------------- run, review, publish

def test_coordinator_runs_reviews_and_publishes(client, login, people, open_round):
    round_ = open_round["round"]
    login(people["coordinator"])
    client.post(f"/rounds/{round_.id}/state", data={"state": "pairing"})
    html = page(client.get(f"/rounds/{round_.id}/run"))
    assert 'value="optimal" checked' in html and "Only unpaired" in html

    response = client.post(f"/rounds/{round_.id}/run", data={"method": "optimal"})
    assert response.status_code == 302
    run = db.session.scalar(select(PairingRun))
    assert response.headers["Location"] == f"/rounds/{round_.id}/runs/{run.id}"
    html = page(client.get(response.headers["Location"]))
    assert 'http-equiv="refresh"' not in html and "<progress" in html
    assert "3</strong> pairs made" in html
    db.session.refresh(round_)
    assert round_.state == "review"

    response = client.get(f"/rounds/{round_.id}/pairs")
    html = page(response)
    assert response.status_code == 200 and html.count('<tr id="pair-') == 3
    assert "Shared sectors" in html and "Elderly care" in html
    pairs = list(db.session.scalars(select(Pair).order_by(Pair.score.desc())))
    assert [int(i) for i in re.findall(r'<tr id="pair-(\d+)"', html)] == [p.id for p in pairs]
    weakest_first = page(client.get(f"/rounds/{round_.id}/pairs?sort=-score"))
    assert [int(i) for i in re.findall(r'<tr id="pair-(\d+)"', weakest_first)] == \
        [p.id for p in reversed(pairs)]

    by_title = {(p.taker.title, p.giver.title): p for p in pairs}
    assert set(by_title) == {("Ældrepleje", "Hverdagsrehabilitering"),
                             ("Skybrud", "Regnvandsbede"), ("Skybrud 2", "Regnvandsbede")}
    best = by_title[("Ældrepleje", "Hverdagsrehabilitering")]
    first, other = by_title[("Skybrud", "Regnvandsbede")], by_title[("Skybrud 2", "Regnvandsbede")]
    seen_version = best.version
    response = client.post(f"/pairs/{best.id}/approve?status=proposed",
                           data={"version": seen_version})
    assert response.status_code == 302
    assert response.headers["Location"] == \
        f"/rounds/{round_.id}/pairs?status=proposed#pair-{best.id}"
    html = page(client.get(f"/rounds/{round_.id}/pairs?status=proposed"))
    assert "The pair was approved." in html and html.count('<tr id="pair-') == 2

    response = client.post(f"/pairs/{first.id}/reject", data={"version": first.version,
                                                               "reason": ""})
    assert response.status_code == 422 and "Give a reason for the rejection." in page(response)
    assert re.search(r"<details open>\s*<summary>Reject", page(response))
    response = client.post(f"/pairs/{best.id}/reject", data={"version": seen_version,
                                                              "reason": "Second thoughts"})
    assert response.status_code == 409 and "changed by someone else" in page(response)

    response = client.post(f"/pairs/{first.id}/swap",
                           data={"version": first.version, "other_pair_id": other.id})
    assert response.status_code == 302
    swapped = {(p.taker.title, p.giver.title): p for p in db.session.scalars(
        select(Pair).where(Pair.source == "swap"))}
    assert len(swapped) == 2 and {first.status, other.status} == {"rejected"}

    victim = swapped[("Skybrud 2", "Regnvandsbede")]
    response = client.post(f"/rounds/{round_.id}/bans",
                           data={"pair_id": victim.id, "taker_id": victim.taker_id,
                                 "giver_id": victim.giver_id, "reason": "Kender hinanden"})
    assert response.status_code == 302
    assert db.session.scalar(select(BannedPair)).reason == "Kender hinanden"
    assert victim.status == "rejected"
    response = client.post(f"/rounds/{round_.id}/pairs",
                           data={"taker_id": victim.taker_id, "giver_id": victim.giver_id})
    assert response.status_code == 422 and "This pair is banned in this round." in page(response)

    taker, giver = open_round["takers"][2], open_round["givers"][0]
    response = client.post(f"/rounds/{round_.id}/pairs",
                           data={"taker_id": taker.id, "giver_id": giver.id})
    assert response.status_code == 302
    assert "The pair was proposed" in page(client.get(response.headers["Location"]))
    by_hand = db.session.scalar(select(Pair).where(Pair.source == "manual"))
    response = client.post(f"/pairs/{by_hand.id}/approve", data={"version": by_hand.version})
    assert response.status_code == 409
    assert "The giver has no room left: its capacity is taken." in page(response)

    keep = swapped[("Skybrud", "Regnvandsbede")]
    assert client.post(f"/pairs/{keep.id}/approve",
                       data={"version": keep.version}).status_code == 302
    approved = list(db.session.scalars(select(Pair).where(Pair.status == "approved")))
    assert len(approved) == 2

    html = page(client.get(f"/rounds/{round_.id}/audit"))
    assert "Pair approved" in html and "Pair banned" in html and "Kender hinanden" in html
    assert "Karen Koordinator" in html
    html = page(client.get(f"/pairs/{best.id}"))
    assert "Pair approved" in html and "Pair banned" not in html

    db.session.refresh(round_)
    response = client.post(f"/rounds/{round_.id}/state",
                           data={"state": "published", "version": round_.version})
    assert response.status_code == 302
    mails = list(db.session.scalars(select(OutboxMessage)))
    assert len(mails) == 2 * len(approved)
    html = page(client.get(response.headers["Location"]))
    assert f"The round was published; {len(mails)} emails were sent." in html

    html = page(client.get("/outbox"))
    # Each mail is in its recipient's language (Danish by default).
    assert html.count(mails[0].subject) == len(mails)
    assert mails[0].subject == "Du er blevet parret i Innovationspraktik 2027"
    assert people["taker"].email in html and people["giver"].email in html

    as_user(client, login, people["taker"])
    html = page(client.get("/account"))
    assert "My pairings" in html and "Aarhus Kommune" in html
    assert people["giver"].email in html and "Gitte Giver" in html
    html = page(client.get(f"/rounds/{round_.id}"))
    assert "Your pairings in this round" in html


def test_only_unpaired_run_and_reasons_for_unpaired_profiles(client, login, people, open_round,
                                                            create_profile):
    round_ = open_round["round"]
    home = open_round["givers"][0].organisation
    lonely = create_profile("taker", owner=people["other"], organisation=home,
                            title="Egen organisation")
    enrolments.enrol(round_, lonely, people["other"])
    rounds.transition(round_, "pairing", people["coordinator"])
    db.session.commit()
    login(people["coordinator"])
    response = client.post(f"/rounds/{round_.id}/run",
                           data={"method": "stable", "only_unpaired": "true"})
    html = page(client.get(response.headers["Location"]))
    assert "Stable" in html and "only unpaired" in html
    assert "Egen organisation" in html
    assert "No allowed partner (own organisation, availability, bans)." in html

    response = client.post(f"/rounds/{round_.id}/run", data={"method": "random"})
    assert response.status_code == 422 and "Not a valid choice." in page(response)


def test_run_page_reloads_itself_while_running(client, login, people, open_round):
    round_ = open_round["round"]
    rounds.transition(round_, "pairing", people["coordinator"])
    run = pairing_runs.start_run(round_, "optimal", people["coordinator"])
    run.stage, run.progress = "scoring", 0.25
    db.session.commit()
    login(people["coordinator"])
    html = page(client.get(f"/rounds/{round_.id}/runs/{run.id}"))
    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress id="run-progress" max="1" value="0.25">' in html
    assert "Scoring every taker against every giver" in html
    html = page(client.get(f"/rounds/{round_.id}/runs/{run.id}?refresh=off"))
    assert 'http-equiv="refresh"' not in html
    response = client.post(f"/rounds/{round_.id}/run", data={"method": "optimal"})
    assert response.status_code == 409
    assert "A pairing run for this round is under way already." in page(response)


def test_run_is_refused_before_pairing(client, login, people, open_round):
    login(people["coordinator"])
    round_ = open_round["round"]
    html = page(client.get(f"/rounds/{round_.id}/run"))
    assert "Move the round to pairing before running the pairing." in html
    response = client.post(f"/rounds/{round_.id}/run", data={"method": "optimal"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(PairingRun)) == 0


def test_publishing_needs_an_approved_pair(client, login, people, open_round):
    round_ = open_round["round"]
    login(people["coordinator"])
    for state in ("pairing", "review"):
        client.post(f"/rounds/{round_.id}/state", data={"state": state})
    response = client.post(f"/rounds/{round_.id}/state", data={"state": "published"})
    assert response.status_code == 422
    assert "Approve at least one pair before publishing." in page(response)
    db.session.refresh(round_)
    assert round_.state == "review"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_review_filters(client, login, people, open_round):
    round_ = open_round["round"]
    taker, giver = open_round["takers"][1], open_round["givers"][1]
    enrolments.express_interest(round_, taker, giver, people["taker"])
    enrolments.express_interest(round_, giver, taker, people["giver"])
    rounds.transition(round_, "pairing", people["coordinator"])
    db.session.commit()
    login(people["coordinator"])
    client.post(f"/rounds/{round_.id}/run", data={"method": "optimal"})
    html = page(client.get(f"/rounds/{round_.id}/pairs?mutual=true"))
    assert html.count('<tr id="pair-') == 1 and "Mutual interest" in html
    html = page(client.get(f"/rounds/{round_.id}/pairs?min_score=1"))
    assert html.count('<tr id="pair-') == 0
    response = client.get(f"/rounds/{round_.id}/pairs?min_score=lots")
    assert response.status_code == 200
    assert "Some filters were not valid and were ignored." in page(response)
    assert page(response).count('<tr id="pair-') == 3


def test_dashboard_and_csv_links_appear_only_when_built(client, login, people, app):
    round_ = make_round(people["coordinator"])
    login(people["coordinator"])
    html = page(client.get(f"/rounds/{round_.id}"))
    for endpoint, text in (("web.round_dashboard", "Dashboard"),
                           ("web.round_import", "Import CSV"),
                           ("web.round_export", "Export CSV")):
        assert (f">{text}</a>" in html) == (endpoint in app.view_functions)


def test_unpaired_reasons_have_a_danish_translation():
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = Path(__file__).parents[1] / "spread/translations/da/LC_MESSAGES/messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    for message in pairing_runs.UNPAIRED_REASONS.values():
        assert catalog.get(message) is not None and catalog.get(message).string, message


# ---------------------------------------------------------------- permissions

COORDINATOR_GETS = ["/rounds/new", "/rounds/{round}/edit", "/rounds/{round}/run",
                    "/rounds/{round}/runs/{run}", "/rounds/{round}/pairs",
                    "/rounds/{round}/audit", "/pairs/{pair}", "/outbox"]
COORDINATOR_POSTS = ["/rounds/new", "/rounds/{round}/edit", "/rounds/{round}/state",
                     "/rounds/{round}/run", "/rounds/{round}/pairs", "/rounds/{round}/bans",
                     "/pairs/{pair}/approve", "/pairs/{pair}/reject", "/pairs/{pair}/swap"]


@pytest.fixture
def reviewed_round(people, open_round):
    round_ = open_round["round"]
    rounds.transition(round_, "pairing", people["coordinator"])
    run = pairing_runs.start_run(round_, "optimal", people["coordinator"])
    db.session.commit()
    pairing_runs.execute_run(run)
    pair = db.session.scalar(select(Pair))
    return {"round": round_.id, "run": run.id, "pair": pair.id}


def test_participants_get_403_on_every_coordinator_page(client, login, people, reviewed_round):
    login(people["giver"])
    for path in COORDINATOR_GETS:
        assert client.get(path.format(**reviewed_round)).status_code == 403, path
    for path in COORDINATOR_POSTS:
        response = client.post(path.format(**reviewed_round),
                               data={"state": "published", "reason": "x", "taker_id": "1",
                                     "giver_id": "2", "version": "1", "other_pair_id": "1"})
        assert response.status_code == 403, path
    pair = db.session.get(Pair, reviewed_round["pair"])
    db.session.refresh(pair)
    assert pair.status == "proposed"
    assert db.session.scalar(select(func.count()).select_from(BannedPair)) == 0


def test_anonymous_visitors_are_sent_to_the_login(client, reviewed_round):
    for path in COORDINATOR_GETS + ["/rounds", "/rounds/{round}"]:
        response = client.get(path.format(**reviewed_round))
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path
    response = client.post("/rounds/{round}/enrolments".format(**reviewed_round),
                           data={"profile_id": "1"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.withdrawn_at.is_(None))) == 5
