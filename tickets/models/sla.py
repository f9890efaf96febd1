from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models.catalog import ProblemType
from tickets.models.tickets import Priority


class HolidayRegion(models.TextChoices):
    """Which public holidays close the helpdesk (codes of the ``holidays`` library's French subdivisions)."""

    METROPOLITAN = "", _("Metropolitan France")
    ALSACE = "6AE", _("Alsace (Bas-Rhin, Haut-Rhin): Good Friday and 26 December too")
    MOSELLE = "57", _("Moselle: Good Friday and 26 December too")
    GUADELOUPE = "971", _("Guadeloupe")
    MARTINIQUE = "972", _("Martinique")
    GUYANE = "973", _("French Guiana")
    REUNION = "974", _("La Réunion")
    MAYOTTE = "976", _("Mayotte")


class BusinessCalendar(models.Model):
    """When a queue's team works: opening hours per weekday, the public holidays of a region, and days the
    organisation closes besides (bridge days). SLA clocks run only inside these hours (tickets.sla)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    holiday_region = models.CharField(
        _("public holidays"),
        max_length=8,
        choices=HolidayRegion.choices,
        default=HolidayRegion.METROPOLITAN,
        blank=True,
    )
    closed_days = models.TextField(
        _("other closed days"),
        blank=True,
        help_text=_("Days the helpdesk closes besides public holidays, one date per line (2026-05-15)."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    def clean(self):
        from tickets.sla import closed_days_parse

        try:
            closed_days_parse(self.closed_days)
        except ValueError as error:
            raise ValidationError({"closed_days": str(error)}) from error


class BusinessHours(models.Model):
    """One opening interval of a weekday (a day may have two: morning and afternoon)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="tickets_hours_opens_first")
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self):
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValidationError({"closes": _("The closing time must come after the opening time.")})


class SlaTarget(models.Model):
    """How soon the helpdesk answers and solves a ticket of a priority, in business minutes of its queue's
    calendar. A target for a problem type wins over the priority's general one (problem type empty)."""

    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    problem_type = models.ForeignKey(
        ProblemType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_targets",
        verbose_name=_("problem type"),
        help_text=_("Empty: every problem type without a target of its own."),
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (business minutes)"), help_text=_("Until the first public reply of an agent.")
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (business minutes)"),
        help_text=_("Until the incident is solved; time waiting for the requester does not count."),
    )

    class Meta:
        ordering = ["problem_type__position", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "problem_type"],
                condition=Q(problem_type__isnull=False),
                name="tickets_sla_target_per_type",
            ),
            models.UniqueConstraint(
                fields=["priority"], condition=Q(problem_type__isnull=True), name="tickets_sla_target_general"
            ),
            models.CheckConstraint(condition=Q(first_response_minutes__gt=0), name="tickets_sla_response_positive"),
            models.CheckConstraint(condition=Q(resolution_minutes__gt=0), name="tickets_sla_resolution_positive"),
        ]

    def __str__(self):
        scope = self.problem_type.name if self.problem_type_id else _("every problem type")
        return f"{self.get_priority_display()} – {scope}"

    def clean(self):
        if (
            self.first_response_minutes
            and self.resolution_minutes
            and self.first_response_minutes > self.resolution_minutes
        ):
            raise ValidationError(
                {"first_response_minutes": _("The first response cannot be due after the resolution.")}
            )
        duplicates = SlaTarget.objects.filter(priority=self.priority, problem_type=self.problem_type).exclude(
            pk=self.pk
        )
        if self.priority and duplicates.exists():
            raise ValidationError(_("There is already a target for this priority and problem type."))
