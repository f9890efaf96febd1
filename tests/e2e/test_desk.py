"""The agents' queue view in a real browser, in French and English: filter with the keyboard, take a ticket from
the list, follow it to its page and give it to a colleague; every page axe-clean (WCAG 2.1 AA)."""

import pytest
from playwright.sync_api import Browser, expect

from portal.models import Role
from tests.e2e.test_home import assert_accessible
from tests.e2e.test_incident_form import signed_in_context
from tests.tickets.helpers import join_every_queue
from tests.tickets.test_desk import make
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_filters_takes_and_assigns_from_the_queue_view(
    browser: Browser, live_server, axe, sign_in, sophie, marie, problem_types, django_user_model, language
):
    colleague = django_user_model.objects.create_user(
        "karim.benali", "karim@ac-exemple.fr", "x", display_name="Karim Benali", role=Role.AGENT
    )
    join_every_queue(colleague)
    make(marie, problem_types["echec-connexion"], 30, priority="high")
    make(marie, problem_types["quota"], 5, start=30)
    context = signed_in_context(browser, live_server, sign_in, sophie, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    prefix = "/en" if language == "en" else ""
    page.goto(f"{live_server.url}{prefix}/espace-agents/")
    words = {
        "fr": {"h1": "Files d’incidents", "problem": "Type de problème", "show": "Afficher", "take": "Prendre",
               "next": "Page suivante", "assign": "Attribuer à", "button": "Attribuer", "tick": "Cocher",
               "apply": "Appliquer aux incidents cochés"},
        "en": {"h1": "Incident queues", "problem": "Problem type", "show": "Show", "take": "Take",
               "next": "Next page", "assign": "Assign to", "button": "Assign", "tick": "Tick",
               "apply": "Apply to the ticked incidents"},
    }[language]  # fmt: skip
    expect(page.get_by_role("heading", level=1)).to_have_text(words["h1"])
    assert_accessible(page, axe)
    expect(page.locator(".worklist-table tbody tr")).to_have_count(25)
    page.get_by_role("link", name=words["next"]).click()
    expect(page.locator(".worklist-table tbody tr")).to_have_count(10)
    assert_accessible(page, axe)

    # Filter by keyboard: the problem type, then Enter on the button.
    page.get_by_label(words["problem"]).select_option(str(problem_types["quota"].pk))
    page.get_by_role("button", name=words["show"]).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".worklist-table tbody tr")).to_have_count(5)
    newest = Ticket.objects.filter(problem_type=problem_types["quota"]).order_by("-created_at").first()
    page.get_by_role("button", name=f"{words['take']} {newest.reference}").click()
    expect(page.locator(".message").first).to_contain_text(newest.reference)
    newest.refresh_from_db()
    assert newest.assignee == sophie

    page.get_by_role("link", name=newest.reference).click()
    page.get_by_label(words["assign"]).select_option("karim.benali")
    page.get_by_role("button", name=words["button"], exact=True).click()
    expect(page.locator(".message").first).to_contain_text("Karim Benali")
    assert_accessible(page, axe)
    newest.refresh_from_db()
    assert newest.assignee == colleague

    # Tick two incidents with the keyboard and raise their priority in one action.
    page.goto(f"{live_server.url}{prefix}/espace-agents/?problem_type={problem_types['quota'].pk}")
    others = list(Ticket.objects.filter(problem_type=problem_types["quota"]).exclude(pk=newest.pk)[:2])
    for ticket in others:
        page.get_by_label(f"{words['tick']} {ticket.reference}").focus()
        page.keyboard.press("Space")
    page.locator("#bulk-action").select_option("priority")
    page.locator("#bulk-priority").select_option("urgent")
    page.get_by_role("button", name=words["apply"]).click()
    expect(page.locator(".message").first).to_contain_text("2")
    assert_accessible(page, axe)
    assert {ticket.priority for ticket in Ticket.objects.filter(pk__in=[t.pk for t in others])} == {"urgent"}
    context.close()


def test_the_list_is_worked_from_the_keyboard_with_javascript(
    browser: Browser, live_server, axe, sign_in, sophie, marie, problem_types
):
    make(marie, problem_types["quota"], 4)
    context = signed_in_context(browser, live_server, sign_in, sophie, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/en/espace-agents/")
    expect(page.locator("#worklist-keys")).to_be_visible()
    references = page.locator(".worklist-table tbody th[scope=row] a")
    references.first.focus()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(references.nth(1)).to_be_focused()
    page.keyboard.press("x")
    boxes = page.locator(".worklist-table tbody input[name=tickets]")
    expect(boxes.nth(1)).to_be_checked()
    expect(page.locator("#tick-all")).to_have_js_property("indeterminate", True)
    assert_accessible(page, axe)

    page.get_by_label("Tick every incident of this page").check()
    for index in range(4):
        expect(boxes.nth(index)).to_be_checked()
    # Typing in the search box is typing, not a shortcut.
    page.get_by_label("Search").fill("jx")
    expect(page.get_by_label("Search")).to_have_value("jx")
    context.close()
