"""Workflows on identities that touch several models: each writes its security event and ends what must end, in
one transaction, so the change and its record stand or fall together.

Every one says who did it (``by``): the person themselves from their account pages, or an agent or administrator.
``request`` is optional: it gives the event its address and browser, and lets the person's own session carry on
where the change keeps it.
"""

from dataclasses import dataclass, field

from django.db import transaction

from portal.identity import cooling_off, credentials, factors, lockout, reset, session_registry
from portal.identity.events import record_event
from portal.models import AuthenticatorApp, EventKind, RecoveryCodeDevice, SecurityKey, User, UserManager, role_rank


def _this_session(request) -> str | None:
    """The request's session entry, to keep: ``session_registry.end_all`` keeps it only when it is the account's
    own browser, so a person changing their own credentials stays signed in where they are, while a change made by
    someone else ends every session of the account."""
    return session_registry.current_id(request) if request is not None else None


@transaction.atomic
def sessions_end_all(*, user: User, by: User, request=None, keep: str | None = None) -> int:
    """Sign ``user`` out of every browser but ``keep`` (the request's own session entry, which carries on), and end
    their API tokens, reset links and known-device cookies with the security stamp; returns the entries removed.

    The person's "sign out my other sessions" keeps their browser: "other sessions signed out". Anything else
    (an administrator's "sign out of every session") keeps none and says who did it.
    """
    ended = session_registry.end_all(user=user, request=request, keep=keep)
    if keep is not None and by.pk == user.pk:
        record_event(EventKind.SESSIONS_REVOKED, request=request, user=user, notify=True)
    else:
        record_event(
            EventKind.SESSIONS_REVOKED_BY_ADMIN, request=request, user=user, data={"by": by.username}, notify=True
        )
    return ended


@transaction.atomic
def password_set(*, user: User, password: str, by: User, reason: str, request=None) -> None:
    """Give ``user`` a new password (``reason``: "change" by the person, "reset" through a reset), lift "a reset is
    required", and end every other session, API token, reset link and known-device cookie: whoever knew the old
    password keeps nothing it opened. The person's own browser, when the request is theirs, stays signed in."""
    credentials.store().set(user, password)  # the directory's own policy may refuse it: PasswordRefused
    user.password_reset_required = False
    user.save(update_fields=["password", "password_changed_at", "password_reset_required"])
    data = {"reason": reason} if by.pk == user.pk else {"reason": reason, "by": by.username}
    record_event(EventKind.PASSWORD_CHANGE, request=request, user=user, data=data, notify=True)
    session_registry.end_all(user=user, request=request, keep=_this_session(request))


def factor_remove(*, user: User, factor: AuthenticatorApp | SecurityKey, by: User, request=None) -> bool:
    """Remove one authenticator app or security key of ``user``; False, and nothing removed, when their role needs
    it (their last one: ``portal.identity.factors``). The other sessions end, as for every credential change.

    Within a day of a helpdesk reset, raises cooling_off.CoolingOff: the factor just added back stays (R41)."""
    if factor.user_id != user.pk:
        raise ValueError("this factor is not the account's")
    cooling_off.refuse_during(user, cooling_off.FACTOR_REMOVAL, request=request, by=by)
    kind = factors.kind_of(factor)
    with transaction.atomic():
        # Locked, so two removals at once cannot both believe another factor of the kind is left.
        remaining = list(kind.confirmed(user).select_for_update())
        if kind.must_keep(user, remaining):
            return False
        factor.delete()
        data = {"device": factor.name, **kind.event_data}
        if by.pk != user.pk:
            data["by"] = by.username
        record_event(EventKind.MFA_DEVICE_REMOVE, request=request, user=user, data=data, notify=True)
        session_registry.end_all(user=user, request=request, keep=_this_session(request))
    return True


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
        reset.links_void(user)  # a helpdesk action on the account ends its reset links (R22)
    record_event(
        EventKind.LOGIN_UNLOCK,
        request=request,
        user=user,
        identifier=identifier,
        data={"by": getattr(by, "username", ""), "counters": report.counters, "cleared": report.cleared},
        notify=user is not None,
    )
    return report


def user_role_change(*, user: User, role: str, by: User, request=None) -> bool:
    """Give ``user`` another role (what they may do follows from it, admin rights included); False when it is the
    role they have. A privilege change, so it is recorded with the old role, the new one and who changed it.

    A higher role within a day of a helpdesk reset raises cooling_off.CoolingOff (R41)."""
    previous = User.objects.values_list("role", flat=True).get(pk=user.pk)
    if role_rank(role) > role_rank(previous):
        cooling_off.refuse_during(user, cooling_off.ROLE_ELEVATION, request=request, by=by)
    return _role_set(user=user, role=role, by=by, request=request)


@transaction.atomic
def _role_set(*, user: User, role: str, by: User, request=None) -> bool:
    previous = User.objects.select_for_update().values_list("role", flat=True).get(pk=user.pk)
    user.role = role
    if previous == role:
        return False
    user.save(update_fields=["role"])
    record_event(
        EventKind.ROLE_CHANGE, request=request, user=user, data={"from": previous, "to": role, "by": by.username}
    )
    return True


@transaction.atomic
def user_deactivate(*, user: User, by: User, request=None) -> bool:
    """Close ``user``'s account: no sign-in, and every session, API token, reset link and known-device cookie ends
    now (not at their expiry). False when it was already closed."""
    active = User.objects.select_for_update().values_list("is_active", flat=True).get(pk=user.pk)
    user.is_active = False
    if not active:
        return False
    user.save(update_fields=["is_active"])
    ended = session_registry.end_all(user=user)
    record_event(EventKind.ACCOUNT_DEACTIVATE, request=request, user=user, data={"by": by.username, "sessions": ended})
    return True


@transaction.atomic
def user_reactivate(*, user: User, by: User, request=None) -> bool:
    """Open a closed account again. Nothing it held before comes back: the sessions and tokens it had were ended
    with the stamp at deactivation. False when it was open."""
    active = User.objects.select_for_update().values_list("is_active", flat=True).get(pk=user.pk)
    user.is_active = True
    if active:
        return False
    user.save(update_fields=["is_active"])
    record_event(EventKind.ACCOUNT_REACTIVATE, request=request, user=user, data={"by": by.username})
    return True


def user_addresses_change(*, user: User, email: str, recovery_email: str, by: User, request=None) -> bool:
    """Give ``user`` other e-mail addresses (the work one, the personal recovery one); False when they are the ones
    the account has. The person is told at the addresses the account had, where a stranger's change would be
    noticed, and their reset links end (the link is bound to the addresses).

    Within a day of a helpdesk reset, raises cooling_off.CoolingOff (R41)."""
    current = User.objects.values_list("email", "recovery_email").get(pk=user.pk)
    email, recovery_email = UserManager.normalize_email(email or ""), UserManager.normalize_email(recovery_email or "")
    if (email, recovery_email) == current:
        return False
    cooling_off.refuse_during(user, cooling_off.ADDRESS_CHANGE, request=request, by=by)
    with transaction.atomic():
        user.email, user.recovery_email = email, recovery_email
        user.save(update_fields=["email", "recovery_email"])
        reset.links_void(user)
        changed = [
            name
            for name, old, new in zip(("email", "recovery_email"), current, (email, recovery_email), strict=True)
            if old != new
        ]
        data = {"changed": changed, "by": by.username} if by.pk != user.pk else {"changed": changed}
        # Told at the previous addresses too: the notification reads the row's addresses when it is sent, so the
        # old ones are named in the event.
        data["previous"] = [address for address in current if address]
        record_event(EventKind.CONTACT_CHANGE, request=request, user=user, data=data, notify=True)
    return True
