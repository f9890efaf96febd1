"""Temporary: screenshots of the queue view (kept page) at 1280 and 390 px."""

import pytest
from playwright.sync_api import Browser

from tests.e2e.test_incident_form import signed_in_context
from tests.tickets.test_desk import make

pytestmark = pytest.mark.django_db(transaction=True)


def test_shots(browser: Browser, live_server, sign_in, sophie, marie, problem_types):
    make(marie, problem_types["echec-connexion"], 30, priority="high")
    make(marie, problem_types["quota"], 5, start=30)
    for width in (1280, 390):
        context = signed_in_context(browser, live_server, sign_in, sophie, viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server.url}/espace-agents/")
        page.goto(f"{live_server.url}/espace-agents/")  # the second answer comes from the kept page
        page.screenshot(path=f"shot-{width}.png", full_page=True)
        page.goto(f"{live_server.url}/en/espace-agents/?status=bogus")
        page.goto(f"{live_server.url}/en/espace-agents/?status=bogus")
        page.screenshot(path=f"shot-{width}-en-error.png", full_page=False)
        context.close()
