"""The coordinators' view of a round's dialogues: stats, charts, page, CSV and API."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from flask import url_for

from spread.extensions import db
from spread.models import (
    Dialogue,
    Evaluation,
    FollowUp,
    LogEntry,
    Pair,
    PhaseGuide,
    PhaseMark,
    PoorFitFlag,
    Round,
)
from spread.services import dialogue_stats
from spread.services.csv_writer import write_csv
from spread.web.charts import bar_chart, bin_values, histogram

TODAY = dialogue_stats.utc_today()
EN = {"Accept-Language": "en"}
FORMULA_TITLE = '=HYPERLINK("http://evil.example","klik")'
FLAG_REASON = "<b>Forskellige målgrupper</b> i Ærø & Ølstykke"


def days_ago(days: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days), time(12), tzinfo=UTC)


@dataclass
class Setup:
    round: Round
    dialogues: dict[str, Dialogue]


@pytest.fixture
def guide(app):
    phases = [{"number": n, "title": {"da": f"Fase {n} — da", "en": f"Step{n} — long"}}
              for n in range(1, 7)]
    guide = PhaseGuide(version=1, phases=phases)
    db.session.add(guide)
    db.session.commit()
    return guide


@pytest.fixture
def make_dialogue(guide, create_profile, create_organisation):
    """make_dialogue(round, completed=..., half=..., last=days, ...) -> Dialogue."""

    def factory(round_: Round, completed=(), giver_only=(), last=1, closed=False,
                taker_title=None, taker_org=None, followup_due=None) -> Dialogue:
        taker_fields = {"title": taker_title} if taker_title else {}
        taker = create_profile("taker", organisation=taker_org, **taker_fields)
        giver = create_profile("giver")
        pair = Pair(round=round_, taker_id=taker.id, giver_id=giver.id, status="approved",
                    score=0.5)
        dialogue = Dialogue(pair=pair, guide=guide, last_activity_at=days_ago(last),
                            followup_due=followup_due,
                            closed_at=days_ago(last) if closed else None)
        db.session.add(dialogue)
        db.session.flush()
        for phase in completed:
            for side in ("giver", "taker"):
                db.session.add(PhaseMark(dialogue_id=dialogue.id, phase=phase, side=side))
        for phase in giver_only:
            db.session.add(PhaseMark(dialogue_id=dialogue.id, phase=phase, side="giver"))
        db.session.commit()
        return dialogue

    return factory


def rate(dialogue: Dialogue, side: str, satisfaction: int, recommend: bool) -> None:
    db.session.add(Evaluation(dialogue_id=dialogue.id, side=side, satisfaction=satisfaction,
                              would_recommend=recommend))


def report(dialogue: Dialogue, adoption: str, explanation: str = "") -> None:
    db.session.add(FollowUp(dialogue_id=dialogue.id, side="taker", adoption=adoption,
                            explanation=explanation))


@pytest.fixture
def setup(app, make_dialogue, create_organisation) -> Setup:
    """A published round with four dialogues in different states, and one in another round."""
    round_ = Round(name="Innovationspraktik 2027", state="published")
    other = Round(name="Another round", state="published")
    db.session.add_all([round_, other])
    db.session.commit()
    d = {
        "active": make_dialogue(round_, completed=(1, 2, 3), giver_only=(4,), last=2,
                                followup_due=TODAY - timedelta(days=10)),
        "silent": make_dialogue(round_, last=40, taker_title=FORMULA_TITLE,
                                taker_org=create_organisation(name="Ærø Kommune")),
        "done": make_dialogue(round_, completed=range(1, 7), last=90, closed=True,
                              followup_due=TODAY - timedelta(days=20)),
        "slow": make_dialogue(round_, completed=(1,), last=14,
                              followup_due=TODAY - timedelta(days=1)),
    }
    make_dialogue(other, completed=(1, 2), last=100)
    rate(d["active"], "giver", 5, True)
    rate(d["active"], "taker", 4, True)
    rate(d["done"], "giver", 3, False)
    rate(d["done"], "taker", 5, True)
    report(d["active"], "adapted", "Tilpasset til vores ældrepleje; -30 % ventetid")
    report(d["done"], "copied", "=1+1")
    db.session.add_all([
        PoorFitFlag(dialogue_id=d["silent"].id, side="taker", reason=FLAG_REASON),
        PoorFitFlag(dialogue_id=d["active"].id, side="giver", reason="Løst",
                    resolved_at=days_ago(1), resolution="Talt sammen"),
    ])
    db.session.commit()
    return Setup(round=round_, dialogues=d)


@pytest.fixture
def coordinator(create_user):
    return create_user(role="coordinator")


# --- the numbers ---------------------------------------------------------------------------

def test_funnel_counts_phases_both_sides_completed(setup):
    progress = dialogue_stats.round_progress(setup.round, today=TODAY)
    assert progress.total == 4
    assert progress.funnel == {1: 3, 2: 2, 3: 2, 4: 1, 5: 1, 6: 1}
    assert (progress.started, progress.not_started, progress.closed) == (3, 1, 1)
    rows = {row.dialogue_id: row for row in progress.rows}
    assert rows[setup.dialogues["active"].id].phases_completed == [1, 2, 3]


def test_a_log_entry_alone_starts_a_dialogue(setup):
    db.session.add(LogEntry(dialogue_id=setup.dialogues["silent"].id, phase=1, side="taker",
                            note="Første møde aftalt."))
    db.session.commit()
    progress = dialogue_stats.round_progress(setup.round, today=TODAY)
    assert (progress.started, progress.not_started) == (4, 0)
    assert progress.funnel[1] == 3


def test_stalled_are_open_and_silent_for_the_configured_days(setup, app, monkeypatch,
                                                             make_dialogue):
    d = setup.dialogues
    make_dialogue(setup.round, completed=range(1, 7), last=60)  # all done, not closed yet
    progress = dialogue_stats.round_progress(setup.round, today=TODAY)
    assert progress.stall_days == 14
    # Longest silence first; the closed dialogue never stalls; 14 days is the boundary.
    assert [row.dialogue_id for row in progress.stalled] == [d["silent"].id, d["slow"].id]
    assert [row.days_since_activity for row in progress.stalled] == [40, 14]
    assert progress.stalled[0].taker.organisation == "Ærø Kommune"

    earlier = dialogue_stats.round_progress(setup.round, today=TODAY - timedelta(days=30))
    assert [row.dialogue_id for row in earlier.stalled] == []

    monkeypatch.setitem(app.config, "DIALOGUE_STALL_DAYS", 30)
    assert [r.dialogue_id for r in dialogue_stats.round_progress(setup.round).stalled] == [
        d["silent"].id]


def test_only_open_flags_are_listed(setup):
    progress = dialogue_stats.round_progress(setup.round, today=TODAY)
    assert [(item.row.dialogue_id, item.flag.reason) for item in progress.flags] == [
        (setup.dialogues["silent"].id, FLAG_REASON)]


def test_satisfaction_per_side_and_recommendation_share(setup):
    ratings = dialogue_stats.round_progress(setup.round, today=TODAY).ratings
    assert ratings["giver"].distribution == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert ratings["taker"].distribution == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
    assert ratings["giver"].recommend_share == 0.5
    assert ratings["taker"].recommend_share == 1.0
    assert sorted(ratings["giver"].values) == [3, 5]


def test_adoption_shares_of_the_reports_and_how_many_are_due(setup):
    adoption = dialogue_stats.round_progress(setup.round, today=TODAY).adoption
    assert adoption.counts == {"copied": 1, "adapted": 1, "inspired": 0, "not_adopted": 0}
    assert (adoption.reported, adoption.due) == (2, 3)
    assert adoption.share("copied") == 0.5 and adoption.share("inspired") == 0.0


def test_an_empty_round_has_zeros_not_errors(app, guide):
    round_ = Round(name="Empty", state="published")
    db.session.add(round_)
    db.session.commit()
    progress = dialogue_stats.round_progress(round_, today=TODAY)
    assert progress.total == 0 and progress.funnel == {n: 0 for n in range(1, 7)}
    assert progress.adoption.share("copied") is None
    assert progress.ratings["taker"].recommend_share is None
    assert progress.phase_titles[1] == "Step1 — long"


# --- charts and CSV helpers ----------------------------------------------------------------

def test_bar_chart_is_accessible_and_escapes_labels():
    svg = bar_chart([("<script>alert(1)</script>", 3), ("B & C", 0)], title='Fase "1"',
                    description="Ærø <b>", label_header="Stage", value_header="Count",
                    chart_id="c1")
    assert 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Fase &#34;1&#34;</title>' in svg
    assert '<desc id="c1-desc">Ærø &lt;b&gt;</desc>' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "B &amp; C" in svg
    assert '<table class="visually-hidden">' in svg and "<td>3</td>" in svg
    with pytest.raises(ValueError):
        bar_chart([("a", 1)], title="t", value_labels=[])


def test_histogram_bins_values():
    assert bin_values([0.0, 0.1, 0.5, 0.99, 1.0, 2.0], 2, (0.0, 1.0)) == (
        [0.0, 0.5, 1.0], [2, 3])
    assert bin_values([1, 5, 5], [0.5, 1.5, 2.5, 3.5, 4.5, 5.5])[1] == [1, 0, 0, 0, 2]
    svg = histogram([1, 5, 5], [0.5, 1.5, 2.5, 3.5, 4.5, 5.5], labels=list("12345"),
                    title="Tilfredshed", chart_id="h")
    assert svg.count("<rect") == 5 and '<th scope="row">5</th><td>2</td>' in svg
    with pytest.raises(ValueError):
        histogram([1], 3, title="t", labels=["a"])


def test_write_csv_guards_formulas_and_keeps_danish_letters():
    text = write_csv([["=SUM(A1)", "+45 1234", "-x", "@me", "Ærø", -3, None]], ["a", "b"])
    assert text.startswith("\ufeffa;b\r\n")
    row = next(csv.reader(io.StringIO(text.splitlines()[1]), delimiter=";"))
    assert row == ["'=SUM(A1)", "'+45 1234", "'-x", "'@me", "Ærø", "-3", ""]


# --- pages, CSV and API --------------------------------------------------------------------

def test_progress_page_renders_charts_lists_and_links(setup, coordinator, login, client, app):
    login(coordinator)
    response = client.get(f"/rounds/{setup.round.id}/progress", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('role="img"') == 4  # funnel, two satisfaction histograms, adoption
    assert '<title id="funnel-title">' in page and "Phase 1: Step1" in page
    assert "&lt;b&gt;Forskellige målgrupper&lt;/b&gt;" in page and "<b>Forskellige" not in page
    assert "Ærø Kommune" in page
    assert f"/rounds/{setup.round.id}/progress.csv" in page
    silent = setup.dialogues["silent"]
    if "web.dialogue" in app.view_functions:  # the workspace page, once it exists
        with app.test_request_context():
            link = url_for("web.dialogue", dialogue_id=silent.id)
        assert f'href="{link}"' in page


def test_csv_export(setup, coordinator, login, client):
    login(coordinator)
    response = client.get(f"/rounds/{setup.round.id}/progress.csv", headers=EN)
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Pair", "Taker", "Taker organisation"] and len(body) == 4
    by_pair = {int(row[0]): dict(zip(header, row)) for row in body}
    silent = by_pair[setup.dialogues["silent"].pair_id]
    assert silent["Taker"] == "'" + FORMULA_TITLE
    assert silent["Taker organisation"] == "Ærø Kommune"
    assert silent["Stalled"] == "yes" and silent["Open poor-fit flag"] == FLAG_REASON
    done = by_pair[setup.dialogues["done"].pair_id]
    assert done["Phases completed"] == "6" and done["Stalled"] == "no"
    assert done["Adoption"] == "Copied" and done["Explanation"] == "'=1+1"
    assert (done["Satisfaction (giver)"], done["Would recommend (giver)"]) == ("3", "no")
    active = by_pair[setup.dialogues["active"].pair_id]
    assert active["Explanation"] == "Tilpasset til vores ældrepleje; -30 % ventetid"


def test_api_progress(setup, coordinator, token_for, client):
    response = client.get(f"/api/v1/rounds/{setup.round.id}/progress",
                          headers=token_for(coordinator))
    assert response.status_code == 200, response.json
    data = response.json
    assert data["dialogues"] == {"total": 4, "started": 3, "not_started": 1, "closed": 1,
                                 "stalled": 2}
    assert [p["completed"] for p in data["funnel"]] == [3, 2, 2, 1, 1, 1]
    assert data["stalled"][0]["taker"]["organisation"] == "Ærø Kommune"
    assert data["stalled"][0]["days_since_activity"] == 40
    assert data["poor_fit_flags"][0]["reason"] == FLAG_REASON
    taker = next(s for s in data["satisfaction"] if s["side"] == "taker")
    assert taker["would_recommend_share"] == 1.0
    assert {o["outcome"]: o["share"] for o in data["adoption"]["outcomes"]}["copied"] == 0.5
    assert (data["adoption"]["reported"], data["adoption"]["due"]) == (2, 3)


@pytest.mark.parametrize("path", ["/rounds/{id}/progress", "/rounds/{id}/progress.csv"])
def test_pages_are_for_coordinators(setup, create_user, login, client, path):
    url = path.format(id=setup.round.id)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(create_user())
    assert client.get(url).status_code == 403


def test_pages_answer_404_for_unknown_rounds(app, coordinator, login, client):
    login(coordinator)
    assert client.get("/rounds/999/progress").status_code == 404


def test_api_is_for_coordinators(setup, create_user, token_for, client):
    url = f"/api/v1/rounds/{setup.round.id}/progress"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=token_for(create_user())).status_code == 403
    admin = create_user(role="admin")
    assert client.get(url, headers=token_for(admin)).status_code == 200
