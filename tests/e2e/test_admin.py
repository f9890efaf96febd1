"""The agents' admin pages in a real browser: the problem type page, with its table of questions, is accessible
(axe, WCAG 2.1 AA) and fits a 1280 px screen beside the admin's navigation."""

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_home import assert_accessible
from tests.e2e.test_incident_form import signed_in_context
from tickets.seed import catalogue_editors_grant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("user", ["sophie", "alain"])
def test_the_problem_type_page_is_accessible_and_fits_the_screen(browser: Browser, live_server, axe, sign_in,
                                                                   problem_types, user, request):  # fmt: skip
    person = request.getfixturevalue(user)  # the admin also sees the "delete" column
    catalogue_editors_grant(person)  # the agent edits the questions: their table of inputs is what is checked
    context = signed_in_context(browser, live_server, sign_in, person, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/tickets/problemtype/{problem_types['echec-connexion'].pk}/change/")
    expect(page.get_by_role("heading", name="Échec de connexion")).to_be_visible()
    expect(page.get_by_label("Champ").first).to_be_visible()  # each input of the table is named by its column
    assert_accessible(page, axe)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    context.close()


def test_the_french_header_fits_one_row_at_1280_px_even_for_an_agent(browser: Browser, live_server, sign_in, sophie):
    """The longest header: an agent's, with the workspace link, their name and "Se déconnecter"."""
    context = signed_in_context(browser, live_server, sign_in, sophie, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("link", name="Espace agents")).to_be_visible()
    boxes = {
        part: page.locator(part).bounding_box() for part in (".brand", ".main-nav", ".header-tools", ".language-switch")
    }
    middles = [box["y"] + box["height"] / 2 for box in boxes.values()]
    assert max(middles) - min(middles) < 12, boxes  # side by side, not stacked
    context.close()


def test_an_incident_page_fits_a_phone_screen(browser: Browser, live_server, sign_in, sophie, marie, problem_types):
    """Long questions ("Code (OTP) ou double authentification en jeu") once pushed their answers off the screen."""
    from tests.tickets.helpers import login_failure_answers
    from tickets.fields.context import FillContext
    from tickets.forms import IncidentForm
    from tickets.services import ticket_create

    form = IncidentForm(
        login_failure_answers(), problem_type=problem_types["echec-connexion"], context=FillContext(user=marie)
    )
    assert form.is_valid(), form.errors
    ticket = ticket_create(requester=marie, problem_type=problem_types["echec-connexion"], submission=form.submission)
    context = signed_in_context(browser, live_server, sign_in, sophie, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + ticket.get_absolute_url())
    expect(page.get_by_text("Identifiant ou mot de passe incorrect").first).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
