"""The agents' queue view: the tickets an agent may see, filtered, sorted and cut into pages by keyset.

``worklist_page`` runs a fixed number of statements whatever the page size or the page: the rows, then the
people they name (their queues and problem types are those the filter form read), and nothing per row. Pages are
cut by keyset, never by OFFSET: the cursor is the sort value and the id of the last row shown, so page 50 costs
what page 1 costs and a ticket filed meanwhile neither repeats nor hides a row. The date orders are those an
index serves.

A search by words (tickets.search) adds the "best match first" order, the default while searching. It ranks the
SEARCH_LIMIT most recent matches (``recent_matches``) and pages through them by keyset on (rank, id), the rank
being an integer. Ranking every match of a common word (an error message a tenth of the tickets carry) would read
a tenth of the table on each request; the most recent thousand cost the same whatever the word. The date orders
still apply to a search, over every match.
"""

import base64
import binascii
import datetime
from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Role
from tickets import desk_cache
from tickets.models import (
    OPEN_STATUSES,
    Priority,
    ProblemType,
    Queue,
    QueueMembership,
    SavedView,
    SlaState,
    Ticket,
    TicketStatus,
)
from tickets.search import pk_among, search_parse

PAGE_SIZES = (25, 50, 100)
RELEVANCE = "relevance"
# A search by words ranks at most this many tickets, the most recent matches, looked for window by window.
SEARCH_LIMIT = 1000
SEARCH_WINDOWS_DAYS = (7, 30, 90, 365)

# name -> (label, field, descending)
SORTS = {
    RELEVANCE: (_("Best match first (when searching words)"), "rank", True),
    "newest": (_("Newest first"), "created_at", True),
    "oldest": (_("Oldest first"), "created_at", False),
    "active": (_("Latest activity first"), "updated_at", True),
    "stale": (_("Longest without activity first"), "updated_at", False),
    "urgent": (_("Most urgent first, then oldest"), "triage_rank", False),
}
# Sorts whose cursor value is a number, not a moment.
NUMERIC_SORT_FIELDS = ("rank", "triage_rank")

SLA_ATTENTION = "attention"
ASSIGNEE_MINE = "mine"
ASSIGNEE_NOBODY = "nobody"


def member_queues(user) -> list:
    """The queues ``user`` works in (every one for an administrator), by name, inactive ones included."""
    return desk_lists(user).queues


@dataclass(frozen=True)
class DeskLists:
    """What the workspace's filters offer an agent, read together and kept per agent (tickets.desk_cache)."""

    queues: list  # the queues they work in (every one for an administrator), by name, inactive ones included
    problem_types: list
    colleagues: list  # (username, display name) of the people their tickets may go to
    saved_views: list  # (pk, name, query) of their saved views


def desk_lists(user) -> DeskLists:
    return desk_cache.CATALOGUE.kept(("lists", user.pk), lambda: _desk_lists_read(user), store=desk_cache.LISTS)


def _desk_lists_read(user) -> DeskLists:
    queues = Queue.objects.all()
    if not user.is_admin:
        queues = queues.filter(pk__in=QueueMembership.objects.queue_ids(user))
    queues = list(queues.order_by("name_fr"))
    active = [queue for queue in queues if queue.is_active]
    colleagues = (
        get_user_model()
        .objects.filter(
            Q(role=Role.ADMIN) | Q(pk__in=QueueMembership.objects.filter(queue__in=active).values("user_id"))
        )
        .filter(is_active=True)
        .order_by("display_name", "username")
        .values_list("username", "display_name")
    )
    return DeskLists(
        queues=queues,
        problem_types=list(ProblemType.objects.order_by("position", "name_fr")),
        colleagues=list(colleagues),
        saved_views=list(SavedView.objects.filter(user=user).values_list("pk", "name", "query")),
    )


class WorklistFilter(forms.Form):
    """The queue view's filters, all optional, in the query string (a filtered list is a link one can share)."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("Search"),
        help_text=_(
            "A reference (INC-2026-000123) or an identifier alone, or words of the title, the answers, the replies "
            "or the internal notes."
        ),
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
        # Choices are read once, here (and kept: tickets.desk_cache): the page shows the same lists without asking
        # again.
        lists = desk_lists(user)
        self.queues = [queue for queue in lists.queues if queue.is_active]
        # As values, not a subquery: the planner then combines the queue index with the text index in one scan.
        self.queue_ids = [queue.pk for queue in lists.queues]
        self.fields["queue"].choices = [("", _("All my queues"))] + [(queue.pk, queue.name) for queue in self.queues]
        self.fields["problem_type"].choices = [("", _("Any"))] + [
            (problem_type.pk, problem_type.name) for problem_type in lists.problem_types
        ]
        # What the page's rows point to, read once (worklist_page's ``known``).
        self.known = [*lists.queues, *lists.problem_types]
        self.colleagues = lists.colleagues
        self.saved_views = lists.saved_views
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
            tickets = tickets.filter(queue_id__in=self.queue_ids)
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
        if self.search is not None:
            tickets = tickets.filter(self.search.matches())
            if self.search.ranked:
                tickets = tickets.annotate(rank=self.rank)
        return tickets

    @cached_property
    def search(self):
        """What the search box asked for (tickets.search.TicketSearch), or None."""
        text = self.cleaned_data.get("q") if self.is_valid() else None
        return search_parse(text) if text and text.strip() else None

    @property
    def rank(self):
        """The rank expression of a search by words, for worklist_page; None otherwise."""
        return self.search.rank() if self.search is not None and self.search.ranked else None

    @property
    def ordering(self) -> str:
        """The chosen order; "best match first" by default while searching words, and only then."""
        chosen = self.cleaned_data.get("sort") if self.is_valid() else None
        ranked = self.search is not None and self.search.ranked
        if chosen == RELEVANCE and not ranked:
            chosen = None
        return chosen or (RELEVANCE if ranked else "newest")

    @property
    def selected_queue(self) -> int | None:
        """The queue the filters name, if they are valid and name one."""
        return self.cleaned_data.get("queue") if self.is_valid() else None

    @property
    def page_size(self) -> int:
        return (self.cleaned_data.get("size") if self.is_valid() else None) or PAGE_SIZES[0]


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class WorklistPage:
    rows: list
    next_cursor: str | None


def cursor_encode(value: datetime.datetime | int, pk: int) -> str:
    text = value.isoformat() if isinstance(value, datetime.datetime) else str(int(value))
    return base64.urlsafe_b64encode(f"{text}|{pk}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str, *, sort: str = "newest") -> tuple[datetime.datetime | int, int] | None:
    """The (sort value, id) a cursor of the ``sort`` order names, or None for anything that is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, pk = raw.split("|")
        if SORTS[sort][1] in NUMERIC_SORT_FIELDS:
            return int(value), int(pk)
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


def worklist_page(tickets, *, sort: str, size: int, cursor: str = "", rank=None, known=()) -> WorklistPage:
    """One page of ``tickets`` in the ``sort`` order, after the row the cursor names. For "best match first",
    ``tickets`` carry their ``rank`` (WorklistFilter.filtered), ``rank`` is its expression (WorklistFilter.rank), and
    only the SEARCH_LIMIT most recent matches are ranked. ``known``: queues and problem types already read
    (WorklistFilter.known), given to the rows instead of being read again."""
    _label, field, descending = SORTS[sort]
    if sort == RELEVANCE:
        tickets = tickets.filter(pk_among(recent_matches(tickets)))
    after = cursor_decode(cursor, sort=sort) if cursor else None
    if after is not None:
        value, pk = after
        # (field, id) beyond the cursor; the first condition alone is a range the index serves.
        if descending:
            tickets = tickets.filter(Q(**{f"{field}__lte": value}), Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
        else:
            tickets = tickets.filter(Q(**{f"{field}__gte": value}), Q(**{f"{field}__gt": value}) | Q(pk__gt=pk))
    tickets = tickets.order_by(*sort_fields(sort))
    if sort == RELEVANCE:
        # The page's ids first, then their rows: joined to the page only, the other tables cost 26 lookups whatever
        # the planner guesses of how many tickets hold every word.
        page_ids = tickets.values("pk")[: size + 1]
        tickets = Ticket.objects.filter(pk_among(page_ids)).annotate(rank=rank).order_by(*sort_fields(sort))
    rows = list(tickets.only(*ROW_FIELDS)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    _related_attach(rows, known=known)
    last = rows[-1] if rows else None
    return WorklistPage(rows=rows, next_cursor=cursor_encode(getattr(last, field), last.pk) if more else None)


ROW_FIELDS = (
    "reference",
    "status",
    "priority",
    "title",
    "data",
    "created_at",
    "updated_at",
    "major_incident_id",
    "triage_rank",
    "sla_state",
    "first_response_due",
    "resolution_due",
    "first_responded_at",
    "problem_type",
    "queue",
    "requester",
    "assignee",
)


def _related_attach(rows, *, known=()) -> None:
    """Give each row its problem type, queue, requester and assignee: the queues and problem types from ``known``
    (any other in one query each, which the queue view never needs), the people from ``people_named``. Joined to the
    page instead, the five tables cost PostgreSQL more to plan (about 1 ms) than to run, and the ORM builds four
    objects per row where a page holds a handful of distinct ones."""
    # Each object goes straight into the row's cache of related objects (Field.set_cached_value), where select_related
    # puts it: assigning the attribute checks what is true here by construction (the type, the database), six times
    # slower.
    fields = {name: Ticket._meta.get_field(name) for name in ("problem_type", "queue", "requester", "assignee")}
    for name, model in (("problem_type", ProblemType), ("queue", Queue)):
        field = fields[name]
        objects = {item.pk: item for item in known if isinstance(item, model)}
        missing = {getattr(row, field.attname) for row in rows} - objects.keys()
        if missing:
            objects.update(model.objects.in_bulk(missing))
        for row in rows:
            field.set_cached_value(row, objects[getattr(row, field.attname)])
    people = people_named({row.requester_id for row in rows} | {row.assignee_id for row in rows if row.assignee_id})
    for row in rows:
        fields["requester"].set_cached_value(row, people[row.requester_id])
        fields["assignee"].set_cached_value(row, people.get(row.assignee_id))


def people_named(ids: set) -> dict:
    """user id -> the user (username and display name only) for each of ``ids``: those kept by this process
    (tickets.desk_cache.PEOPLE), the others in one query."""
    if not ids:
        return {}
    return desk_cache.CATALOGUE.kept_many(
        ids, get_user_model().objects.only("username", "display_name").in_bulk, store=desk_cache.PEOPLE
    )


def recent_matches(tickets, *, limit: int = SEARCH_LIMIT):
    """The ids of the ``limit`` most recently filed of ``tickets``, as a subquery: filing-date windows (the last
    week, then the three weeks before, and so on) looked at newest first, each through the text index, until
    ``limit`` are found. The database stops at the first windows that hold enough, so a common word costs a few
    thousand rows, and a rare one the few rows it matches. SQLite, which cannot cut the parts of a UNION, takes them
    in one part."""
    if not connection.features.supports_slicing_ordering_in_compound:
        return tickets.order_by("-created_at", "-pk").values("pk")[:limit]
    now = timezone.now()
    bounds = [now - datetime.timedelta(days=days) for days in SEARCH_WINDOWS_DAYS]
    parts, upper = [], None
    for lower in [*bounds, None]:
        part = tickets.order_by("-created_at", "-pk")
        if upper is not None:
            part = part.filter(created_at__lt=upper)
        if lower is not None:
            part = part.filter(created_at__gte=lower)
        parts.append(part.values("pk")[:limit])
        upper = lower
    return parts[0].union(*parts[1:], all=True)[:limit]


COUNTS_KEY = "tickets:queue-counts"
# The periodic job counts again every 15 seconds (portal/site/schedule.py); without a worker, the first page after
# COUNTS_SECONDS does.
COUNTS_SECONDS = 60


def queue_counts_refresh() -> dict:
    """Count the open tickets of every queue and how many nobody has taken, in one grouped query, and share the
    numbers through the cache for COUNTS_SECONDS. At a million tickets, a third of them open, this takes about a
    quarter of a second: the periodic job does it, so that no page waits for it. Idempotent."""
    rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .values("queue")
        .annotate(open=Count("pk"), unassigned=Count("pk", filter=Q(assignee__isnull=True)))
    )
    counts = {row["queue"]: (row["open"], row["unassigned"]) for row in rows}
    cache.set(COUNTS_KEY, counts, COUNTS_SECONDS)
    return counts


def queue_counts(queues) -> list[dict]:
    """Each of ``queues`` with its open tickets and how many nobody has taken, as the last count left them in the
    cache (queue_counts_refresh); counted now when the cache has none."""
    counts = cache.get(COUNTS_KEY)
    if counts is None:
        counts = queue_counts_refresh()
    rows = []
    for queue in queues:
        open_count, unassigned = counts.get(queue.pk, (0, 0))
        rows.append({"queue": queue, "open": open_count, "unassigned": unassigned})
    return rows
