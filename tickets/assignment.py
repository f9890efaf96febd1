"""Who works on an incident: queue members take a ticket, or assign it to a colleague of its queue, or give it back;
and the queue's assignment rules give each new ticket to someone as it is filed, whatever the channel.

Only someone who may see the ticket acts on it (``Ticket.objects.visible_to``), and a ticket goes only to an agent
of its queue (or an administrator). Each change is an internal event on the timeline; taking a new ticket also
moves it to "in progress", which the requester hears about.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.models import Role
from tickets.models import AssignmentMode, AssignmentRule, QueueMembership, Ticket, TicketEventKind, TicketStatus
from tickets.timeline import ReasonedRefusal, event_write, status_set, ticket_locked, ticket_touch

REFUSALS = {
    "not_agent": gettext_lazy("Only helpdesk agents work on incidents."),
    "not_member": gettext_lazy("This person is not a member of the incident's queue: add them to it first."),
    "done": gettext_lazy("This incident is solved or closed: reopen it before assigning it."),
    "unknown": gettext_lazy("Choose a member of the incident's queue."),
}


class AssignmentRefused(ReasonedRefusal):
    """The assignment is not allowed."""

    REFUSALS = REFUSALS


def assignee_named(username: str):
    """The active person an agent names to give a ticket to, or None for "" (back to the queue). Raises
    AssignmentRefused when nobody active has that identifier; whether they may take the ticket is ticket_assign's
    to say."""
    if not username:
        return None
    person = get_user_model().objects.filter(username=username, is_active=True).first()
    if person is None:
        raise AssignmentRefused("unknown")
    return person


def may_work_on(user, ticket: Ticket) -> bool:
    """An administrator, or an agent of the ticket's queue."""
    if not getattr(user, "is_agent", False):
        return False
    return user.is_admin or QueueMembership.objects.filter(queue_id=ticket.queue_id, user=user).exists()


def assignable_agents(ticket: Ticket):
    """Who the ticket may go to: the active agents of its queue and the administrators, by name."""
    return (
        get_user_model()
        .objects.filter(Q(role=Role.ADMIN) | Q(queue_memberships__queue_id=ticket.queue_id, role=Role.AGENT))
        .filter(is_active=True)
        .distinct()
        .order_by("display_name", "username")
    )


@transaction.atomic
def ticket_assign(*, ticket: Ticket, to, by) -> Ticket:
    """``by`` gives ``ticket`` to ``to`` (an agent of its queue, or an administrator), or back to the queue when
    ``to`` is None. Assigning a ticket to whom it already belongs changes nothing and writes nothing."""
    if not may_work_on(by, ticket):
        raise AssignmentRefused("not_agent" if not getattr(by, "is_agent", False) else "not_member")
    if to is not None and not may_work_on(to, ticket):
        raise AssignmentRefused("not_member")
    ticket = ticket_locked(ticket)
    if not ticket.is_open:
        raise AssignmentRefused("done")
    previous = ticket.assignee
    if (previous.pk if previous else None) == (to.pk if to else None):
        return ticket
    ticket.assignee = to
    Ticket.objects.filter(pk=ticket.pk).update(assignee=to)
    data = {"from": previous.username if previous else None, "to": to.username if to else None}
    event_write(ticket, TicketEventKind.ASSIGNED, actor=by, data=data, public=False)
    if to is not None and ticket.status == TicketStatus.NEW:
        status_set(ticket, TicketStatus.IN_PROGRESS, by=by)
    ticket_touch(ticket)
    return ticket


def ticket_take(*, ticket: Ticket, by) -> Ticket:
    """``by`` takes the ticket for themselves."""
    return ticket_assign(ticket=ticket, to=by, by=by)


def _rule_for(ticket: Ticket) -> AssignmentRule | None:
    """The active rule of the ticket's queue for its problem type, else the queue's general rule."""
    rules = AssignmentRule.objects.filter(queue_id=ticket.queue_id, is_active=True).filter(
        Q(problem_type_id=ticket.problem_type_id) | Q(problem_type__isnull=True)
    )
    return min(rules, key=lambda rule: rule.problem_type_id is None, default=None)


def _next_in_turn(queue_id: int) -> QueueMembership | None:
    """The available member of the queue who has waited longest for a ticket. Rows another filing holds are
    skipped (PostgreSQL), so simultaneous filings go to different people instead of queueing for one lock."""
    members = (
        QueueMembership.objects.filter(queue_id=queue_id, is_available=True, user__is_active=True)
        .filter(Q(user__role=Role.AGENT) | Q(user__role=Role.ADMIN))
        .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
    )
    return members.select_for_update(skip_locked=True, of=("self",)).first() or members.first()


def ticket_auto_assign(*, ticket: Ticket) -> Ticket:
    """Apply the queue's assignment rule to a ticket just filed (inside the filing's transaction). The status
    stays "received": nobody has started on it yet. Without a rule, or nobody available, the ticket waits."""
    rule = _rule_for(ticket)
    if rule is None:
        return ticket
    if rule.mode == AssignmentMode.OWNER:
        member = QueueMembership.objects.filter(
            queue_id=ticket.queue_id, user_id=rule.owner_id, user__is_active=True
        ).first()
    else:
        member = _next_in_turn(ticket.queue_id)
    if member is None:
        return ticket
    QueueMembership.objects.filter(pk=member.pk).update(last_assigned_at=timezone.now())
    Ticket.objects.filter(pk=ticket.pk).update(assignee_id=member.user_id)
    ticket.assignee_id = member.user_id
    data = {"from": None, "to": member.user.username, "rule": rule.pk}
    event_write(ticket, TicketEventKind.ASSIGNED, actor=None, data=data, public=False)
    return ticket
