"""The 24 hours after a helpdesk second-factor reset, when high-risk changes wait (R41).

Whoever talked the helpdesk into a reset would next remove the factor the real owner adds back, give themselves an
API token, move the account's addresses elsewhere or raise its role. For a day after a reset these are refused,
with the reason and the time they become possible again; the refusal is recorded. Adding a factor, choosing a new
password and everything else stay possible.

Read by the services that make those changes (portal.identity.services, portal.identity.api_tokens) and by the
admin's account form; reads the reset rows only, so any of them may import it.
"""

from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy

from portal.models import EventKind, MfaResetRequest, MfaResetState
from portal.models.helpdesk import COOLING_OFF

# What is held back, as the refusal names it.
FACTOR_REMOVAL = "factor_removal"
API_TOKEN = "api_token"  # noqa: S105 (the name of a change, not a token)
ADDRESS_CHANGE = "address_change"
ROLE_ELEVATION = "role_elevation"

CHANGES = {
    FACTOR_REMOVAL: gettext_lazy("removing a second factor"),
    API_TOKEN: gettext_lazy("creating an API token"),
    ADDRESS_CHANGE: gettext_lazy("changing the e-mail addresses or the phone number"),
    ROLE_ELEVATION: gettext_lazy("giving a higher role"),
}


class CoolingOff(Exception):
    """The change is held back until ``until``; ``str()`` is the explanation for the person, in the active
    language."""

    def __init__(self, *, change: str, until):
        super().__init__(change)
        self.change = change
        self.until = until

    def __str__(self):
        return gettext(
            "For the account's safety, %(change)s is not possible until %(when)s: its second factor was reset by "
            "the helpdesk less than 24 hours ago. If it cannot wait, contact the helpdesk."
        ) % {
            "change": CHANGES[self.change],
            "when": formats.date_format(timezone.localtime(self.until), "DATETIME_FORMAT"),
        }


def until(user):
    """When the cooling-off of ``user``'s latest helpdesk reset ends, or None when none is in force."""
    if user is None or user.pk is None:
        return None
    now = timezone.now()
    executed = (
        MfaResetRequest.objects.filter(user=user, state=MfaResetState.EXECUTED, executed_at__gt=now - COOLING_OFF)
        .order_by("-executed_at")
        .values_list("executed_at", flat=True)
        .first()
    )
    return executed + COOLING_OFF if executed is not None else None


def refuse_during(user, change: str, *, request=None, by=None) -> None:
    """Raise CoolingOff, after recording the refusal, when ``change`` to ``user``'s account must wait."""
    end = until(user)
    if end is None:
        return
    from portal.identity.events import record_event

    data = {"change": change, "until": end.isoformat(timespec="minutes")}
    if by is not None and by.pk != user.pk:
        data["by"] = by.username
    record_event(EventKind.COOLING_OFF_REFUSED, request=request, user=user, data=data)
    raise CoolingOff(change=change, until=end)
