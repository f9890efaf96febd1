"""What test modules share that is not a fixture: the demo password, the personas' codes, the services check,
the anti-robot answer, the figures shown at the end of a run, and where the repository's files are."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

DEMO_PASSWORD = "correct-horse-battery-staple"

# Set by `make test`, which starts PostgreSQL and Redis and installs Chromium: what would be skipped without
# them must fail instead, so a green run always means a run on the real services.
REQUIRE_SERVICES = os.environ.get("GUICHET_REQUIRE_SERVICES") == "1"


# Lines a test module wants shown at the end of the run (figures a closing note quotes), whatever pytest captured.
SUMMARY_LINES = pytest.StashKey[list]()


def requires_services():
    """Skip when PostgreSQL and Redis are not configured, unless `make test` said they must be there."""
    if connection.vendor == "postgresql" and django_settings.CELERY_BROKER_URL.startswith("redis"):
        return
    if REQUIRE_SERVICES:
        pytest.fail("GUICHET_REQUIRE_SERVICES=1 but the suite is not configured for PostgreSQL and Redis")
    pytest.skip("needs DATABASE_URL (PostgreSQL) and REDIS_URL; run `make test`")


def second_connection(**options):
    """A psycopg connection of its own to the test database, beside Django's: another process as PostgreSQL sees
    it (to hold a lock, to end a backend)."""
    import psycopg

    names = {"host": "HOST", "port": "PORT", "user": "USER", "password": "PASSWORD", "dbname": "NAME"}
    dsn = {key: connection.settings_dict[name] for key, name in names.items() if connection.settings_dict[name]}
    return psycopg.connect(**dsn, **options)


def totp_now(device, offset_steps: int = 0) -> str:
    """The code an authenticator app would show now (or `offset_steps` steps away) for a TOTP device."""
    from django_otp.oath import totp

    # Shifting t0 back by k steps makes "now" look k steps later to the code generator.
    code = totp(device.bin_key, device.step, device.t0 - offset_steps * device.step, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def enrol_totp(user, name="Téléphone"):
    from portal.models import AuthenticatorApp

    return AuthenticatorApp.objects.create(user=user, name=name, confirmed=True)


def solved_challenge(ip: str = "127.0.0.1") -> dict:
    """The anti-robot fields a browser would send from `ip`: a solved challenge when one is required, else none."""
    from itertools import count

    from portal.identity import challenge

    if not challenge.required(ip):
        return {}
    issued = challenge.issue(ip)
    answer = next(str(n) for n in count() if challenge.solves(issued.token, str(n), issued.bits))
    return {"challenge": issued.token, "challenge_answer": answer}
