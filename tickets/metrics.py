"""Service-level figures shown to the people who file incidents (the contact page) and to agents."""

from datetime import timedelta

from django.db.models import Avg, DurationField, ExpressionWrapper, F, OuterRef, Subquery
from django.utils import timezone

from tickets.models import Ticket, TicketEvent, TicketEventKind


def average_first_response(*, days: int = 30) -> timedelta | None:
    """Mean time between an incident being filed and the helpdesk's first public answer, over the incidents filed in
    the last ``days`` days that have one. One query.

    None means "not measured" (no incident answered in the period): a page must then say so rather than show a
    made-up figure.
    """
    first_answer = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=TicketEventKind.REPLIED, public=True)
        .exclude(actor=OuterRef("requester"))
        .order_by("created_at")
        .values("created_at")[:1]
    )
    answered = (
        Ticket.objects.filter(created_at__gte=timezone.now() - timedelta(days=days))
        .annotate(first_answer=Subquery(first_answer))
        .filter(first_answer__isnull=False)
    )
    delay = ExpressionWrapper(F("first_answer") - F("created_at"), output_field=DurationField())
    return answered.aggregate(average=Avg(delay))["average"]
