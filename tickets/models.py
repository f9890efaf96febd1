from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


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
        suffix = "en" if (get_language() or "fr").startswith("en") else "fr"
        return getattr(self, f"{field}_{suffix}")

    @property
    def name(self) -> str:
        return self.localised("name")


class Queue(BilingualNameMixin):
    """A team's work list: incidents land in the queue of their category and agents work from it."""

    slug = models.SlugField(_("code"), max_length=60, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")


class Category(BilingualNameMixin):
    """A problem type a staff member picks when filing (login failure, OTP, phishing…) and its default queue."""

    slug = models.SlugField(_("code"), max_length=60, unique=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="categories", verbose_name=_("queue"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name_fr"]
        verbose_name = _("problem type")
        verbose_name_plural = _("problem types")

    @property
    def description(self) -> str:
        return self.localised("description")
