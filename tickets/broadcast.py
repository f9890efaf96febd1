"""Telling everyone concerned about a major incident: its linked reporters and the people who said "I'm affected
too". And resolving it resolves its linked tickets.

One update (a public message, a status change) becomes an event on every linked open ticket, e-mailed to its
reporter through the ticket outbox, and a MajorIncidentNotice (an outbox row of its own) for every affected person
who has no linked ticket. A person is e-mailed once per update, however many of their tickets are linked. Written
in a few statements whatever the number (bulk inserts), inside the caller's transaction; the e-mails leave on
commit, a few hundred per task, and the sweeps send any a task missed.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from portal.web import outbox
from tickets.models import (
    OPEN_STATUSES,
    MajorIncident,
    MajorIncidentAffected,
    MajorIncidentEvent,
    MajorIncidentNotice,
    MajorIncidentStatus,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from tickets.sla import sla_many_answered
from tickets.timeline import NOTIFY_CHUNK, events_write_many


def incident_broadcast(*, event: MajorIncidentEvent, by) -> int:
    """Tell every linked reporter and affected person about ``event`` (a public update or a status change of a
    public incident). Resolving also solves the linked open tickets, with the event's body as their last reply.
    Returns how many tickets were told."""
    incident = event.incident
    now = timezone.now()
    linked = list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(major_incident=incident, status__in=OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", "status", "requester_id", "requester__language")
    )
    told: set[int] = set()
    events = []
    resolving = incident.status == MajorIncidentStatus.RESOLVED and (event.data or {}).get("to") == "resolved"
    for pk, status, requester_id, language in linked:
        first_for_them = requester_id not in told
        told.add(requester_id)
        if resolving:
            if event.body:
                events.append(_event(pk, TicketEventKind.REPLIED, by=by, now=now, body=event.body, notify=False))
            data = {"from": status, "to": TicketStatus.SOLVED, "major_incident": incident.pk}
            events.append(_event(pk, TicketEventKind.STATUS_CHANGED, by=by, now=now, data=data, notify=first_for_them))
        else:
            data = {"major_incident": incident.pk, "status": incident.status}
            body = event.body or _public_message(incident, language)
            events.append(
                _event(
                    pk, TicketEventKind.MAJOR_INCIDENT_NEWS, by=by, now=now, body=body, data=data, notify=first_for_them
                )
            )
    if linked:
        tickets = Ticket.objects.filter(major_incident=incident, status__in=OPEN_STATUSES)
        sla_many_answered(tickets, now=now, solved=resolving)
        if resolving:
            tickets.update(status=TicketStatus.SOLVED, closed_at=now, updated_at=now)
        else:
            tickets.update(updated_at=now)
        events_write_many(events)
    _notices(event, skip=told, now=now)
    return len(linked)


def _event(ticket_id, kind, *, by, now, body="", data=None, notify=True) -> TicketEvent:
    return TicketEvent(
        ticket_id=ticket_id, kind=kind, actor=by, created_at=now, body=body, data=data or {}, public=True, notify=notify
    )


def _public_message(incident: MajorIncident, language: str) -> str:
    if language == "en" and incident.public_message_en:
        return incident.public_message_en
    return incident.public_message_fr or incident.public_message_en


def _notices(event: MajorIncidentEvent, *, skip: set[int], now) -> None:
    people = (
        MajorIncidentAffected.objects.filter(incident=event.incident_id)
        .exclude(user_id__in=skip)
        .values_list("user_id", flat=True)
    )
    created = MajorIncidentNotice.objects.bulk_create(
        [MajorIncidentNotice(event=event, user_id=user_id, created_at=now) for user_id in people],
        batch_size=1000,
        ignore_conflicts=True,
    )
    if created:
        ids = list(MajorIncidentNotice.objects.filter(event=event, notified_at=None).values_list("pk", flat=True))
        for start in range(0, len(ids), NOTIFY_CHUNK):
            outbox.queue("tickets.tasks.send_major_incident_notices", ids[start : start + NOTIFY_CHUNK])


# --- Delivery ----------------------------------------------------------------------------------------------------


def deliver_notice(notice_id: int) -> bool:
    """Claim one notice and e-mail its person; False when already sent or nobody to send to. Idempotent."""
    return outbox.deliver(MajorIncidentNotice, notice_id, messages=_messages, related=("user", "event__incident"))


def _messages(notice: MajorIncidentNotice) -> list:
    person = notice.user
    if not person.email or not person.is_active:
        return []
    return [
        outbox.make_message(
            "major-incident-notice",
            to=[person.email],
            language=person.language or settings.LANGUAGE_CODE,
            context=lambda: _context(notice, person),
        )
    ]


def _context(notice: MajorIncidentNotice, person) -> dict:
    event = notice.event
    incident = event.incident
    status = (event.data or {}).get("to") or incident.status
    return {
        "name": person.get_short_name(),
        "title": incident.title,
        "status": MajorIncidentStatus(status).label if status in MajorIncidentStatus.values else "",
        "resolved": status == MajorIncidentStatus.RESOLVED,
        "message": event.body or incident.public_message,
        "url": settings.SITE_URL + reverse("tickets:mine"),
    }
