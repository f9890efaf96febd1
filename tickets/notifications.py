"""E-mails to requesters about their incidents: received, replied, status changed.

Sent from TicketEvent rows flagged ``notify`` (the outbox): ``deliver_ticket_notification`` claims the row by
setting ``notified_at`` and sends, so a task delivered twice sends once. The subject names the reference and what
happened, never the title, the identifier or the error message (they may say more than a subject line should, and
subjects travel in clear through every mail log); the body adds only the new status and the link.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from tickets.models import TicketEvent, TicketEventKind, TicketStatus

log = logging.getLogger(__name__)


def deliver_ticket_notification(event_id: int) -> bool:
    """Claim the event and e-mail the requester; False when already sent or nobody to send to. Idempotent."""
    claimed = TicketEvent.objects.filter(pk=event_id, notify=True, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return False
    event = TicketEvent.objects.select_related("ticket__requester").get(pk=event_id)
    requester = event.ticket.requester
    if not requester.email or not requester.is_active:
        return False
    try:
        _message(event, requester).send()
    except Exception:
        TicketEvent.objects.filter(pk=event_id).update(notified_at=None)
        raise
    return True


def _message(event: TicketEvent, requester) -> EmailMultiAlternatives:
    ticket = event.ticket
    with translation.override(requester.language or settings.LANGUAGE_CODE):
        status = TicketStatus(event.data["to"]).label if event.kind == TicketEventKind.STATUS_CHANGED else ""
        context = {
            "name": requester.get_short_name(),
            "reference": ticket.reference,
            "kind": event.kind,
            "status": status,
            "reopened": bool(event.data.get("reopened")),
            # From the configured address only: a request's Host header could point the link elsewhere.
            "url": settings.SITE_URL + reverse("tickets:detail", kwargs={"reference": ticket.reference}),
        }
        subject = " ".join(render_to_string("emails/ticket-event-subject.txt", context).split())
        text = render_to_string("emails/ticket-event-body.txt", context)
        html = render_to_string("emails/ticket-event-body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[requester.email])
    message.attach_alternative(html, "text/html")
    return message
