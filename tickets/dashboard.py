"""The helpdesk's dashboard: what is open where, what came in over the last day, SLA breaches, the error messages
people meet most (told apart regardless of case and spaces), and the incidents the knowledge base spared.

Every figure is one grouped query over an indexed range (open tickets by queue and status, a day of filings, a
fortnight of breach events, a week of error messages, a month of "this solved it"), never a scan of history in
Python, and the figures are shared through the cache for FIGURES_SECONDS by everyone who works the same queues.
The labels (queue and problem type names, in the reader's language) are put on at display time.
"""

import datetime

from django.core.cache import cache
from django.db.models import Count, Min
from django.db.models.fields.json import KT
from django.db.models.functions import Lower, Trim, TruncDate, TruncHour
from django.utils import timezone

from tickets.models import (
    OPEN_STATUSES,
    Deflection,
    SlaState,
    Ticket,
    TicketEvent,
    TicketEventKind,
)

FIGURES_SECONDS = 60
HOURS = 24
BREACH_DAYS = 14
ERROR_DAYS = 7
DEFLECTION_DAYS = 30
TOP = 10


def dashboard_figures(queue_ids: list[int]) -> dict:
    """The raw figures for the tickets of ``queue_ids``, from the cache when someone asked within the last minute."""
    ids = sorted(queue_ids)
    key = "tickets:dashboard:" + ",".join(map(str, ids))
    figures = cache.get(key)
    if figures is None:
        figures = _figures(ids, now=timezone.now())
        cache.set(key, figures, FIGURES_SECONDS)
    return figures


def _figures(queue_ids: list[int], *, now) -> dict:
    tickets = Ticket.objects.filter(queue_id__in=queue_ids)
    zone = timezone.get_current_timezone()
    this_hour = timezone.localtime(now, zone).replace(minute=0, second=0, microsecond=0)
    first_hour = this_hour - datetime.timedelta(hours=HOURS - 1)
    today = timezone.localdate(now, zone)

    open_counts = list(
        tickets.filter(status__in=OPEN_STATUSES).values_list("queue_id", "status").annotate(count=Count("pk"))
    )
    attention = list(
        tickets.filter(status__in=OPEN_STATUSES, sla_state__in=[SlaState.AT_RISK, SlaState.BREACHED])
        .values_list("queue_id", "sla_state")
        .annotate(count=Count("pk"))
    )
    incoming = list(
        tickets.filter(created_at__gte=first_hour)
        .annotate(hour=TruncHour("created_at", tzinfo=zone))
        .values_list("hour", "problem_type_id")
        .annotate(count=Count("pk"))
    )
    first_day = today - datetime.timedelta(days=BREACH_DAYS - 1)
    breaches = list(
        TicketEvent.objects.filter(
            kind=TicketEventKind.SLA_BREACHED,
            ticket__queue_id__in=queue_ids,
            created_at__gte=datetime.datetime.combine(first_day, datetime.time.min, tzinfo=zone),
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values_list("day")
        .annotate(count=Count("pk"))
    )
    errors = list(
        tickets.filter(created_at__gte=now - datetime.timedelta(days=ERROR_DAYS))
        .annotate(error=Lower(Trim(KT("data__error_message"))))
        .exclude(error__isnull=True)
        .exclude(error="")
        .values("error")
        .annotate(count=Count("pk"), example=Min(Trim(KT("data__error_message"))))
        .order_by("-count", "error")
        .values_list("example", "count")[:TOP]
    )
    spared = Deflection.objects.filter(
        problem_type__queue_id__in=queue_ids, created_at__gte=now - datetime.timedelta(days=DEFLECTION_DAYS)
    )
    deflections = list(
        spared.values_list("article__title", "article__slug", "article__language")
        .annotate(count=Count("pk"))
        .order_by("-count", "article__title")[:TOP]
    )
    return {
        "open": open_counts,
        "attention": attention,
        "incoming": [(hour.isoformat(), problem_type, count) for hour, problem_type, count in incoming],
        "first_hour": first_hour.isoformat(),
        "breaches": [(day.isoformat(), count) for day, count in breaches],
        "first_day": first_day.isoformat(),
        "errors": errors,
        "deflections": deflections,
        "deflection_total": spared.count(),
    }
