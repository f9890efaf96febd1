"""The temporary access pass a helpdesk reset ends with (R40), and the restricted session it opens.

The pass is 16 characters of an unambiguous alphabet (about 79 bits), read out by the approving agent to the person
whose identity was checked. The database keeps its SHA-256 only; it works once, for an hour, and only the newest
one of an account. Signing in with it (identifier and pass, on its own page) opens a session that reaches nothing
but adding a second factor and choosing a new password (portal.identity.middleware); the session ends with the
pass's hour. Once both are done the session is closed and the person signs in normally, with the new password and
the new factor.

A wrong pass counts as a failed sign-in, against the identifier (a counter of its own, so that a stranger typing
wrong passes does not lock the person's password sign-in) and against the client address.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import login as auth_login
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import user_has_device

from portal.identity import credentials, lockout, services, session_registry, session_state
from portal.identity.events import record_event
from portal.models import EventKind, TemporaryAccessPass, User
from portal.models.helpdesk import ACCESS_PASS_LIFETIME
from portal.web.network import client_ip

# No 0/O, 1/I/L: read out over the phone or a video call, and typed from a note.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 16
MAX_TYPED_LENGTH = 40
SESSION_KEY = session_state.ACCESS_PASS


def _digest(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def normalise(typed: str) -> str:
    """What the person typed, without spaces, dashes or case: "abcd-efgh …" is "ABCDEFGH…"."""
    return "".join(ch for ch in str(typed).upper() if ch.isalnum())


def pass_issue(*, user: User, by: User, reset=None) -> str:
    """A new pass for ``user``, the only live one (earlier ones end now); returns it grouped by four for reading
    out. Nothing keeps it: the caller shows it once."""
    now = timezone.now()
    TemporaryAccessPass.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    TemporaryAccessPass.objects.create(
        user=user, reset=reset, digest=_digest(raw), issued_by=by, created_at=now, expires_at=now + ACCESS_PASS_LIFETIME
    )
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def passes_void(user: User) -> int:
    now = timezone.now()
    return TemporaryAccessPass.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )


class Result:
    OK = "ok"
    REFUSED = "refused"  # unknown identifier, wrong, used, expired pass, locked: one answer for all
    SOURCE_BLOCKED = "source_blocked"


@dataclass
class Outcome:
    result: str
    user: User | None = None


def _key(identifier: str) -> str:
    return f"{lockout.identifier_key(identifier)}|access-pass"


def sign_in_with_pass(request: HttpRequest, identifier: str, typed: str) -> Outcome:
    """Check the pass and, when it is the account's live one, use it up and open the restricted session."""
    ip = client_ip(request)
    if lockout.source_blocked(ip):
        return Outcome(Result.SOURCE_BLOCKED)
    identifier = identifier.strip().casefold()[:150]
    key = _key(identifier)
    if not lockout.claim_attempt(key):
        return Outcome(Result.REFUSED)
    user = User.objects.filter(username=identifier, is_active=True).first()
    code = normalise(typed)[:MAX_TYPED_LENGTH]
    digest = _digest(code)  # computed whatever the account, so timing says nothing
    now = timezone.now()
    candidate = (
        TemporaryAccessPass.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).order_by("-pk").first()
        if user is not None
        else None
    )
    matches = candidate is not None and hmac.compare_digest(candidate.digest, digest)
    # Conditional update: of two requests with the same pass, one wins.
    claimed = (
        matches
        and TemporaryAccessPass.objects.filter(pk=candidate.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
        == 1
    )
    if not claimed:
        lockout.record_failure(key)
        record_event(
            EventKind.LOGIN_FAIL, request=request, user=user, identifier=identifier, data={"reason": "access_pass"}
        )
        if lockout.record_source_failure(ip):
            record_event(EventKind.SOURCE_THROTTLED, request=request, identifier=identifier)
        return Outcome(Result.REFUSED)
    lockout.record_success(key)
    _open_session(request, user, candidate)
    return Outcome(Result.OK, user)


def _open_session(request: HttpRequest, user: User, access_pass: TemporaryAccessPass) -> None:
    # Django's login gives a new session key and CSRF token (R31); no device is verified in this session.
    auth_login(request, user, backend=credentials.BACKEND)
    session_registry.register(request)
    stamp = session_state.now_stamp()
    request.session[session_state.SIGNED_IN_AT] = stamp
    request.session[session_state.SEEN_AT] = stamp
    request.session[SESSION_KEY] = {"pass": access_pass.pk, "until": access_pass.expires_at.isoformat()}
    record_event(
        EventKind.ACCESS_PASS_LOGIN,
        request=request,
        user=user,
        identifier=user.username,
        data={"reset": access_pass.reset_id, "until": access_pass.expires_at.isoformat(timespec="minutes")},
        notify=True,
    )


def in_session(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return session is not None and SESSION_KEY in session


def session_end_time(request: HttpRequest) -> datetime | None:
    """When the pass's session must end; None when this session was not opened with a pass. Unreadable: now."""
    state = request.session.get(SESSION_KEY)
    if state is None:
        return None
    try:
        return datetime.fromisoformat(state["until"])
    except (KeyError, TypeError, ValueError):
        return timezone.now()


@dataclass(frozen=True)
class Steps:
    factor_added: bool
    password_chosen: bool

    @property
    def done(self) -> bool:
        return self.factor_added and self.password_chosen


PASSWORD_CHOSEN = session_state.ACCESS_PASS_PASSWORD


def steps(request: HttpRequest) -> Steps:
    return Steps(
        factor_added=user_has_device(request.user, confirmed=True),
        password_chosen=bool(request.session.get(PASSWORD_CHOSEN)),
    )


@transaction.atomic
def new_password_set(*, request: HttpRequest, password: str) -> None:
    """The pass session's new password (the store's policy may refuse it: credentials.PasswordRefused). Lifts the
    "reset required" the helpdesk reset set."""
    services.password_set(user=request.user, password=password, by=request.user, reason="helpdesk", request=request)
    request.session[PASSWORD_CHOSEN] = True
