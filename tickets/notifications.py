"""E-mails to requesters about their incidents: received, replied, status changed.

Sent from TicketEvent rows flagged ``notify`` (the outbox, portal.web.outbox.deliver): a task delivered twice sends
once. The subject names the reference and what happened, never the title, the identifier or the error message (they
may say more than a subject line should, and subjects travel in clear through every mail log); the body adds only
the new status and the link.
"""

from django.conf import settings
from django.urls import reverse

from portal.web import outbox
from tickets.models import MajorIncidentStatus, Priority, TicketEvent, TicketEventKind, TicketStatus


def deliver_ticket_notification(event_id: int) -> bool:
    """Claim the event and e-mail the requester; False when already sent or nobody to send to. Idempotent."""
    return outbox.deliver(
        TicketEvent, event_id, messages=_messages, related=("ticket__requester", "ticket__queue", "ticket__assignee")
    )


def _messages(event: TicketEvent) -> list:
    if event.kind == TicketEventKind.SLA_BREACHED:
        return _breach_messages(event)
    requester = event.ticket.requester
    if not requester.email or not requester.is_active:
        return []
    return [
        outbox.make_message(
            "ticket-event",
            to=[requester.email],
            language=requester.language or settings.LANGUAGE_CODE,
            context=lambda: _context(event, requester),
        )
    ]


def _context(event: TicketEvent, requester) -> dict:
    reference = event.ticket.reference
    return {
        "name": requester.get_short_name(),
        "reference": reference,
        "kind": event.kind,
        "status": TicketStatus(event.data["to"]).label if event.kind == TicketEventKind.STATUS_CHANGED else "",
        "reopened": bool(event.data.get("reopened")),
        "major_status": _major_status(event),
        # From the configured address only: a request's Host header could point the link elsewhere.
        "url": settings.SITE_URL + reverse("tickets:detail", kwargs={"reference": reference}),
    }


def _breach_messages(event: TicketEvent) -> list:
    """A breached SLA, to the lead of the ticket's queue and to whoever has the ticket (once each), each in their
    language. The subject names the reference only, as for requesters."""
    from tickets.models import QueueMembership

    ticket = event.ticket
    people = [membership.user for membership in QueueMembership.objects.leads_of(ticket.queue_id)]
    if ticket.assignee_id and all(person.pk != ticket.assignee_id for person in people):
        people.append(ticket.assignee)
    url = settings.SITE_URL + reverse("tickets:detail", kwargs={"reference": ticket.reference})
    return [
        outbox.make_message(
            "sla-breached",
            to=[person.email],
            language=person.language or settings.LANGUAGE_CODE,
            context=lambda person=person: {
                "name": person.get_short_name(),
                "reference": ticket.reference,
                "queue": ticket.queue.name,
                "priority": Priority(event.data.get("priority_to") or ticket.priority).label,
                "url": url,
            },
        )
        for person in people
        if person.email and person.is_active
    ]


def _major_status(event: TicketEvent) -> str:
    status = event.data.get("status") if event.kind == TicketEventKind.MAJOR_INCIDENT_NEWS else None
    return MajorIncidentStatus(status).label if status in MajorIncidentStatus.values else ""
