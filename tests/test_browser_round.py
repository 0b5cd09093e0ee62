"""In a real browser: a coordinator takes a round from creation to publishing."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from spread.extensions import db
from spread.models import Round
from spread.services import enrolments
from tests.browser import browser_page, screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_coordinator_runs_a_round_from_creation_to_publishing(
        app, live_server, monkeypatch, create_user, create_organisation, create_profile):
    # The run goes to a background thread, as in production; the run page reloads itself.
    monkeypatch.setitem(app.config, "PAIRING_IN_BACKGROUND", True)
    coordinator = create_user(role="coordinator", email="karen@coi.dk", name="Karen K")
    giver_owner = create_user(email="gitte@aarhus.dk", name="Gitte G")
    taker_owner = create_user(email="tage@vejle.dk", name="Tage T")
    aarhus, vejle = create_organisation(name="Aarhus Kommune"), create_organisation(name="Vejle")
    profiles = [
        create_profile("giver", owner=giver_owner, organisation=aarhus, capacity=1,
                       title="Hverdagsrehabilitering", sectors=["elderly_care"],
                       description="Hverdagsrehabilitering og træning i eget hjem for ældre."),
        create_profile("giver", owner=giver_owner, organisation=aarhus, capacity=2,
                       title="Regnvandsbede", sectors=["environment"],
                       description="Klimatilpasning med regnvandsbede og skybrudssikring."),
        create_profile("taker", owner=taker_owner, organisation=vejle, title="Ældrepleje",
                       sectors=["elderly_care"],
                       description="Vi vil styrke pleje af ældre med træning i hjemmet."),
        create_profile("taker", owner=taker_owner, organisation=vejle, title="Skybrud",
                       sectors=["environment"],
                       description="Skybrud oversvømmer byen; vi søger klimatilpasning."),
    ]

    with browser_page(locale="en-GB") as page:
        page.goto(f"{live_server}/language/en")
        page.goto(f"{live_server}/login")
        page.get_by_label("Email").fill(coordinator.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        page.get_by_role("navigation").get_by_role("link", name="Rounds").click()
        page.get_by_role("link", name="New round").click()
        page.get_by_label("Name").fill("Innovationspraktik 2027")
        page.get_by_label("Registration opens").fill("2027-01-01")
        page.get_by_label("Registration closes").fill("2027-02-01")
        page.get_by_label("Internship starts").fill("2027-03-01")
        page.get_by_label("Internship ends").fill("2027-02-15")
        page.get_by_label("Minimum fit").fill("0.05")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("The internship must end after it starts.")).to_be_visible()
        page.get_by_label("Internship ends").fill("2027-03-31")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Innovationspraktik 2027")).to_be_visible()

        page.get_by_role("button", name="Open registration").click()
        expect(page.get_by_text("The round is now: Open for registration.")).to_be_visible()

        # The participants enrol their profiles while registration is open.
        round_ = db.session.scalar(select(Round).where(Round.name == "Innovationspraktik 2027"))
        for profile in profiles:
            enrolments.enrol(round_, profile, profile.owner)
        db.session.commit()

        page.reload()
        expect(page.get_by_text("2 givers enrolled")).to_be_visible()
        page.get_by_role("button", name="Close registration and start pairing").click()
        page.get_by_role("link", name="Run the pairing").click()
        page.get_by_label("Optimal").check()
        page.get_by_role("button", name="Start the pairing").click()
        assert re.search(r"/rounds/\d+/runs/\d+$", page.url)
        page.get_by_role("heading", name="Result").wait_for(timeout=60_000)
        expect(page.get_by_text("2 pairs made")).to_be_visible()
        screenshot(page, "round-run")

        page.get_by_role("link", name="Review the pairs").click()
        rows = page.locator("table.review tbody tr")
        assert rows.count() == 2
        screenshot(page, "round-review")
        for _ in range(2):
            page.get_by_role("button", name="Approve").first.click()
            expect(page.get_by_text("The pair was approved.")).to_be_visible()
        assert page.get_by_role("button", name="Approve").count() == 0

        page.get_by_role("link", name="Back to the round").click()
        page.get_by_role("button", name="Publish the approved pairs").click()
        expect(page.get_by_text("The round was published; 4 emails were sent.")).to_be_visible()
        screenshot(page, "round-overview")

        page.get_by_role("navigation").get_by_role("link", name="Outbox").click()
        # Each mail is in its recipient's language (Danish by default).
        mails = page.get_by_role("heading", name="Du er blevet parret i Innovationspraktik 2027")
        assert mails.count() == 4
        expect(page.get_by_text("tage@vejle.dk").first).to_be_visible()
        screenshot(page, "round-outbox")
