"""The helpdesk-assisted second-factor reset, for people who lost their phone and have no recovery code (R38–R41).

1. The person asks on the lost-phone page (``recovery_request``): the page does the same work whoever it names, and
   the worker opens a helpdesk case for an active account (``recovery_request_handle``).
2. An agent checks who the caller is, by one of the ways of ``IdentityCheck``, and starts the reset with what shows
   it was done (``mfa_reset_initiate``). A caller who could only recite personal details gets no reset: the
   attempt is recorded and the real owner warned (``mfa_reset_attempt_unverified``).
3. A second agent approves within 30 minutes (``mfa_reset_approve``); for a call-back, the line manager has
   approved in the portal first (``mfa_reset_manager_approve``). Nobody acts on their own account or on one that
   may do more than they may, and an agent's or administrator's reset needs an administrator's approval.
4. The approval executes the reset in its transaction: every factor removed, a new password required, every
   session, API token, reset link and known-device cookie ended, and a temporary access pass issued, shown once to
   the approving agent (portal.identity.access_pass).
5. The person and their line manager are told; the security team is alerted for a privileged account, for an agent
   doing many resets, and when the account opens the agents' workspace within a day; for that day high-risk
   changes wait (portal.identity.cooling_off).

Every step is a security event and an event on the helpdesk case. Nothing here ever holds or records a password,
and the pass exists only in the approving agent's page.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from portal.identity import access_pass, credentials, lockout, reset, session_registry
from portal.identity.events import record_event
from portal.models import (
    AuthenticatorApp,
    EventKind,
    IdentityCheck,
    MfaResetRequest,
    MfaResetState,
    RecoveryCodeDevice,
    RecoveryRequest,
    Role,
    SecurityEvent,
    SecurityKey,
    TemporaryAccessPass,
    User,
    role_rank,
)
from portal.models.helpdesk import COOLING_OFF
from portal.web import outbox, ratelimit
from portal.web.network import client_ip

log = logging.getLogger(__name__)

# Cases opened for one account from the public page in a day; beyond, the requests are kept but open nothing.
RECOVERY_CASES_PER_DAY = 3
# More resets than this by one agent within an hour alert the security team (R41).
RESETS_PER_AGENT_HOUR = 5
# The session key that says this session's entry to the agents' workspace was checked against recent resets.
AGENT_AREA_CHECKED = "guichet_agent_area_checked"


# --- 1. The person's request ----------------------------------------------------------------------------------------


def recovery_request(*, submitted: str, message: str, contact: str, request) -> None:
    """Record a "reset my second factor" form and queue its handling; the same work whoever it names. Past the
    per-address limit the form is dropped without a word: the page the person sees is the same."""
    if ratelimit.limited(request, "recovery_request") is not None:
        log.info("second-factor reset request over the per-address limit, not recorded")
        return
    row = RecoveryRequest.objects.create(
        submitted=submitted.strip()[:254],
        message=message.strip()[:2000],
        contact=contact.strip()[:200],
        ip=client_ip(request),
        created_at=timezone.now(),
    )
    outbox.queue("portal.tasks.handle_recovery_request", row.pk)


def recovery_request_handle(request_id: int) -> bool:
    """The worker's side of one request: claim it and, for an active account under its daily limit, open the
    helpdesk case and record the request (the owner is e-mailed: if it was not them, they say so). Idempotent."""
    with transaction.atomic():
        return outbox.deliver(RecoveryRequest, request_id, messages=_recovery_case)


def _settle(row: RecoveryRequest, outcome: str, case: str = "") -> None:
    RecoveryRequest.objects.filter(pk=row.pk).update(outcome=outcome, case_reference=case)


def _recovery_case(row: RecoveryRequest) -> list:
    from tickets.services import recovery_case_open

    found = credentials.store().find(row.submitted)
    user = User.objects.select_for_update().filter(pk=found.pk, is_active=True).first() if found else None
    if user is None:
        _settle(row, "unknown")
        return []
    day_ago = timezone.now() - timedelta(days=1)
    recent = SecurityEvent.objects.filter(user=user, kind=EventKind.RECOVERY_REQUESTED, created_at__gte=day_ago)
    if recent.count() >= RECOVERY_CASES_PER_DAY:
        _settle(row, "limited")
        return []
    case = recovery_case_open(requester=user, message=row.message, contact=row.contact)
    record_event(
        EventKind.RECOVERY_REQUESTED,
        ip=row.ip,
        user=user,
        data={"request": row.pk, "case": case.reference},
        notify=True,
    )
    _settle(row, "case", case.reference)
    return []  # the case's own "received" e-mail tells the person; the event's e-mail warns the owner


def recovery_requests_purge() -> int:
    """Forget the forms older than 30 days (the case keeps what the helpdesk needs), and access passes ended for
    30 days (the security log keeps their use); idempotent. Returns how many rows went."""
    cutoff = timezone.now() - timedelta(days=30)
    forms, _ = RecoveryRequest.objects.filter(created_at__lt=cutoff).delete()
    passes, _ = TemporaryAccessPass.objects.filter(expires_at__lt=cutoff).delete()
    return forms + passes


# --- Who may do what (R39) ------------------------------------------------------------------------------------------


class ResetRefused(Exception):
    """The step is not allowed; ``str()`` says why, for the agent. ``forbidden``: a matter of authority (the
    answer is 403), not of the request's state."""

    def __init__(self, reason: str, *, forbidden: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.forbidden = forbidden

    def __str__(self):
        return str(REFUSALS[self.reason])


REFUSALS = {
    "own_account": gettext_lazy("Nobody may reset the second factor of their own account: ask a colleague."),
    "higher_role": gettext_lazy(
        "This account may do more than yours: only someone of its role or above may act on it."
    ),
    "not_agent": gettext_lazy("Only helpdesk agents and administrators may reset a second factor."),
    "inactive": gettext_lazy("This account is closed: reopen it first, after checking why it was closed."),
    "already_pending": gettext_lazy("A reset of this account is already waiting for approval: approve or cancel it."),
    "method": gettext_lazy("Choose how you checked the person's identity, among the ways offered."),
    "evidence": gettext_lazy(
        "Say what shows the identity check was done (the verification transaction, the ID seen…)."
    ),
    "no_manager": gettext_lazy(
        "The HR record names no line manager for this account, or they cannot approve it: choose another check."
    ),
    "no_hr_phone": gettext_lazy("The HR record has no phone number for this account: choose another check."),
    "initiator": gettext_lazy("You started this reset: a second agent must approve it (two-person rule)."),
    "needs_admin": gettext_lazy(
        "This account is an agent's or an administrator's: an administrator must approve its reset."
    ),
    "expired": gettext_lazy("This reset waited more than 30 minutes for approval and has expired: start a new one."),
    "not_pending": gettext_lazy("This reset is no longer waiting for approval."),
    "manager_twice": gettext_lazy(
        "You approved this reset as the line manager: another agent must give the helpdesk's approval."
    ),
    "manager_missing": gettext_lazy("The line manager has not approved this reset in the portal yet."),
    "not_manager": gettext_lazy("Only the line manager named in the HR record may approve this reset."),
    "manager_not_needed": gettext_lazy("This reset does not need the line manager's approval."),
}


def _authority(*, target: User, by: User) -> None:
    """The rules for anybody who starts or approves a reset: an agent, not on their own account, not on an account
    of a higher role."""
    if by.pk == target.pk:
        raise ResetRefused("own_account")
    if not by.is_agent:
        raise ResetRefused("not_agent")
    if role_rank(target.role) > role_rank(by.role):
        raise ResetRefused("higher_role")


def may_initiate(*, target: User, by: User) -> ResetRefused | None:
    try:
        _authority(target=target, by=by)
    except ResetRefused as refused:
        return refused
    return None


def is_privileged(user: User) -> bool:
    return user.role in (Role.AGENT, Role.ADMIN)


def method_available(method: str, target: User, *, by: User) -> str | None:
    """Why ``method`` cannot be used for ``target`` (a refusal reason), or None when it can."""
    if method not in IdentityCheck.values:
        return "method"
    if method == IdentityCheck.CALLBACK_MANAGER:
        if not target.hr_phone:
            return "no_hr_phone"
        manager = target.line_manager
        if manager is None or not manager.is_active or manager.pk in (target.pk, by.pk):
            return "no_manager"
    return None


# --- 2. Starting a reset --------------------------------------------------------------------------------------------


def _case_step(reference: str, *, by: User, step: str, body: str) -> None:
    """Add the step to the helpdesk case (an internal event); nothing when the reset has no case."""
    if not reference:
        return
    from tickets.services import case_step_record

    case_step_record(reference=reference, by=by, step=step, body=body)


def _case_open_for(target: User, *, by: User) -> str:
    from tickets.services import recovery_case_open

    message = gettext("Second-factor reset started by the helpdesk after an identity check.")
    return recovery_case_open(requester=target, message=message, contact="", by=by).reference


def _case_known(reference: str) -> bool:
    from tickets.services import case_exists

    return case_exists(reference)


class CaseUnknown(ValueError):
    """The case reference given is not a case of the helpdesk."""


@transaction.atomic
def mfa_reset_initiate(
    *, target: User, by: User, method: str, evidence: str, case: str = "", request=None
) -> MfaResetRequest:
    """Agent ``by`` checked ``target``'s identity by ``method`` (IdentityCheck) and records ``evidence``: the reset
    now waits for a second agent (and, for a call-back, the line manager) for 30 minutes. Opens a case when none
    is given. Raises ResetRefused."""
    target = User.objects.select_for_update().get(pk=target.pk)
    _authority(target=target, by=by)
    if not target.is_active:
        raise ResetRefused("inactive", forbidden=False)
    unavailable = method_available(method, target, by=by)
    if unavailable:
        raise ResetRefused(unavailable, forbidden=False)
    evidence = (evidence or "").strip()
    if not evidence:
        raise ResetRefused("evidence", forbidden=False)
    if MfaResetRequest.objects.filter(user=target).pending().exists():
        raise ResetRefused("already_pending", forbidden=False)
    case = (case or "").strip().upper()
    if case and not _case_known(case):
        raise CaseUnknown(case)
    case = case or _case_open_for(target, by=by)
    now = timezone.now()
    row = MfaResetRequest.objects.create(
        user=target, case_reference=case, method=method, evidence=evidence[:1000], initiated_by=by, created_at=now
    )
    record_event(
        EventKind.MFA_RESET_REQUESTED,
        request=request,
        user=target,
        data={"reset": row.pk, "case": case, "method": method, "by": by.username},
        notify=True,
    )
    _case_step(
        case,
        by=by,
        step="mfa_reset_requested",
        body=gettext("Second-factor reset started after an identity check: %(method)s. Evidence: %(evidence)s")
        % {"method": row.get_method_display(), "evidence": row.evidence},
    )
    return row


@transaction.atomic
def mfa_reset_attempt_unverified(*, target: User, by: User, details: str = "", case: str = "", request=None) -> None:
    """The caller could only give personal details (name, employee number, date of birth, manager's name…): no
    reset (R38). The failed attempt is recorded, the real owner warned at both addresses, the security team
    alerted, and the case told."""
    _authority(target=target, by=by)
    case = (case or "").strip().upper()
    if case and not _case_known(case):
        case = ""
    record_event(
        EventKind.MFA_RESET_DENIED,
        request=request,
        user=target,
        data={"reason": "identity_not_proven", "by": by.username, "case": case},
        notify=True,
    )
    _case_step(
        case,
        by=by,
        step="mfa_reset_denied",
        body=gettext(
            "No reset: the caller could only give personal details, which never prove an identity. %(details)s"
        )
        % {"details": (details or "").strip()[:1000]},
    )


# --- 3. Approvals ---------------------------------------------------------------------------------------------------


def _locked(row: MfaResetRequest) -> MfaResetRequest:
    return MfaResetRequest.objects.select_for_update().select_related("user", "initiated_by").get(pk=row.pk)


def _expire_if_due(row: MfaResetRequest, *, by: User, request=None) -> None:
    if row.state == MfaResetState.PENDING and timezone.now() >= row.expires_at:
        now = timezone.now()
        MfaResetRequest.objects.filter(pk=row.pk).update(state=MfaResetState.EXPIRED, closed_at=now)
        record_event(
            EventKind.MFA_RESET_DENIED,
            request=request,
            user=row.user,
            data={"reset": row.pk, "reason": "expired", "case": row.case_reference},
        )
        _case_step(
            row.case_reference, by=by, step="mfa_reset_expired", body=gettext("The reset expired before approval.")
        )
        row.state = MfaResetState.EXPIRED


def approval_refusal(row: MfaResetRequest, *, by: User) -> ResetRefused | None:
    """Why ``by`` may not approve ``row`` now, or None. Checked again, under a lock, by mfa_reset_approve."""
    try:
        _check_approver(row, by=by)
    except ResetRefused as refused:
        return refused
    return None


def _check_approver(row: MfaResetRequest, *, by: User) -> None:
    _authority(target=row.user, by=by)
    if by.pk == row.initiated_by_id:
        raise ResetRefused("initiator")
    if by.pk == row.manager_approved_by_id:
        raise ResetRefused("manager_twice")  # three checks by three people, not two by two
    if is_privileged(row.user) and by.role != Role.ADMIN:
        raise ResetRefused("needs_admin")
    if row.is_expired:
        raise ResetRefused("expired", forbidden=False)
    if row.state != MfaResetState.PENDING:
        raise ResetRefused("not_pending", forbidden=False)
    if row.needs_manager and row.manager_approved_at is None:
        raise ResetRefused("manager_missing", forbidden=False)


def _refusal_recorded(row: MfaResetRequest, refused: ResetRefused, *, by: User, request=None) -> None:
    record_event(
        EventKind.MFA_RESET_APPROVAL_REFUSED,
        request=request,
        user=row.user,
        data={"reset": row.pk, "reason": refused.reason, "by": by.username, "case": row.case_reference},
    )


@dataclass(frozen=True)
class ExecutedReset:
    reset: MfaResetRequest
    access_pass: str  # shown once to the approving agent, kept nowhere
    removed: dict


def mfa_reset_approve(*, reset_request: MfaResetRequest, by: User, request=None) -> ExecutedReset:
    """Agent ``by`` approves: the reset executes now, in this transaction (R39, R40). Raises ResetRefused, after
    recording the refused attempt (an initiator approving their own reset, a minute too late…)."""
    try:
        with transaction.atomic():
            row = _locked(reset_request)
            _expire_if_due(row, by=by, request=request)
            _check_approver(row, by=by)
            return _execute(row, by=by, request=request)
    except ResetRefused as refused:
        with transaction.atomic():
            # The expiry, when it was due, is recorded again outside the rolled-back block.
            row = _locked(reset_request)
            _expire_if_due(row, by=by, request=request)
            _refusal_recorded(row, refused, by=by, request=request)
        raise


def _execute(row: MfaResetRequest, *, by: User, request=None) -> ExecutedReset:
    target = User.objects.select_for_update().get(pk=row.user_id)
    removed = {
        "authenticator_apps": AuthenticatorApp.objects.filter(user=target)
        .delete()[1]
        .get(AuthenticatorApp._meta.label, 0),
        "recovery_codes": RecoveryCodeDevice.objects.filter(user=target)
        .delete()[1]
        .get(RecoveryCodeDevice._meta.label, 0),
        "security_keys": SecurityKey.objects.filter(user=target).delete()[1].get(SecurityKey._meta.label, 0),
    }
    # The password may be what the caller knew: it no longer signs in; the pass's session chooses a new one.
    target.password_reset_required = True
    target.otp_failures = 0
    target.otp_blocked_until = None
    target.save(update_fields=["password_reset_required", "otp_failures", "otp_blocked_until"])
    lockout.unlock(target.username)
    # Every session, API token, known-device cookie and reset link ends with the stamp; links are voided too.
    ended = session_registry.end_all(user=target)
    reset.links_void(target)
    secret = access_pass.pass_issue(user=target, by=by, reset=row)
    now = timezone.now()
    MfaResetRequest.objects.filter(pk=row.pk).update(
        state=MfaResetState.EXECUTED, approved_by=by, approved_at=now, executed_at=now
    )
    row.refresh_from_db()
    data = {
        "reset": row.pk,
        "case": row.case_reference,
        "method": row.method,
        "initiated_by": row.initiated_by.username,
        "by": by.username,
        "removed": removed,
        "sessions": ended,
    }
    record_event(EventKind.MFA_RESET_APPROVED, request=request, user=target, data=data, notify=True)
    _case_step(
        row.case_reference,
        by=by,
        step="mfa_reset_approved",
        body=gettext(
            "Second-factor reset approved and done: every factor removed, a new password required, every session "
            "ended, a temporary access pass issued (valid one hour, once)."
        ),
    )
    if is_privileged(target):
        record_event(
            EventKind.ALERT_PRIVILEGED_RESET,
            request=request,
            user=target,
            data={"reset": row.pk, "case": row.case_reference, "role": target.role, "by": by.username},
            notify=True,
        )
    for agent in {row.initiated_by, by}:
        _rate_alert(agent, request=request)
    return ExecutedReset(reset=row, access_pass=secret, removed=removed)


def _rate_alert(agent: User, *, request=None) -> None:
    """Alert the team, once an hour, when ``agent`` took part in more than RESETS_PER_AGENT_HOUR resets within the
    last hour (R41)."""
    hour_ago = timezone.now() - timedelta(hours=1)
    count = MfaResetRequest.objects.filter(
        Q(initiated_by=agent) | Q(approved_by=agent), state=MfaResetState.EXECUTED, executed_at__gte=hour_ago
    ).count()
    if count <= RESETS_PER_AGENT_HOUR:
        return
    if SecurityEvent.objects.filter(kind=EventKind.ALERT_RESET_RATE, user=agent, created_at__gte=hour_ago).exists():
        return
    record_event(
        EventKind.ALERT_RESET_RATE,
        request=request,
        user=agent,
        data={"agent": agent.username, "resets": count},
        notify=True,
    )


def mfa_reset_manager_approve(*, reset_request: MfaResetRequest, by: User, request=None) -> MfaResetRequest:
    """The line manager named in the HR record, signed in with their second factor, confirms the call-back check
    (R38, method 4). Raises ResetRefused."""
    with transaction.atomic():
        row = _locked(reset_request)
        _expire_if_due(row, by=by, request=request)
        refused = _manager_refusal(row, by=by)
        if refused is None:
            now = timezone.now()
            MfaResetRequest.objects.filter(pk=row.pk).update(manager_approved_by=by, manager_approved_at=now)
            row.refresh_from_db()
            record_event(
                EventKind.MFA_RESET_MANAGER_APPROVED,
                request=request,
                user=row.user,
                data={"reset": row.pk, "by": by.username, "case": row.case_reference},
            )
            _case_step(
                row.case_reference,
                by=by,
                step="mfa_reset_manager_approved",
                body=gettext("The line manager approved the reset in the portal."),
            )
            return row
    with transaction.atomic():
        _refusal_recorded(_locked(reset_request), refused, by=by, request=request)
    raise refused


def _manager_refusal(row: MfaResetRequest, *, by: User) -> ResetRefused | None:
    if by.pk == row.user_id:
        return ResetRefused("own_account")
    if row.user.line_manager_id != by.pk or by.pk == row.initiated_by_id:
        return ResetRefused("not_manager")
    if not row.needs_manager:
        return ResetRefused("manager_not_needed", forbidden=False)
    if row.is_expired:
        return ResetRefused("expired", forbidden=False)
    if row.state != MfaResetState.PENDING:
        return ResetRefused("not_pending", forbidden=False)
    return None


def manager_may_view(row: MfaResetRequest, *, by: User) -> bool:
    return row.user.line_manager_id == by.pk and by.pk != row.user_id


@transaction.atomic
def mfa_reset_refuse(*, reset_request: MfaResetRequest, by: User, reason: str, request=None) -> MfaResetRequest:
    """A second agent (or an administrator) refuses the reset: nothing changes on the account, the owner is told
    and the team alerted. The initiator withdrawing it is ``mfa_reset_cancel``."""
    row = _locked(reset_request)
    _authority(target=row.user, by=by)
    _expire_if_due(row, by=by, request=request)
    if row.state != MfaResetState.PENDING:
        raise ResetRefused("not_pending", forbidden=False)
    cancel = by.pk == row.initiated_by_id
    state = MfaResetState.CANCELLED if cancel else MfaResetState.REFUSED
    now = timezone.now()
    reason = (reason or "").strip()[:300]
    MfaResetRequest.objects.filter(pk=row.pk).update(state=state, closed_by=by, closed_at=now, close_reason=reason)
    row.refresh_from_db()
    record_event(
        EventKind.MFA_RESET_CANCELLED if cancel else EventKind.MFA_RESET_DENIED,
        request=request,
        user=row.user,
        data={
            "reset": row.pk,
            "reason": "cancelled" if cancel else "refused",
            "by": by.username,
            "case": row.case_reference,
        },
        notify=True,
    )
    _case_step(
        row.case_reference,
        by=by,
        step="mfa_reset_cancelled" if cancel else "mfa_reset_refused",
        body=(gettext("Reset cancelled: %(reason)s") if cancel else gettext("Reset refused: %(reason)s"))
        % {"reason": reason or "–"},
    )
    return row


def mfa_reset_cancel(*, reset_request: MfaResetRequest, by: User, reason: str = "", request=None) -> MfaResetRequest:
    return mfa_reset_refuse(reset_request=reset_request, by=by, reason=reason, request=request)


# --- 5. After the reset ---------------------------------------------------------------------------------------------


def agent_area_entered(request) -> None:
    """Called on entering the agents' workspace (agent pages, the admin): when this account's second factor was
    reset by the helpdesk less than a day ago, the security team is alerted, once per session (R41)."""
    session = request.session
    if session.get(AGENT_AREA_CHECKED):
        return
    session[AGENT_AREA_CHECKED] = True
    user = request.user
    since = timezone.now() - COOLING_OFF
    latest = (
        MfaResetRequest.objects.filter(user=user, state=MfaResetState.EXECUTED, executed_at__gt=since)
        .order_by("-executed_at")
        .first()
    )
    if latest is None:
        return
    record_event(
        EventKind.ALERT_RESET_AGENT_AREA,
        request=request,
        user=user,
        data={"reset": latest.pk, "case": latest.case_reference, "path": request.path[:200]},
        notify=True,
    )
