"""Self-service password reset by an e-mailed link (R18–R25).

The request page does the same work whatever was typed: it stores a PasswordResetRequest and queues its task by
id (R18, R19). The worker finds the account (through the credential store, so a directory account that never
signed in is found too), applies the per-account limit (R20), issues the link and mails it; the link's secret
exists only in that e-mail: the database keeps its SHA-256 digest, no task argument or log line ever holds it (R23).

A link is valid 30 minutes, once, while it is the account's newest one and while the account is as it was when the
link was issued: its fingerprint covers the password, the last sign-in, both addresses, the active flag and the
security stamp, so a sign-in, a password change, an address change, a factor change, deactivation or any action
that bumps the stamp voids it (R21, R22). Opening the link changes nothing; only the final form uses it up.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from portal.identity import credentials, lockout, services
from portal.identity.events import record_event
from portal.models import EventKind, PasswordResetRequest, PasswordResetToken, User
from portal.web import outbox, ratelimit
from portal.web.network import client_ip

log = logging.getLogger(__name__)

SALT = "portal.identity.reset"
SECRET_BYTES = 32  # 256 bits from the system's CSPRNG
MAX_SECRET_LENGTH = 64  # a token_urlsafe(32) is 43 characters; anything much longer is not ours


def lifetime() -> timedelta:
    return timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _fingerprint(user: User) -> str:
    last_login = user.last_login.replace(microsecond=0).isoformat() if user.last_login else ""
    state = "|".join(
        (
            str(user.pk),
            user.password,
            last_login,
            user.email,
            user.recovery_email,
            str(user.is_active),
            str(user.security_stamp),
        )
    )
    return salted_hmac(SALT, state, algorithm="sha256").hexdigest()


# --- The request ---------------------------------------------------------------------------------------------------


def reset_request(*, submitted: str, request) -> None:
    """Record an "I forgot my password" form and queue its e-mail; the same work whoever it names (R18, R19).

    Past the per-address limit the request is dropped without a word (R20): the page the person sees is the same.
    """
    if ratelimit.limited(request, "password_reset") is not None:
        log.info("password reset request over the per-address limit, not recorded")
        return
    row = PasswordResetRequest.objects.create(
        submitted=submitted.strip()[:254], ip=client_ip(request), created_at=timezone.now()
    )
    outbox.queue("portal.tasks.send_password_reset", row.pk)


def reset_mail_deliver(request_id: int) -> bool:
    """The worker's side of one request: claim it, and when it names an active account under its hourly limit,
    issue a link and mail it; True when an e-mail went. Idempotent (the outbox claim); an SMTP failure rolls the
    link back with the claim, so the sweep sends a fresh one."""
    with transaction.atomic():
        return outbox.deliver(PasswordResetRequest, request_id, messages=_messages)


def _settle(row: PasswordResetRequest, outcome: str) -> None:
    PasswordResetRequest.objects.filter(pk=row.pk).update(outcome=outcome)


def _messages(row: PasswordResetRequest) -> list:
    now = timezone.now()
    if now - row.created_at > lifetime():
        _settle(row, "stale")  # the person asked long ago; a link now would surprise more than help
        return []
    found = credentials.store().find(row.submitted)
    # Locked, so two requests for one account handled at once count each other against the limit.
    user = User.objects.select_for_update().filter(pk=found.pk, is_active=True).first() if found else None
    if user is None or not (user.email or user.recovery_email):
        _settle(row, "unknown")
        return []
    recent = PasswordResetToken.objects.filter(user=user, created_at__gte=now - timedelta(hours=1)).count()
    if recent >= settings.GUICHET_RESET_EMAILS_PER_HOUR:
        _settle(row, "limited")
        return []
    secret = link_issue(user)
    record_event(EventKind.PASSWORD_RESET_LINK, ip=row.ip, user=user, data={"request": row.pk})
    _settle(row, "sent")
    return [
        outbox.make_message(
            "password-reset",
            to=recipients(user),
            language=user.language,
            context=lambda: {
                "name": user.get_short_name(),
                "identifier": user.username,
                "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
                # From the configured address only, never from a request's Host header (R23).
                "link": settings.SITE_URL + reverse("portal:password_reset_link", kwargs={"secret": secret}),
                "request_again_url": settings.SITE_URL + reverse("portal:password_reset"),
            },
        )
    ]


def recipients(user: User) -> list[str]:
    """The stored addresses, never what was typed (R21): the recovery address first (the person who forgot the
    mailbox password cannot read that mailbox), and the work one, still read on a phone that kept its session."""
    addresses = [address for address in (user.recovery_email, user.email) if address]
    if len(addresses) == 2 and addresses[0].casefold() == addresses[1].casefold():
        addresses.pop()
    return addresses


def link_issue(user: User) -> str:
    """A new link for ``user``, the only live one (newest wins, R22); returns its secret, which nothing keeps."""
    now = timezone.now()
    PasswordResetToken.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    PasswordResetToken.objects.create(
        user=user, digest=_digest(secret), fingerprint=_fingerprint(user), created_at=now, expires_at=now + lifetime()
    )
    return secret


def links_void(user: User) -> int:
    """End every live link of ``user`` (a helpdesk action on the account); returns how many."""
    now = timezone.now()
    return PasswordResetToken.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)


# --- The link ------------------------------------------------------------------------------------------------------


def link_for(secret: str) -> PasswordResetToken | None:
    """The live link whose secret this is, with its account; None when unknown, used, expired, superseded, or when
    the account changed since it was issued. Changes nothing: opening a link twice (a mail scanner) is harmless."""
    if not isinstance(secret, str) or not 0 < len(secret) <= MAX_SECRET_LENGTH:
        return None
    token = PasswordResetToken.objects.select_related("user").filter(digest=_digest(secret)).first()
    if token is None or token.used_at is not None or token.expires_at <= timezone.now():
        return None
    if not token.user.is_active or not constant_time_compare(token.fingerprint, _fingerprint(token.user)):
        return None
    return token


@transaction.atomic
def reset_complete(*, token: PasswordResetToken, password: str, request) -> bool:
    """Use the link up and give its account ``password``; False when another request used it first (of 50 at once,
    one wins). Ends every session, API token, known-device cookie and other link (R25), lifts the identifier's
    sign-in locks and notifies the person (R26). Signs nobody in (R24). The store's policy may refuse the password
    (credentials.PasswordRefused): then nothing happened and the link still works."""
    now = timezone.now()
    claimed = PasswordResetToken.objects.filter(pk=token.pk, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if not claimed:
        return False
    user = User.objects.select_for_update().get(pk=token.user_id)
    services.password_set(user=user, password=password, by=user, reason="reset", request=request)
    lockout.unlock(user.username)
    return True


def resets_purge() -> int:
    """Delete requests older than a day and links past their end for a day (the helpdesk's window to answer "I
    never got it"); idempotent. Returns how many rows went."""
    cutoff = timezone.now() - timedelta(days=1)
    requests_deleted, _ = PasswordResetRequest.objects.filter(created_at__lt=cutoff).delete()
    links_deleted, _ = PasswordResetToken.objects.filter(expires_at__lt=cutoff).delete()
    return requests_deleted + links_deleted
