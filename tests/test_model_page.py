"""The match model: the coordinators' page /model and the ``flask model`` commands.

Learning works on the demo data's earlier round; learn → evaluate → adopt → roll back go
through the real pages and commands, each adoption and rollback leaves an audit entry, and
learning from too few decisions is refused with the counts.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from spread.extensions import db
from spread.matchmaking import store
from spread.models import AuditEvent, MatchModel, Pair, Role
from spread.services import demo
from tests.html import page


@pytest.fixture
def seeded(runner):
    """The demo data, loaded through ``flask seed-demo``."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("model.%")).order_by(AuditEvent.id)))


def _version(number: int) -> MatchModel:
    db.session.expire_all()
    return db.session.scalar(select(MatchModel).where(MatchModel.version == number))


def test_seed_demo_has_enough_decisions_to_learn_from_and_adds_them_once(runner, seeded):
    decided = db.session.scalar(select(func.count()).select_from(Pair).where(
        Pair.decided_at.is_not(None)))
    approved = db.session.scalar(select(func.count()).select_from(Pair).where(
        Pair.status == "approved"))
    assert decided >= 40 and 20 <= approved < decided
    assert db.session.scalar(select(func.count()).select_from(Pair).where(
        Pair.decision_reason.is_(None))) == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Pair)) == decided


def test_learn_evaluate_adopt_and_roll_back_from_the_command_line(runner, seeded):
    coordinator = "koordinator@demo.spread.dk"
    result = runner.invoke(args=["model", "learn", "--as", coordinator, "--note", "demo"])
    assert result.exit_code == 0, result.output
    assert "Modelversion 2 (Kandidat): Beskrivelsernes tekst" in result.output  # the app's default language: Danish
    candidate = _version(2)
    assert candidate.status == "candidate" and candidate.note == "demo"
    assert candidate.trained_on["labels"] >= 40

    result = runner.invoke(args=["model", "evaluate"])
    assert result.exit_code == 0, result.output
    assert "Tilbageholdt:" in result.output and "AUC" in result.output
    compared = _version(2).evaluation["compared"]
    assert compared["version"] == 2 and compared["against_version"] == 1
    assert compared["held_out"] == compared["approved"] + compared["rejected"] > 0
    # The demo's decisions follow shared sectors and target groups: the learned weights rank
    # the held-out approved pairs above the rejected ones at least as often as the defaults.
    assert compared["candidate"]["ordered"] >= compared["current"]["ordered"]
    assert compared["candidate"]["auc"] >= compared["current"]["auc"]

    result = runner.invoke(args=["model", "adopt", "2", "--as", coordinator])
    assert result.exit_code == 0, result.output
    assert "Modelversion 2 er nu den aktuelle." in result.output
    assert store.current_model_row().version == 2 and _version(1).status == "retired"

    result = runner.invoke(args=["model", "rollback", "--as", coordinator])
    assert result.exit_code == 0, result.output
    assert "modelversion 1 er den aktuelle igen" in result.output
    assert _version(1).status == "current" and _version(2).status == "retired"
    assert _actions() == ["model.learned", "model.adopted", "model.rolled_back"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "model.adopted"))
    assert event.before["version"] == 1 and event.after["version"] == 2
    assert event.actor_id is not None

    result = runner.invoke(args=["model", "rollback", "--as", coordinator])
    assert result.exit_code != 0
    assert "Der er ingen tidligere version at rulle tilbage til." in result.output
    result = runner.invoke(args=["model", "adopt", "1", "--as", coordinator])
    assert result.exit_code != 0 and "allerede den aktuelle" in result.output
    assert runner.invoke(args=["model", "adopt", "9", "--as", coordinator]).exit_code != 0


def test_the_command_line_refuses_to_learn_from_too_few_decisions(runner, create_user):
    coordinator = create_user(role=Role.COORDINATOR)
    result = runner.invoke(args=["model", "learn", "--as", coordinator.email])
    assert result.exit_code != 0
    assert ("For få afgjorte par at lære af: 0 godkendt og 0 afvist; der skal være mindst 20"
            in result.output)
    result = runner.invoke(args=["train-model", "--as", coordinator.email])  # the earlier name
    assert result.exit_code != 0 and "For få afgjorte par" in result.output
    assert db.session.scalar(select(func.count()).select_from(MatchModel)) == 1
    assert _actions() == []


def _figure_rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td></tr>', html))


def test_the_page_in_english_and_danish(client, create_user, login, login_en):
    coordinator = create_user(role=Role.COORDINATOR)
    html = page(login_en(coordinator).get("/model"))
    assert "<h1>Match model</h1>" in html and "Current weights: version 1" in html
    weights = _figure_rows(html)
    assert set(weights) == {"Text of the descriptions", "Shared sectors", "Shared target groups",
                            "Same region", "Same level", "Same facet"}
    assert all(value.strip().endswith("%") for value in weights.values())
    assert "Learn candidate weights" in html and 'href="/model"' in html  # the menu links it
    assert client.get("/language/da").status_code == 302
    html = page(client.get("/model"))
    assert "<h1>Matchmodel</h1>" in html and "Aktuelle vægte: version 1" in html
    assert "Beskrivelsernes tekst" in html and "Lær kandidatvægte" in html
    assert "Matchingbibliotekets standardparametre." in html  # version 1's system note
    assert "default parameters" not in html


def test_learn_evaluate_adopt_and_roll_back_through_the_page(client, create_user, login_en):
    demo.load_demo_data()
    db.session.commit()
    coordinator = create_user(role=Role.COORDINATOR)
    login_en(coordinator)
    response = client.post("/model/learn", data={"note": "from the page"})
    assert response.status_code == 302 and response.location.endswith("/model")
    html = page(client.get("/model"))
    assert "Learned candidate weights: model version 2." in html
    assert "Candidate" in html and "from the page" in html and coordinator.name in html
    assert _version(2).created_by_id == coordinator.id

    response = client.post("/model/evaluate", data={"version": "2"})
    assert response.status_code == 302
    html = page(client.get("/model"))
    assert re.search(r"Model version 2 evaluated on \d+ held-out decided pairs\.", html)
    assert "Approved ranked above rejected" in html
    assert _version(2).evaluation["compared"]["against_version"] == 1

    assert client.post("/model/adopt", data={"version": "2"}).status_code == 302
    html = page(client.get("/model"))
    assert "Model version 2 is current now." in html and "Current weights: version 2" in html
    assert "Roll back to version 1" in html
    assert client.post("/model/rollback").status_code == 302
    html = page(client.get("/model"))
    assert "Rolled back: model version 1 is current again." in html
    assert store.current_model_row().version == 1
    assert _actions() == ["model.learned", "model.adopted", "model.rolled_back"]
    assert set(db.session.scalars(select(AuditEvent.actor_id).where(
        AuditEvent.action.like("model.%")))) == {coordinator.id}


def test_the_page_refuses_too_few_decisions_and_bad_versions(client, create_user, login,
                                                              login_en):
    coordinator = create_user(role=Role.ADMIN)
    login_en(coordinator)
    response = client.post("/model/learn", data={"note": ""})
    assert response.status_code == 422
    assert ("Too few decided pairs to learn from: 0 approved and 0 rejected; at least 20 in "
            "all" in page(response))
    response = client.post("/model/adopt", data={"version": "1"})
    assert response.status_code == 422
    assert "Model version 1 is the current one already." in page(response)
    response = client.post("/model/adopt", data={"version": "x"})
    assert response.status_code == 422 and "Not a valid integer." in page(response)
    assert client.post("/model/evaluate", data={"version": "7"}).status_code == 422
    assert client.get("/language/da").status_code == 302
    response = client.post("/model/rollback")
    assert response.status_code == 422
    assert "Der er ingen tidligere version at rulle tilbage til." in page(response)
    assert db.session.scalar(select(func.count()).select_from(MatchModel)) == 1
    assert _actions() == []


@pytest.mark.parametrize("method, url", [("GET", "/model"), ("POST", "/model/learn"),
                                         ("POST", "/model/evaluate"), ("POST", "/model/adopt"),
                                         ("POST", "/model/rollback")])
def test_participants_are_refused_and_visitors_sent_to_log_in(client, create_user, login,
                                                               method, url):
    response = client.open(url, method=method, data={"version": "1"})
    assert response.status_code == 302 and "/login" in response.location
    login(create_user())
    assert client.open(url, method=method, data={"version": "1"}).status_code == 403
    assert 'href="/model"' not in page(client.get("/"))
