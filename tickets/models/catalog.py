from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.web.language import content_language
from tickets.fields.keys import QUESTION_KEYS, FieldKey


class BilingualNameMixin(models.Model):
    """A French name (the organisation's language) and its English translation, chosen by the active language."""

    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    def localised(self, field: str) -> str:
        """``<field>_en`` when English is active, else ``<field>_fr``."""
        return getattr(self, f"{field}_{content_language()}")

    @property
    def name(self) -> str:
        return self.localised("name")


class Queue(BilingualNameMixin):
    """A team's work list: incidents land in the queue of their problem type and agents work from it."""

    slug = models.SlugField(_("code"), max_length=60, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        "tickets.BusinessCalendar",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="queues",
        verbose_name=_("business hours"),
        help_text=_("When the team works, for its SLA clocks. Empty: around the clock."),
    )

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")


class ProblemType(BilingualNameMixin):
    """A problem type a staff member picks when filing (login failure, OTP, phishing…) and its default queue."""

    slug = models.SlugField(_("code"), max_length=60, unique=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="problem_types", verbose_name=_("queue"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name_fr"]
        verbose_name = _("problem type")
        verbose_name_plural = _("problem types")

    @property
    def description(self) -> str:
        return self.localised("description")


class ProblemTypeField(models.Model):
    """One question of a problem type's form: which vocabulary key, whether it must be answered, in what order.

    Edited by agents as an inline of the problem type in the admin; the form and the API are built from these rows,
    so adding "VPN used" to a problem type needs no code change.
    """

    problem_type = models.ForeignKey(
        ProblemType, on_delete=models.CASCADE, related_name="fields", verbose_name=_("problem type")
    )
    key = models.CharField(_("field"), max_length=40, choices=FieldKey.choices)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    help_text_fr = models.CharField(
        _("help text (French)"), max_length=300, blank=True, help_text=_("Leave empty to keep the standard help.")
    )
    help_text_en = models.CharField(_("help text (English)"), max_length=300, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        constraints = [models.UniqueConstraint(fields=["problem_type", "key"], name="tickets_field_once_per_type")]

    def __str__(self):
        return self.get_key_display()

    def save(self, *args, **kwargs):
        if self.key in QUESTION_KEYS:
            self.required = True
        super().save(*args, **kwargs)

    @property
    def is_required(self) -> bool:
        return self.required or self.key in QUESTION_KEYS

    @property
    def help_text(self) -> str:
        return getattr(self, f"help_text_{content_language()}")
