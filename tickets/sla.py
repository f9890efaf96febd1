"""SLAs: how soon each ticket must get its first public answer and be solved, counted in its queue's business hours.

At filing, ``sla_start`` picks the target (tickets.SlaTarget: the problem type's for the priority, else the
priority's general one) and sets both due instants. The clock runs while the ticket is received or in progress,
and stops while it waits on the requester or is solved: the business minutes spent stopped are added to the
target when it runs again (``sla_on_status``), so a due instant is always the filing moment plus target plus pauses,
in business time. An agent changing the priority re-targets the ticket (``sla_retarget``); the job's own escalation
does not, so a breach cannot move its own deadline.

Each running ticket carries ``sla_next_check``: when it becomes at risk (GUICHET_SLA_AT_RISK_PERCENT of a target left),
then when it is due. The periodic job (``sla_sweep``) reads only tickets whose check has come, under a row lock
that skips rows another run holds, and moves each forward once: at risk, then breached (the priority goes up one
step and the queue's lead and the assignee are e-mailed). Running it twice, or two at once, changes nothing more.
"""

import datetime
import functools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets import desk_cache
from tickets.business_time import AROUND_THE_CLOCK, BusinessClock, public_holidays
from tickets.models import (
    BusinessHours,
    Priority,
    Queue,
    SlaState,
    SlaTarget,
    Ticket,
    TicketEventKind,
    TicketStatus,
)

log = logging.getLogger(__name__)

RUNNING_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS)
ESCALATION = {Priority.LOW: Priority.NORMAL, Priority.NORMAL: Priority.HIGH, Priority.HIGH: Priority.URGENT}

# --- Calendars ---------------------------------------------------------------------------------------------------


def closed_days_parse(text: str) -> frozenset[datetime.date]:
    """The dates of a calendar's "other closed days", one ISO date per line; ValueError names a bad line."""
    days = set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            days.add(datetime.date.fromisoformat(line))
        except ValueError:
            raise ValueError(_("“%(line)s” is not a date such as 2026-05-15.") % {"line": line[:40]}) from None
    return frozenset(days)


def _clock_rows() -> dict:
    """queue id -> (holiday region, closed days text, [(weekday, opens, closes)]), for every queue with a calendar;
    two queries, then kept in each process with the workspace's catalogue (tickets.desk_cache), which a change of a
    calendar, its hours or a queue drops."""
    return desk_cache.CATALOGUE.kept("clock-rows", _clock_rows_read, store=desk_cache.CLOCK_ROWS)


def _clock_rows_read() -> dict:
    hours: dict[int, list] = {}
    for row in BusinessHours.objects.order_by("weekday", "opens"):
        hours.setdefault(row.calendar_id, []).append((row.weekday, row.opens, row.closes))
    return {
        queue_id: (region, closed, hours.get(calendar_id, []))
        for queue_id, calendar_id, region, closed in Queue.objects.filter(calendar__isnull=False).values_list(
            "pk", "calendar_id", "calendar__holiday_region", "calendar__closed_days"
        )
    }


class Clocks:
    """The business clock of each queue, built once per request or job run from the cached rows."""

    def __init__(self):
        self._rows = _clock_rows()
        self._built: dict[int, BusinessClock | None] = {}

    def for_queue(self, queue_id: int) -> BusinessClock:
        if queue_id not in self._built:
            row = self._rows.get(queue_id)
            self._built[queue_id] = _clock_of(*row[:2], tuple(row[2]), timezone.localdate().year) if row else None
        return self._built[queue_id] or AROUND_THE_CLOCK


@functools.lru_cache(maxsize=64)
def _clock_of(region: str, closed_text: str, intervals: tuple, year: int) -> BusinessClock | None:
    """A clock from a calendar's rows, kept by the process: the same rows always make the same clock, so a changed
    calendar (new rows in the shared cache) simply makes another one."""
    if not intervals:
        return None
    hours: dict[int, list] = {}
    for weekday, opens, closes in intervals:
        hours.setdefault(weekday, []).append((opens, closes))
    try:
        closed = closed_days_parse(closed_text)
    except ValueError:
        closed = frozenset()
    closed |= public_holidays(region, range(year - 1, year + 3))
    return BusinessClock(hours={day: tuple(spans) for day, spans in hours.items()}, closed=closed)


# --- The ticket's clock ------------------------------------------------------------------------------------------


def target_for(ticket: Ticket) -> SlaTarget | None:
    targets = list(
        SlaTarget.objects.filter(
            Q(problem_type_id=ticket.problem_type_id) | Q(problem_type__isnull=True), priority=ticket.priority
        )
    )
    own = [target for target in targets if target.problem_type_id == ticket.problem_type_id]
    return (own or targets or [None])[0]


def _pending(ticket: Ticket) -> list[tuple[datetime.datetime, str]]:
    """The due instants still to meet, each with the name of its target."""
    pending = []
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        pending.append((ticket.first_response_due, "first_response_minutes"))
    if ticket.resolution_due is not None:
        pending.append((ticket.resolution_due, "resolution_minutes"))
    return pending


@dataclass(frozen=True)
class Reading:
    """A ticket against its targets at one moment: the state, and when the state would next change."""

    state: str
    next_check: datetime.datetime | None
    # Business minutes left before the nearest pending due instant (negative once passed); None without target.
    minutes_left: float | None
    due: datetime.datetime | None


def read(ticket: Ticket, *, clock: BusinessClock, target: SlaTarget | None = None, now=None) -> Reading:
    """Where ``ticket`` stands now. ``target`` defaults to the ticket's own (one query when not loaded)."""
    now = now or timezone.now()
    if ticket.first_response_due is None and ticket.resolution_due is None:
        return Reading(SlaState.NONE, None, None, None)
    target = target or ticket.sla_target
    pending = [(due, getattr(target, name) if target else 0) for due, name in _pending(ticket)]
    if ticket.status not in RUNNING_STATUSES:
        # Stopped (waiting, solved): nothing moves until it runs again.
        left = min(clock.minutes_between(ticket.sla_paused_at or now, due) for due, _minutes in pending)
        state = ticket.sla_state or SlaState.OK
        if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED) and state != SlaState.BREACHED:
            state = SlaState.MET
        return Reading(state, None, left, min(due for due, _minutes in pending))
    fraction = settings.GUICHET_SLA_AT_RISK_PERCENT / 100
    state, next_check, nearest = SlaState.OK, None, None
    for due, minutes in pending:
        left = clock.minutes_between(now, due)
        if nearest is None or left < nearest[0]:
            nearest = (left, due)
        if left <= 0:
            state = SlaState.BREACHED
            continue
        margin = fraction * minutes
        if left <= margin:
            if state != SlaState.BREACHED:
                state = SlaState.AT_RISK
            check = due
        else:
            check = clock.add(now, left - margin)
        next_check = check if next_check is None else min(next_check, check)
    if ticket.sla_state == SlaState.BREACHED:
        state = SlaState.BREACHED
    if state == SlaState.BREACHED:
        next_check = None
    return Reading(state, next_check, nearest[0], nearest[1])


@dataclass(frozen=True)
class Countdown:
    """What a list row shows: the state the job stored, and the business time left before the nearest due instant
    (negative once passed), or that the clock is stopped."""

    state: str
    minutes_left: float | None
    due: datetime.datetime | None
    stopped: bool

    @property
    def label(self) -> str:
        if self.minutes_left is None:
            return ""
        if self.stopped:
            return gettext("paused")
        if self.minutes_left < 0:
            return gettext("overdue by %(time)s") % {"time": duration_text(-self.minutes_left)}
        return gettext("%(time)s left") % {"time": duration_text(self.minutes_left)}


def countdown(ticket: Ticket, *, clock: BusinessClock, now) -> Countdown:
    """The row's countdown; no query (the row needs its due instants, status, first answer and state)."""
    pending = _pending(ticket)
    if not pending:
        return Countdown(ticket.sla_state, None, None, stopped=False)
    due = min(due for due, _name in pending)
    stopped = ticket.status not in RUNNING_STATUSES
    return Countdown(ticket.sla_state, clock.minutes_between(now, due), due, stopped=stopped)


def ticket_countdown(ticket: Ticket) -> Countdown:
    """The countdown of one ticket, for its page."""
    return countdown(ticket, clock=Clocks().for_queue(ticket.queue_id), now=timezone.now())


def countdowns_attach(rows) -> None:
    """Give each ticket of a page its ``countdown``, with one clock per queue."""
    clocks, now = Clocks(), timezone.now()
    for ticket in rows:
        ticket.countdown = countdown(ticket, clock=clocks.for_queue(ticket.queue_id), now=now)


def duration_text(minutes: float) -> str:
    """Business time as people read it on a row: "35 min", "2 h 05", "26 h"."""
    minutes = int(minutes)
    if minutes < 60:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    hours, rest = divmod(minutes, 60)
    if not rest:
        return gettext("%(hours)d h") % {"hours": hours}
    return gettext("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": rest}


def _dues(ticket: Ticket, target: SlaTarget | None, clock: BusinessClock) -> dict:
    if target is None:
        return {"first_response_due": None, "resolution_due": None}
    paused = ticket.sla_paused_minutes
    return {
        "first_response_due": clock.add(ticket.created_at, target.first_response_minutes + paused),
        "resolution_due": clock.add(ticket.created_at, target.resolution_minutes + paused),
    }


def _save(ticket: Ticket, **fields) -> None:
    for name, value in fields.items():
        setattr(ticket, name, value)
    Ticket.objects.filter(pk=ticket.pk).update(**fields)


def _settle(ticket: Ticket, *, clock: BusinessClock, target: SlaTarget | None, **fields) -> Reading:
    """Save ``fields`` and the state and next check they lead to."""
    for name, value in fields.items():
        setattr(ticket, name, value)
    reading = read(ticket, clock=clock, target=target)
    _save(ticket, **fields, sla_state=reading.state, sla_next_check=reading.next_check)
    return reading


def sla_start(ticket: Ticket) -> None:
    """At filing: the target and both due instants, inside the filing transaction."""
    ticket.sla_paused_minutes = 0
    sla_retarget(ticket)


def sla_retarget(ticket: Ticket) -> None:
    """An agent changed the priority: the target of the new priority, counted from filing as before."""
    clock = Clocks().for_queue(ticket.queue_id)
    target = target_for(ticket)
    _settle(ticket, clock=clock, target=target, sla_target=target, **_dues(ticket, target, clock))


def sla_on_status(ticket: Ticket, previous: str) -> None:
    """The status moved from ``previous``: stop the clock on leaving the running statuses, add the stopped time
    and run it again on coming back."""
    if ticket.sla_target_id is None and ticket.resolution_due is None:
        return
    was_running, runs = previous in RUNNING_STATUSES, ticket.status in RUNNING_STATUSES
    clock = Clocks().for_queue(ticket.queue_id)
    target = ticket.sla_target
    now = timezone.now()
    if was_running and not runs:
        _settle(ticket, clock=clock, target=target, sla_paused_at=now)
    elif runs and not was_running:
        stopped = clock.minutes_between(ticket.sla_paused_at, now) if ticket.sla_paused_at else 0
        ticket.sla_paused_minutes += max(stopped, 0)
        fields = _dues(ticket, target, clock) if target else {}
        _settle(
            ticket,
            clock=clock,
            target=target,
            sla_paused_at=None,
            sla_paused_minutes=ticket.sla_paused_minutes,
            **fields,
        )


def sla_on_public_reply(ticket: Ticket, *, by) -> None:
    """An agent's first public reply meets the first-response target."""
    if ticket.first_responded_at is not None or by is None or by.pk == ticket.requester_id:
        return
    clock = Clocks().for_queue(ticket.queue_id)
    _settle(ticket, clock=clock, target=ticket.sla_target, first_responded_at=timezone.now())


def sla_many_answered(tickets, *, now, solved: bool) -> None:
    """Many tickets told at once by an agent (a major incident's update): their first response is met; ``solved``
    also stops their clocks, as the solved status does one by one. Two statements, whatever the count."""
    tickets.filter(first_responded_at__isnull=True).update(first_responded_at=now)
    if solved:
        tickets.filter(sla_state__in=[SlaState.OK, SlaState.AT_RISK]).update(sla_state=SlaState.MET)
        tickets.update(sla_next_check=None, sla_paused_at=now)
    else:
        # A first response met may leave only the resolution pending: the job reads each ticket again.
        tickets.exclude(sla_state=SlaState.BREACHED).exclude(sla_next_check=None).update(sla_next_check=now)


# --- The job -----------------------------------------------------------------------------------------------------

BATCH = 500


def sla_sweep(*, now=None) -> dict:
    """Move every ticket whose check has come to its new state, with its events and escalation. Returns the counts
    (items looked at, actions taken) for the job's record."""
    from tickets.timeline import event_write

    now = now or timezone.now()
    clocks = Clocks()
    looked = changed = 0
    while True:
        ids = list(
            Ticket.objects.filter(sla_next_check__lte=now, status__in=RUNNING_STATUSES)
            .order_by("sla_next_check")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        for pk in ids:
            looked += 1
            with transaction.atomic():
                ticket = (
                    Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("sla_target")
                    .filter(pk=pk, sla_next_check__lte=now, status__in=RUNNING_STATUSES)
                    .first()
                )
                if ticket is None:
                    continue
                before = ticket.sla_state
                reading = read(ticket, clock=clocks.for_queue(ticket.queue_id), target=ticket.sla_target, now=now)
                _save(ticket, sla_state=reading.state, sla_next_check=reading.next_check)
                if reading.state == before:
                    continue
                changed += 1
                data = {"due": reading.due.isoformat() if reading.due else None, "from": before}
                if reading.state == SlaState.AT_RISK:
                    event_write(ticket, TicketEventKind.SLA_AT_RISK, actor=None, data=data, public=False)
                elif reading.state == SlaState.BREACHED:
                    _escalate(ticket, data=data)
        if len(ids) < BATCH:
            break
    return {"items": looked, "actions": changed}


def _escalate(ticket: Ticket, *, data: dict) -> None:
    """A breach: one step up in priority and an e-mail to the queue's lead and the assignee."""
    from tickets.services import ticket_priority_change
    from tickets.timeline import event_write

    raised = ESCALATION.get(ticket.priority)
    data = {**data, "priority_from": ticket.priority, "priority_to": raised or ticket.priority}
    event_write(ticket, TicketEventKind.SLA_BREACHED, actor=None, data=data, public=False, notify=True)
    if raised:
        ticket_priority_change(ticket=ticket, priority=raised, by=None, retarget=False)
    log.info("SLA breached on %s; priority %s", ticket.reference, raised or ticket.priority)
