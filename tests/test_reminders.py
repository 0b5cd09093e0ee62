"""``flask send-reminders``: stalled dialogues, overdue next actions, invitations; never twice."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from spread.extensions import db
from spread.models import Dialogue, OutboxMessage
from spread.services.reminders import send_reminders

API = "/api/v1"


@pytest.fixture
def app(app):
    app.config["PAIRING_IN_BACKGROUND"] = False
    return app


@pytest.fixture
def published(publish_pair):
    setup = publish_pair()
    setup.dialogue = db.session.get(Dialogue, setup.dialogue_id)
    return setup


def reminders(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == f"reminder_{kind}").order_by(OutboxMessage.id)))


def run(runner, *args: str) -> str:
    result = runner.invoke(args=["send-reminders", *args])
    assert result.exit_code == 0, result.output
    return result.output


def quiet_since(dialogue: Dialogue, day: date) -> None:
    dialogue.last_activity_at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    db.session.commit()


def test_stalled_dialogues_remind_both_sides_once(runner, published):
    start = date(2027, 4, 1)
    quiet_since(published.dialogue, start)
    assert "Sent 0 reminders" in run(runner, "--today", "2027-04-14")
    output = run(runner, "--today", "2027-04-15")
    assert "2 stalled" in output
    assert {m.to for m in reminders("stalled")} == {published.users["giver"].email,
                                                     published.users["taker"].email}
    assert "14" in reminders("stalled")[0].body
    # Never the same reminder twice, however often the command runs.
    assert "Sent 0 reminders" in run(runner, "--today", "2027-04-20")
    assert len(reminders("stalled")) == 2
    # New activity, then quiet again: a new reminder.
    quiet_since(published.dialogue, date(2027, 5, 1))
    run(runner, "--today", "2027-05-20")
    assert len(reminders("stalled")) == 4


def test_stall_days_option_and_config(app, runner, published, monkeypatch):
    quiet_since(published.dialogue, date(2027, 4, 1))
    assert "0 stalled" in run(runner, "--today", "2027-04-20", "--stall-days", "30")
    monkeypatch.setitem(app.config, "DIALOGUE_STALL_DAYS", 40)
    assert "0 stalled" in run(runner, "--today", "2027-05-01")
    assert "2 stalled" in run(runner, "--today", "2027-05-11")


def test_overdue_next_actions_remind_their_owner_once(client, runner, published):
    due = date.today() + timedelta(days=3)
    headers = published.headers
    response = client.post(f"{API}/dialogues/{published.dialogue.id}/entries",
                           headers=headers["giver"], json={
                               "phase": 1, "note": "Vi aftalte næste skridt.",
                               "next_actions": [
                                   {"description": "Send jeres data", "owner": "taker",
                                    "due": due.isoformat()},
                                   {"description": "Send drejebog", "owner": "giver",
                                    "due": due.isoformat()}]})
    assert response.status_code == 201, response.json
    done_id = response.json["next_actions"][1]["id"]
    assert client.patch(f"{API}/next-actions/{done_id}", headers=headers["giver"],
                        json={"done": True}).status_code == 200
    assert "0 overdue" in run(runner, "--today", due.isoformat())
    after = (due + timedelta(days=1)).isoformat()
    assert "1 overdue" in run(runner, "--today", after, "--stall-days", "300")
    mails = reminders("overdue")
    assert [m.to for m in mails] == [published.users["taker"].email]
    assert "Send jeres data" in mails[0].body
    assert "0 overdue" in run(runner, "--today", after, "--stall-days", "300")
    assert len(reminders("overdue")) == 1


def test_mails_are_written_in_the_owners_language(client, runner, published):
    published.users["giver"].locale = "en"
    published.users["taker"].locale = "da"
    db.session.commit()
    due = date.today() + timedelta(days=3)
    client.post(f"{API}/dialogues/{published.dialogue.id}/entries",
                headers=published.headers["taker"], json={
                    "phase": 1, "note": "Noter.", "next_actions": [
                        {"description": "Vis os rundt", "owner": "giver", "due": "2030-04-01"},
                        {"description": "Send data", "owner": "taker", "due": "2030-04-01"}]})
    run(runner, "--today", "2030-04-02", "--stall-days", "365")
    bodies = {m.to: m.body for m in reminders("overdue")}
    assert "Apr 1, 2030" in bodies[published.users["giver"].email]
    assert "1. apr. 2030" in bodies[published.users["taker"].email]
    assert due  # the entry was accepted with a future due date


def test_evaluation_invitations_go_to_sides_that_have_not_rated(client, runner, published):
    headers, d = published.headers, published.dialogue.id
    assert "0 evaluation" in run(runner)
    for phase in range(1, 7):
        for side in ("giver", "taker"):
            assert client.post(f"{API}/dialogues/{d}/phases/{phase}/done",
                               headers=headers[side]).status_code == 200
    assert client.post(f"{API}/dialogues/{d}/evaluation", headers=headers["taker"],
                       json={"satisfaction": 4, "would_recommend": True}).status_code == 201
    assert "1 evaluation" in run(runner)
    assert [m.to for m in reminders("evaluate")] == [published.users["giver"].email]
    assert "0 evaluation" in run(runner)


def test_evaluation_invitations_when_the_round_closes(client, runner, published):
    response = client.post(f"{API}/rounds/{published.round_id}/transitions",
                           json={"state": "closed"}, headers=published.headers["coordinator"])
    assert response.status_code == 200, response.json
    assert "2 evaluation" in run(runner)
    assert "0 evaluation" in run(runner)


def test_follow_up_invitations_on_the_due_date(client, runner, published):
    due = published.dialogue.followup_due
    assert due == date(2027, 9, 30)
    before = (due - timedelta(days=1)).isoformat()
    assert "0 follow-up" in run(runner, "--today", before, "--stall-days", "365")
    assert "2 follow-up" in run(runner, "--today", due.isoformat(), "--stall-days", "365")
    assert {m.to for m in reminders("followup")} == {published.users["giver"].email,
                                                      published.users["taker"].email}
    assert "0 follow-up" in run(runner, "--today", "2027-12-01", "--stall-days", "365")


def test_closed_dialogues_get_no_reminders(client, runner, published):
    quiet_since(published.dialogue, date(2027, 4, 1))
    published.dialogue.closed_at = datetime(2027, 4, 2, tzinfo=UTC)
    published.dialogue.closed_reason = "Passede ikke."
    db.session.commit()
    assert "Sent 0 reminders" in run(runner, "--today", "2027-12-01")


def test_service_reports_counts(app, published):
    quiet_since(published.dialogue, date(2027, 4, 1))
    report = send_reminders(date(2027, 4, 30), stall_days=14)
    db.session.commit()
    assert report.sent["stalled"] == 2 and report.total == 2
    assert send_reminders(date(2027, 4, 30), stall_days=14).total == 0
