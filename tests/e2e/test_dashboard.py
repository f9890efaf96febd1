"""The dashboard in a real browser, in French and English: the charts and their tables, the figures' tables opened
with the keyboard, a queue's row leading to its filtered list; axe-clean (WCAG 2.1 AA) at desktop and phone widths."""

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_home import assert_accessible
from tests.e2e.test_incident_form import signed_in_context
from tests.tickets.test_desk import make

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_reads_the_dashboard_and_follows_a_queue(
    browser: Browser, live_server, axe, sign_in, sophie, marie, problem_types, language
):
    make(marie, problem_types["echec-connexion"], 6, priority="high")
    make(marie, problem_types["quota"], 3, start=6)
    context = signed_in_context(browser, live_server, sign_in, sophie, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    prefix = "/en" if language == "en" else ""
    page.goto(f"{live_server.url}{prefix}/espace-agents/tableau-de-bord/")
    queue = problem_types["echec-connexion"].queue
    name = queue.name_en if language == "en" else queue.name_fr
    expect(page.locator("svg.chart")).to_have_count(3)
    assert_accessible(page, axe)

    # The hour-by-hour figures, opened from the keyboard.
    page.locator("details summary").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details table").first).to_be_visible()
    assert_accessible(page, axe)

    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing wider than a phone"
    assert_accessible(page, axe)

    page.get_by_role("link", name=name, exact=True).click()
    expect(page.locator(".worklist-table tbody tr")).to_have_count(6)
    context.close()
