"""The password-reset checks (portal.identity.account_checks), each run twice to show it acts once: access passes
forgotten, repeated reset requests flagged, reminders, and a case when failures go on after a reset."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal.identity import account_checks
from portal.identity.access_pass import pass_issue
from portal.identity.events import record_event
from portal.models import EventKind, SecurityEvent, TemporaryAccessPass
from portal.models.security import Source
from tests.helpers import enrol_totp
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def events(kind):
    return SecurityEvent.objects.filter(kind=kind)


def test_expired_unused_access_passes_are_forgotten(marie, sophie):
    pass_issue(user=marie, by=sophie)
    old = TemporaryAccessPass.objects.get()
    TemporaryAccessPass.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=2))
    used = TemporaryAccessPass.objects.create(
        user=marie,
        digest="used",
        issued_by=sophie,
        expires_at=timezone.now() - timedelta(days=2),
        used_at=timezone.now(),
    )
    pass_issue(user=sophie, by=sophie)  # live
    assert account_checks.access_passes_purge() == 1
    assert account_checks.access_passes_purge() == 0
    assert set(TemporaryAccessPass.objects.values_list("user__username", "used_at")) == {
        ("marie.dupont", used.used_at),
        ("sophie.bernard", None),
    }


def test_repeated_reset_requests_alert_the_security_team_once_a_day(marie, jean, settings):
    settings.GUICHET_SECURITY_TEAM_EMAILS = ["securite@ac-exemple.fr"]
    for _ in range(3):
        record_event(EventKind.PASSWORD_RESET_LINK, user=marie)
    record_event(EventKind.PASSWORD_RESET_LINK, user=jean)
    assert account_checks.repeated_resets_flag() == {"items": 1, "actions": 1}
    assert account_checks.repeated_resets_flag() == {"items": 1, "actions": 0}
    (alert,) = events(EventKind.RESET_REQUESTS_REPEATED)
    assert alert.user == marie and alert.data["links"] == 3
    assert [message.to for message in mail.outbox] == [["securite@ac-exemple.fr"]]  # the owner had each link


def test_no_password_age_reminder_without_an_age_policy(marie):
    marie.password_changed_at = timezone.now() - timedelta(days=400)
    marie.save(update_fields=["password_changed_at"])
    assert account_checks.password_age_remind() == {"items": 0, "actions": 0}


def test_a_password_near_the_policys_age_is_reminded_once(marie, jean, settings):
    settings.GUICHET_PASSWORD_MAX_AGE_DAYS = 90
    marie.password_changed_at = timezone.now() - timedelta(days=80)
    marie.save(update_fields=["password_changed_at"])
    jean.password_changed_at = timezone.now() - timedelta(days=10)
    jean.save(update_fields=["password_changed_at"])
    assert account_checks.password_age_remind()["actions"] == 1
    assert account_checks.password_age_remind()["actions"] == 0
    (reminder,) = events(EventKind.PASSWORD_AGE_REMINDER)
    assert reminder.user == marie
    (message,) = mail.outbox
    assert message.to[0] == marie.email and "politique" in message.body  # in French, her language
    # A new password, later old again: a new reminder.
    marie.password_changed_at = timezone.now() + timedelta(seconds=1)
    marie.save(update_fields=["password_changed_at"])
    account_checks.password_age_remind(now=timezone.now() + timedelta(days=80))
    assert events(EventKind.PASSWORD_AGE_REMINDER).filter(user=marie).count() == 2


def test_staff_without_a_second_factor_are_reminded_before_the_grace_period_ends(marie, jean, sophie, settings):
    ends_soon = timezone.now() - timedelta(days=settings.GUICHET_MFA_GRACE_DAYS - 2)
    for person in (marie, jean, sophie):
        person.date_joined = ends_soon
        person.save(update_fields=["date_joined"])
    enrol_totp(jean)
    assert account_checks.mfa_grace_remind() == {"items": 1, "actions": 1}
    assert account_checks.mfa_grace_remind() == {"items": 1, "actions": 0}
    assert [event.user for event in events(EventKind.MFA_GRACE_REMINDER)] == [marie]


def test_failures_after_a_reset_open_one_case_for_the_helpdesk(marie, problem_types):
    record_event(EventKind.PASSWORD_CHANGE, user=marie, data={"reason": "reset"})
    for _ in range(4):
        record_event(EventKind.LOGIN_FAIL, user=marie, identifier="marie.dupont", source=Source.IMAP)
    assert account_checks.failures_after_reset_check()["actions"] == 0
    record_event(EventKind.LOGIN_FAIL, user=marie, identifier="marie.dupont", source=Source.PORTAL)
    assert account_checks.failures_after_reset_check()["actions"] == 1
    assert account_checks.failures_after_reset_check()["actions"] == 0
    (ticket,) = Ticket.objects.all()
    assert (ticket.requester, ticket.problem_type.slug, ticket.priority) == (marie, "compte-bloque", "high")
    assert "5" in ticket.data["description"] and "imap, portal" in ticket.data["description"]
    (flag,) = events(EventKind.FAILURES_AFTER_RESET)
    assert flag.data["case"] == ticket.reference


def test_failures_before_the_reset_do_not_count(marie, problem_types):
    for _ in range(10):
        record_event(EventKind.LOGIN_FAIL, user=marie, identifier="marie.dupont", source=Source.IMAP)
    record_event(EventKind.PASSWORD_CHANGE, user=marie, data={"reason": "reset"})
    assert account_checks.failures_after_reset_check()["actions"] == 0
    assert not Ticket.objects.exists()


def test_an_old_log_imported_after_a_reset_opens_no_case(marie, problem_types):
    reset = record_event(EventKind.PASSWORD_CHANGE, user=marie, data={"reason": "reset"})
    before = (reset.created_at - timedelta(hours=2)).isoformat()
    for _ in range(6):  # last week's log lines, read now
        record_event(EventKind.LOGIN_FAIL, user=marie, source=Source.IMAP, data={"at": before, "via": "log"})
    assert account_checks.failures_after_reset_check()["actions"] == 0
    after = (reset.created_at + timedelta(minutes=5)).isoformat()
    for _ in range(5):
        record_event(EventKind.LOGIN_FAIL, user=marie, source=Source.IMAP, data={"at": after, "via": "log"})
    assert account_checks.failures_after_reset_check()["actions"] == 1
