"""Personal API tokens (R42): issued to a session that just proved every factor, shown once, kept as a hash,
scoped, expiring, listed and revoked on the security page, and ended by anything that bumps the security stamp
(a password change or reset, "sign out my other sessions", deactivation).

A token reads ``gch_<prefix>_<secret>``; programs send it as ``Authorization: Bearer …``. Checking a token is a
credential check: each wrong one counts as a failed sign-in from the client address (the R4 counter,
portal.identity.lockout), and an address over that limit is refused before any token is looked at.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.identity import cooling_off, lockout
from portal.identity.events import record_event
from portal.models import ApiToken, EventKind, Scope
from portal.web.network import client_ip

TOKEN_PREFIX = "gch"  # noqa: S105 - the marker of our tokens, not a secret
LIFETIMES = (7, 30, 90)  # days a person may choose


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    value: str  # shown once, never stored


def scopes_for(user) -> list[tuple[str, str]]:
    """The scopes this person may give a token: the agent scope only to agents and admins."""
    return [(value, label) for value, label in Scope.choices if value != Scope.AGENT or user.is_agent]


def api_token_issue(*, request, name: str, scopes: list[str], days: int) -> IssuedToken:
    """A new token for the signed-in person. Within a day of a helpdesk reset of their second factor, raises
    cooling_off.CoolingOff (R41)."""
    cooling_off.refuse_during(request.user, cooling_off.API_TOKEN, request=request)
    return _issue(request=request, name=name, scopes=scopes, days=days)


@transaction.atomic
def _issue(*, request, name: str, scopes: list[str], days: int) -> IssuedToken:
    user = request.user
    prefix = secrets.token_hex(ApiToken.PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        secret_hash=ApiToken.digest(secret),
        scopes=sorted(scopes),
        stamp=user.security_stamp,
        expires_at=timezone.now() + timedelta(days=days),
    )
    record_event(
        EventKind.API_TOKEN_CREATED,
        request=request,
        user=user,
        data={"name": name, "prefix": prefix, "scopes": token.scopes, "days": days},
        notify=True,
    )
    return IssuedToken(token, f"{TOKEN_PREFIX}_{prefix}_{secret}")


@transaction.atomic
def api_token_revoke(*, request, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            EventKind.API_TOKEN_REVOKED,
            request=request,
            user=token.user,
            data={"name": token.name, "prefix": token.prefix},
        )


class TokenRefused(Exception):
    """The token is unknown, wrong, expired, revoked or ended; ``source_blocked``: the address is over its limit."""

    def __init__(self, *, source_blocked: bool = False):
        super().__init__("token refused")
        self.source_blocked = source_blocked


def api_token_check(request, value: str) -> ApiToken:
    """The usable token ``value`` stands for, or TokenRefused (after counting the failure against the address)."""
    ip = client_ip(request)
    if lockout.source_blocked(ip):
        raise TokenRefused(source_blocked=True)
    _scheme, _, rest = value.partition(f"{TOKEN_PREFIX}_")
    prefix, _, secret = rest.partition("_")
    token = ApiToken.objects.select_related("user").filter(prefix=prefix[: ApiToken.PREFIX_LENGTH]).first()
    digest = ApiToken.digest(secret)
    # Compared in constant time, and a digest is computed even for an unknown prefix, so timing tells nothing.
    matches = token is not None and hmac.compare_digest(token.secret_hash, digest) and not _scheme
    if not matches or not token.is_usable:
        lockout.record_source_failure(ip)
        raise TokenRefused()
    if token.last_used_at is None or timezone.now() - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())  # at most one write in 5 minutes
    return token
