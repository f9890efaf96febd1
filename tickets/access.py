"""Who may see which incident (object-level access), in one place for the pages, the downloads and the API.

A requester sees only their own incidents; agents and admins see all of them (their sessions have proved a second
factor: portal.identity.middleware). Someone else's reference answers 404 exactly like a reference that does not
exist, so references cannot be probed.
"""

from django.http import Http404

from tickets.models import REFERENCE_PATTERN, Ticket


def ticket_for(user, reference: str, *, queryset=None) -> Ticket:
    """The ticket with this reference if ``user`` may see it; Http404 otherwise (never 403)."""
    if not isinstance(reference, str) or not REFERENCE_PATTERN.match(reference):
        raise Http404
    tickets = (queryset if queryset is not None else Ticket.objects.all()).visible_to(user)
    try:
        return tickets.select_related("problem_type", "requester", "queue", "assignee", "major_incident").get(
            reference=reference
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def ticket_to_work_on(user, reference: str) -> Ticket:
    """The ticket if ``user`` works its queue (an agent of it, or an administrator); Http404 otherwise, even for a
    ticket they filed themselves in a queue that is not theirs."""
    from tickets.assignment import may_work_on

    ticket = ticket_for(user, reference)
    if not may_work_on(user, ticket):
        raise Http404
    return ticket
