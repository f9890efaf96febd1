from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.catalog import Queue


class QueueMembershipQuerySet(models.QuerySet):
    def queue_ids(self, user) -> models.QuerySet:
        """The queues ``user`` works in, as a subquery (``queue_id__in=``): one SQL statement, no join fan-out."""
        return self.filter(user=user).values("queue_id")


class QueueMembership(models.Model):
    """An agent's place in a queue: they see and work its tickets. The queue's lead hears of its escalations;
    an unavailable member (away, on leave) keeps their access but gets no new ticket from the assignment rules."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("queue"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="queue_memberships",
        verbose_name=_("agent"),
    )
    is_lead = models.BooleanField(_("queue lead"), default=False)
    is_available = models.BooleanField(
        _("available"), default=True, help_text=_("Unavailable members get no new ticket from the assignment rules.")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = QueueMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["queue", "user"]
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        constraints = [
            models.UniqueConstraint(fields=["queue", "user"], name="tickets_member_once_per_queue"),
            models.UniqueConstraint(fields=["queue"], condition=models.Q(is_lead=True), name="tickets_one_lead"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.queue}"
