"""Merging a duplicate into the incident where the case goes on.

The duplicate is closed with a public message saying where the case continues (without saying who filed the other
one when it is someone else's), and the incident kept gets an internal event naming the duplicate. Only an agent of
both queues merges, and only into an open incident they may see; a target that was itself merged leads to where it
went.
"""

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from tickets.assignment import may_work_on
from tickets.models import REFERENCE_PATTERN, Ticket, TicketEventKind, TicketStatus
from tickets.timeline import ReasonedRefusal, event_write, status_set, ticket_locked, ticket_touch

# A chain of merges is followed this far at most (each link is a duplicate closed into the next).
CHAIN_MAX = 20


REFUSALS = {
    "unknown": gettext_lazy("No incident you may see has this reference."),
    "self": gettext_lazy("An incident cannot be merged into itself."),
    "done": gettext_lazy("This incident is solved or closed: only open incidents are merged."),
    "target_done": gettext_lazy("The incident to merge into is solved or closed: reopen it, or choose another one."),
    "not_member": gettext_lazy("Only an agent of the incident's queue merges it."),
    "target_not_member": gettext_lazy("The incident to merge into is not in your queues."),
}


class MergeRefused(ReasonedRefusal):
    """The merge is not allowed."""

    REFUSALS = REFUSALS


def merge_target(*, reference: str, by) -> Ticket:
    """The incident an agent names to merge into. MergeRefused("unknown") when there is none they may see: a
    reference of another queue answers like one that does not exist."""
    reference = (reference or "").strip().upper()
    if not REFERENCE_PATTERN.match(reference):
        raise MergeRefused("unknown")
    target = Ticket.objects.visible_to(by).filter(reference=reference).first()
    if target is None:
        raise MergeRefused("unknown")
    return target


def _chain_end(into: Ticket, *, by) -> Ticket:
    """Where merges starting at ``into`` end: an incident merged into another leads to that one."""
    for _link in range(CHAIN_MAX):
        if into.merged_into_id is None:
            return into
        following = Ticket.objects.visible_to(by).filter(pk=into.merged_into_id).first()
        if following is None:
            raise MergeRefused("unknown")
        into = following
    raise MergeRefused("target_done")


@transaction.atomic
def ticket_merge(*, ticket: Ticket, into: Ticket, by) -> Ticket:
    """Close ``ticket`` as a duplicate of ``into`` (or of the incident ``into`` was itself merged into).

    The duplicate's requester is told, publicly and by e-mail, where the case continues; the kept incident gets an
    internal event naming the duplicate and its requester. Raises MergeRefused and changes nothing when the merge
    does not apply."""
    if not may_work_on(by, ticket):
        raise MergeRefused("not_member")
    into = Ticket.objects.visible_to(by).filter(pk=into.pk).first()  # read again: it may have been merged since
    if into is None:
        raise MergeRefused("unknown")
    into = _chain_end(into, by=by)
    if into.pk == ticket.pk:
        raise MergeRefused("self")
    if not may_work_on(by, into):
        raise MergeRefused("target_not_member")
    # Both rows locked, always in the same order, so two opposite merges cannot deadlock or cross.
    locked = {row.pk: ticket_locked(row) for row in sorted((ticket, into), key=lambda row: row.pk)}
    ticket, into = locked[ticket.pk], locked[into.pk]
    if not ticket.is_open:
        raise MergeRefused("done")
    if not into.is_open or into.merged_into_id is not None:
        raise MergeRefused("target_done")

    same_requester = ticket.requester_id == into.requester_id
    with translation.override(ticket.requester.language or settings.LANGUAGE_CODE):
        if same_requester:
            body = gettext(
                "You reported this problem twice: the helpdesk goes on with it in your incident %(reference)s, "
                "and closed this one."
            )
        else:
            body = gettext(
                "The same problem is handled in another incident, %(reference)s, reported by someone else: the "
                "helpdesk closed this one. If the problem is still there for you afterwards, report a new incident."
            )
    data = {"into": into.reference, "same_requester": same_requester}
    event_write(
        ticket, TicketEventKind.MERGED, actor=by, body=body % {"reference": into.reference}, data=data, notify=True
    )
    ticket.merged_into = into
    Ticket.objects.filter(pk=ticket.pk).update(merged_into=into)
    status_set(ticket, TicketStatus.CLOSED, by=by)
    merged = {"merged": ticket.reference, "requester": ticket.requester.username}
    event_write(into, TicketEventKind.MERGED_IN, actor=by, data=merged, public=False)
    ticket_touch(ticket)
    ticket_touch(into)
    return ticket
