"""The six-phase spreading dialogue over the API: from a published pair to the follow-up."""
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from spread.extensions import db
from spread.models import (
    AuditEvent,
    Dialogue,
    Enrolment,
    LogEntry,
    NextAction,
    OutboxMessage,
    Pair,
    PhaseGuide,
    PhaseMark,
)
from spread.services import phase_guides
from tests.rounds_helpers import move

API = "/api/v1"


@pytest.fixture
def app(app):
    app.config["PAIRING_IN_BACKGROUND"] = False
    return app


@pytest.fixture
def published(publish_pair):
    """A published round with one approved pair; ``dialogue_id`` of its dialogue."""
    return publish_pair()


def soon(days: int = 14) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def entry(phase=1, note="Vi mødtes og så løsningen i brug.", **extra):
    return {"phase": phase, "note": note, **extra}


def post(client, url, headers, json=None):
    return client.post(API + url, json=json if json is not None else {}, headers=headers)


def mark(client, p, phase, *sides):
    for side in sides:
        response = post(client, f"/dialogues/{p.dialogue_id}/phases/{phase}/done",
                        p.headers[side])
        assert response.status_code == 200, response.json
    return response.json


def complete_phases(client, p, up_to):
    for phase in range(1, up_to + 1):
        mark(client, p, phase, "giver", "taker")


def errors_text(response) -> str:
    return str(response.json["errors"]) + response.json["message"]


# --- the whole flow ------------------------------------------------------------------------

def test_publishing_opens_a_dialogue_bound_to_the_current_guide(client, published):
    dialogue = db.session.get(Dialogue, published.dialogue_id)
    assert dialogue is not None
    assert dialogue.guide.version == 1
    assert dialogue.followup_due == date(2027, 9, 30)  # internship end + 6 months
    body = client.get(f"{API}/dialogues/{dialogue.id}", headers=published.headers["taker"]).json
    assert body["viewer_side"] == "taker"
    assert body["giver"]["profile"]["title"] == "Hverdagsrehabilitering"
    assert body["taker"]["profile"]["title"] == "Ældrepleje i hjemmet"
    assert body["giver"]["contact"]["email"] == published.users["giver"].email
    assert body["round"]["internship_end"] == "2027-03-31"
    assert [p["key"] for p in body["phases"]] == [
        "check", "agree", "understand", "adapt", "implement", "evaluate"]
    first = body["phases"][0]
    assert first["title"]["da"].startswith("Tjek") and first["title"]["en"].startswith("Check")
    assert first["cocreation"] == "co-design"
    assert 3 <= len(first["giver_actions"]) <= 5 and 3 <= len(first["questions"]) <= 4
    assert [p["state"] for p in body["phases"]] == ["open"] + ["locked"] * 5
    assert body["current_phase"] == 1 and body["entries"] == []


def test_followup_due_uses_the_publish_date_without_internship_end(publish_pair):
    setup = publish_pair(name="Uden datoer", registration_opens=None, registration_closes=None,
                         internship_start=None, internship_end=None)
    dialogue = db.session.get(Dialogue, setup.dialogue_id)
    today = date.today()
    assert dialogue.followup_due.year * 12 + dialogue.followup_due.month == \
        today.year * 12 + today.month + 6


def test_both_sides_work_through_the_six_phases(client, published):
    p, d = published, published.dialogue_id
    response = post(client, f"/dialogues/{d}/entries", p.headers["giver"], entry(
        decisions="Vi deler vores materiale.", links=["https://example.dk/guide"],
        next_actions=[{"description": "Send drejebog", "owner": "giver", "due": soon()}]))
    assert response.status_code == 201, response.json
    assert response.json["side"] == "giver"
    assert response.json["next_actions"][0]["owner"] == "giver"
    assert response.json["next_actions"][0]["overdue"] is False
    response = post(client, f"/dialogues/{d}/entries", p.headers["taker"],
                    entry(note="Vores problem: for mange genindlæggelser."))
    assert response.status_code == 201, response.json

    response = post(client, f"/dialogues/{d}/phases/1/ticks", p.headers["giver"],
                    {"action": 0, "done": True})
    assert response.status_code == 200, response.json
    phase1 = response.json["phases"][0]
    assert phase1["giver_actions"][0]["done"] is True
    assert phase1["taker_actions"][0]["done"] is False
    response = post(client, f"/dialogues/{d}/phases/1/ticks", p.headers["giver"],
                    {"action": 0, "done": False})
    assert response.json["phases"][0]["giver_actions"][0]["done"] is False

    body = mark(client, p, 1, "giver")
    assert body["phases"][0]["done_by"]["giver"] and body["phases"][0]["done_by"]["taker"] is None
    assert body["phases"][0]["state"] == "open" and body["phases"][1]["state"] == "locked"
    body = mark(client, p, 1, "taker")
    assert body["phases"][0]["state"] == "complete" and body["phases"][1]["state"] == "open"
    assert body["current_phase"] == 2

    for phase in range(2, 7):
        mark(client, p, phase, "giver", "taker")
    body = client.get(f"{API}/dialogues/{d}", headers=p.headers["coordinator"]).json
    assert all(ph["state"] == "complete" for ph in body["phases"])
    assert body["current_phase"] is None and body["evaluation_open"] is True
    assert body["viewer_side"] is None
    assert len(body["entries"]) == 2

    mine = client.get(f"{API}/me/dialogues", headers=p.headers["taker"]).json
    assert [(m["id"], m["side"], m["phases_complete"]) for m in mine] == [(d, "taker", 6)]
    assert mine[0]["partner"]["title"] == "Hverdagsrehabilitering"
    assert client.get(f"{API}/me/dialogues", headers=p.headers["other"]).json == []


def test_locked_phases_refuse_marks_ticks_and_entries_until_work_ahead(client, published):
    p, d = published, published.dialogue_id
    response = post(client, f"/dialogues/{d}/phases/3/done", p.headers["giver"])
    assert response.status_code == 422 and "locked" in errors_text(response)
    response = post(client, f"/dialogues/{d}/phases/3/ticks", p.headers["giver"], {"action": 0})
    assert response.status_code == 422
    response = post(client, f"/dialogues/{d}/entries", p.headers["giver"], entry(phase=3))
    assert response.status_code == 422

    response = post(client, f"/dialogues/{d}/work-ahead", p.headers["taker"], {"enabled": True})
    assert response.status_code == 200, response.json
    assert response.json["work_ahead"] is True
    assert [ph["state"] for ph in response.json["phases"]] == ["open"] * 6
    mark(client, p, 3, "giver")
    assert post(client, f"/dialogues/{d}/entries", p.headers["giver"],
                entry(phase=3)).status_code == 201
    response = post(client, f"/dialogues/{d}/work-ahead", p.headers["taker"], {"enabled": False})
    assert [ph["state"] for ph in response.json["phases"]][:3] == ["open", "locked", "locked"]


def test_a_phase_outside_one_to_six_is_not_found(client, published):
    p = published
    assert post(client, f"/dialogues/{p.dialogue_id}/phases/7/done",
                p.headers["giver"]).status_code == 404


def test_tick_needs_an_action_of_the_guide(client, published):
    p = published
    response = post(client, f"/dialogues/{p.dialogue_id}/phases/1/ticks", p.headers["giver"],
                    {"action": 5})
    assert response.status_code == 422 and "action" in response.json["errors"]


def test_edit_keeps_history_and_only_the_author_edits(client, published, token_for):
    p, d = published, published.dialogue_id
    created = post(client, f"/dialogues/{d}/entries", p.headers["giver"], entry(
        note="Første udgave.", links=["http://example.dk"])).json
    response = client.patch(f"{API}/entries/{created['id']}", headers=p.headers["giver"],
                            json={"note": "Anden udgave.", "decisions": "Vi går videre."})
    assert response.status_code == 200, response.json
    assert response.json["note"] == "Anden udgave."
    assert [r["note"] for r in response.json["revisions"]] == ["Første udgave."]
    assert response.json["revisions"][0]["links"] == ["http://example.dk"]
    response = client.patch(f"{API}/entries/{created['id']}", headers=p.headers["giver"],
                            json={"note": "Tredje udgave."})
    assert [r["note"] for r in response.json["revisions"]] == ["Første udgave.", "Anden udgave."]
    # The partner may read but not edit; nor may a coordinator.
    for who in ("taker", "coordinator", "other"):
        response = client.patch(f"{API}/entries/{created['id']}", headers=p.headers[who],
                                json={"note": "Overskrevet."})
        assert response.status_code == 403, who
    assert client.patch(f"{API}/entries/{created['id']}", json={"note": "x"}).status_code == 401
    response = client.patch(f"{API}/entries/{created['id']}", headers=p.headers["giver"],
                            json={"note": "   "})
    assert response.status_code == 422 and "note" in response.json["errors"]


@pytest.mark.parametrize("bad, field", [
    ({"note": ""}, "note"),
    ({"note": "   "}, "note"),
    ({"links": ["ftp://example.dk/x"]}, "links"),
    ({"links": ["javascript:alert(1)"]}, "links"),
    ({"next_actions": [{"description": "Ring", "owner": "giver", "due": "2020-01-01"}]},
     "next_actions"),
    ({"next_actions": [{"description": "Ring", "owner": "someone", "due": "2099-01-01"}]},
     "next_actions"),
    ({"next_actions": [{"description": "Ring", "owner": "giver"}]}, "next_actions"),
    ({"phase": 0}, "phase"),
    ({"colour": "red"}, "colour"),
])
def test_bad_entries_are_refused_with_the_field(client, published, bad, field):
    response = post(client, f"/dialogues/{published.dialogue_id}/entries",
                    published.headers["giver"], {**entry(), **bad})
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert db.session.scalar(select(func.count()).select_from(LogEntry)) == 0


def test_past_due_date_message(client, published):
    response = post(client, f"/dialogues/{published.dialogue_id}/entries",
                    published.headers["giver"], entry(next_actions=[
                        {"description": "Ring", "owner": "taker", "due": "2020-01-01"}]))
    assert response.json["errors"]["next_actions"] == {"0": {"due": [
        "The due date is in the past."]}}


def test_marking_a_phase_twice_is_refused_clearly(client, published):
    mark(client, published, 1, "giver")
    response = post(client, f"/dialogues/{published.dialogue_id}/phases/1/done",
                    published.headers["giver"])
    assert response.status_code == 422
    assert "already marked" in errors_text(response)


def test_next_actions_can_be_done_by_either_side(client, published):
    p = published
    created = post(client, f"/dialogues/{p.dialogue_id}/entries", p.headers["giver"], entry(
        next_actions=[{"description": "Aftal dato", "owner": "taker", "due": soon()}])).json
    action_id = created["next_actions"][0]["id"]
    response = client.patch(f"{API}/next-actions/{action_id}", headers=p.headers["taker"],
                            json={"done": True})
    assert response.status_code == 200 and response.json["done_at"]
    response = client.patch(f"{API}/next-actions/{action_id}", headers=p.headers["giver"],
                            json={"done": False})
    assert response.status_code == 200 and response.json["done_at"] is None


def test_every_write_moves_last_activity(client, published):
    p = published
    dialogue = db.session.get(Dialogue, p.dialogue_id)
    before = dialogue.last_activity_at
    post(client, f"/dialogues/{p.dialogue_id}/phases/1/ticks", p.headers["giver"], {"action": 1})
    db.session.refresh(dialogue)
    assert dialogue.last_activity_at > before


# --- poor fit and closing ----------------------------------------------------------------------

def test_poor_fit_only_after_phase_two_then_coordinator_closes(client, published):
    p, d = published, published.dialogue_id
    response = post(client, f"/dialogues/{d}/poor-fit", p.headers["taker"],
                    {"reason": "Vores problemer ligner ikke hinanden."})
    assert response.status_code == 422 and "phase 2" in errors_text(response)
    complete_phases(client, p, 2)
    response = post(client, f"/dialogues/{d}/poor-fit", p.headers["taker"], {"reason": " "})
    assert response.status_code == 422 and "reason" in response.json["errors"]
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    response = post(client, f"/dialogues/{d}/poor-fit", p.headers["taker"],
                    {"reason": "Vores problemer ligner ikke hinanden."})
    assert response.status_code == 201, response.json
    assert response.json["side"] == "taker"
    mails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "poor_fit")))
    assert [m.to for m in mails] == [p.users["coordinator"].email]
    assert "Vores problemer ligner ikke hinanden." in mails[0].body
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before + 1
    response = post(client, f"/dialogues/{d}/poor-fit", p.headers["taker"], {"reason": "Igen."})
    assert response.status_code == 422

    assert post(client, f"/dialogues/{d}/close", p.headers["giver"],
                {"reason": "Passer ikke"}).status_code == 403
    assert post(client, f"/dialogues/{d}/close", p.headers["coordinator"],
                {"reason": ""}).status_code == 422
    response = post(client, f"/dialogues/{d}/close", p.headers["coordinator"],
                    {"reason": "Parret passer ikke sammen; vi parrer igen."})
    assert response.status_code == 200, response.json
    assert response.json["closed_at"] and response.json["closed_reason"].startswith("Parret")
    assert response.json["poor_fit_flags"][0]["resolved_at"]
    pair = db.session.get(Pair, p.pair_id)
    db.session.refresh(pair)
    assert pair.status == "closed"
    for enrolment in db.session.scalars(select(Enrolment)):
        db.session.refresh(enrolment)
        assert enrolment.approved == 0
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pair.closed"))
    # A closed dialogue can be read but not written to, nor closed twice.
    assert client.get(f"{API}/dialogues/{d}", headers=p.headers["giver"]).status_code == 200
    response = post(client, f"/dialogues/{d}/entries", p.headers["giver"], entry())
    assert response.status_code == 422 and "closed" in errors_text(response)
    assert post(client, f"/dialogues/{d}/close", p.headers["coordinator"],
                {"reason": "Igen"}).status_code == 422


# --- evaluation and follow-up ------------------------------------------------------------------

def test_evaluation_opens_after_phase_six_once_per_side(client, published):
    p, d = published, published.dialogue_id
    rating = {"satisfaction": 5, "would_recommend": True, "what_worked": "Besøget."}
    response = post(client, f"/dialogues/{d}/evaluation", p.headers["taker"], rating)
    assert response.status_code == 422 and "not open yet" in errors_text(response)
    complete_phases(client, p, 6)
    for bad, field in (({"satisfaction": 0}, "satisfaction"), ({"satisfaction": 6}, "satisfaction"),
                       ({"stars": 3}, "stars"), ({"would_recommend": None}, "would_recommend")):
        response = post(client, f"/dialogues/{d}/evaluation", p.headers["taker"],
                        {**rating, **bad})
        assert response.status_code == 422 and field in response.json["errors"], bad
    response = post(client, f"/dialogues/{d}/evaluation", p.headers["taker"], rating)
    assert response.status_code == 201, response.json
    assert response.json["satisfaction"] == 5 and response.json["side"] == "taker"
    response = post(client, f"/dialogues/{d}/evaluation", p.headers["taker"], rating)
    assert response.status_code == 422 and "already" in errors_text(response)
    assert post(client, f"/dialogues/{d}/evaluation", p.headers["giver"],
                {"satisfaction": 3, "would_recommend": False}).status_code == 201
    # Each side sees its own rating; the coordinator sees both.
    giver_view = client.get(f"{API}/dialogues/{d}", headers=p.headers["giver"]).json
    assert giver_view["evaluations"]["taker"] is None
    assert giver_view["evaluations"]["giver"]["satisfaction"] == 3
    assert giver_view["evaluated"] == {"giver": True, "taker": True}
    coordinator_view = client.get(f"{API}/dialogues/{d}", headers=p.headers["coordinator"]).json
    assert coordinator_view["evaluations"]["taker"]["satisfaction"] == 5


def test_evaluation_opens_when_the_round_closes(client, published):
    p = published
    move(client, p.headers["coordinator"], p.round_id, "closed")
    response = post(client, f"/dialogues/{p.dialogue_id}/evaluation", p.headers["giver"],
                    {"satisfaction": 4, "would_recommend": True})
    assert response.status_code == 201, response.json


def _due_today(dialogue_id):
    dialogue = db.session.get(Dialogue, dialogue_id)
    dialogue.followup_due = date.today()
    db.session.commit()


def test_follow_up_before_and_after_its_date(client, published):
    p, d = published, published.dialogue_id
    report = {"adoption": "adapted", "explanation": "Vi har tilpasset visitationen."}
    response = post(client, f"/dialogues/{d}/follow-up", p.headers["taker"], report)
    assert response.status_code == 422 and "not open yet" in errors_text(response)
    _due_today(d)
    response = post(client, f"/dialogues/{d}/follow-up", p.headers["taker"],
                    {"adoption": "not_adopted"})
    assert response.status_code == 422 and "explanation" in response.json["errors"]
    response = post(client, f"/dialogues/{d}/follow-up", p.headers["taker"],
                    {"adoption": "borrowed"})
    assert response.status_code == 422 and "adoption" in response.json["errors"]
    response = post(client, f"/dialogues/{d}/follow-up", p.headers["taker"],
                    {"improved_original": True})
    assert response.status_code == 422 and "adoption" in response.json["errors"]
    response = post(client, f"/dialogues/{d}/follow-up", p.headers["taker"], report)
    assert response.status_code == 201, response.json
    assert response.json["adoption"] == "adapted"
    assert post(client, f"/dialogues/{d}/follow-up", p.headers["taker"],
                report).status_code == 422
    response = post(client, f"/dialogues/{d}/follow-up", p.headers["giver"],
                    {"explanation": "Ja"})
    assert response.status_code == 422 and "improved_original" in response.json["errors"]
    response = post(client, f"/dialogues/{d}/follow-up", p.headers["giver"],
                    {"improved_original": True, "explanation": "Vi lærte af deres tilpasning."})
    assert response.status_code == 201, response.json
    body = client.get(f"{API}/dialogues/{d}", headers=p.headers["taker"]).json
    assert body["followup_open"] is True
    assert body["follow_ups"]["giver"]["improved_original"] is True


# --- the guide and its versions ----------------------------------------------------------------

def _edited_phases():
    phases = phase_guides.default_phases()
    phases[0]["title"] = {"da": "Tjek igen", "en": "Check again"}
    return phases


def test_a_new_guide_version_leaves_running_dialogues_alone(client, published):
    p = published
    response = client.post(f"{API}/phase-guides", headers=p.headers["admin"],
                           json={"phases": _edited_phases(), "note": "Ny titel"})
    assert response.status_code == 201, response.json
    assert response.json["version"] == 2
    guides = client.get(f"{API}/phase-guides", headers=p.headers["other"]).json
    assert guides["current"]["version"] == 2
    assert [v["version"] for v in guides["versions"]] == [2, 1]
    assert guides["current"]["phases"][0]["title"]["en"] == "Check again"
    old = client.get(f"{API}/dialogues/{p.dialogue_id}", headers=p.headers["giver"]).json
    assert old["guide_version"] == 1
    assert old["phases"][0]["title"]["en"] == "Check — does spreading make sense?"
    assert db.session.scalar(select(func.count()).select_from(PhaseGuide)) == 2


@pytest.mark.parametrize("change, field", [
    (lambda ph: ph.pop(), "phases"),
    (lambda ph: ph[1]["title"].update(en=""), "phases"),
    (lambda ph: ph[2].update(giver_actions=ph[2]["giver_actions"][:2]), "phases"),
    (lambda ph: ph[3].update(questions=ph[3]["questions"] * 2), "phases"),
    (lambda ph: ph[4].update(cocreation="co-nothing"), "phases"),
    (lambda ph: ph.reverse(), "phases"),
    (lambda ph: ph[0].update(colour="red"), "phases"),
])
def test_bad_guides_are_refused(client, published, change, field):
    phases = phase_guides.default_phases()
    change(phases)
    response = client.post(f"{API}/phase-guides", headers=published.headers["admin"],
                           json={"phases": phases})
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_only_admins_publish_a_guide(client, published):
    for who in ("coordinator", "giver"):
        response = client.post(f"{API}/phase-guides", headers=published.headers[who],
                               json={"phases": _edited_phases()})
        assert response.status_code == 403, who
    assert client.post(f"{API}/phase-guides",
                       json={"phases": _edited_phases()}).status_code == 401
    assert client.get(f"{API}/phase-guides").status_code == 401


# --- who may do what ---------------------------------------------------------------------------

def _endpoints(p):
    """(method, url, json, writer) for every dialogue endpoint; writer is the side allowed."""
    d = p.dialogue_id
    entry_id = db.session.scalar(select(LogEntry.id))
    action_id = db.session.scalar(select(NextAction.id))
    return [
        ("get", f"/dialogues/{d}", None, None),
        ("post", f"/dialogues/{d}/entries", entry(), "giver"),
        ("patch", f"/entries/{entry_id}", {"note": "Rettet."}, "giver"),
        ("patch", f"/next-actions/{action_id}", {"done": True}, "taker"),
        ("post", f"/dialogues/{d}/phases/1/ticks", {"action": 0, "done": True}, "taker"),
        ("post", f"/dialogues/{d}/phases/1/done", {}, "giver"),
        ("post", f"/dialogues/{d}/work-ahead", {"enabled": True}, "taker"),
        ("post", f"/dialogues/{d}/evaluation", {"satisfaction": 4, "would_recommend": True},
         "taker"),
        ("post", f"/dialogues/{d}/follow-up", {"adoption": "copied"}, "taker"),
        ("post", f"/dialogues/{d}/poor-fit", {"reason": "Passer ikke."}, "giver"),
        ("post", f"/dialogues/{d}/close", {"reason": "Passer ikke."}, "coordinator"),
    ]


@pytest.fixture
def ready(client, published):
    """A dialogue where every write can succeed: phases 1–6 done, follow-up due, an entry."""
    complete_phases(client, published, 6)
    post(client, f"/dialogues/{published.dialogue_id}/entries", published.headers["giver"],
         entry(next_actions=[{"description": "Ring", "owner": "taker", "due": soon()}]))
    _due_today(published.dialogue_id)
    # Marking phase 1 again would be refused: start that check from a fresh mark.
    db.session.execute(delete(PhaseMark).where(PhaseMark.phase == 1, PhaseMark.side == "giver"))
    db.session.commit()
    return published


@pytest.mark.parametrize("index", range(11))
def test_permissions_of_every_endpoint(client, ready, index):
    method, url, json, writer = _endpoints(ready)[index]
    call = getattr(client, method)
    kwargs = {} if json is None else {"json": json}
    assert call(API + url, **kwargs).status_code == 401
    assert call(API + url, headers=ready.headers["other"], **kwargs).status_code == 403
    if writer is None:  # a read: participants and coordinators
        for who in ("giver", "taker", "coordinator", "admin"):
            assert call(API + url, headers=ready.headers[who]).status_code == 200, who
        return
    if writer == "coordinator":
        for who in ("giver", "taker"):
            assert call(API + url, headers=ready.headers[who], **kwargs).status_code == 403
        response = call(API + url, headers=ready.headers["coordinator"], **kwargs)
    else:
        # Coordinators read every dialogue but write for neither side.
        assert call(API + url, headers=ready.headers["coordinator"],
                    **kwargs).status_code == 403
        if url.startswith("/entries/"):
            assert call(API + url, headers=ready.headers["taker"], **kwargs).status_code == 403
        response = call(API + url, headers=ready.headers[writer], **kwargs)
    assert response.status_code in (200, 201), response.json
    # The coordinator can still read it afterwards.
    assert client.get(f"{API}/dialogues/{ready.dialogue_id}",
                      headers=ready.headers["coordinator"]).status_code == 200


def test_my_dialogues_needs_login(client, published):
    assert client.get(f"{API}/me/dialogues").status_code == 401
    assert len(client.get(f"{API}/me/dialogues", headers=published.headers["giver"]).json) == 1
    assert client.get(f"{API}/me/dialogues",
                      headers=published.headers["coordinator"]).json == []


def test_unknown_dialogue_is_not_found(client, published):
    assert client.get(f"{API}/dialogues/999999",
                      headers=published.headers["coordinator"]).status_code == 404
