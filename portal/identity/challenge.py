"""The bot challenge of the sign-in form: a proof of work the browser solves before any password is checked (R7).

It is asked for after ``GUICHET_CHALLENGE_AFTER_FAILURES`` failures from one address, or while the detection job
(portal/identity/detection.py) has switched on challenge mode for the address's network or for everyone. It never
replaces the lockout or the per-address limit: it makes scripted guessing cost CPU on the attacker's side.

The server hands out a signed, time-limited token naming the address and the difficulty; the browser searches for
a counter such that SHA-256(token ":" counter) starts with that many zero bits (static/js/challenge.js). A solution
is accepted once (a cache key records it; the cache is Redis, shared by every web process, in production).
Nothing needs a third-party service, and nothing asks the person to read or hear a puzzle.
"""

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from portal.models import ChallengeMode, SourceThrottle

SALT = "guichet.signin-challenge"


@dataclass(frozen=True)
class Challenge:
    token: str
    bits: int


def network_of(ip: str) -> str:
    """The /24 (IPv4) or /64 (IPv6) an address belongs to: the unit a spraying source usually controls."""
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def required(ip: str) -> bool:
    now = timezone.now()
    if ChallengeMode.objects.filter(
        Q(network=ChallengeMode.GLOBAL) | Q(network=network_of(ip)), active_until__gt=now
    ).exists():
        return True
    return SourceThrottle.objects.filter(
        ip=ip,
        window_started_at__gte=now - settings.GUICHET_SOURCE_WINDOW,
        failures__gte=settings.GUICHET_CHALLENGE_AFTER_FAILURES,
    ).exists()


def issue(ip: str) -> Challenge:
    bits = settings.GUICHET_CHALLENGE_BITS
    token = signing.dumps({"n": secrets.token_urlsafe(12), "ip": ip, "b": bits}, salt=SALT)
    return Challenge(token=token, bits=bits)


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def solves(token: str, answer: str, bits: int) -> bool:
    return leading_zero_bits(hashlib.sha256(f"{token}:{answer}".encode()).digest()) >= bits


def verify(ip: str, token: str, answer: str) -> bool:
    """True when ``answer`` solves a token issued to this address, not expired and not used before."""
    if not token or not answer or len(answer) > 20 or not answer.isdigit():
        return False
    try:
        claims = signing.loads(token, salt=SALT, max_age=settings.GUICHET_CHALLENGE_MAX_AGE)
    except signing.BadSignature:
        return False
    if claims.get("ip") != ip or not solves(token, answer, int(claims.get("b", 0))):
        return False
    # Single use: of two requests replaying one solution, only the first adds the key.
    lifetime = int(settings.GUICHET_CHALLENGE_MAX_AGE.total_seconds())
    return cache.add(f"signin-challenge-used:{claims['n']}", 1, timeout=lifetime)
