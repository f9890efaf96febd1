"""A proposed major incident in a real browser, in French and English: from the queue view's header to the list,
then its page; the agent confirms it, and a reporter sees its message on their ticket. Every page axe-clean."""

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_home import assert_accessible
from tests.e2e.test_incident_form import signed_in_context
from tickets.correlation import correlate
from tickets.models import MajorIncident, MajorIncidentStatus, Ticket
from tickets.services import ticket_create
from tickets.submission import Submission

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_confirms_a_proposal_and_the_reporter_sees_it(
    browser: Browser, live_server, axe, sign_in, sophie, problem_types, django_user_model, language
):
    people = [django_user_model.objects.create_user(f"rep.{n}", f"rep.{n}@ac-exemple.fr", "x") for n in range(10)]
    for person in people:
        ticket_create(
            requester=person,
            problem_type=problem_types["echec-connexion"],
            submission=Submission(answers={"identifier": person.username, "error_message": "Erreur 502 Bad Gateway"}),
        )
    correlate()
    incident = MajorIncident.objects.get()
    context = signed_in_context(browser, live_server, sign_in, sophie, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    prefix = "/en" if language == "en" else ""
    page.goto(f"{live_server.url}{prefix}/espace-agents/")
    page.locator(f'.workspace-nav a[href="{prefix}/espace-agents/incidents-majeurs/"]').click()
    expect(page.locator("#proposed-title-table tbody tr")).to_have_count(1)
    assert_accessible(page, axe)
    page.locator(f'a[href="{prefix}/espace-agents/incidents-majeurs/{incident.pk}/"]').first.click()
    expect(page.locator(".worklist-table tbody tr")).to_have_count(10)
    assert_accessible(page, axe)

    page.locator("#confirm-title_en").fill("The webmail is not answering")
    page.locator("#confirm-title_fr").fill("Le webmail ne répond plus")
    page.locator("#confirm-public_message_fr").fill("Nos équipes interviennent.")
    page.locator("#confirm-public_message_en").fill("Our teams are on it.")
    page.locator("#confirm-public_message_en").press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".message").first).to_be_visible()
    assert_accessible(page, axe)
    incident.refresh_from_db()
    assert incident.status == MajorIncidentStatus.OPEN
    context.close()

    reporter = signed_in_context(browser, live_server, sign_in, people[0], viewport={"width": 390, "height": 800})
    page = reporter.new_page()
    ticket = Ticket.objects.get(requester=people[0])
    page.goto(f"{live_server.url}{prefix}/incidents/{ticket.reference}/")
    expect(page.locator(".major-incident-notice")).to_contain_text(
        "Our teams are on it." if language == "en" else "Nos équipes interviennent."
    )
    assert_accessible(page, axe)
    reporter.close()
