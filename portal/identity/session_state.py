"""What the portal keeps in a session about how and when the person signed in. One place for the key names."""

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

# Half-signed-in state between the password and the code (never an authenticated session).
PENDING_USER = "guichet_pending_user"
PENDING_STAMP = "guichet_pending_stamp"
PENDING_AT = "guichet_pending_at"
# Fully signed in: when the session started, when it was last used, and when the person last proved who they are
# with every factor they have (password and code; password alone while they have no second factor yet).
SIGNED_IN_AT = "guichet_signed_in_at"
SEEN_AT = "guichet_seen_at"
REAUTH_AT = "guichet_reauth_at"
# Set at sign-in when the password typed is on the breached list or built on the person's or the organisation's
# words: nothing but changing it is allowed (R28). The value is the reason (portal.identity.passwords.WEAK_*).
PASSWORD_MUST_CHANGE = "guichet_password_must_change"  # noqa: S105 (a session key name)
# A session opened with a helpdesk temporary access pass (portal.identity.access_pass): the pass's id and when the
# session ends. It reaches only adding a second factor and choosing a new password; proving the pass is its
# re-authentication, for as long as it lasts. ACCESS_PASS_PASSWORD: the new password is chosen.
ACCESS_PASS = "guichet_access_pass"  # noqa: S105 (a session key name)
ACCESS_PASS_PASSWORD = "guichet_access_pass_password"  # noqa: S105 (a session key name)


def now_stamp() -> str:
    return timezone.now().isoformat()


def read_time(request: HttpRequest, key: str) -> datetime | None:
    raw = request.session.get(key)
    return datetime.fromisoformat(raw) if raw else None


def mark_reauthenticated(request: HttpRequest) -> None:
    """Record that the person just proved every factor they have (sign-in or re-authentication)."""
    request.session[REAUTH_AT] = now_stamp()


def reauthenticated_recently(request: HttpRequest) -> bool:
    if ACCESS_PASS in request.session:
        return True  # the pass was proved at sign-in; the session policy ends this session with the pass's hour
    at = read_time(request, REAUTH_AT)
    return at is not None and timezone.now() - at <= settings.GUICHET_REAUTH_MAX_AGE
