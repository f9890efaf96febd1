"""Security e-mails (R26): one per event, in the person's language, no secret, links to the configured site; sent
from an outbox so that a broker outage only delays them (R36)."""

import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import formats, timezone, translation

from portal.celery import app as celery_app
from portal.identity.events import record_event
from portal.identity.notifications import browser_summary, deliver_event_notification
from portal.models import EventKind, SecurityEvent
from portal.tasks import deliver_pending_notifications, send_security_notification
from tests.helpers import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

LOGOUT_OTHERS = reverse("portal:logout_others")
CHANGE = reverse("portal:password_change")
NEW_PASSWORD = "vfq8 Lzo2 wpx7"
FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def broker_down():
    """Tasks really go to a broker, and nothing listens where it is supposed to be."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager, conf.broker_url = False, "redis://127.0.0.1:1/0"
    _forget_broker_connections()
    yield
    conf.task_always_eager, conf.broker_url = saved
    _forget_broker_connections()


def _forget_broker_connections():
    # Connection pools are built from the broker address on first use; drop them so the address above is used.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def bodies(mail) -> list[str]:
    """The plain-text body and the HTML alternative."""
    return [mail.body, *(content for content, _ in mail.alternatives)]


def unsent_event(user, kind=EventKind.MFA_DEVICE_ADD) -> SecurityEvent:
    """An event whose task never reached a worker: the outbox row alone."""
    return SecurityEvent.objects.create(kind=kind, user=user, notify=True)


# --- What the e-mail says -----------------------------------------------------------------------------------------


def test_signing_out_other_sessions_sends_exactly_one_e_mail(client, marie, sign_in, mailoutbox):
    sign_in(client, marie)

    client.post(LOGOUT_OTHERS)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [marie.email]
    event = SecurityEvent.objects.get(kind=EventKind.SESSIONS_REVOKED)
    assert event.notified_at is not None
    send_security_notification.apply(args=[event.pk])  # a late or repeated delivery of the task
    assert len(mailoutbox) == 1


def test_the_e_mail_says_what_when_and_from_where(client, marie, sign_in, mailoutbox, settings):
    settings.SITE_URL = "https://guichet.example.org"
    marie.language = "en"
    marie.save()
    sign_in(client, marie)

    client.post(LOGOUT_OTHERS, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=FIREFOX_ON_WINDOWS)

    event = SecurityEvent.objects.get(kind=EventKind.SESSIONS_REVOKED)
    with translation.override("en"):
        when = formats.date_format(timezone.localtime(event.created_at), "DATETIME_FORMAT")
    mail = mailoutbox[0]
    assert mail.subject == "Guichet security alert: Other sessions signed out"
    for text in bodies(mail):
        assert "All the sessions of your account except one were signed out." in text
        assert "203.0.113.7" in text
        assert "Firefox on Windows" in text
        assert "https://guichet.example.org/en/compte/securite/" in text
        assert when in text
    assert mail.alternatives[0][1] == "text/html"


def test_the_e_mail_speaks_the_persons_language(client, marie, jean, sign_in, mailoutbox):
    jean.language = "en"
    jean.save()

    for person in (marie, jean):
        sign_in(client, person).post(LOGOUT_OTHERS)

    french, english = mailoutbox
    assert "Autres sessions déconnectées" in french.subject
    assert "/compte/securite/" in french.body and "/en/compte/" not in french.body
    assert "Other sessions signed out" in english.subject
    assert "/en/compte/securite/" in english.body


def test_the_link_points_to_the_configured_site_whatever_host_the_request_named(
    client, marie, sign_in, mailoutbox, settings
):
    settings.SITE_URL = "https://guichet.example.org"
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    sign_in(client, marie)

    client.post(LOGOUT_OTHERS, HTTP_HOST="evil.example", HTTP_X_FORWARDED_HOST="evil.example")

    for text in bodies(mailoutbox[0]):
        assert "https://guichet.example.org/compte/securite/" in text
        assert "evil.example" not in text


def test_the_e_mail_never_holds_a_password_or_session_secret(client, marie, sign_in, mailoutbox, settings):
    sign_in(client, marie)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post(CHANGE, {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    for text in [mail.subject, *bodies(mail)]:
        for secret in (DEMO_PASSWORD, NEW_PASSWORD, session_key, str(marie.security_stamp)):
            assert secret not in text


def test_events_that_do_not_notify_send_nothing(client, marie, sign_in, mailoutbox):
    sign_in(client, marie)

    client.post(reverse("portal:logout"))

    assert SecurityEvent.objects.filter(kind=EventKind.LOGOUT).exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        ("curl/8.5.0", "curl/8.5.0"),
        ("", ""),
    ],
)
def test_browsers_are_named_the_way_people_know_them(user_agent, summary):
    with translation.override("en"):
        assert browser_summary(user_agent) == summary


# --- The outbox ---------------------------------------------------------------------------------------------------


def test_the_sweep_sends_an_unsent_event_once(marie, mailoutbox, clock):
    unsent_event(marie)

    assert deliver_pending_notifications() == 0  # fresh: its own task may still be on its way
    clock.advance(seconds=31)
    assert deliver_pending_notifications() == 1
    assert deliver_pending_notifications() == 0
    assert len(mailoutbox) == 1


def test_the_sweep_leaves_events_that_ask_for_no_e_mail(marie, mailoutbox, clock):
    SecurityEvent.objects.create(kind=EventKind.LOGIN_SUCCESS, user=marie)
    clock.advance(minutes=5)

    assert deliver_pending_notifications() == 0
    assert mailoutbox == []


def test_a_failed_sending_is_retried_by_the_next_sweep(marie, mailoutbox, clock, monkeypatch):
    event = unsent_event(marie)

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("relay down")

    with monkeypatch.context() as relay_down:
        relay_down.setattr(EmailBackend, "send_messages", refuse)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            deliver_event_notification(event.pk)
        event.refresh_from_db()
        assert event.notified_at is None
        clock.advance(seconds=31)
        assert deliver_pending_notifications() == 0  # logged, not raised: the other events still go out

    assert deliver_pending_notifications() == 1
    assert len(mailoutbox) == 1


def test_when_the_broker_is_down_the_change_stands_and_the_e_mail_follows_later(
    client, marie, sign_in, mailoutbox, broker_down, django_capture_on_commit_callbacks, clock
):
    sign_in(client, marie)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            CHANGE, {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}
        )

    assert callbacks, "the notification task was queued for after the commit"
    assert response.status_code == 302
    marie.refresh_from_db()
    assert marie.check_password(NEW_PASSWORD)
    assert mailoutbox == []

    clock.advance(seconds=31)
    assert deliver_pending_notifications() == 1
    assert len(mailoutbox) == 1
    assert "Mot de passe modifié" in mailoutbox[0].subject


def test_the_notification_task_reports_what_it_did(marie, mailoutbox):
    event = record_event(EventKind.RECOVERY_CODES_REGENERATED, user=marie, notify=True)

    assert len(mailoutbox) == 1  # sent by the task queued with the event (eager in tests)
    assert deliver_event_notification(event.pk) is False


def test_the_recovery_code_e_mail_says_how_many_codes_remain(marie, mailoutbox, django_capture_on_commit_callbacks):
    from portal.identity.events import record_event

    with django_capture_on_commit_callbacks(execute=True):
        record_event(EventKind.RECOVERY_CODE_USED, user=marie, data={"remaining": 7}, notify=True)
    assert len(mailoutbox) == 1
    assert "7 codes de secours restent." in mailoutbox[0].body


def test_the_warning_also_reaches_the_personal_recovery_address(client, marie, sign_in, mailoutbox):
    # Whoever took over the work mailbox could delete the warning there.
    marie.recovery_email = "marie.dupont.perso@exemple.org"
    marie.save()
    sign_in(client, marie)
    client.post(LOGOUT_OTHERS)
    assert [m.to for m in mailoutbox] == [[marie.email, "marie.dupont.perso@exemple.org"]]
