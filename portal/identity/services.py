"""Workflows on identities that touch several models: each writes its security event and ends what must end.

Issue 11 brings the rest of this layer (password_set, sessions_end_all…); lifting locks comes first, because a
person locked out for good needs a way back today.
"""

from dataclasses import dataclass, field

from django.db import transaction

from portal.identity import lockout
from portal.identity.events import record_event
from portal.models import AuthenticatorApp, EventKind, RecoveryCodeDevice, SecurityKey, User, UserManager


@dataclass
class LiftReport:
    """What a lift cleared, to tell the agent who did it (and to record it)."""

    identifier: str
    counters: int = 0  # sign-in failure counters reset (the identifier's and its known devices')
    cleared: list[str] = field(default_factory=list)  # "reset required", "second factor blocked", "code throttling"


@transaction.atomic
def lockout_lift(*, identifier: str, by, request=None) -> LiftReport:
    """End every state that keeps ``identifier`` from signing in: the failure counters and locks (its known devices'
    included), "a reset is required" after 20 failures or 10 wrong codes, the second-factor block, each device's
    own code throttling. For the helpdesk, after checking who the person is; until self-service reset exists, the
    one way out of a lock that does not expire."""
    identifier = UserManager.normalize_identifier(identifier)
    report = LiftReport(identifier=identifier, counters=lockout.unlock(identifier))
    user = User.objects.select_for_update().filter(username=identifier).first()
    if user is not None:
        if user.password_reset_required:
            report.cleared.append("reset required")
        if user.otp_blocked_until is not None:
            report.cleared.append("second factor blocked")
        user.password_reset_required = False
        user.otp_blocked_until = None
        user.otp_failures = 0
        user.save(update_fields=["password_reset_required", "otp_blocked_until", "otp_failures"])
        throttled = 0
        for model in (AuthenticatorApp, RecoveryCodeDevice, SecurityKey):
            throttled += model.objects.filter(user=user, throttling_failure_count__gt=0).update(
                throttling_failure_count=0, throttling_failure_timestamp=None
            )
        if throttled:
            report.cleared.append("code throttling")
    record_event(
        EventKind.LOGIN_UNLOCK,
        request=request,
        user=user,
        identifier=identifier,
        data={"by": getattr(by, "username", ""), "counters": report.counters, "cleared": report.cleared},
        notify=user is not None,
    )
    return report
