from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.catalog import ProblemType


class Deflection(models.Model):
    """A filing that ended because a knowledge-base answer solved the problem ("this solved it" on the form).

    Counted per problem type and article: the incidents the knowledge base saved the helpdesk.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("person")
    )
    problem_type = models.ForeignKey(
        ProblemType, on_delete=models.PROTECT, related_name="deflections", verbose_name=_("problem type")
    )
    article = models.ForeignKey(
        "kb.Article", on_delete=models.CASCADE, related_name="deflections", verbose_name=_("article")
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("solved by an article")
        verbose_name_plural = _("solved by an article")
        indexes = [models.Index(fields=["problem_type", "created_at"], name="tickets_deflection_stats")]

    def __str__(self):
        return f"{self.problem_type_id} → {self.article_id}"


class ArticleSolution(models.Model):
    """An incident an agent marked solved by a knowledge-base article ("solved by this article" on its page).

    Kept apart from Deflection: a deflection is an incident never filed, this one was handled by the helpdesk.
    Counted per article: the incidents each article solved (tickets.solutions, the admin).
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="article_solutions", verbose_name=_("incident")
    )
    article = models.ForeignKey(
        "kb.Article", on_delete=models.CASCADE, related_name="ticket_solutions", verbose_name=_("article")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("agent")
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("incident solved by an article")
        verbose_name_plural = _("incidents solved by an article")
        indexes = [models.Index(fields=["article", "created_at"], name="tickets_article_solution_stats")]

    def __str__(self):
        return f"{self.ticket_id} → {self.article_id}"
