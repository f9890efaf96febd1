from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.tickets import Ticket


class PhishingReport(models.Model):
    """What the portal read from a reported message (tickets.phishing), never the message's HTML.

    ``campaign_key`` groups reports of the same campaign (same sender domain, subject and links, whoever received
    it): agents see how many people reported it, the requester how many others did.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="phishing_report")
    campaign_key = models.CharField(_("campaign"), max_length=128, db_index=True)
    summary = models.JSONField(_("summary"), default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("phishing report")
        verbose_name_plural = _("phishing reports")

    def __str__(self):
        return self.campaign_key
