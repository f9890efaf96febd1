"""The primitives every workflow on an incident shares: re-read it under a lock, write an event on its timeline
(queuing its e-mail on commit, adding a reply's or a note's words to the ticket's search vector), move its status,
mark its activity. Workflows (tickets.services, tickets.assignment) call these inside their own transaction."""

from django.utils import timezone

from portal.web import outbox
from tickets.models import OPEN_STATUSES, Ticket, TicketEvent, TicketEventKind
from tickets.search import SEARCHED_EVENTS, search_vector_append


def ticket_locked(ticket: Ticket) -> Ticket:
    """The ticket re-read under a row lock: two clicks on "close" give one event, not two."""
    return Ticket.objects.select_for_update().select_related("problem_type").get(pk=ticket.pk)


def ticket_touch(ticket: Ticket) -> None:
    ticket.updated_at = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at)


def event_write(ticket, kind, *, actor, body="", data=None, public=True, notify=False) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        created_at=timezone.now(),
        kind=kind,
        actor=actor,
        body=body,
        data=data or {},
        public=public,
        notify=notify and public,
    )
    if kind in SEARCHED_EVENTS:
        search_vector_append(ticket, body)
    if event.notify:
        outbox.queue("tickets.tasks.send_ticket_notification", event.pk)
    return event


def status_set(ticket: Ticket, to: str, *, by, reopened: bool = False) -> TicketEvent:
    previous = ticket.status
    ticket.status = to
    ticket.closed_at = timezone.now() if to not in OPEN_STATUSES else None
    Ticket.objects.filter(pk=ticket.pk).update(status=to, closed_at=ticket.closed_at)
    data = {"from": previous, "to": to}
    if reopened:
        data["reopened"] = True
    notify = by is None or by.pk != ticket.requester_id
    return event_write(ticket, TicketEventKind.STATUS_CHANGED, actor=by, data=data, notify=notify)
