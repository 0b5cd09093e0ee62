"""In a real browser: both sides take a published pairing from phase 1 to the evaluation."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from spread.extensions import db
from spread.models import Evaluation
from tests.browser import browser_page, screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def app(app):
    app.config["PAIRING_IN_BACKGROUND"] = False
    return app


def log_in(page, base, user):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()


def work_through_the_phases(page, base, note):
    """Open the dialogue from My page, log an entry, tick an action, mark phases 1..6 done."""
    page.goto(f"{base}/account")
    page.get_by_role("link", name=re.compile("Open the dialogue")).click()
    expect(page.get_by_role("heading", name=re.compile("Check — does spreading make sense")
                            )).to_be_visible()
    page.get_by_role("combobox", name="Phase", exact=True).select_option("1")
    page.get_by_label("What did you do, learn or decide?").fill(note)
    page.get_by_label("Links").fill("https://example.dk/drejebog")
    page.locator("#na-0-description").fill("Aftal dato for besøget")
    page.locator("#na-0-owner").select_option("taker")
    page.locator("#na-0-due").fill("2099-01-15")
    page.get_by_role("button", name="Add the entry").click()
    expect(page.get_by_text("Your entry was added to phase 1.")).to_be_visible()
    expect(page.get_by_text(note)).to_be_visible()

    phase1 = page.locator("#phase-1")
    phase1.get_by_role("checkbox").first.check()
    phase1.get_by_role("button", name="Save our checklist for phase 1").click()
    expect(page.get_by_text("Your checklist for phase 1 was saved.")).to_be_visible()
    assert page.locator("#phase-1").get_by_role("checkbox").first.is_checked()

    work_ahead = page.get_by_role("button", name="Work ahead: open all phases")
    if work_ahead.count():
        work_ahead.click()
        expect(page.get_by_text("All phases are open: you can work ahead.")).to_be_visible()
    for phase in range(1, 7):
        page.get_by_role("button", name=f"Mark phase {phase} done for our side").click()
        expect(page.get_by_text(f"Phase {phase} is marked done for your side.")).to_be_visible()


def evaluate(page, satisfaction, recommend, worked):
    form = page.locator("#evaluation")
    form.get_by_label(satisfaction).check()
    form.get_by_role("group", name=re.compile("Would you recommend")).get_by_label(
        recommend, exact=True).check()
    form.get_by_label("What worked?").fill(worked)
    form.get_by_role("button", name="Send the evaluation").click()
    expect(page.get_by_text("Thank you: your evaluation was saved.")).to_be_visible()


def test_both_sides_take_a_pairing_from_phase_one_to_the_evaluation(
        live_server, publish_pair):
    setup = publish_pair()
    dialogue_id = setup.dialogue_id
    db.session.commit()

    with browser_page(locale="en-GB") as taker_page:
        giver_context = taker_page.context.browser.new_context(locale="en-GB")
        giver_context.set_default_timeout(15_000)
        giver_page = giver_context.new_page()

        log_in(taker_page, live_server, setup.users["taker"])
        work_through_the_phases(taker_page, live_server, "Vores problem: for mange genindlæggelser.")
        # The taker has done all six; the pairing waits for the giver.
        expect(taker_page.get_by_text(
            "The evaluation opens when both sides have completed phase 6")).to_be_visible()

        log_in(giver_page, live_server, setup.users["giver"])
        work_through_the_phases(giver_page, live_server, "Vi viste hverdagsrehabilitering frem.")
        expect(giver_page.get_by_text("Vores problem: for mange genindlæggelser.")).to_be_visible()
        evaluate(giver_page, "4 – satisfied", "Yes", "Besøget hos hinanden.")
        screenshot(giver_page, "dialogue-giver-evaluated")

        taker_page.reload()
        evaluate(taker_page, "5 – very satisfied", "Yes", "At se løsningen i brug.")
        expect(taker_page.get_by_text("satisfaction 5 of 5")).to_be_visible()
        screenshot(taker_page, "dialogue-taker-evaluated")

        # The coordinator follows the completed pairing on the round's progress page.
        giver_page.get_by_role("button", name="Log out").click()
        log_in(giver_page, live_server, setup.users["coordinator"])
        giver_page.goto(f"{live_server}/rounds/{setup.round_id}/progress")
        expect(giver_page.get_by_role("heading", name=re.compile("Progress of the dialogues")
                                      )).to_be_visible()
        phase6 = giver_page.get_by_role("row", name=re.compile("Phase 6: Evaluate and share"))
        assert "1 (100%)" in phase6.inner_text()
        progress_text = giver_page.locator("main").inner_text()
        assert "Giver: 1 of 1 would recommend" in progress_text
        assert "Taker: 1 of 1 would recommend" in progress_text
        screenshot(giver_page, "dialogue-round-progress")
        giver_page.goto(f"{live_server}/dialogues/{dialogue_id}")
        expect(giver_page.get_by_text("satisfaction 4 of 5")).to_be_visible()
        expect(giver_page.get_by_text("satisfaction 5 of 5")).to_be_visible()
        giver_context.close()

    db.session.expire_all()
    assert {e.side for e in db.session.scalars(select(Evaluation))} == {"giver", "taker"}
