from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.web.language import content_language
from tickets.models.catalog import Queue


class CannedAnswerQuerySet(models.QuerySet):
    def for_queue(self, queue_id: int) -> "CannedAnswerQuerySet":
        """The active answers an agent may insert on a ticket of this queue: those of every queue and its own."""
        return self.filter(is_active=True).filter(models.Q(queue__isnull=True) | models.Q(queue_id=queue_id))


class CannedAnswer(models.Model):
    """A reply agents insert on a ticket's page instead of typing it again, in French and English; with an article,
    the article's address is added after the text (tickets.canned)."""

    title_fr = models.CharField(_("title (French)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120)
    body_fr = models.TextField(_("text (French)"))
    body_en = models.TextField(_("text (English)"))
    article = models.ForeignKey(
        "kb.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("knowledge-base article"),
        help_text=_("Its address is added after the text, in the requester's language."),
    )
    queue = models.ForeignKey(
        Queue,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_answers",
        verbose_name=_("queue"),
        help_text=_("Offered only on the incidents of this queue; empty for every queue."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = CannedAnswerQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title_fr"]
        verbose_name = _("canned answer")
        verbose_name_plural = _("canned answers")

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return getattr(self, f"title_{content_language()}")

    def body_in(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_fr
