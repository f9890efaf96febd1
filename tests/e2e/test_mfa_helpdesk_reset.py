"""The helpdesk second-factor reset in a real browser, in French and English, with axe on every page: one agent
records the identity check, a second approves and reads the pass, the person signs in with it; and the refusal of a
caller who only knows personal details."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, expect

from portal.models import Role
from tests.e2e.test_home import assert_accessible
from tests.e2e.test_incident_form import signed_in_context
from tests.helpers import DEMO_PASSWORD, enrol_totp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paul():
    return get_user_model().objects.create_user(
        "paul.agent", "paul.agent@ac-exemple.fr", DEMO_PASSWORD, display_name="Paul Agent", role=Role.AGENT
    )


def test_two_agents_reset_a_second_factor_and_the_person_signs_in_with_the_pass_in_french(
    browser: Browser, live_server, axe, sign_in, marie, sophie, paul, problem_types
):
    enrol_totp(marie, name="Téléphone perdu")
    first = signed_in_context(browser, live_server, sign_in, sophie).new_page()
    first.goto(f"{live_server.url}/compte/assistance/comptes/marie.dupont/securite/")
    first.get_by_role("link", name="Réinitialiser le second facteur (téléphone perdu, sans code de secours)").click()
    expect(first.get_by_role("heading", name="Réinitialiser le second facteur de marie.dupont")).to_be_visible()
    assert_accessible(first, axe)
    assert first.locator('input[type="password"]').count() == 0
    first.get_by_label("En visioconférence, avec une pièce d’identité avec photo comparée au dossier RH").check()
    first.get_by_label("Preuve de la vérification").fill("Visio 10:02, CNI 123456 conforme au dossier RH")
    first.get_by_role("button", name="Enregistrer la vérification").click()
    expect(first.get_by_role("heading", name="Réinitialisation du second facteur de marie.dupont")).to_be_visible()
    expect(first.get_by_text("un second agent doit l’approuver")).to_be_visible()
    assert_accessible(first, axe)
    detail = first.url

    second = signed_in_context(browser, live_server, sign_in, paul).new_page()
    second.goto(f"{live_server.url}/compte/assistance/reinitialisations/")
    assert_accessible(second, axe)
    second.goto(detail)
    assert_accessible(second, axe)
    second.get_by_role("button", name="Approuver et réinitialiser maintenant").click()
    expect(second.get_by_role("heading", name="Second facteur de marie.dupont réinitialisé")).to_be_visible()
    assert_accessible(second, axe)
    access_pass = second.get_by_label("Code d’accès temporaire").input_value()
    assert len(access_pass) == 19

    person = browser.new_context(locale="fr-FR").new_page()
    person.goto(live_server.url + "/compte/connexion/")
    person.get_by_role("link", name="L’assistance vous a donné un code d’accès temporaire ?").click()
    assert_accessible(person, axe)
    person.get_by_label("Identifiant").fill("marie.dupont")
    person.get_by_label("Code d’accès temporaire").fill(access_pass)
    person.get_by_role("button", name="Continuer").click()
    expect(person.get_by_role("heading", name="Reconfigurer votre compte")).to_be_visible()
    assert_accessible(person, axe)
    person.goto(live_server.url + "/compte/securite/")
    expect(person.get_by_role("heading", name="Action non autorisée")).to_be_visible()
    assert_accessible(person, axe)


def test_a_caller_with_personal_details_only_is_refused_then_a_reset_is_approved_in_english(
    browser: Browser, live_server, axe, sign_in, marie, sophie, paul, problem_types
):
    first = signed_in_context(browser, live_server, sign_in, sophie).new_page()
    first.goto(f"{live_server.url}/en/compte/assistance/reinitialisations/")
    expect(first.get_by_role("heading", name="Second-factor resets", exact=True)).to_be_visible()
    assert_accessible(first, axe)
    first.get_by_label("Identifier of the account to reset").fill("marie.dupont")
    first.get_by_role("button", name="Start a reset").click()
    expect(first.get_by_role("heading", name="Reset the second factor of marie.dupont")).to_be_visible()
    first.get_by_role("button", name="Record the check").click()  # nothing chosen: the form says what is missing
    expect(first.get_by_role("alert")).to_be_visible()
    assert_accessible(first, axe)
    first.get_by_label("The caller could only give personal details", exact=False).check()
    first.get_by_role("button", name="Record the check").click()
    expect(first.get_by_role("heading", name="No reset: identity not proven")).to_be_visible()
    assert_accessible(first, axe)

    first.goto(f"{live_server.url}/en/compte/assistance/comptes/marie.dupont/reinitialiser-second-facteur/")
    first.get_by_label("In person, against the badge or an official photo ID").check()
    first.get_by_label("Evidence of the check").fill("Badge 4521 seen at the helpdesk office")
    first.get_by_role("button", name="Record the check").click()
    expect(first.get_by_text("You started this reset: a second agent must approve it")).to_be_visible()
    detail = first.url

    second = signed_in_context(browser, live_server, sign_in, paul).new_page()
    second.goto(detail)
    expect(second.get_by_role("heading", name="Second-factor reset of marie.dupont")).to_be_visible()
    assert_accessible(second, axe)
    second.get_by_role("button", name="Approve and reset now").click()
    expect(second.get_by_role("heading", name="Second factor of marie.dupont reset")).to_be_visible()
    assert_accessible(second, axe)
    assert second.locator('input[type="password"]').count() == 0
