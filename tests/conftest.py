import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from portal.celery import app as celery_app
from portal.models import Role
from tests.helpers import DEMO_PASSWORD, REQUIRE_SERVICES, SUMMARY_LINES, enrol_totp


def pytest_report_header(config):
    database = django_settings.DATABASES["default"]
    cache_backend = django_settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    broker = django_settings.CELERY_BROKER_URL.split("://", 1)[0]
    return [
        f"guichet: database={database['ENGINE'].rsplit('.', 1)[-1]} "
        f"host={database.get('HOST') or '-'}:{database.get('PORT') or '-'}, "
        f"cache={cache_backend}, broker={broker}, services required={REQUIRE_SERVICES}"
    ]


def pytest_configure(config):
    config.stash[SUMMARY_LINES] = []


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(SUMMARY_LINES, []):
        terminalreporter.write_line(line)


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
def _isolated_cache(monkeypatch):
    """Every test starts with an empty cache (Redis under `make test` is shared by the whole run), and with the
    cache and the broker not marked as having just failed (portal.web.cache.RETRY_AFTER)."""
    import portal.celery
    import portal.web.cache

    monkeypatch.setattr(portal.web.cache, "_down_until", 0.0)
    monkeypatch.setattr(portal.celery, "_broker_down_until", 0.0)
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
def marie(django_user_model):
    """Marie, a teacher who files incidents about her own mailbox."""
    return _make_user(django_user_model, "marie.dupont", "Marie Dupont", Role.STAFF)


@pytest.fixture
def jean(django_user_model):
    """Jean, another staff member: must never see Marie's tickets."""
    return _make_user(django_user_model, "jean.martin", "Jean Martin", Role.STAFF)


@pytest.fixture
def sophie(django_user_model):
    """Sophie, a helpdesk agent, member of every queue."""
    from tests.tickets.helpers import join_every_queue

    sophie = _make_user(django_user_model, "sophie.bernard", "Sophie Bernard", Role.AGENT)
    join_every_queue(sophie)
    return sophie


@pytest.fixture
def alain(django_user_model):
    """Alain, an administrator of the portal."""
    return _make_user(django_user_model, "alain.admin", "Alain Admin", Role.ADMIN)


@pytest.fixture
def problem_types(db):
    """The demo's queues and nine problem types with their form fields, by slug (tests/tickets/helpers.py)."""
    from tests.tickets.helpers import create_problem_types

    return create_problem_types()


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


@pytest.fixture
def directory(settings, db):
    """The test slapd with nobody in it yet, and the portal using it as its credential store (tests/directory.py)."""
    from tests.directory import TestDirectory, available, portal_settings

    available()
    portal_settings(settings)
    hand = TestDirectory()
    hand.empty()
    yield hand
    hand.empty()
