"""The dashboard page: the figures of tickets.dashboard for the agent's queues, each chart beside its table."""

import datetime

from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.identity.decorators import agent_required
from tickets.charts import Series, stacked_bars, stacked_columns
from tickets.dashboard import BREACH_DAYS, HOURS, dashboard_figures
from tickets.models import OPEN_STATUSES, ProblemType, SlaState, TicketStatus
from tickets.worklist import member_queues

# Problem types drawn one by one in the incoming chart; the others are summed as "other".
INCOMING_SERIES = 5


@never_cache
@require_GET
@agent_required
def dashboard_view(request):
    queues = [queue for queue in member_queues(request.user) if queue.is_active]
    figures = dashboard_figures([queue.pk for queue in queues])
    context = {
        "open": _open_section(queues, figures),
        "incoming": _incoming_section(figures),
        "breaches": _breach_section(figures),
        "errors": figures["errors"],
        "deflections": [
            {"title": title, "url": _article_url(slug, language), "count": count}
            for title, slug, language, count in figures["deflections"]
        ],
        "deflection_total": figures["deflection_total"],
    }
    return render(request, "tickets/desk/dashboard.html", context)


def _article_url(slug: str, language: str) -> str:
    with translation.override(language):
        return reverse("kb:article", kwargs={"slug": slug})


def _open_section(queues, figures) -> dict:
    counts = {(queue_id, status): count for queue_id, status, count in figures["open"]}
    attention = {(queue_id, state): count for queue_id, state, count in figures["attention"]}
    statuses = [TicketStatus(status) for status in OPEN_STATUSES]
    rows = [
        {
            "queue": queue,
            "counts": [counts.get((queue.pk, status), 0) for status in statuses],
            "total": sum(counts.get((queue.pk, status), 0) for status in statuses),
            "at_risk": attention.get((queue.pk, SlaState.AT_RISK), 0),
            "breached": attention.get((queue.pk, SlaState.BREACHED), 0),
            "link": f"{reverse('desk:queue')}?queue={queue.pk}",
        }
        for queue in queues
    ]
    chart = stacked_bars(
        label=gettext("Open incidents per queue and status; figures in the table."),
        categories=[queue.name for queue in queues],
        series=[Series(status.label, [row["counts"][index] for row in rows]) for index, status in enumerate(statuses)],
    )
    return {"statuses": statuses, "rows": rows, "chart": chart}


def _incoming_section(figures) -> dict:
    first = datetime.datetime.fromisoformat(figures["first_hour"])
    hours = [first + datetime.timedelta(hours=offset) for offset in range(HOURS)]
    index = {hour.isoformat(): position for position, hour in enumerate(hours)}
    by_type: dict[int, list[int]] = {}
    for hour, problem_type, count in figures["incoming"]:
        position = index.get(datetime.datetime.fromisoformat(hour).astimezone(first.tzinfo).isoformat())
        if position is not None:
            by_type.setdefault(problem_type, [0] * HOURS)[position] += count
    names = {pk: problem_type.name for pk, problem_type in ProblemType.objects.in_bulk(list(by_type)).items()}
    ranked = sorted(by_type, key=lambda pk: (-sum(by_type[pk]), names.get(pk, "")))
    series = [Series(names.get(pk, "?"), by_type[pk]) for pk in ranked[:INCOMING_SERIES]]
    rest = ranked[INCOMING_SERIES:]
    if rest:
        series.append(Series(gettext("Other"), [sum(by_type[pk][hour] for pk in rest) for hour in range(HOURS)]))
    labels = [formats.time_format(timezone.localtime(hour), "H\\h") for hour in hours]
    chart = stacked_columns(
        label=gettext(
            "Incidents filed per hour over the last 24 hours, by problem type; the figures are in the table."
        ),
        categories=labels,
        series=series,
        every=3,
    )
    rows = [
        {
            "hour": hour,
            "counts": [one.values[position] for one in series],
            "total": sum(one.values[position] for one in series),
        }
        for position, hour in enumerate(hours)
    ]
    return {"series": series, "rows": rows, "chart": chart, "total": sum(row["total"] for row in rows)}


def _breach_section(figures) -> dict:
    first = datetime.date.fromisoformat(figures["first_day"])
    days = [first + datetime.timedelta(days=offset) for offset in range(BREACH_DAYS)]
    counts = {datetime.date.fromisoformat(day): count for day, count in figures["breaches"]}
    values = [counts.get(day, 0) for day in days]
    chart = stacked_columns(
        label=gettext("SLA breaches per day over the last 14 days; figures in the table."),
        categories=[formats.date_format(day, "d/m") for day in days],
        series=[Series(gettext("Breaches"), values)],
        every=2,
    )
    return {"rows": list(zip(days, values, strict=True)), "chart": chart, "total": sum(values)}
