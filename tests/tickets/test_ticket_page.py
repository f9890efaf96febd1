"""The ticket page for agents: the answers at a glance, the requester's other incidents, the identifier's security
events, status and priority from the page; and what a requester, an agent of another queue and a stranger get.

Sophie works every queue; Paul only the mail service team's ("messagerie"), where quota tickets go.
"""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from portal.identity.events import record_event
from portal.models import EventKind
from tests.tickets.test_desk import QUOTA, SIGN_IN_FAILURE, make, page
from tickets.models import Ticket, TicketEvent, TicketEventKind, TicketStatus

pytestmark = pytest.mark.django_db

DESK = "/espace-agents/incidents"


def english(ticket) -> str:
    return f"/en/incidents/{ticket.reference}/"


def test_the_agent_sees_the_answers_at_a_glance_and_what_was_not_said(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0]
    Ticket.objects.filter(pk=ticket.pk).update(
        data={
            "identifier": "marie.dupont",
            "error_message": "Identifiant ou mot de passe incorrect",
            "browser": "Firefox 128",
            "other_browser_tried": "yes",
            "other_browser": "Chrome 131",
            "other_network_tried": "not_applicable",
            "otp_involved": "no",
        }
    )
    text = " ".join(page(sign_in(Client(), sophie).get(english(ticket))).split())
    glance = text[text.index("At a glance") : text.index("The requester's other incidents")]
    assert "Identifier concerned</dt><dd>marie.dupont" in glance
    assert "Exact error message</dt><dd>Identifiant ou mot de passe incorrect" in glance
    assert "Another browser tried</dt><dd>Yes (Chrome 131)" in glance
    assert "4G or another network tried</dt><dd>Not possible" in glance
    assert "Code (OTP) or two-factor authentication involved</dt><dd>No" in glance
    for unanswered in ("Date and time of the problem", "Address (URL) used", "Intranet link (SSO) involved"):
        assert f'{unanswered}</dt><dd><span class="muted">not said' in glance, unanswered


AGENTS_ONLY = (
    "At a glance",
    "other incidents",
    "Security events",
    "Internal note",
    "Canned answer",
    "Solved by a knowledge-base article",
    "Merge into another incident",
    "Change the status",
)


def test_the_requester_sees_none_of_the_agents_panels(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[SIGN_IN_FAILURE], 2)[0]
    record_event(EventKind.LOGIN_LOCK, user=marie)
    text = page(sign_in(Client(), marie).get(english(ticket)))
    for agents_only in AGENTS_ONLY:
        assert agents_only not in text, agents_only
    assert "Add a message or files" in text and "Your message" in text, "the requester's form as before"


def test_the_requesters_other_incidents_are_those_the_agent_may_see(marie, jean, paul, problem_types, sign_in):
    quota = make(marie, problem_types[QUOTA], 7)
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=7)[0]
    make(jean, problem_types[QUOTA], 1, start=8)
    response = sign_in(Client(), paul).get(english(quota[0]))
    shown = [ticket.reference for ticket in response.context["other_tickets"]]
    assert shown == [ticket.reference for ticket in reversed(quota[1:])][:5], "the five latest, this one left out"
    assert login.reference not in page(response), "another queue's ticket is not listed"
    assert "jean.martin" not in page(response)


def test_the_security_events_of_the_identifier_are_shown_without_their_details(
    marie, jean, sophie, problem_types, sign_in
):
    ticket = make(jean, problem_types[SIGN_IN_FAILURE], 1)[0]
    Ticket.objects.filter(pk=ticket.pk).update(data={"identifier": "Marie.Dupont "})
    record_event(EventKind.LOGIN_LOCK, user=marie, data={"minutes": 15})
    record_event(EventKind.MFA_DEVICE_ADD, user=marie, data={"device": "Pixel secret-name"})
    record_event(EventKind.LOGIN_SUCCESS, user=marie)
    record_event(EventKind.PASSWORD_CHANGE, user=jean)
    text = page(sign_in(Client(), sophie).get(english(ticket)))
    panel = text[text.index("Security events of marie.dupont") :]
    panel = panel[: panel.index("</section>")]
    assert "Sign-in suspended after repeated failures" in panel and "Authenticator added" in panel
    assert "Pixel secret-name" not in panel, "the events' details stay on the account's page"
    assert "Signed in" not in panel, "routine sign-ins are left out"
    assert "Password changed" not in panel, "the requester's own account is not the identifier concerned"
    assert "/en/compte/assistance/comptes/marie.dupont/securite/" in panel, "the whole history is one click away"


def test_old_events_are_left_out_and_an_unknown_identifier_is_said_to_be_no_account(
    marie, sophie, problem_types, sign_in, clock
):
    record_event(EventKind.LOGIN_LOCK, user=marie)
    clock.advance(days=31)
    ticket = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0]
    response = sign_in(Client(), sophie).get(english(ticket))
    assert response.context["security"].events == [] and response.context["security"].is_account
    assert "No security event in the last 30 days." in page(response)
    Ticket.objects.filter(pk=ticket.pk).update(data={"identifier": "personne.inconnue"})
    text = page(sign_in(Client(), sophie).get(english(ticket)))
    assert "This identifier is not an account of the portal" in text
    assert "The whole security history" not in text


def test_status_and_priority_change_from_the_page_with_their_events(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    mail.outbox.clear()
    response = agent.post(f"{DESK}/{ticket.reference}/statut/", {"status": "waiting"})
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    agent.post(f"{DESK}/{ticket.reference}/priorite/", {"priority": "high"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (TicketStatus.WAITING, "high")
    status = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.STATUS_CHANGED)
    priority = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.PRIORITY_CHANGED)
    assert (status.public, status.data) == (True, {"from": "new", "to": "waiting"})
    assert (priority.public, priority.data) == (False, {"from": "normal", "to": "high"})
    assert [message.to for message in mail.outbox] == [["marie.dupont@ac-exemple.fr"]], "status only"
    assert agent.post(f"{DESK}/{ticket.reference}/statut/", {"status": "lost"}).status_code == 400
    assert agent.post(f"{DESK}/{ticket.reference}/priorite/", {}).status_code == 400


ACTIONS = [
    ("statut/", {"status": "solved"}),
    ("priorite/", {"priority": "urgent"}),
    ("resolu-par-article/", {"article": "cache-cookies"}),
    ("fusionner/", {"into": "INC-2026-000002"}),
]


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_only_agents_of_the_queue_act_from_the_page(marie, sophie, paul, problem_types, sign_in, action, data):
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0]
    make(marie, problem_types[SIGN_IN_FAILURE], 1, start=1)
    path = f"{DESK}/{login.reference}/{action}"
    signed_out = Client().post(path, data)
    assert signed_out.status_code == 302 and "/connexion/" in signed_out["Location"]
    assert sign_in(Client(), marie).post(path, data).status_code == 403, "the requester"
    assert sign_in(Client(), paul).post(path, data).status_code == 404, "an agent of another queue"
    paul_own = make(paul, problem_types[SIGN_IN_FAILURE], 1, start=5)[0]
    own_path = f"{DESK}/{paul_own.reference}/{action}"
    assert sign_in(Client(), paul).post(own_path, data).status_code == 404, "his own ticket, in a queue not his"
    assert sign_in(Client(), sophie).get(path).status_code == 405
    login.refresh_from_db()
    assert (login.status, login.priority, login.merged_into) == (TicketStatus.NEW, "normal", None)
    assert not TicketEvent.objects.exclude(kind=TicketEventKind.CREATED).exists()


def test_an_agent_outside_the_queue_and_a_stranger_cannot_open_the_page(marie, jean, paul, problem_types, sign_in):
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0]
    assert sign_in(Client(), paul).get(login.get_absolute_url()).status_code == 404
    assert sign_in(Client(), jean).get(login.get_absolute_url()).status_code == 404
    assert Client().get(login.get_absolute_url()).status_code == 302


def test_the_panels_cost_the_same_whatever_the_requesters_history(
    marie, sophie, problem_types, sign_in, django_assert_num_queries
):
    from tests.tickets.test_desk import TICKET_PAGE_QUERIES

    ticket = make(marie, problem_types[QUOTA], 30)[0]
    TicketEvent.objects.create(ticket=ticket, kind=TicketEventKind.REPLIED, actor=marie, body="Toujours bloquée.")
    for _number in range(25):
        record_event(EventKind.LOGIN_FAIL, user=marie)
    record_event(EventKind.LOGIN_LOCK, user=marie)
    agent = sign_in(Client(), sophie)
    agent.get(ticket.get_absolute_url())
    # With events found, the "is it an account" query is not needed: one fewer than the pinned page.
    with django_assert_num_queries(TICKET_PAGE_QUERIES - 1):
        response = agent.get(ticket.get_absolute_url())
    assert len(response.context["other_tickets"]) == 5 and len(response.context["security"].events) == 20
    assert timezone.now() - response.context["security"].events[0].created_at < datetime.timedelta(minutes=1)
