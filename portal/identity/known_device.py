"""The known-device cookie: proof that this browser completed a full sign-in (password and code) before.

It does not skip any factor. It only moves the browser's sign-in attempts to their own lockout counter, so a
stranger who locks an identifier by guessing does not lock its owner out of the browser they always use (R5).
It is bound to the security stamp: a password reset, a factor change or "sign out everywhere" voids it.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "portal.known-device"


def _stamp_digest(user) -> str:
    return salted_hmac(SALT, str(user.security_stamp), algorithm="sha256").hexdigest()[:32]


def remember(response: HttpResponse, user) -> None:
    value = signing.dumps({"u": user.pk, "d": secrets.token_urlsafe(12), "s": _stamp_digest(user)}, salt=SALT)
    response.set_cookie(
        settings.GUICHET_KNOWN_DEVICE_COOKIE,
        value,
        max_age=int(settings.GUICHET_KNOWN_DEVICE_MAX_AGE.total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def device_id_for(request: HttpRequest, user) -> str | None:
    """The device id if the request carries a valid known-device cookie for ``user``, else None."""
    raw = request.COOKIES.get(settings.GUICHET_KNOWN_DEVICE_COOKIE)
    if not raw or user is None:
        return None
    try:
        payload = signing.loads(raw, salt=SALT, max_age=settings.GUICHET_KNOWN_DEVICE_MAX_AGE)
    except signing.BadSignature:
        return None
    if payload.get("u") != user.pk or not constant_time_compare(payload.get("s", ""), _stamp_digest(user)):
        return None
    return str(payload.get("d"))[:32]
