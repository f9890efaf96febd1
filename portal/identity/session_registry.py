"""The list of a person's signed-in browsers, and signing one of them out from another (R33).

``register`` runs when a session is fully signed in; ``check`` runs on every authenticated request (from
SessionPolicyMiddleware) and tells whether the session was signed out from elsewhere; ``end`` and ``end_one`` remove
one entry; ``end_all`` is the one way every session of a person ends at once (their "sign out my other sessions", an
administrator's "every session", a password change, a factor change, "this wasn't me", deactivation).
"""

import logging

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.utils import timezone

from portal.models import SignedInSession
from portal.web.network import client_ip
from portal.web.statements import first_row

log = logging.getLogger(__name__)

SESSION_ENTRY = "guichet_session_entry"


def register(request: HttpRequest) -> SignedInSession:
    entry = SignedInSession.objects.create(
        user=request.user,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    request.session[SESSION_ENTRY] = entry.public_id
    return entry


def check(request: HttpRequest, *, touch: bool) -> bool:
    """False when this session's entry was removed (signed out from another browser or by an admin).

    A signed-in session without an entry (signed in before the registry existed) is registered now. With
    ``touch``, the entry's last activity is updated (the caller rate-limits it).
    """
    public_id = request.session.get(SESSION_ENTRY)
    if public_id is None:
        register(request)
        return True
    if touch:
        entries = SignedInSession.objects.filter(public_id=public_id, user=request.user)
        return entries.update(last_seen_at=timezone.now(), ip=client_ip(request)) == 1
    return first_row(SignedInSession, (), ("public_id", "=", public_id), ("user", "=", request.user.pk)) is not None


def current_id(request: HttpRequest) -> str | None:
    return request.session.get(SESSION_ENTRY)


def end(request: HttpRequest) -> None:
    """Forget this session's entry (at sign-out)."""
    public_id = request.session.get(SESSION_ENTRY)
    if public_id is not None:
        SignedInSession.objects.filter(public_id=public_id).delete()


def end_one(*, user, public_id: str) -> bool:
    """Sign out one of the person's other browsers; False when there is no such entry (already gone)."""
    deleted, _ = SignedInSession.objects.filter(user=user, public_id=public_id).delete()
    return deleted > 0


def end_all(*, user, request: HttpRequest | None = None, keep: str | None = None) -> int:
    """End every session of ``user`` except the entry ``keep``; returns how many list entries went.

    The security stamp is bumped: sessions hash it, so every session of the person (whatever the session backend),
    every reset link, known-device cookie and API token fails its next check. ``keep`` is honoured only when it is
    ``request``'s own session of ``user``: that session gets the new hash and a new key, and carries on. Records no
    event: the caller's service records the one that says why.
    """
    user.bump_security_stamp()
    kept = keep is not None and request is not None and keep == current_id(request) and request.user.pk == user.pk
    if kept:
        update_session_auth_hash(request, user)
    deleted, _ = SignedInSession.objects.filter(user=user).exclude(public_id=keep if kept else "").delete()
    return deleted


def sessions_purge_expired() -> int:
    """Delete session rows past their expiry, and list entries whose session cannot be alive any more (past the
    longest absolute limit); idempotent (a second run finds nothing to delete). Returns how many rows went."""
    now = timezone.now()
    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    longest = max(limits["absolute"] for limits in settings.GUICHET_SESSION_LIMITS.values())
    entries, _ = SignedInSession.objects.filter(last_seen_at__lt=now - longest).delete()
    log.info("purged %d expired sessions and %d session-list entries", deleted, entries)
    return deleted + entries
