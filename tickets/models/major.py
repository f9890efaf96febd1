from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import EventBase
from portal.web.language import content_language
from tickets.models.catalog import ProblemType


class MajorIncidentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    OPEN = "open", _("Ongoing")
    MONITORING = "monitoring", _("Fixed, under watch")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


# Shown on the home page and the forms: people should still say they are affected while the fix is watched.
SHOWN_STATUSES = (MajorIncidentStatus.OPEN, MajorIncidentStatus.MONITORING)
# What the public may ever read about: a proposal (the correlation job's guess) or a dismissed one, never.
PUBLIC_STATUSES = (*SHOWN_STATUSES, MajorIncidentStatus.RESOLVED)
# Still handled by the agents: new matching reports are linked to these.
LIVE_STATUSES = (MajorIncidentStatus.PROPOSED, *SHOWN_STATUSES)


class MajorIncidentQuerySet(models.QuerySet):
    def shown(self):
        return self.filter(status__in=SHOWN_STATUSES)

    def live(self):
        return self.filter(status__in=LIVE_STATUSES)

    def visible_to(self, user) -> "MajorIncidentQuerySet":
        """The incidents an agent handles: those of the problem types of their queues, and those of no problem type
        (before every form); every one for an administrator; none for anybody else."""
        if user is None or not user.is_authenticated or not user.is_agent:
            return self.none()
        if user.is_admin:
            return self
        from tickets.models.team import QueueMembership

        return self.filter(
            models.Q(problem_type__queue_id__in=QueueMembership.objects.queue_ids(user))
            | models.Q(problem_type__isnull=True)
        )


class MajorIncident(models.Model):
    """An outage many people meet at once (the webmail is down, the SSO loops), opened by an agent.

    While it is shown, the portal puts it before the forms of its problem type, and a person who meets it says "I'm
    affected too" (MajorIncidentAffected) instead of filing one more copy of the same incident. Tickets filed
    before it was opened are linked to it by agents (Ticket.major_incident).
    """

    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    problem_type = models.ForeignKey(
        ProblemType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="major_incidents",
        verbose_name=_("problem type"),
        help_text=_("Where the incident is shown first; empty means before every form."),
    )
    error_messages = models.TextField(
        _("error messages"), blank=True, help_text=_("The messages people see, one per line.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=MajorIncidentStatus.choices, default=MajorIncidentStatus.OPEN
    )
    public_message_fr = models.TextField(_("public message (French)"), blank=True)
    public_message_en = models.TextField(_("public message (English)"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    dismissed_at = models.DateTimeField(_("dismissed"), null=True, blank=True, editable=False)
    # The signature (tickets.correlation) the correlation job proposed it for: new reports with it are linked.
    correlation_key = models.CharField(_("signature"), max_length=200, blank=True, editable=False)

    objects = MajorIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        indexes = [models.Index(fields=["status", "problem_type"], name="tickets_major_shown")]
        constraints = [
            # Two correlation runs at once cannot propose the same outage twice (tickets.correlation).
            models.UniqueConstraint(
                fields=["problem_type", "correlation_key"],
                condition=models.Q(status="proposed") & ~models.Q(correlation_key=""),
                name="tickets_major_one_proposal_per_signature",
            )
        ]

    def __str__(self):
        return self.title

    def _localised(self, field: str) -> str:
        return getattr(self, f"{field}_{content_language()}") or getattr(self, f"{field}_fr")

    @property
    def title(self) -> str:
        return self._localised("title")

    @property
    def public_message(self) -> str:
        return self._localised("public_message")

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def error_list(self) -> list[str]:
        return [line.strip() for line in self.error_messages.splitlines() if line.strip()]


class MajorIncidentAffected(models.Model):
    """A person who said "I'm affected too": counted, and told when it is resolved, without a ticket of their own."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="affected")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("affected person")
        verbose_name_plural = _("affected people")
        constraints = [models.UniqueConstraint(fields=["incident", "user"], name="tickets_affected_once")]

    def __str__(self):
        return f"{self.incident_id}: {self.user_id}"


class MajorIncidentEventKind(models.TextChoices):
    OPENED = "tickets.major_incident.opened", _("Major incident opened")
    UPDATED = "tickets.major_incident.updated", _("Major incident updated")
    STATUS_CHANGED = "tickets.major_incident.status_changed", _("Status changed")
    AFFECTED = "tickets.major_incident.affected", _("A person said they are affected")
    PROPOSED = "tickets.major_incident.proposed", _("Proposed by the correlation of reports")
    TICKETS_LINKED = "tickets.major_incident.tickets_linked", _("Incidents linked")
    TICKETS_UNLINKED = "tickets.major_incident.tickets_unlinked", _("Incidents taken out")
    SPLIT = "tickets.major_incident.split", _("Split")
    PUBLIC_UPDATE = "tickets.major_incident.public_update", _("Public update")


class MajorIncidentEvent(EventBase):
    """The history of a major incident, like TicketEvent for tickets. A public update or a status change is told to
    every linked reporter (an event on their ticket) and every affected person (a MajorIncidentNotice each)."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=60, choices=MajorIncidentEventKind.choices)
    body = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("major incident event")
        verbose_name_plural = _("major incident events")

    def __str__(self):
        return f"{self.incident_id} {self.kind}"


class MajorIncidentNotice(models.Model):
    """The e-mail one affected person gets about one update of a major incident: an outbox row of its own, so
    each person is sent each update once (portal.web.outbox), whoever else failed."""

    event = models.ForeignKey(MajorIncidentEvent, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    notify = models.BooleanField(default=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("major incident notice")
        verbose_name_plural = _("major incident notices")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="tickets_notice_once")]
        indexes = [
            models.Index(
                fields=["created_at"], name="tickets_notice_outbox", condition=models.Q(notify=True, notified_at=None)
            )
        ]

    def __str__(self):
        return f"{self.event_id}: {self.user_id}"
