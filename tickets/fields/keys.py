from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldKey(models.TextChoices):
    """The fixed vocabulary of what a problem type may ask. Each key has its form field, its checks and its API field
    in tickets.fields.vocabulary; which keys a problem type asks, and which are required, is data
    (tickets.models.ProblemTypeField)."""

    IDENTIFIER = "identifier", _("Identifier concerned")
    OCCURRED_AT = "occurred_at", _("Date and time of the problem")
    TITLE = "title", _("Title")
    ERROR_MESSAGE = "error_message", _("Exact error message")
    URL = "url", _("Address (URL) used")
    BROWSER = "browser", _("Browser and version")
    DEVICE = "device", _("Device or mail app")
    OTHER_BROWSER_TRIED = "other_browser_tried", _("Another browser tried")
    OTHER_BROWSER = "other_browser", _("Which other browser")
    OTHER_NETWORK_TRIED = "other_network_tried", _("4G or another network tried")
    OTP_INVOLVED = "otp_involved", _("Code (OTP) or two-factor authentication involved")
    SSO_INVOLVED = "sso_involved", _("Intranet link (SSO) involved")
    VPN_USED = "vpn_used", _("VPN used")
    SCREENSHOTS = "screenshots", _("Screenshots")
    SUSPICIOUS_MESSAGE = "suspicious_message", _("Suspicious message")
    DESCRIPTION = "description", _("Description")


# Questions answered by a choice that includes "I don't know" or "not possible" (tickets.fields.kinds.YesNoKind):
# every person has an answer, so wherever a problem type asks one it is required, whatever the row says.
QUESTION_KEYS = frozenset(
    {
        FieldKey.OTHER_BROWSER_TRIED,
        FieldKey.OTHER_NETWORK_TRIED,
        FieldKey.OTP_INVOLVED,
        FieldKey.SSO_INVOLVED,
        FieldKey.VPN_USED,
    }
)
