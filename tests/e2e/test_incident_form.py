"""Filing an incident in a real browser: without JavaScript, with it (live help-page suggestions, "this solved it"),
the French forms of two problem types photographed filled and with errors, and axe on every page opened."""

from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_home import assert_accessible
from tests.kb.helpers import make_article
from tests.tickets.helpers import PHISHING_EML
from tickets.models import Deflection, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

# Written under var/ so a test run leaves the working tree clean; docs/screenshots/ holds the copies we publish.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def signed_in_context(browser: Browser, live_server, sign_in, user, **options):
    """A browser context carrying a fully signed-in session of ``user`` (password and second factor)."""
    client = sign_in(Client(), user)
    context = browser.new_context(locale="fr-FR", **options)
    context.add_cookies(
        [{"name": name, "value": morsel.value, "url": live_server.url} for name, morsel in client.cookies.items()]
    )
    return context


def attach_message(page: Page):
    page.locator("#id_suspicious_message").set_input_files(
        files=[{"name": "message-suspect.eml", "mimeType": "message/rfc822", "buffer": PHISHING_EML}]
    )
    page.locator("#id_description").fill("Je n'ai pas cliqué sur le lien.")


def shoot(page: Page, name: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_filing_without_javascript(browser: Browser, live_server, axe, sign_in, marie, problem_types):
    context = signed_in_context(browser, live_server, sign_in, marie, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/en/incidents/signaler/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report an incident")
    page.get_by_role("link", name="Sign-in failure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in failure")
    # Filled in by the server alone: the account, the browser from its User-Agent, the time and zone.
    expect(page.get_by_label("Identifier concerned")).to_have_value("marie.dupont")
    assert page.get_by_label("Browser and version").input_value().startswith(("Chrome", "Chromium"))
    assert page.get_by_label("Date and time of the problem").input_value()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")

    page.get_by_label("Exact error message").fill("token badvalue")
    page.get_by_label("Exact error message").press("Enter")  # Enter files the incident: here, refused
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Some answers need your attention")
    expect(summary.get_by_role("link", name="Address (URL) used")).to_be_visible()
    # The questions support needs are required answers, with a way to say one does not know.
    for question in ("4G or another network tried", "Intranet link (SSO) involved"):
        expect(summary.get_by_role("link", name=question)).to_be_visible()
    expect(page.get_by_label("Exact error message")).to_have_value("token badvalue")  # kept
    assert Ticket.objects.count() == 0
    summary.get_by_role("link", name="Another browser tried").click()
    expect(page.locator("#id_other_browser_tried_0")).to_be_focused()

    page.get_by_label("Address (URL) used").fill("https://webmail.ac-exemple.fr/")
    page.get_by_role("group", name="Another browser tried").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="4G or another network tried").get_by_label("Not possible").check()
    page.get_by_role("group", name="Code (OTP) or two-factor authentication involved").get_by_label(
        "I don't know"
    ).check()
    page.get_by_role("group", name="Intranet link (SSO) involved").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="VPN used").get_by_label("No", exact=True).check()
    page.get_by_role("button", name="File the incident").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("token badvalue")
    ticket = Ticket.objects.get()
    expect(page.get_by_text(ticket.reference).first).to_be_visible()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    context.close()

    # axe needs JavaScript to run: the same pages, as the server rendered them, checked in a scripted context.
    checked = signed_in_context(browser, live_server, sign_in, marie)
    page = checked.new_page()
    for path in ("/en/incidents/signaler/", "/en/incidents/", ticket.get_absolute_url()):
        page.goto(live_server.url + path)
        assert_accessible(page, axe)
    page.goto(live_server.url + "/en/incidents/signaler/echec-connexion/")
    page.get_by_role("button", name="File the incident").last.click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, axe)
    checked.close()


def test_filing_with_javascript_suggests_answers_and_this_solved_it_ends_the_filing(
    browser: Browser, live_server, axe, sign_in, marie, problem_types
):
    article = make_article(
        "erreur-token-badvalue",
        title="Session token error (token badvalue)",
        language="en",
        errors="token badvalue",
        summary="Close every webmail tab, then open the official address again.",
        body="Close every webmail tab.",
    )
    context = signed_in_context(browser, live_server, sign_in, marie, timezone_id="America/Cayenne")
    page = context.new_page()
    page.goto(live_server.url + "/en/incidents/signaler/echec-connexion/")
    # The browser's own zone replaces the server's default on a first visit.
    expect(page.get_by_label("Time zone")).to_have_value("America/Cayenne")
    expect(page.get_by_role("button", name="Look for answers")).to_be_hidden()
    expect(page.get_by_label("Which other browser (optional)")).to_be_hidden()
    page.get_by_role("group", name="Another browser tried").get_by_label("Yes").check()
    expect(page.get_by_label("Which other browser (optional)")).to_be_visible()
    assert_accessible(page, axe)

    page.get_by_label("Exact error message").press_sequentially("token badval", delay=40)
    results = page.locator("#suggestion-results")
    expect(results).to_have_attribute("aria-live", "polite")
    expect(results.get_by_role("link", name="Session token error (token badvalue)")).to_be_visible()
    expect(results).to_contain_text("1 answer found.")
    assert_accessible(page, axe)

    results.get_by_role("button", name="This solved it").click()
    expect(page).to_have_url(live_server.url + article.get_absolute_url())
    expect(page.get_by_text("Glad it is solved. No incident was filed.")).to_be_visible()
    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.problem_type.slug, deflection.article) == (marie, "echec-connexion", article)
    assert not Ticket.objects.exists()
    context.close()


def test_the_french_forms_filled_and_with_errors(browser: Browser, live_server, axe, sign_in, marie, problem_types):
    """Screenshots into var/screenshots/ (published copies in docs/screenshots/). Fields are found by id."""
    context = signed_in_context(browser, live_server, sign_in, marie, viewport={"width": 1100, "height": 900})
    page = context.new_page()

    page.goto(live_server.url + "/incidents/signaler/echec-connexion/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.locator("#id_error_message").fill("Identifiant ou mot de passe incorrect")
    page.locator("#id_url").fill("https://webmail.ac-exemple.fr/")
    page.locator("#id_other_browser_tried_0").check()
    page.locator("#id_other_browser").fill("Firefox 128")
    page.locator("#id_other_network_tried_1").check()
    page.locator("#id_otp_involved_2").check()  # "Je ne sais pas"
    page.locator("#id_sso_involved_1").check()
    page.locator("#id_vpn_used_1").check()
    page.locator("#id_description").fill("Depuis ce matin, même avec le bon mot de passe.")
    shoot(page, "incident-login-filled.png")
    page.locator("#id_url").fill("pas une adresse")
    page.locator("#id_error_message").fill("")
    page.locator("button.primary[type=submit]").click()
    expect(page.locator("#form-errors")).to_be_focused()
    assert_accessible(page, axe)
    shoot(page, "incident-login-error.png")
    page.locator("#id_error_message").fill("Identifiant ou mot de passe incorrect")
    page.locator("#id_url").fill("https://webmail.ac-exemple.fr/")
    page.locator("#id_other_browser_tried_1").check()
    page.locator("button.primary[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Identifiant ou mot de passe incorrect")
    assert_accessible(page, axe)
    shoot(page, "incident-login-filed.png")

    phishing = live_server.url + "/incidents/signaler/hameconnage/"
    page.goto(phishing)
    attach_message(page)
    shoot(page, "incident-phishing-filled.png")
    page.goto(phishing)
    page.locator("#id_description").fill("Je n'ai pas cliqué sur le lien.")
    page.locator("button.primary[type=submit]").click()
    expect(page.locator("#form-errors")).to_be_focused()
    assert_accessible(page, axe)
    shoot(page, "incident-phishing-error.png")
    attach_message(page)
    page.locator("button.primary[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Votre boite mail sera suspendue")  # the reported subject
    expect(page.get_by_text("https://login.acad3mie-fr.com/verify")).to_be_visible()
    assert_accessible(page, axe)
    shoot(page, "incident-phishing-filed.png")
    assert Ticket.objects.count() == 2
    page.goto(live_server.url + "/incidents/")
    expect(page.locator("tbody tr")).to_have_count(2)
    assert_accessible(page, axe)
    shoot(page, "incidents-mine.png")
    context.close()
