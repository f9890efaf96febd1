import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection

from portal.celery import app as celery_app
from portal.models import Role

DEMO_PASSWORD = "correct-horse-battery-staple"

# Set by `make test`, which starts PostgreSQL and Redis and installs Chromium: what would be skipped without
# them must fail instead, so a green run always means a run on the real services.
REQUIRE_SERVICES = os.environ.get("GUICHET_REQUIRE_SERVICES") == "1"


def pytest_report_header(config):
    database = django_settings.DATABASES["default"]
    cache_backend = django_settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    broker = django_settings.CELERY_BROKER_URL.split("://", 1)[0]
    return [
        f"guichet: database={database['ENGINE'].rsplit('.', 1)[-1]} "
        f"host={database.get('HOST') or '-'}:{database.get('PORT') or '-'}, "
        f"cache={cache_backend}, broker={broker}, services required={REQUIRE_SERVICES}"
    ]


# Lines a test module wants shown at the end of the run (figures a closing note quotes), whatever pytest captured.
SUMMARY_LINES = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[SUMMARY_LINES] = []


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(SUMMARY_LINES, []):
        terminalreporter.write_line(line)


def requires_services():
    """Skip when PostgreSQL and Redis are not configured, unless `make test` said they must be there."""
    if connection.vendor == "postgresql" and django_settings.CELERY_BROKER_URL.startswith("redis"):
        return
    if REQUIRE_SERVICES:
        pytest.fail("GUICHET_REQUIRE_SERVICES=1 but the suite is not configured for PostgreSQL and Redis")
    pytest.skip("needs DATABASE_URL (PostgreSQL) and REDIS_URL; run `make test`")


@pytest.fixture
def clock(monkeypatch):
    """The server's clock, moved forward without waiting (sessions, locks and events all read timezone.now)."""
    from datetime import timedelta

    from django.utils import timezone

    real_now = timezone.now

    class Clock:
        offset = timedelta(0)

        def advance(self, **elapsed):
            self.offset += timedelta(**elapsed)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + clock.offset)
    return clock


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """A language a test (or code under test) activated does not carry over into the next test's messages."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Every test starts with an empty cache (Redis under `make test` is shared by the whole run)."""
    cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery():
    """Unit tests run tasks inline; tests marked `worker` send them to a real worker instead."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _make_user(django_user_model, username, display_name, role):
    return django_user_model.objects.create_user(
        username,
        f"{username}@ac-exemple.fr",
        DEMO_PASSWORD,
        display_name=display_name,
        role=role,
    )


@pytest.fixture
def staff(django_user_model):
    """Marie, a teacher who files incidents about her own mailbox."""
    return _make_user(django_user_model, "marie.dupont", "Marie Dupont", Role.STAFF)


@pytest.fixture
def staff2(django_user_model):
    """Jean, another staff member: must never see Marie's tickets."""
    return _make_user(django_user_model, "jean.martin", "Jean Martin", Role.STAFF)


@pytest.fixture
def agent(django_user_model):
    """Sophie, a helpdesk agent."""
    return _make_user(django_user_model, "sophie.bernard", "Sophie Bernard", Role.AGENT)


@pytest.fixture
def admin_user(django_user_model):
    """Alain, an administrator of the portal."""
    return _make_user(django_user_model, "alain.admin", "Alain Admin", Role.ADMIN)


@pytest.fixture
def problem_types(db):
    """The demo's queues and nine problem types with their form fields, by slug (tests/ticket_helpers.py)."""
    from tests.ticket_helpers import create_problem_types

    return create_problem_types()


def totp_now(device, offset_steps: int = 0) -> str:
    """The code an authenticator app would show now (or `offset_steps` steps away) for a TOTP device."""
    from django_otp.oath import totp

    # Shifting t0 back by k steps makes "now" look k steps later to the code generator.
    code = totp(device.bin_key, device.step, device.t0 - offset_steps * device.step, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def enrol_totp(user, name="Téléphone"):
    from portal.models import AuthenticatorApp

    return AuthenticatorApp.objects.create(user=user, name=name, confirmed=True)


@pytest.fixture
def sign_in():
    """Sign a client in as a user, fully: password and a verified second factor (creating a TOTP device)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from portal.identity.session_registry import SESSION_ENTRY
    from portal.identity.session_state import REAUTH_AT, SEEN_AT, SIGNED_IN_AT, now_stamp
    from portal.models import AuthenticatorApp, SignedInSession

    def sign(client, user, *, verified=True):
        client.force_login(user)
        session = client.session
        stamp = now_stamp()
        session[SIGNED_IN_AT] = session[SEEN_AT] = stamp
        if verified:
            device = AuthenticatorApp.objects.filter(user=user, confirmed=True).first() or enrol_totp(user)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session[REAUTH_AT] = stamp
        # Listed among the person's sessions, as the sign-in form does (portal/identity/session_registry.py).
        session[SESSION_ENTRY] = SignedInSession.objects.create(user=user).public_id
        session.save()
        return client

    return sign


def solved_challenge(ip: str = "127.0.0.1") -> dict:
    """The anti-robot fields a browser would send from `ip`: a solved challenge when one is required, else none."""
    from itertools import count

    from portal.identity import challenge

    if not challenge.required(ip):
        return {}
    issued = challenge.issue(ip)
    answer = next(str(n) for n in count() if challenge.solves(issued.token, str(n), issued.bits))
    return {"challenge": issued.token, "challenge_answer": answer}
