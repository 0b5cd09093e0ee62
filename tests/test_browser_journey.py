"""In a real browser, in Danish: the whole journey from registration to the dialogue.

Two participants register, create a giver and a taker profile and see each other in the
suggestions; a coordinator creates a round, both enrol, the coordinator pairs, approves and
publishes; both log phases 1 and 2 of their dialogue. Every main page is saved as a screenshot
under test-output/journey/ and checked with axe-core for serious and critical violations.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.browser import (
    axe_violations,
    browser_page,
    check_page,
    describe_violations,
    require_axe,
)
from tests.conftest import PASSWORD
from tests.mailbox import confirmation_path

pytestmark = pytest.mark.browser

LOCALE = "da-DK"


@pytest.fixture
def app(app):
    app.config["PAIRING_IN_BACKGROUND"] = False
    return app


def new_page(browser):
    """A page in a fresh context (own cookies) that speaks Danish."""
    context = browser.new_context(locale=LOCALE)
    context.set_default_timeout(15_000)
    return context.new_page()


def register(page, base, name, email, password, too_short_first=False):
    """Register through the form in Danish and confirm the address with the mailed link."""
    page.goto(base)
    page.get_by_role("navigation").get_by_role("link", name="Opret konto").click()
    expect(page.get_by_role("heading", name="Opret en konto")).to_be_visible()
    who = email.split("@")[0]
    check_page(page, f"journey/registration-{who}")
    page.get_by_label("Fulde navn").fill(name)
    page.get_by_label("Arbejdsmail").fill(email)
    if too_short_first:
        page.get_by_label("Adgangskode").fill("kort")
        page.get_by_role("button", name="Opret konto").click()
        expect(page.get_by_role("heading", name="Ret venligst følgende")).to_be_visible()
        assert page.get_by_label("Adgangskode").get_attribute("aria-invalid") == "true"
        check_page(page, f"journey/registration-errors-{who}")
        assert page.get_by_label("Arbejdsmail").input_value() == email
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Opret konto").click()
    # Not logged in yet: the page asks to open the link mailed to the address.
    expect(page.get_by_role("heading", name="Tjek din indbakke")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log ind")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    check_page(page, f"journey/registration-sent-{who}")
    page.goto(base + confirmation_path(email))
    expect(page.get_by_role("heading", name=name)).to_be_visible()  # My page
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()


def log_in(page, base, email, password):
    page.goto(base)
    page.get_by_role("navigation").get_by_role("link", name="Log ind").click()
    expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
    check_page(page, "journey/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_text("Du er logget ind.")).to_be_visible()


def create_organisation(page, name):
    """Add an organisation through the link on the profile form."""
    page.get_by_role("link", name="Tilføj din organisation").click()
    expect(page.get_by_role("heading", name="Ny organisation")).to_be_visible()
    page.get_by_label("Navn").fill(name)
    page.get_by_label("Type").select_option("municipality")
    page.get_by_label("Region i Danmark").select_option("midtjylland")
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def create_profile(page, side, organisation, title, description, screenshot_name=None):
    """Create a giver or taker profile from My page; end on the new profile's page."""
    link = "Tilbyd en innovation" if side == "giver" else "Beskriv en udfordring"
    page.get_by_role("navigation").get_by_role("link", name="Min side").click()
    page.get_by_role("link", name=link).first.click()
    expect(page.get_by_role("heading", name=link)).to_be_visible()
    create_organisation(page, organisation)
    page.get_by_role("navigation").get_by_role("link", name="Min side").click()
    page.get_by_role("link", name=link).first.click()
    page.get_by_label("Organisation").select_option(label=organisation)
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Beskrivelse af innovationen" if side == "giver"
                      else "Problemet og dets sammenhæng").fill(description)
    page.get_by_label("Ældrepleje").check()
    if side == "giver":
        page.get_by_label("Hvor mange tagere kan du modtage?").fill("1")
    page.get_by_label("Fra").fill("2027-01-01")
    page.get_by_label("Til", exact=True).fill("2027-06-30")
    if screenshot_name:
        check_page(page, screenshot_name)
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def suggestions(page, side):
    heading = "Foreslåede tagere" if side == "giver" else "Foreslåede givere"
    return page.get_by_role("region", name=heading)


def enrol(page, round_name, title):
    page.get_by_role("navigation").get_by_role("link", name="Runder").click()
    page.get_by_role("link", name=round_name).click()
    expect(page.get_by_role("heading", name="Dine profiler i denne runde")).to_be_visible()
    page.get_by_role("button", name=f"Tilmeld {title}").click()
    card = page.get_by_role("article", name=title)
    expect(card.get_by_text("Tilmeldt", exact=True)).to_be_visible()


def log_phase(page, phase, note):
    """Add an entry to ``phase`` of the dialogue and mark the phase done for our side."""
    page.get_by_role("combobox", name="Fase", exact=True).select_option(str(phase))
    page.get_by_label("Hvad gjorde, lærte eller besluttede I?").fill(note)
    page.get_by_role("button", name="Tilføj indlægget").click()
    expect(page.get_by_text(f"Dit indlæg er tilføjet fase {phase}.")).to_be_visible()
    expect(page.locator(f"#phase-{phase}").get_by_text(note)).to_be_visible()
    page.get_by_role("button", name=f"Markér fase {phase} som udført for vores side").click()
    expect(page.get_by_text(f"Fase {phase} er markeret som udført for jeres side.")).to_be_visible()


def open_dialogue(page):
    page.get_by_role("navigation").get_by_role("link", name="Min side").click()
    page.get_by_role("link", name=re.compile("Åbn dialogen")).click()
    expect(page.get_by_role("heading", name=re.compile("Spredningsdialog"))).to_be_visible()


def test_two_participants_and_a_coordinator_go_the_whole_way_in_danish(
        live_server, create_user):
    require_axe()
    base = live_server
    coordinator = create_user(role="coordinator", email="koordinator@coi.dk", name="Karen Koch")

    with browser_page(locale=LOCALE) as giver:
        browser = giver.context.browser
        taker, coord = new_page(browser), new_page(browser)

        # The front page, in Danish (the browser asks for it; it is also the default).
        assert giver.evaluate("navigator.language") == LOCALE
        giver.goto(base)
        assert giver.locator("html").get_attribute("lang") == "da"
        expect(giver.get_by_role("heading", name="Spred det, der virker, i den offentlige sektor"
                                 )).to_be_visible()
        check_page(giver, "journey/front-page")

        # Two participants register and create their profiles.
        register(giver, base, "Gitte Giversen", "gitte@aarhus.dk", "et langt kodeord 1",
                 too_short_first=True)
        create_profile(giver, "giver", "Aarhus Kommune", "Hverdagsrehabilitering",
                       "Hverdagsrehabilitering og træning i eget hjem for ældre borgere.",
                       screenshot_name="journey/profile-form")
        expect(giver.get_by_text("Ingen forslag endnu")).to_be_visible()

        register(taker, base, "Tage Tagesen", "tage@vejle.dk", "et langt kodeord 2")
        create_profile(taker, "taker", "Vejle Kommune", "Ældre skal klare mere selv",
                       "Vi vil styrke pleje af ældre med træning i hjemmet.")
        # Each sees the other among the suggestions on their profile page.
        expect(suggestions(taker, "taker").get_by_role(
            "link", name="Hverdagsrehabilitering")).to_be_visible()
        check_page(taker, "journey/profile-page-taker")
        giver.reload()
        expect(suggestions(giver, "giver").get_by_role(
            "link", name="Ældre skal klare mere selv")).to_be_visible()
        check_page(giver, "journey/profile-page-giver")

        # The coordinator creates a round and opens it for registration.
        log_in(coord, base, coordinator.email, PASSWORD)
        coord.get_by_role("navigation").get_by_role("link", name="Runder").click()
        coord.get_by_role("link", name="Ny runde").click()
        coord.get_by_label("Navn").fill("Innovationspraktik 2027")
        coord.get_by_label("Tilmelding åbner").fill("2027-01-01")
        coord.get_by_label("Tilmelding lukker").fill("2027-02-01")
        coord.get_by_label("Praktikken starter").fill("2027-03-01")
        coord.get_by_label("Praktikken slutter").fill("2027-03-31")
        coord.get_by_label("Mindste match").fill("0.01")
        check_page(coord, "journey/round-form")
        coord.get_by_role("button", name="Gem").click()
        expect(coord.get_by_role("heading", name="Innovationspraktik 2027")).to_be_visible()
        coord.get_by_role("button", name="Åbn for tilmelding").click()
        expect(coord.get_by_text("Runden har nu status: Åben for tilmelding.")).to_be_visible()

        # Both participants enrol through the round page.
        enrol(giver, "Innovationspraktik 2027", "Hverdagsrehabilitering")
        enrol(taker, "Innovationspraktik 2027", "Ældre skal klare mere selv")
        expect(taker.get_by_role("heading", name="Tilmeldte givere")).to_be_visible()
        expect(taker.get_by_role("link", name="Hverdagsrehabilitering")).to_be_visible()
        check_page(taker, "journey/round-page-participant")

        # The coordinator pairs, approves and publishes.
        coord.reload()
        check_page(coord, "journey/round-page-coordinator")
        coord.get_by_role("button", name="Luk tilmeldingen, og start parringen").click()
        coord.get_by_role("link", name="Kør parringen").click()
        coord.get_by_label(re.compile("Optimal: det største samlede match")).check()
        check_page(coord, "journey/run-form")
        coord.get_by_role("button", name="Start parringen").click()
        expect(coord.get_by_role("heading", name="Resultat")).to_be_visible()
        check_page(coord, "journey/run-result")
        coord.get_by_role("link", name="Gennemgå parrene").click()
        assert coord.locator("table.review tbody tr").count() == 1
        check_page(coord, "journey/review-table")
        coord.get_by_role("button", name=re.compile("^Godkend")).click()
        expect(coord.get_by_text("Parret er godkendt.")).to_be_visible()
        coord.get_by_role("link", name="Tilbage til runden").click()
        coord.get_by_role("button", name="Offentliggør de godkendte par").click()
        expect(coord.get_by_text("Runden er offentliggjort; 2 e-mails er sendt.")).to_be_visible()
        check_page(coord, "journey/publishing")

        # Both see the pairing on My page and work through phases 1 and 2 of the dialogue.
        for page, who in ((giver, "giver"), (taker, "taker")):
            page.get_by_role("navigation").get_by_role("link", name="Min side").click()
            expect(page.get_by_role("heading", name="Mine par")).to_be_visible()
            check_page(page, f"journey/my-page-{who}")

        open_dialogue(giver)
        log_phase(giver, 1, "Vi har vist vores drejebog for hverdagsrehabilitering.")
        open_dialogue(taker)
        expect(taker.get_by_text("Vi har vist vores drejebog for hverdagsrehabilitering."
                                 )).to_be_visible()
        log_phase(taker, 1, "Vi har beskrevet vores genindlæggelser.")
        log_phase(taker, 2, "Vi aftaler besøget i marts.")
        giver.reload()
        expect(giver.get_by_text("Vi har beskrevet vores genindlæggelser.")).to_be_visible()
        expect(giver.get_by_text("Vi aftaler besøget i marts.")).to_be_visible()
        log_phase(giver, 2, "Vi tager imod jer den 3. marts.")
        taker.reload()
        expect(taker.get_by_text("Vi tager imod jer den 3. marts.")).to_be_visible()
        check_page(giver, "journey/dialogue-giver")
        check_page(taker, "journey/dialogue-taker")


def test_the_accessibility_check_finds_serious_violations(live_server):
    """The axe helper runs under the app's CSP and reports what it finds, so it can fail."""
    require_axe()
    with browser_page(locale=LOCALE) as page:
        response = page.goto(live_server)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert axe_violations(page) == []
        page.evaluate("""() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend',
                '<input type="text" name="unlabelled"><img src="/static/none.png">');
        }""")
        found = {v["id"]: v for v in axe_violations(page)}
        assert {"label", "image-alt"} <= found.keys()
        assert found["label"]["impact"] == "critical"
        assert "unlabelled" in describe_violations([found["label"]])
