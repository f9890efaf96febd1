"""The primitives every workflow on an incident shares: re-read it under a lock, write an event on its timeline
(queuing its e-mail on commit, adding a reply's or a note's words to the ticket's search vector), move its status,
mark its activity. Workflows (tickets.services, tickets.assignment) call these inside their own transaction."""

from django.utils import timezone

from portal.web import outbox
from tickets import sla
from tickets.models import OPEN_STATUSES, Ticket, TicketEvent, TicketEventKind
from tickets.search import SEARCHED_EVENTS, search_vector_append

# Internal events e-mailed to the helpdesk rather than to the requester (tickets.notifications).
STAFF_NOTICES = (TicketEventKind.SLA_BREACHED,)
# How many e-mails one delivery task sends when many events are written at once.
NOTIFY_CHUNK = 200


class ReasonedRefusal(Exception):
    """A workflow that will not act: ``reason`` is a stable code, ``str()`` the sentence for the agent, from the
    subclass's REFUSALS."""

    REFUSALS: dict = {}

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def __str__(self):
        return str(self.REFUSALS[self.reason])


def ticket_locked(ticket: Ticket) -> Ticket:
    """The ticket re-read under a row lock: two clicks on "close" give one event, not two."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("problem_type", "sla_target").get(pk=ticket.pk)


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
        notify=notify and (public or kind in STAFF_NOTICES),
    )
    if kind == TicketEventKind.REPLIED and public:
        sla.sla_on_public_reply(ticket, by=actor)
    if kind in SEARCHED_EVENTS:
        search_vector_append(ticket, body)
    if event.notify:
        outbox.queue("tickets.tasks.send_ticket_notification", event.pk)
    return event


def events_write_many(events: list[TicketEvent]) -> list[TicketEvent]:
    """Events on many tickets in a few statements (a major incident's thousands of reports), each one the event
    ``event_write`` would write. Their e-mails are queued on commit, NOTIFY_CHUNK per task, not one task each; the
    outbox sweep sends any a task missed."""
    for event in events:
        event.notify = event.notify and event.public
    created = TicketEvent.objects.bulk_create(events, batch_size=1000)
    notified = [event.pk for event in created if event.notify and event.pk is not None]
    for start in range(0, len(notified), NOTIFY_CHUNK):
        outbox.queue("tickets.tasks.send_ticket_notifications", notified[start : start + NOTIFY_CHUNK])
    return created


def status_set(ticket: Ticket, to: str, *, by, reopened: bool = False) -> TicketEvent:
    previous = ticket.status
    ticket.status = to
    ticket.closed_at = timezone.now() if to not in OPEN_STATUSES else None
    Ticket.objects.filter(pk=ticket.pk).update(status=to, closed_at=ticket.closed_at)
    sla.sla_on_status(ticket, previous)
    data = {"from": previous, "to": to}
    if reopened:
        data["reopened"] = True
    notify = by is None or by.pk != ticket.requester_id
    return event_write(ticket, TicketEventKind.STATUS_CHANGED, actor=by, data=data, notify=notify)
