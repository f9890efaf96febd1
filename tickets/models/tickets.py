import re
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import EventBase
from tickets.models.catalog import ProblemType, Queue
from tickets.uploads import get_private_storage

# INC-2026-000123: the year of filing and a per-year counter (tickets.references), at least six digits.
REFERENCE_PATTERN = re.compile(r"^INC-(\d{4})-(\d{6,9})$")


class TicketStatus(models.TextChoices):
    NEW = "new", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for your answer")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING)
DONE_STATUSES = (TicketStatus.SOLVED, TicketStatus.CLOSED)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SlaState(models.TextChoices):
    """Where a ticket stands against its SLA targets (tickets.sla). Breached stays breached: the miss happened."""

    NONE = "", _("No target")
    OK = "ok", _("On time")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def done(self):
        return self.filter(status__in=DONE_STATUSES)

    def visible_to(self, user) -> "TicketQuerySet":
        """A requester's own tickets; for an agent, those of the queues they belong to (and their own); every ticket
        for an admin. Agents' and admins' sessions have already proved their second factor (the middleware).
        Anything else sees nothing."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_admin:
            return self
        if user.is_agent:
            from tickets.models.team import QueueMembership

            return self.filter(Q(queue_id__in=QueueMembership.objects.queue_ids(user)) | Q(requester=user))
        return self.filter(requester=user)


class TicketManager(models.Manager.from_queryset(TicketQuerySet)):
    def get_queryset(self):
        # The search vector is read by the database only; loading it would add a reply thread's worth to each row.
        return super().get_queryset().defer("search_vector")


class Ticket(models.Model):
    """An incident filed by a person. Its timeline (TicketEvent) is the single history of what happened to it."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("requester")
    )
    problem_type = models.ForeignKey(
        ProblemType, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("problem type")
    )
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("queue"))
    status = models.CharField(_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    title = models.CharField(_("title"), max_length=200, blank=True)
    # The answers to the problem type's form, keyed by tickets.fields.keys.FieldKey, as JSON-safe values.
    data = models.JSONField(_("answers"), default=dict, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assigned to"),
    )
    major_incident = models.ForeignKey(
        "tickets.MajorIncident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("major incident"),
    )
    # SLA (tickets.sla): the target chosen at filing, the two due instants (moved on when the clock was paused),
    # the business minutes spent paused, and when the job must look again (at risk, then due).
    sla_target = models.ForeignKey(
        "tickets.SlaTarget", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    sla_state = models.CharField(
        _("SLA"),
        max_length=8,
        choices=SlaState.choices,
        default=SlaState.NONE,
        db_default=SlaState.NONE,
        blank=True,
        editable=False,
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True, editable=False)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True, editable=False)
    first_responded_at = models.DateTimeField(_("first answered"), null=True, blank=True, editable=False)
    sla_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_paused_minutes = models.FloatField(default=0, db_default=0, editable=False)
    sla_next_check = models.DateTimeField(null=True, blank=True, editable=False)
    # What the correlation job groups by (tickets.correlation): the error message normalised, or the phishing
    # campaign. Computed at filing; emptied when an agent takes the ticket out of a major incident.
    correlation_key = models.CharField(
        _("signature"), max_length=200, blank=True, default="", db_default="", editable=False
    )
    # Set when an agent merged this duplicate into another incident (tickets.merging): the case goes on there.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
        editable=False,
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("filed"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last activity"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    # Weighted words of the title, the answers and every reply and internal note, for the agents' search on
    # PostgreSQL (tickets.search, which keeps it current); always empty on other databases.
    search_vector = SearchVectorField(null=True, editable=False)
    # The queue view's "most urgent first": 0 for urgent to 3 for low, kept by the database from the priority.
    triage_rank = models.GeneratedField(
        expression=models.Case(
            models.When(priority="urgent", then=models.Value(0)),
            models.When(priority="high", then=models.Value(1)),
            models.When(priority="normal", then=models.Value(2)),
            default=models.Value(3),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    objects = TicketManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["requester", "status", "-updated_at"], name="tickets_requester_list"),
            models.Index(fields=["queue", "status", "-created_at"], name="tickets_queue_list"),
            models.Index(fields=["assignee", "status", "-created_at"], name="tickets_assignee_list"),
            # The queue view's keyset pages: walked from the newest (or most recently active) row, filtered as it
            # goes, so a page costs the same at a million tickets as at a hundred (tickets.worklist).
            models.Index(fields=["-created_at", "-id"], name="tickets_created_keyset"),
            models.Index(fields=["-updated_at", "-id"], name="tickets_updated_keyset"),
            # The open tickets nobody has taken, per queue, by last activity: the triage list ("unassigned, longest
            # without activity first"). Walking the whole activity keyset instead went through some 2,500 rows of
            # other queues and assignees per page at a million tickets (1.9 ms against 0.2).
            models.Index(
                fields=["queue", "updated_at", "id"],
                name="tickets_unassigned_activity",
                condition=Q(assignee__isnull=True, status__in=OPEN_STATUSES),
            ),
            # "Most urgent first, oldest first" among the open tickets.
            models.Index(
                fields=["triage_rank", "id"], name="tickets_triage_keyset", condition=Q(status__in=OPEN_STATUSES)
            ),
            # The SLA job's work: only tickets whose clock runs have a next check.
            models.Index(
                fields=["sla_next_check"], name="tickets_sla_next_check", condition=Q(sla_next_check__isnull=False)
            ),
            # "At risk or breached" in the queue view: few rows, walked newest first.
            models.Index(
                fields=["sla_state", "-created_at", "-id"],
                name="tickets_sla_attention",
                condition=Q(sla_state__in=["at_risk", "breached"]),
            ),
            # The correlation job's GROUP BY over the recent reports not yet linked to a major incident.
            models.Index(
                fields=["created_at", "problem_type", "correlation_key"],
                name="tickets_correlation_pending",
                condition=Q(major_incident__isnull=True) & ~Q(correlation_key=""),
            ),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("tickets:detail", kwargs={"reference": self.reference})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def display_title(self) -> str:
        """What lists show: the typed title, else the error message, else the problem type."""
        return self.title or (self.data or {}).get("error_message") or self.problem_type.name

    def can_reopen(self, *, now=None) -> bool:
        """Solved tickets may be reopened by their requester for GUICHET_TICKET_REOPEN_DAYS days."""
        if self.status != TicketStatus.SOLVED or self.closed_at is None:
            return False
        return (now or timezone.now()) <= self.closed_at + timedelta(days=settings.GUICHET_TICKET_REOPEN_DAYS)


class ReferenceCounter(models.Model):
    """The last number given in a year. Incremented with one UPDATE inside the filing transaction, so two tickets
    filed at the same instant never share a reference, on PostgreSQL as on SQLite (tickets.references)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")

    def __str__(self):
        return f"{self.year}: {self.last}"


class TicketEventKind(models.TextChoices):
    CREATED = "tickets.ticket.created", _("Incident filed")
    REPLIED = "tickets.ticket.replied", _("Reply")
    NOTE = "tickets.ticket.note", _("Internal note")
    STATUS_CHANGED = "tickets.ticket.status_changed", _("Status changed")
    PRIORITY_CHANGED = "tickets.ticket.priority_changed", _("Priority changed")
    ATTACHMENT_ADDED = "tickets.ticket.attachment_added", _("File added")
    MAJOR_INCIDENT_LINKED = "tickets.ticket.major_incident_linked", _("Linked to a major incident")
    MAJOR_INCIDENT_NEWS = "tickets.ticket.major_incident_news", _("News of the major incident")
    ACCOUNT_RECOVERY = "tickets.ticket.account_recovery", _("Second-factor reset step")
    ASSIGNED = "tickets.ticket.assigned", _("Assigned")
    SLA_AT_RISK = "tickets.ticket.sla_at_risk", _("SLA at risk")
    SLA_BREACHED = "tickets.ticket.sla_breached", _("SLA breached")
    MERGED = "tickets.ticket.merged", _("Merged into another incident")
    MERGED_IN = "tickets.ticket.merged_in", _("Another incident merged into this one")
    SOLVED_BY_ARTICLE = "tickets.ticket.solved_by_article", _("Solved by a knowledge-base article")


def sees_internal_events(user) -> bool:
    """Agents (and admins) read the internal notes of a timeline; a requester reads only what is public."""
    return bool(getattr(user, "is_agent", False))


class TicketEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TicketEventQuerySet":
        """The events ``user`` may read: all of them for agents, the public ones for anyone else."""
        return self if sees_internal_events(user) else self.filter(public=True)


class TicketEvent(EventBase):
    """One thing that happened to a ticket: the ticket page's timeline, and the outbox of its e-mails.

    ``public`` events are shown to the requester; the others only to agents. An event with ``notify`` set is sent
    by e-mail once (``notified_at`` is the claim, as for every EventBase).
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=60, choices=TicketEventKind.choices)
    public = models.BooleanField(_("seen by the requester"), default=True)
    body = models.TextField(_("message"), blank=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="tickets_event_timeline"),
            models.Index(
                fields=["created_at"], name="tickets_event_outbox", condition=Q(notify=True, notified_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AttachmentQuerySet":
        """The files ``user`` may download: a file added with an internal note is the agents' only."""
        return self if sees_internal_events(user) else self.exclude(event__public=False)


class Attachment(models.Model):
    """A file added to a ticket, kept outside the web root and served only through the ticket's permission check."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(TicketEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments")
    file = models.FileField(storage=get_private_storage, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    kind = models.CharField(max_length=20)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name
