"""Who works on an incident: queue members take a ticket, or assign it to a colleague of its queue, or give it back.

Only someone who may see the ticket acts on it (``Ticket.objects.visible_to``), and a ticket goes only to an agent
of its queue (or an administrator). Each change is an internal event on the timeline; taking a new ticket also
moves it to "in progress", which the requester hears about.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy

from portal.models import Role
from tickets.models import QueueMembership, Ticket, TicketEventKind, TicketStatus
from tickets.services import _event, _locked, _set_status, _touch


class AssignmentRefused(Exception):
    """The assignment is not allowed; ``str()`` says why, for the agent."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def __str__(self):
        return str(REFUSALS[self.reason])


REFUSALS = {
    "not_agent": gettext_lazy("Only helpdesk agents work on incidents."),
    "not_member": gettext_lazy("This person is not a member of the incident's queue: add them to it first."),
    "done": gettext_lazy("This incident is solved or closed: reopen it before assigning it."),
}


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
    ticket = _locked(ticket)
    if not ticket.is_open:
        raise AssignmentRefused("done")
    previous = ticket.assignee
    if (previous.pk if previous else None) == (to.pk if to else None):
        return ticket
    ticket.assignee = to
    Ticket.objects.filter(pk=ticket.pk).update(assignee=to)
    data = {"from": previous.username if previous else None, "to": to.username if to else None}
    _event(ticket, TicketEventKind.ASSIGNED, actor=by, data=data, public=False)
    if to is not None and ticket.status == TicketStatus.NEW:
        _set_status(ticket, TicketStatus.IN_PROGRESS, by=by)
    _touch(ticket)
    return ticket


def ticket_take(*, ticket: Ticket, by) -> Ticket:
    """``by`` takes the ticket for themselves."""
    return ticket_assign(ticket=ticket, to=by, by=by)
