"""A visitor opens the portal in a real browser, reads it in French, switches to English, uses the keyboard."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_accessible(page: Page, axe):
    results = axe.run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()


def test_home_in_french_then_english(page: Page, live_server, axe):
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès à la messagerie : obtenir de l'aide rapidement")
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()
    assert_accessible(page, axe)

    page.get_by_role("link", name="English").click()

    expect(page).to_have_url(live_server.url + "/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Webmail access: get help quickly")
    expect(page.get_by_role("heading", name="Report an incident")).to_be_visible()
    assert_accessible(page, axe)

    page.get_by_role("link", name="Français").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(page: Page, live_server):
    page.goto(live_server.url + "/en/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_stylesheet_loads_under_the_content_security_policy(page: Page, live_server):
    failures = []
    page.on("console", lambda message: failures.append(message.text) if message.type == "error" else None)
    page.goto(live_server.url + "/")
    colour = page.locator(".brand-name").evaluate("element => getComputedStyle(element).color")
    assert colour == "rgb(0, 0, 145)"
    assert failures == []


def test_a_person_signs_in_with_password_and_code_in_a_real_browser(page: Page, live_server, axe, marie):
    from tests.helpers import DEMO_PASSWORD, enrol_totp, totp_now

    device = enrol_totp(marie)
    page.goto(live_server.url + "/compte/connexion/")
    assert_accessible(page, axe)
    page.get_by_label("Identifiant").fill("Marie.Dupont")
    page.get_by_label("Mot de passe").fill("un mauvais mot de passe")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect")
    assert_accessible(page, axe)

    page.wait_for_timeout(1100)  # a person takes more than a second to retype; faster is rapid fire (R6)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Seconde étape : votre code")
    assert_accessible(page, axe)
    page.get_by_label("Code").fill(totp_now(device))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès à la messagerie : obtenir de l'aide rapidement")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
