"""The help pages in a real browser: accessible (axe, WCAG 2.1 AA), copy buttons on settings tables, and the
"was this helpful" form working without JavaScript."""

import pytest
from playwright.sync_api import Browser, Page, expect

from kb.models import Feedback
from tests.e2e.test_home import assert_accessible
from tests.kb.helpers import make_article

pytestmark = pytest.mark.django_db(transaction=True)

SETTINGS_TABLE = """Use these settings in your mail app.

## Settings

| Setting | Value |
|---|---|
| Incoming server (IMAP) | imap.example.org |
| Incoming port | 993 |

## When signing in fails

| Failed attempts | Effect |
|---|---|
| 5 | signing in suspended for 15 minutes |
"""


@pytest.fixture
def articles():
    make_article(
        "parametres-messagerie",
        language="en",
        title="Mail app settings",
        category="mail-clients",
        summary="IMAP on port 993, SMTP on port 587.",
        body=SETTINGS_TABLE,
        errors="connection refused",
    )
    make_article("mot-de-passe-oublie", language="en", title="Forgotten password", category="password")


def test_help_pages_are_accessible(page: Page, live_server, axe, articles):
    for path in ("/en/aide/", "/en/aide/recherche/?q=settings", "/en/aide/contact/", "/en/aide/categorie/reseau/"):
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page, axe)


def test_search_then_read_an_article_and_copy_a_setting(page: Page, live_server, axe, articles):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(live_server.url + "/en/aide/")
    page.get_by_label("Search the help").fill("mail settings")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search the help")
    page.get_by_role("link", name="Mail app settings").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Mail app settings")
    copy_port = page.get_by_role("button", name="Copy Incoming port")
    expect(copy_port).to_be_visible()
    expect(page.locator("table.settings .kb-copy")).to_have_count(2)
    expect(page.locator(".kb-copy")).to_have_count(2)  # the other table is not settings: nothing to copy there
    assert_accessible(page, axe)
    copy_port.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_text("Copied: Incoming port")
    assert page.evaluate("navigator.clipboard.readText()") == "993"
    assert errors == []  # nothing blocked by the Content-Security-Policy


def test_the_feedback_form_works_without_javascript(browser: Browser, live_server, articles):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/en/aide/parametres-messagerie/")
    expect(page.get_by_role("button", name="Copy Incoming port")).to_have_count(0)  # no JS, plain table
    expect(page.get_by_role("cell", name="993")).to_be_visible()
    page.get_by_role("radio", name="No").check()
    page.get_by_label("What was missing or unclear? (optional)").fill("The SMTP port is missing.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.locator("#feedback").get_by_role("status")).to_contain_text("Thank you")
    feedback = Feedback.objects.get()
    assert (feedback.helpful, feedback.comment) == (False, "The SMTP port is missing.")
    context.close()


def test_the_feedback_form_explains_a_missing_choice(page: Page, live_server, axe, articles):
    page.goto(live_server.url + "/en/aide/mot-de-passe-oublie/")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose yes or no.")
    assert_accessible(page, axe)
