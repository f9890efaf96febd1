"""The agent's ticket page in a real browser, in French and English: a canned answer goes in at the cursor without
reloading, the message is sent as an internal note, the requester never sees it; every page axe-clean (WCAG 2.1
AA)."""

import pytest
from django.conf import settings
from playwright.sync_api import Browser, expect

from tests.e2e.test_home import assert_accessible
from tests.e2e.test_incident_form import signed_in_context
from tests.kb.helpers import make_article
from tests.tickets.test_desk import make
from tickets.models import CannedAnswer, Ticket, TicketEvent, TicketEventKind

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_inserts_a_canned_answer_and_adds_an_internal_note(
    browser: Browser, live_server, axe, sign_in, sophie, marie, problem_types, language
):
    article = make_article("parametres-messagerie", title="Paramètres de messagerie", category="mail-clients")
    CannedAnswer.objects.create(
        title_fr="Paramètres du logiciel",
        title_en="Mail client settings",
        body_fr="Voici les réglages à copier.",
        body_en="Here are the settings to copy.",
        article=article,
    )
    ticket = make(marie, problem_types["quota"], 2)[0]
    prefix = "/en" if language == "en" else ""
    context = signed_in_context(browser, live_server, sign_in, sophie, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}{prefix}/incidents/{ticket.reference}/")
    assert_accessible(page, axe)

    message = page.locator("#id_body")
    message.fill("Bonjour,\n\nMerci.")
    message.evaluate("area => area.setSelectionRange(9, 9)")  # the cursor after "Bonjour,\n"
    page.evaluate("window.notReloaded = true")
    page.locator("#id_canned").select_option(
        label="Mail client settings" if language == "en" else "Paramètres du logiciel"
    )
    page.locator("button[name='insert']").click()
    address = f"{settings.SITE_URL}/aide/parametres-messagerie/"
    expect(message).to_have_value(f"Bonjour,\n\nVoici les réglages à copier.\n\n{address}\n\nMerci.")
    assert page.evaluate("window.notReloaded") is True, "inserted without reloading the page"
    expect(page.locator("#solved-article")).to_have_value("parametres-messagerie")
    expect(message).to_be_focused()

    page.locator("#id_visibility_1").check()  # internal note
    page.locator("form[action$='/repondre/'] button.primary").click()
    expect(page.locator(".timeline-event.internal").last).to_contain_text("Voici les réglages à copier.")
    assert_accessible(page, axe)
    note = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.NOTE)
    assert not note.public and address in note.body
    context.close()

    requester = signed_in_context(browser, live_server, sign_in, marie).new_page()
    requester.goto(f"{live_server.url}{prefix}/incidents/{ticket.reference}/")
    expect(requester.locator(".timeline")).not_to_contain_text("Voici les réglages")
    expect(requester.locator("#id_canned")).to_have_count(0)
    assert_accessible(requester, axe)
    requester.context.close()


def test_without_javascript_insert_brings_the_page_back_with_the_text(
    browser: Browser, live_server, sign_in, sophie, marie, problem_types
):
    CannedAnswer.objects.create(
        title_fr="Message exact", title_en="Exact message", body_fr="Copiez le message exact.", body_en="Copy it."
    )
    ticket = make(marie, problem_types["quota"], 1)[0]
    context = signed_in_context(browser, live_server, sign_in, sophie, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/en/incidents/{ticket.reference}/")
    page.locator("#id_body").fill("Hello,")
    page.locator("#id_canned").select_option(label="Exact message")
    page.locator("button[name='insert']").click()
    expect(page.locator("#id_body")).to_have_value("Hello,\n\nCopiez le message exact.")
    page.locator("form[action$='/repondre/'] button.primary").click()
    expect(page.locator(".timeline")).to_contain_text("Copiez le message exact.")
    assert Ticket.objects.get(pk=ticket.pk).events.filter(kind=TicketEventKind.REPLIED, public=True).exists()
    context.close()
