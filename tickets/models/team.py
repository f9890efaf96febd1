from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.catalog import ProblemType, Queue


class QueueMembershipQuerySet(models.QuerySet):
    def queue_ids(self, user) -> models.QuerySet:
        """The queues ``user`` works in, as a subquery (``queue_id__in=``): one SQL statement, no join fan-out."""
        return self.filter(user=user).values("queue_id")

    def leads_of(self, queue_id: int) -> models.QuerySet:
        return self.filter(queue_id=queue_id, is_lead=True).select_related("user")


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
    # When the assignment rules last gave this member a ticket: round-robin picks the one waiting longest.
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
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


class AssignmentMode(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("In turn, among the queue's available members")
    OWNER = "owner", _("Always to one person")


class AssignmentRule(models.Model):
    """Who a new ticket of a queue goes to, whatever channel filed it (form, API, jobs). A rule for the ticket's
    problem type wins over the queue's general rule (no problem type); without a rule the ticket waits in the
    queue for someone to take it."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="assignment_rules", verbose_name=_("queue"))
    problem_type = models.ForeignKey(
        ProblemType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("problem type"),
        help_text=_("Leave empty for every problem type of the queue."),
    )
    mode = models.CharField(_("assign"), max_length=16, choices=AssignmentMode.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
        help_text=_("For “always to one person”: a member of the queue."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        constraints = [
            models.UniqueConstraint(
                fields=["queue", "problem_type"],
                condition=models.Q(problem_type__isnull=False),
                name="tickets_rule_once_per_type",
            ),
            models.UniqueConstraint(
                fields=["queue"], condition=models.Q(problem_type__isnull=True), name="tickets_one_general_rule"
            ),
        ]

    def __str__(self):
        return f"{self.queue} / {self.problem_type or '*'}: {self.get_mode_display()}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.mode == AssignmentMode.OWNER and self.owner_id is None:
            raise ValidationError({"owner": _("Choose the person who gets every ticket of this rule.")})
        if (
            self.mode == AssignmentMode.OWNER
            and not QueueMembership.objects.filter(queue_id=self.queue_id, user_id=self.owner_id).exists()
        ):
            raise ValidationError({"owner": _("This person is not a member of the queue: add them to it first.")})
        if self.problem_type_id and self.queue_id and self.problem_type.queue_id != self.queue_id:
            raise ValidationError({"problem_type": _("This problem type's tickets go to another queue.")})
