"""The agents' queue view: the tickets an agent may see, filtered, sorted and cut into pages by keyset.

``worklist_page`` runs a fixed number of statements whatever the page size or the page: the rows (with their
problem type, queue, requester and assignee joined), and nothing per row. Pages are cut by keyset, never by
OFFSET: the cursor is the sort value and the id of the last row shown, so page 50 costs what page 1 costs and a
ticket filed meanwhile neither repeats nor hides a row. The sort orders are those an index serves.
"""

import base64
import binascii
import datetime
from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Role
from tickets.models import (
    OPEN_STATUSES,
    Priority,
    ProblemType,
    Queue,
    QueueMembership,
    SlaState,
    Ticket,
    TicketStatus,
)

PAGE_SIZES = (25, 50, 100)

# name -> (label, field, descending)
SORTS = {
    "newest": (_("Newest first"), "created_at", True),
    "oldest": (_("Oldest first"), "created_at", False),
    "active": (_("Latest activity first"), "updated_at", True),
    "stale": (_("Longest without activity first"), "updated_at", False),
}

SLA_ATTENTION = "attention"
ASSIGNEE_MINE = "mine"
ASSIGNEE_NOBODY = "nobody"


def agent_queues(user):
    """The active queues ``user`` works in (every one for an administrator), by name."""
    queues = Queue.objects.filter(is_active=True)
    if not user.is_admin:
        queues = queues.filter(pk__in=QueueMembership.objects.queue_ids(user))
    return queues.order_by("name_fr")


class WorklistFilter(forms.Form):
    """The queue view's filters, all optional, in the query string (a filtered list is a link one can share)."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("Search"),
        help_text=_("A reference (INC-2026-000123), an identifier, or words of the title or error message."),
    )
    queue = forms.TypedChoiceField(coerce=int, required=False, label=_("Queue"))
    status = forms.MultipleChoiceField(
        choices=TicketStatus.choices, required=False, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    problem_type = forms.TypedChoiceField(coerce=int, required=False, label=_("Problem type"))
    priority = forms.ChoiceField(choices=[("", _("Any"))] + Priority.choices, required=False, label=_("Priority"))
    assignee = forms.ChoiceField(required=False, label=_("Assigned to"))
    created_from = forms.DateField(
        required=False, label=_("Filed from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(required=False, label=_("Filed until"), widget=forms.DateInput(attrs={"type": "date"}))
    major = forms.BooleanField(required=False, label=_("Linked to a major incident"))
    sla = forms.ChoiceField(
        choices=[
            ("", _("Any")),
            (SLA_ATTENTION, _("At risk or breached")),
            (SlaState.AT_RISK, _("At risk")),
            (SlaState.BREACHED, _("Breached")),
        ],
        required=False,
        label=_("SLA"),
    )
    sort = forms.ChoiceField(
        choices=[(key, label) for key, (label, _f, _d) in SORTS.items()], required=False, label=_("Order")
    )
    size = forms.TypedChoiceField(
        choices=[(size, size) for size in PAGE_SIZES], coerce=int, required=False, label=_("Per page")
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        self.user = user
        # Choices are read once, here: the page shows the same lists without asking again.
        self.queues = list(agent_queues(user))
        self.fields["queue"].choices = [("", _("All my queues"))] + [(queue.pk, queue.name) for queue in self.queues]
        self.fields["problem_type"].choices = [("", _("Any"))] + [
            (problem_type.pk, problem_type.name)
            for problem_type in ProblemType.objects.order_by("position", "name_fr").only("name_fr", "name_en")
        ]
        self.colleagues = list(
            get_user_model()
            .objects.filter(Q(role=Role.ADMIN) | Q(queue_memberships__queue__in=[queue.pk for queue in self.queues]))
            .filter(is_active=True)
            .distinct()
            .order_by("display_name", "username")
            .values_list("username", "display_name")
        )
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            (ASSIGNEE_MINE, _("Me")),
            (ASSIGNEE_NOBODY, _("Nobody (unassigned)")),
            *[(username, name or username) for username, name in self.colleagues],
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", _("The end date is before the start date."))
        return data

    def filtered(self):
        """The tickets the agent may see that match the valid filters; every ticket of their queues otherwise."""
        data = self.cleaned_data if self.is_valid() else {}
        tickets = Ticket.objects.visible_to(self.user)
        if not self.user.is_admin:
            tickets = tickets.filter(queue_id__in=QueueMembership.objects.queue_ids(self.user))
        if data.get("queue"):
            tickets = tickets.filter(queue_id=data["queue"])
        tickets = tickets.filter(status__in=data.get("status") or OPEN_STATUSES)
        if data.get("problem_type"):
            tickets = tickets.filter(problem_type_id=data["problem_type"])
        if data.get("priority"):
            tickets = tickets.filter(priority=data["priority"])
        assignee = data.get("assignee")
        if assignee == ASSIGNEE_MINE:
            tickets = tickets.filter(assignee=self.user)
        elif assignee == ASSIGNEE_NOBODY:
            tickets = tickets.filter(assignee__isnull=True)
        elif assignee:
            tickets = tickets.filter(assignee__username=assignee)
        if data.get("created_from"):
            tickets = tickets.filter(created_at__gte=_day_start(data["created_from"]))
        if data.get("created_to"):
            tickets = tickets.filter(created_at__lt=_day_start(data["created_to"] + datetime.timedelta(days=1)))
        if data.get("major"):
            tickets = tickets.filter(major_incident__isnull=False)
        if data.get("sla") == SLA_ATTENTION:
            tickets = tickets.filter(sla_state__in=[SlaState.AT_RISK, SlaState.BREACHED])
        elif data.get("sla"):
            tickets = tickets.filter(sla_state=data["sla"])
        if data.get("q"):
            tickets = tickets.filter(_text_match(data["q"]))
        return tickets

    @property
    def ordering(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else None) or "newest"

    @property
    def page_size(self) -> int:
        return (self.cleaned_data.get("size") if self.is_valid() else None) or PAGE_SIZES[0]


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _text_match(text: str) -> Q:
    text = text.strip()
    match = Q(title__icontains=text) | Q(data__error_message__icontains=text)
    if text.upper().startswith("INC-"):
        match |= Q(reference=text.upper())
    if " " not in text:
        match |= Q(requester__username=text.casefold())
    return match


@dataclass(frozen=True)
class WorklistPage:
    rows: list
    next_cursor: str | None


def cursor_encode(value: datetime.datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{value.isoformat()}|{pk}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime.datetime, int] | None:
    """The (sort value, id) a cursor names, or None for anything that is not a cursor of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, pk = raw.split("|")
        moment = datetime.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return None
        return moment, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def sort_fields(sort: str) -> list[str]:
    """The ORDER BY of a sort: its field, then the id, both in its direction."""
    _label, field, descending = SORTS[sort]
    prefix = "-" if descending else ""
    return [f"{prefix}{field}", f"{prefix}pk"]


def worklist_page(tickets, *, sort: str, size: int, cursor: str = "") -> WorklistPage:
    """One page of ``tickets`` in the ``sort`` order, after the row the cursor names."""
    _label, field, descending = SORTS[sort]
    after = cursor_decode(cursor) if cursor else None
    if after is not None:
        value, pk = after
        # (field, id) beyond the cursor; the first condition alone is a range the index serves.
        if descending:
            tickets = tickets.filter(Q(**{f"{field}__lte": value}), Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
        else:
            tickets = tickets.filter(Q(**{f"{field}__gte": value}), Q(**{f"{field}__gt": value}) | Q(pk__gt=pk))
    rows = list(
        tickets.select_related("problem_type", "queue", "requester", "assignee")
        .only(
            "reference",
            "status",
            "priority",
            "title",
            "data",
            "created_at",
            "updated_at",
            "major_incident_id",
            "sla_state",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
            "problem_type__name_fr",
            "problem_type__name_en",
            "queue__name_fr",
            "queue__name_en",
            "requester__username",
            "requester__display_name",
            "assignee__username",
            "assignee__display_name",
        )
        .order_by(*sort_fields(sort))[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows else None
    return WorklistPage(rows=rows, next_cursor=cursor_encode(getattr(last, field), last.pk) if more else None)


COUNTS_SECONDS = 20


def queue_counts(queues) -> list[dict]:
    """Each queue with its open tickets and how many nobody has taken. Counting every open ticket costs tens of
    milliseconds at a million tickets, so the numbers are shared through the cache for COUNTS_SECONDS by everyone
    who works the same queues."""
    ids = sorted(queue.pk for queue in queues)
    key = "tickets:queue-counts:" + ",".join(map(str, ids))
    counts = cache.get(key)
    if counts is None:
        rows = (
            Ticket.objects.filter(queue_id__in=ids, status__in=OPEN_STATUSES)
            .values("queue")
            .annotate(open=Count("pk"), unassigned=Count("pk", filter=Q(assignee__isnull=True)))
        )
        counts = {row["queue"]: (row["open"], row["unassigned"]) for row in rows}
        cache.set(key, counts, COUNTS_SECONDS)
    rows = []
    for queue in queues:
        open_count, unassigned = counts.get(queue.pk, (0, 0))
        rows.append({"queue": queue, "open": open_count, "unassigned": unassigned})
    return rows
