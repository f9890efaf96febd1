"""A forgotten password, in a real browser: ask for the link, open it from the e-mail, confirm the second factor,
choose the new password, sign in with it. French with an authenticator app, English without a second factor."""

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.e2e.test_home import assert_accessible
from tests.helpers import enrol_totp, totp_now
from tests.portal.test_password_reset import LINK

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "une longue phrase de passe pour le navigateur"


def _link_from_last_email() -> str:
    return LINK.search(mail.outbox[-1].body).group(0)


def test_a_forgotten_password_with_an_authenticator_app_in_french(page: Page, live_server, axe, marie):
    marie.recovery_email = "marie.perso@example.net"
    marie.save()
    device = enrol_totp(marie)

    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    assert_accessible(page, axe)
    page.get_by_label("Identifiant ou adresse électronique professionnelle").fill("marie.dupont")
    page.get_by_role("button", name="M’envoyer un lien").click()
    expect(page.get_by_role("heading", name="Consultez votre messagerie")).to_be_visible()
    assert_accessible(page, axe)

    link = _link_from_last_email().replace("http://127.0.0.1:8000", live_server.url)
    page.goto(link)
    expect(page).to_have_url(live_server.url + "/compte/mot-de-passe-oublie/nouveau/")  # the secret left the bar
    expect(page.get_by_role("heading", name="Nouveau mot de passe : confirmez que c’est vous")).to_be_visible()
    assert_accessible(page, axe)
    page.get_by_label("Code").fill(totp_now(device))
    page.get_by_role("button", name="Confirmer").click()

    expect(page.get_by_role("heading", name="Choisissez un nouveau mot de passe")).to_be_visible()
    assert_accessible(page, axe)
    page.locator("#id_new_password").fill("court")
    page.locator("#id_confirmation").fill("court")
    page.get_by_role("button", name="Changer mon mot de passe").click()
    expect(page.get_by_role("alert")).to_contain_text("trop court")
    assert_accessible(page, axe)
    page.locator("#id_new_password").fill(NEW_PASSWORD)
    page.locator("#id_confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer mon mot de passe").click()

    expect(page).to_have_url(live_server.url + "/compte/connexion/")
    expect(page.get_by_text("Votre mot de passe est changé")).to_be_visible()
    page.get_by_label("Identifiant").fill("marie.dupont")
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    # The second factor is still asked (R24).
    expect(page.get_by_role("heading", name="Seconde étape : votre code")).to_be_visible()


def test_a_forgotten_password_in_english_and_the_lost_phone_page(page: Page, live_server, axe, marie):
    marie.language = "en"  # her e-mail, and the link in it, in English
    marie.save()
    page.goto(live_server.url + "/en/compte/mot-de-passe-oublie/")
    page.get_by_label("Identifier or work e-mail address").fill("marie.dupont@ac-exemple.fr")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    link = _link_from_last_email().replace("http://127.0.0.1:8000", live_server.url)
    assert "/en/compte/" in link
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.locator("#id_new_password").fill(NEW_PASSWORD)
    page.locator("#id_confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()

    # The same link a second time: it no longer works, and the page says what to do.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert_accessible(page, axe)

    page.goto(live_server.url + "/en/compte/telephone-perdu/")
    expect(
        page.get_by_role("heading", name="You have your recovery codes: about 10 minutes, on your own")
    ).to_be_visible()
    assert_accessible(page, axe)
