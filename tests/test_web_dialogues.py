"""The six-phase dialogue pages, through the test client: workspace, log, phases, evaluation."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import (
    ActionTick,
    Dialogue,
    Evaluation,
    FollowUp,
    LogEntry,
    NextAction,
    PhaseGuide,
    PhaseMark,
    PoorFitFlag,
)
from spread.services import dialogues as service
from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}
DA = {"Accept-Language": "da"}


@pytest.fixture
def app(app):
    app.config["PAIRING_IN_BACKGROUND"] = False
    return app


@pytest.fixture
def published(publish_pair):
    """A published round with one approved pair; ``dialogue_id`` of its dialogue."""
    return publish_pair()


def log_in(client, user):
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.data
    return client


def as_user(client, p, who):
    return log_in(client, p.users[who])


def page(client, url, headers=EN):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return check_ids(response.get_data(as_text=True))


def check_ids(html):
    """Every id is unique and every label, labelledby and describedby points at one."""
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for target in re.findall(r'\s(?:for|aria-labelledby|aria-describedby)="([^"]+)"', html):
        assert all(part in ids for part in target.split()), target
    return html


def soon(days=14):
    return (date.today() + timedelta(days=days)).isoformat()


def ws_url(p, suffix=""):
    return f"/dialogues/{p.dialogue_id}{suffix}"


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def complete(p, up_to):
    """Both sides mark phases 1..up_to done (through the service)."""
    dialogue = db.session.get(Dialogue, p.dialogue_id)
    for phase in range(1, up_to + 1):
        for side in ("giver", "taker"):
            service.mark_done(dialogue, side, phase, p.users[side])
    db.session.commit()


# --- the workspace -------------------------------------------------------------------------

def test_workspace_shows_both_sides_and_the_phases_in_english(client, published):
    as_user(client, published, "taker")
    html = page(client, ws_url(published))
    assert "Hverdagsrehabilitering" in html and "Ældrepleje i hjemmet" in html
    assert f"/profiles/{published.giver.id}" in html and f"/profiles/{published.taker.id}" in html
    assert published.giver.organisation.name in html and published.taker.organisation.name in html
    assert "Check — does spreading make sense?" in html
    assert "Present the innovation and show it in practice" in html   # giver, red route
    assert "Describe your own problem and context" in html             # taker, blue route
    assert "red route" in html and "blue route" in html
    assert "Which problem does the innovation solve" in html
    assert "You take part as the taker." in html
    assert html.count("Locked") >= 5
    assert "Mark phase 1 done for our side" in html
    assert "Mark phase 2 done for our side" not in html   # locked
    assert "1 Mar 2027" in html or "Mar 1, 2027" in html   # the internship dates


def test_workspace_in_danish_by_header_and_by_language_switch(client, published):
    as_user(client, published, "giver")
    html = page(client, ws_url(published), headers=DA)
    assert "Tjek — giver spredning mening?" in html
    assert "Præsentér innovationen og vis den i praksis" in html
    assert 'lang="da"' in html
    client.get("/language/en")
    html = page(client, ws_url(published), headers=DA)
    assert "Check — does spreading make sense?" in html
    assert "Tjek — giver spredning mening?" not in html
    client.get("/language/da")
    assert "Tjek — giver spredning mening?" in page(client, ws_url(published), headers=EN)


# --- the log -------------------------------------------------------------------------------

def test_add_an_entry_with_links_and_next_actions(client, published):
    as_user(client, published, "giver")
    response = client.post(ws_url(published, "/entries"), headers=EN, data={
        "phase": "1", "note": "Vi viste løsningen frem.", "decisions": "Vi deler drejebogen.",
        "links": "https://example.dk/a\n\nhttp://example.dk/b\n",
        "na-0-description": "Send drejebog", "na-0-owner": "giver", "na-0-due": soon(),
        "na-1-description": "", "na-1-owner": "", "na-1-due": "",
        "na-2-description": "Aftal besøg", "na-2-owner": "taker", "na-2-due": soon(20)})
    assert response.status_code == 302
    entry = db.session.scalar(select(LogEntry))
    assert response.headers["Location"].endswith(f"/dialogues/{published.dialogue_id}"
                                                 f"#entry-{entry.id}")
    assert entry.side == "giver" and entry.links == ["https://example.dk/a", "http://example.dk/b"]
    assert [(a.description, a.owner) for a in entry.next_actions] == [
        ("Send drejebog", "giver"), ("Aftal besøg", "taker")]
    html = page(client, ws_url(published))
    assert "Your entry was added to phase 1." in html
    assert "Vi viste løsningen frem." in html and "https://example.dk/a" in html
    assert "Send drejebog" in html and "Not done yet" in html

    # Either side ticks the next action done, and open again.
    as_user(client, published, "taker")
    action = entry.next_actions[0]
    response = client.post(f"/dialogues/next-actions/{action.id}", data={"done": "true"},
                           headers=EN)
    assert response.status_code == 302
    db.session.refresh(action)
    assert action.done_at is not None
    assert "The next action is done." in page(client, ws_url(published))
    client.post(f"/dialogues/next-actions/{action.id}", data={"done": "false"}, headers=EN)
    db.session.refresh(action)
    assert action.done_at is None


@pytest.mark.parametrize("bad, field, message", [
    ({"note": "  "}, "note", "Write a note"),
    ({"links": "ftp://example.dk/x"}, "links", "Give an http:// or https:// address."),
    ({"na-1-description": "Ring", "na-1-owner": "giver", "na-1-due": "2020-01-01"},
     "na-1-due", "The due date is in the past."),
    ({"na-0-description": "Ring", "na-0-owner": "someone", "na-0-due": "2099-01-01"},
     "na-0-owner", "Not a valid choice."),
    ({"na-0-description": "Ring", "na-0-owner": "giver"}, "na-0-due",
     "Missing data for required field."),
])
def test_bad_entry_keeps_the_input_and_saves_nothing(client, published, bad, field, message):
    as_user(client, published, "giver")
    data = {"phase": "1", "note": "Min note om mødet", "links": "https://example.dk/ok",
            **bad}
    response = client.post(ws_url(published, "/entries"), data=data, headers=EN)
    html = check_ids(response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in html
    assert f'id="{field if field.startswith("na-") else "entry-" + field}"' in html
    assert 'aria-invalid="true"' in html
    if bad.get("note") is None:
        assert "Min note om mødet" in html        # the input is kept
    if "na-1-description" in bad or "na-0-description" in bad:
        assert 'value="Ring"' in html
    assert count(LogEntry) == 0 and count(NextAction) == 0


def test_entry_in_a_locked_phase_is_refused_until_work_ahead(client, published):
    as_user(client, published, "giver")
    response = client.post(ws_url(published, "/entries"), headers=EN,
                           data={"phase": "3", "note": "For tidligt."})
    assert response.status_code == 422
    assert "Phase 3 is locked" in response.get_data(as_text=True)
    assert "For tidligt." in response.get_data(as_text=True)
    response = client.post(ws_url(published, "/phases/3/done"), headers=EN)
    assert response.status_code == 422 and "locked" in response.get_data(as_text=True)
    assert count(PhaseMark) == 0

    response = client.post(ws_url(published, "/work-ahead"), data={"enabled": "true"},
                           headers=EN)
    assert response.status_code == 302
    html = page(client, ws_url(published))
    assert "All phases are open" in html and "Mark phase 3 done for our side" in html
    assert client.post(ws_url(published, "/entries"), headers=EN,
                       data={"phase": "3", "note": "Nu må vi."}).status_code == 302
    client.post(ws_url(published, "/work-ahead"), data={"enabled": "false"}, headers=EN)
    assert db.session.get(Dialogue, published.dialogue_id).work_ahead is False


def test_edit_keeps_history_and_only_the_author_edits(client, published):
    as_user(client, published, "giver")
    client.post(ws_url(published, "/entries"), headers=EN,
                data={"phase": "1", "note": "Første udgave."})
    entry = db.session.scalar(select(LogEntry))
    url = f"/dialogues/entries/{entry.id}/edit"
    html = page(client, url)
    assert "Første udgave." in html
    response = client.post(url, headers=EN, data={"note": "", "decisions": "", "links": ""})
    assert response.status_code == 422 and "Write a note" in response.get_data(as_text=True)
    response = client.post(url, headers=EN, data={"note": "Anden udgave.",
                                                  "decisions": "Vi går videre.", "links": ""})
    assert response.status_code == 302
    html = page(client, ws_url(published))
    assert "Anden udgave." in html and "edited" in html
    assert "1 earlier version" in html and "Første udgave." in html
    client.post(url, headers=EN, data={"note": "Tredje udgave.", "links": ""})
    html = page(client, ws_url(published))
    assert "2 earlier versions" in html and "Anden udgave." in html
    db.session.refresh(entry)
    assert [r.note for r in entry.revisions] == ["Første udgave.", "Anden udgave."]
    for who in ("taker", "coordinator", "other"):
        as_user(client, published, who)
        assert client.get(url).status_code == 403, who
        assert client.post(url, data={"note": "Overskrevet."}).status_code == 403, who


# --- phases --------------------------------------------------------------------------------

def test_tick_the_own_checklist(client, published):
    as_user(client, published, "taker")
    response = client.post(ws_url(published, "/phases/1/ticks"), data={"done": ["0", "2"]},
                           headers=EN)
    assert response.status_code == 302
    ticks = {(t.side, t.action) for t in db.session.scalars(select(ActionTick))}
    assert ticks == {("taker", 0), ("taker", 2)}
    html = page(client, ws_url(published))
    assert "Your checklist for phase 1 was saved." in html
    assert 'name="done" value="0" checked' in html
    client.post(ws_url(published, "/phases/1/ticks"), data={"done": ["2"]}, headers=EN)
    assert {(t.side, t.action) for t in db.session.scalars(select(ActionTick))} == {
        ("taker", 2)}
    response = client.post(ws_url(published, "/phases/1/ticks"), data={"done": ["9"]},
                           headers=EN)
    assert response.status_code == 422
    assert "Phase 1 has 3 actions" in response.get_data(as_text=True)
    response = client.post(ws_url(published, "/phases/2/ticks"), data={"done": ["0"]},
                           headers=EN)
    assert response.status_code == 422 and "locked" in response.get_data(as_text=True)
    assert client.post(ws_url(published, "/phases/7/ticks"), data={}).status_code == 404


def test_mark_done_twice_gives_a_message_and_both_complete_the_phase(client, published):
    as_user(client, published, "giver")
    response = client.post(ws_url(published, "/phases/1/done"), headers=EN)
    assert response.status_code == 302
    html = page(client, ws_url(published))
    assert "Phase 1 is marked done for your side." in html
    assert "Mark phase 1 done for our side" not in html
    response = client.post(ws_url(published, "/phases/1/done"), headers=EN)
    assert response.status_code == 422
    assert "already marked done" in response.get_data(as_text=True)
    assert count(PhaseMark) == 1
    as_user(client, published, "taker")
    client.post(ws_url(published, "/phases/1/done"), headers=EN)
    html = page(client, ws_url(published))
    assert "Mark phase 2 done for our side" in html
    assert service.current_phase(db.session.get(Dialogue, published.dialogue_id)) == 2


def test_a_lost_race_shows_the_conflict_on_the_workspace(client, published, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from spread.services.errors import ConflictError

    def clash(*args, **kwargs):
        raise IntegrityError("INSERT INTO phase_marks", {}, Exception("duplicate key"))

    as_user(client, published, "giver")
    monkeypatch.setattr(service, "mark_done", clash)
    response = client.post(ws_url(published, "/phases/1/done"), headers=EN)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "This was changed by someone else. Reload and try again." in html
    assert "Spreading dialogue" in html   # the workspace, not an error page

    def stale(*args, **kwargs):
        raise ConflictError("The pairing was changed by someone else.")

    monkeypatch.setattr(service, "set_work_ahead", stale)
    response = client.post(ws_url(published, "/work-ahead"), data={"enabled": "true"},
                           headers=EN)
    assert response.status_code == 409
    assert "The pairing was changed by someone else." in response.get_data(as_text=True)
    assert db.session.get(Dialogue, published.dialogue_id).work_ahead is False


# --- poor fit and closing ------------------------------------------------------------------

def test_poor_fit_after_phase_two_and_the_coordinator_closes(client, published):
    as_user(client, published, "taker")
    html = page(client, ws_url(published))
    assert "once both sides have completed phase 2" in html
    response = client.post(ws_url(published, "/poor-fit"), headers=EN,
                           data={"reason": "Vores problemer ligner ikke hinanden."})
    assert response.status_code == 422 and "phase 2" in response.get_data(as_text=True)
    complete(published, 2)
    response = client.post(ws_url(published, "/poor-fit"), headers=EN, data={"reason": " "})
    assert response.status_code == 422
    response = client.post(ws_url(published, "/poor-fit"), headers=EN,
                           data={"reason": "Vores problemer ligner ikke hinanden."})
    assert response.status_code == 302
    assert count(PoorFitFlag) == 1
    html = page(client, ws_url(published))
    assert "The coordinators have been told" in html
    assert "Vores problemer ligner ikke hinanden." in html
    assert "Close the pairing" not in html

    as_user(client, published, "giver")
    assert client.post(ws_url(published, "/close"), data={"reason": "Nej"}).status_code == 403
    as_user(client, published, "coordinator")
    html = page(client, ws_url(published))
    assert "Close for re-pairing" in html and "Add the entry" not in html
    response = client.post(ws_url(published, "/close"), headers=EN, data={"reason": ""})
    assert response.status_code == 422 and 'id="close-reason"' in response.get_data(as_text=True)
    response = client.post(ws_url(published, "/close"), headers=EN,
                           data={"reason": "Parret passer ikke; vi parrer igen."})
    assert response.status_code == 302
    html = page(client, ws_url(published))
    assert "This pairing was closed" in html and "Parret passer ikke" in html
    response = client.post(ws_url(published, "/close"), headers=EN, data={"reason": "Igen"})
    assert response.status_code == 422 and "closed already" in response.get_data(as_text=True)


# --- evaluation and follow-up --------------------------------------------------------------

def test_evaluation_before_it_opens_then_once_per_side(client, published):
    as_user(client, published, "taker")
    html = page(client, ws_url(published))
    assert "The evaluation opens when both sides have completed phase 6" in html
    rating = {"satisfaction": "5", "would_recommend": "true", "what_worked": "Besøget."}
    response = client.post(ws_url(published, "/evaluation"), data=rating, headers=EN)
    assert response.status_code == 422
    assert "The evaluation is not open yet" in response.get_data(as_text=True)
    complete(published, 6)
    html = page(client, ws_url(published))
    assert "How satisfied are you with the internship?" in html
    assert 'type="radio" name="satisfaction" value="5"' in html
    response = client.post(ws_url(published, "/evaluation"), headers=EN,
                           data={"would_recommend": "true", "what_worked": "Besøget."})
    html = check_ids(response.get_data(as_text=True))
    assert response.status_code == 422 and "Missing data for required field." in html
    assert "Besøget." in html
    assert 'value="true" id="evaluation-recommend-1"\n           checked' in html
    assert count(Evaluation) == 0
    response = client.post(ws_url(published, "/evaluation"), data=rating, headers=EN)
    assert response.status_code == 302
    html = page(client, ws_url(published))
    assert "Thank you: your evaluation was saved." in html
    assert "satisfaction 5 of 5" in html and "How satisfied" not in html
    response = client.post(ws_url(published, "/evaluation"), data=rating, headers=EN)
    assert response.status_code == 422 and "already" in response.get_data(as_text=True)
    as_user(client, published, "giver")
    html = page(client, ws_url(published))
    assert "satisfaction 5 of 5" not in html and "evaluated" in html   # the partner's is private


def test_follow_up_when_due(client, published):
    as_user(client, published, "taker")
    report = {"adoption": "adapted", "explanation": "Vi har tilpasset visitationen."}
    html = page(client, ws_url(published))
    assert "The follow-up opens on" in html
    response = client.post(ws_url(published, "/follow-up"), data=report, headers=EN)
    assert response.status_code == 422 and "not open yet" in response.get_data(as_text=True)
    dialogue = db.session.get(Dialogue, published.dialogue_id)
    dialogue.followup_due = date.today()
    db.session.commit()
    html = page(client, ws_url(published))
    assert "What became of the innovation at your place?" in html and "Not adopted" in html
    response = client.post(ws_url(published, "/follow-up"), data={"adoption": "not_adopted"},
                           headers=EN)
    html = check_ids(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Explain why the innovation was not adopted." in html
    assert 'value="not_adopted" id="follow-up-adoption-4"\n           checked' in html
    response = client.post(ws_url(published, "/follow-up"), data=report, headers=EN)
    assert response.status_code == 302
    assert "Adapted to our context" in page(client, ws_url(published))

    as_user(client, published, "giver")
    html = page(client, ws_url(published))
    assert "Did you improve your own solution" in html and "What became" not in html
    response = client.post(ws_url(published, "/follow-up"), data={"explanation": "Ja"},
                           headers=EN)
    assert response.status_code == 422
    assert "Say whether you improved your own solution." in response.get_data(as_text=True)
    response = client.post(ws_url(published, "/follow-up"), headers=EN,
                           data={"improved_original": "true", "explanation": "Vi lærte."})
    assert response.status_code == 302
    assert count(FollowUp) == 2


# --- my page -------------------------------------------------------------------------------

def test_my_page_lists_the_dialogue_and_links_the_pairing(client, published):
    as_user(client, published, "taker")
    html = page(client, "/account")
    assert "My dialogues" in html
    assert html.count(f'href="/dialogues/{published.dialogue_id}"') == 2
    as_user(client, published, "other")
    html = page(client, "/account")
    assert "You have no dialogues yet" in html
    assert f"/dialogues/{published.dialogue_id}" not in html


# --- the phase guide -----------------------------------------------------------------------

def test_admin_publishes_a_new_guide_version_and_running_dialogues_keep_theirs(
        client, published):
    import json

    as_user(client, published, "admin")
    html = page(client, "/admin/phase-guide")
    assert "The current version is 1." in html and "keep the version they started with" in html
    phases = service.phase_definition(db.session.get(Dialogue, published.dialogue_id), 1)
    guide = json.loads(json.dumps(db.session.scalar(select(PhaseGuide.phases))))
    guide[0]["title"]["en"] = "Check again"
    del guide[1]["title"]["da"]
    text = json.dumps(guide, ensure_ascii=False)
    response = client.post("/admin/phase-guide", data={"phases": text, "note": "Ny"},
                           headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "phases › 2 › title › da: Missing data for required field." in html
    assert "Check again" in html      # the input is kept
    response = client.post("/admin/phase-guide", data={"phases": "{not json"}, headers=EN)
    assert response.status_code == 422 and "not valid JSON" in response.get_data(as_text=True)
    assert count(PhaseGuide) == 1

    guide[1]["title"]["da"] = "Aftal"
    response = client.post("/admin/phase-guide", headers=EN, data={
        "phases": json.dumps(guide, ensure_ascii=False), "note": "Ny titel"})
    assert response.status_code == 302
    html = page(client, "/admin/phase-guide")
    assert "Version 2 of the phase guide is published." in html
    assert "The current version is 2." in html and "Ny titel" in html
    html = page(client, ws_url(published))
    assert "Check — does spreading make sense?" in html and "Check again" not in html
    assert phases["title"]["en"].startswith("Check —")


def test_only_admins_see_the_phase_guide_page(client, published):
    assert client.get("/admin/phase-guide").status_code == 302
    for who in ("coordinator", "giver"):
        as_user(client, published, who)
        assert client.get("/admin/phase-guide").status_code == 403, who
        assert client.post("/admin/phase-guide", data={"phases": "[]"}).status_code == 403


# --- who may do what -----------------------------------------------------------------------

def _routes(p):
    """(method, url, form, writer) for every dialogue page; writer is who may write."""
    d = p.dialogue_id
    entry_id = db.session.scalar(select(LogEntry.id))
    action_id = db.session.scalar(select(NextAction.id))
    return [
        ("get", f"/dialogues/{d}", None, None),
        ("post", f"/dialogues/{d}/entries", {"phase": "1", "note": "Hej."}, "giver"),
        ("get", f"/dialogues/entries/{entry_id}/edit", None, "giver-read"),
        ("post", f"/dialogues/entries/{entry_id}/edit", {"note": "Rettet."}, "giver"),
        ("post", f"/dialogues/next-actions/{action_id}", {"done": "true"}, "taker"),
        ("post", f"/dialogues/{d}/phases/1/ticks", {"done": "0"}, "taker"),
        ("post", f"/dialogues/{d}/phases/1/done", {}, "giver"),
        ("post", f"/dialogues/{d}/work-ahead", {"enabled": "true"}, "taker"),
        ("post", f"/dialogues/{d}/evaluation", {"satisfaction": "4", "would_recommend": "true"},
         "taker"),
        ("post", f"/dialogues/{d}/follow-up", {"adoption": "copied"}, "taker"),
        ("post", f"/dialogues/{d}/poor-fit", {"reason": "Passer ikke."}, "giver"),
        ("post", f"/dialogues/{d}/close", {"reason": "Passer ikke."}, "coordinator"),
    ]


@pytest.fixture
def ready(client, published):
    """A dialogue where every write can succeed: phases 2–6 done, follow-up due, an entry."""
    complete(published, 6)
    dialogue = db.session.get(Dialogue, published.dialogue_id)
    service.create_entry(dialogue, "giver", published.users["giver"], {
        "phase": 1, "note": "Start.", "next_actions": [
            {"description": "Ring", "owner": "taker", "due": date.today()}]})
    dialogue.followup_due = date.today()
    db.session.query(PhaseMark).filter_by(phase=1, side="giver").delete()
    db.session.commit()
    return published


@pytest.mark.parametrize("index", range(12))
def test_permissions_of_every_route(client, ready, index):
    method, url, form, writer = _routes(ready)[index]
    call = getattr(client, method)
    kwargs = {} if form is None else {"data": form}
    client.post("/logout")
    response = call(url, **kwargs)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    as_user(client, ready, "other")
    assert call(url, **kwargs).status_code == 403
    if writer is None:
        for who in ("giver", "taker", "coordinator", "admin"):
            as_user(client, ready, who)
            assert call(url).status_code == 200, who
        return
    if writer == "coordinator":
        for who in ("giver", "taker"):
            as_user(client, ready, who)
            assert call(url, **kwargs).status_code == 403, who
        as_user(client, ready, "coordinator")
        response = call(url, **kwargs)
    else:
        side = writer.split("-")[0]
        for who in ("coordinator", "admin"):
            as_user(client, ready, who)
            assert call(url, **kwargs).status_code == 403, who
        if "/entries/" in url:
            as_user(client, ready, "taker")
            assert call(url, **kwargs).status_code == 403
        as_user(client, ready, side)
        response = call(url, **kwargs)
    expected = 200 if writer == "giver-read" else 302
    assert response.status_code == expected, response.get_data(as_text=True)[:2000]
    as_user(client, ready, "coordinator")
    assert client.get(f"/dialogues/{ready.dialogue_id}").status_code == 200


def test_unknown_dialogue_is_not_found(client, published):
    as_user(client, published, "coordinator")
    assert client.get("/dialogues/999999").status_code == 404
