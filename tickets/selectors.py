"""Read-only queries shared by the pages and the API."""

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from kb.selectors import known_error_texts
from tickets.models import (
    MajorIncident,
    MajorIncidentAffected,
    MajorIncidentStatus,
    PhishingReport,
    ProblemType,
    Ticket,
)
from tickets.models.major import SHOWN_STATUSES

KNOWN_ERRORS_MAX = 300


def active_problem_types():
    return ProblemType.objects.filter(is_active=True)


def known_error_messages(*, user, language: str, extra=()) -> list[str]:
    """The exact error messages the knowledge base knows, for the error field's suggestions list. One query."""
    seen = dict.fromkeys(message.strip() for message in extra if message.strip())
    seen.update(dict.fromkeys(known_error_texts(user=user, language=language)))
    return sorted(seen, key=str.casefold)[:KNOWN_ERRORS_MAX]


def requester_tickets(user):
    """The person's own incidents for their list: only what a row shows, problem type joined (no query per row)."""
    return (
        Ticket.objects.filter(requester=user)
        .select_related("problem_type")
        .only(
            "reference",
            "status",
            "title",
            "data",
            "created_at",
            "updated_at",
            "closed_at",
            "problem_type__name_fr",
            "problem_type__name_en",
        )
        .order_by("-updated_at", "-pk")
    )


def affected_incidents(user) -> list[MajorIncident]:
    return [
        row.incident
        for row in MajorIncidentAffected.objects.filter(user=user)
        .select_related("incident")
        .order_by("-incident__opened_at")[:20]
    ]


def campaign_counts(report: PhishingReport) -> dict:
    """How many reports share this report's campaign: in all, and from people other than its requester."""
    same = PhishingReport.objects.filter(campaign_key=report.campaign_key)
    counts = same.aggregate(
        total=Count("pk"),
        others=Count("ticket__requester", filter=~Q(ticket__requester=report.ticket.requester_id), distinct=True),
    )
    return {"total": counts["total"], "others": counts["others"]}


def incidents_for(user):
    """The major incidents ``user`` handles, with their counts, proposals first, then ongoing, then the others."""
    order = Case(
        When(status=MajorIncidentStatus.PROPOSED, then=Value(0)),
        When(status__in=SHOWN_STATUSES, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        MajorIncident.objects.visible_to(user)
        .select_related("problem_type")
        .annotate(
            linked_count=_count(Ticket.objects.filter(major_incident=OuterRef("pk")), "major_incident"),
            affected_count=_count(MajorIncidentAffected.objects.filter(incident=OuterRef("pk")), "incident"),
            rank=order,
        )
        .order_by("rank", "-opened_at", "-pk")
    )


def _count(rows, by: str):
    # A subquery each: counting over a join of thousands of tickets with thousands of affected people would
    # multiply them.
    counted = rows.order_by().values(by).annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
