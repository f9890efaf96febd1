from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import EventBase
from portal.web.language import content_language
from tickets.models.catalog import ProblemType


class MajorIncidentStatus(models.TextChoices):
    OPEN = "open", _("Ongoing")
    MONITORING = "monitoring", _("Fixed, under watch")
    RESOLVED = "resolved", _("Resolved")


# Shown on the home page and the forms: people should still say they are affected while the fix is watched.
SHOWN_STATUSES = (MajorIncidentStatus.OPEN, MajorIncidentStatus.MONITORING)


class MajorIncidentQuerySet(models.QuerySet):
    def shown(self):
        return self.filter(status__in=SHOWN_STATUSES)


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

    objects = MajorIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        indexes = [models.Index(fields=["status", "problem_type"], name="tickets_major_shown")]

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


class MajorIncidentEvent(EventBase):
    """The history of a major incident, like TicketEvent for tickets (and, like it, an outbox: nothing is e-mailed
    from it yet)."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=60, choices=MajorIncidentEventKind.choices)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("major incident event")
        verbose_name_plural = _("major incident events")

    def __str__(self):
        return f"{self.incident_id} {self.kind}"
