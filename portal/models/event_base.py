from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventBase(models.Model):
    """The shape of every event table (portal.SecurityEvent, tickets.TicketEvent, tickets.MajorIncidentEvent): what
    happened, who did it, when, its non-secret details, and the outbox of the e-mail it may call for.

    ``notify`` says an e-mail is due; ``notified_at`` is the claim of whoever sends it (portal.web.outbox.deliver), so a
    row is e-mailed once however many tasks or sweeps reach it. Each table gives ``kind`` its own choices.
    """

    kind = models.CharField(_("what"), max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    data = models.JSONField(_("details"), default=dict, blank=True)
    notify = models.BooleanField(default=False)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
