"""In a real browser: register, log out, log in, add an organisation, create a giver, see it listed."""
import pytest
from playwright.sync_api import expect

from tests.browser import browser_page, screenshot
from tests.mailbox import confirmation_path

pytestmark = pytest.mark.browser


def test_register_login_and_create_a_giver_profile(live_server):
    with browser_page(locale="en-GB") as page:
        page.goto(f"{live_server}/language/en")
        page.get_by_role("navigation").get_by_role("link", name="Register").click()
        page.get_by_label("Full name").fill("Mette Hansen")
        page.get_by_label("Work email").fill("mette@aarhus.dk")
        page.get_by_label("Password").fill("a long password")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        page.goto(live_server + confirmation_path("mette@aarhus.dk"))
        expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
        page.get_by_role("button", name="Log out").click()

        page.get_by_role("navigation").get_by_role("link", name="Log in").click()
        page.get_by_label("Email").fill("mette@aarhus.dk")
        page.get_by_label("Password").fill("a long password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("You are logged in.")).to_be_visible()

        page.goto(f"{live_server}/organisations/new")
        page.get_by_label("Name").fill("Aarhus Kommune")
        page.get_by_label("Kind").select_option("municipality")
        page.get_by_label("Region of Denmark").select_option("midtjylland")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Aarhus Kommune")).to_be_visible()

        page.goto(f"{live_server}/account")
        page.get_by_role("link", name="Offer an innovation").first.click()
        page.get_by_label("Organisation").select_option(label="Aarhus Kommune")
        page.get_by_label("Title").fill("Hverdagsrehabilitering i ældreplejen")
        page.get_by_label("Description of the innovation").fill(
            "Borgere trænes i eget hjem, så de klarer mere selv.")
        page.get_by_label("Elderly care").check()
        page.get_by_label("How many takers can you host?").fill("2")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Hverdagsrehabilitering i ældreplejen")).to_be_visible()

        page.get_by_role("link", name="Profiles", exact=True).click()
        page.get_by_label("Side").select_option("giver")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_role("link", name="Hverdagsrehabilitering i ældreplejen")).to_be_visible()
        screenshot(page, "profiles-list")
