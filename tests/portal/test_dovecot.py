"""A real Dovecot asks the live portal before each IMAP login (auth_policy_server_url): the portal's lock applies
on IMAP, and IMAP failures count towards it. What the person's mail client sees is Dovecot's answer to LOGIN."""

import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from portal.identity.mail_policy import mail_server_add
from portal.models import AccountLockout, EventKind, MailClient, SecurityEvent
from tests.dovecot import dovecot_started

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Cheval-Agrafe-Batterie-42"


def _within_seconds(seconds: float, condition) -> None:
    """Wait until ``condition()`` holds or ``seconds`` have passed (the test's assertion says which)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def dovecot(live_server, settings):
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)
    key = mail_server_add(name="imap-test").key
    directory = Path(tempfile.mkdtemp(prefix="guichet-dovecot-"))
    try:
        yield from dovecot_started(
            directory,
            policy_url=f"{live_server.url}/api/mail/policy/",
            key=key,
            accounts={"marie.dupont": PASSWORD, "jean.martin": PASSWORD},
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_an_identifier_locked_on_the_portal_cannot_log_in_over_imap(dovecot, marie):
    assert dovecot.login("marie.dupont", PASSWORD).startswith("OK")
    AccountLockout.objects.create(key="marie.dupont", failures=5, locked_until=timezone.now() + timedelta(minutes=15))
    answer = dovecot.login("marie.dupont", PASSWORD)
    print(f"IMAP LOGIN marie.dupont (locked on the portal) -> {answer}")
    assert answer.startswith("NO") and "[ALERT] Compte verrouillé" in answer  # what the mail app shows
    assert dovecot.login("jean.martin", PASSWORD).startswith("OK")  # nobody else is affected


def test_wrong_passwords_over_imap_lock_the_identifier(dovecot, marie):
    for _ in range(5):
        assert dovecot.login("marie.dupont", "old-password").startswith("NO")
    row = AccountLockout.objects.get(key="marie.dupont")
    assert row.failures == 5 and row.locked_until is not None
    assert dovecot.login("marie.dupont", PASSWORD).startswith("NO")  # even the right password, while locked
    events = SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL, source="imap")
    assert events.count() == 5
    assert SecurityEvent.objects.filter(kind=EventKind.LOGIN_LOCK, source="imap").count() == 1


def test_a_phone_retrying_its_old_password_after_a_change_is_a_stale_client(dovecot, marie):
    marie.password_changed_at = timezone.now() - timedelta(hours=2)
    marie.save(update_fields=["password_changed_at"])
    # The phone still has the password from before the change and polls with it; Dovecot sends its salted hash.
    answers = [dovecot.login("marie.dupont", "Ancien-Mot-De-Passe-2025") for _ in range(8)]
    assert all(answer.startswith("NO") for answer in answers)
    row = AccountLockout.objects.get(key="marie.dupont")
    assert row.failures == 5 and not row.reset_required  # the first tier: the same password is no new guess
    stale = SecurityEvent.objects.get(kind=EventKind.STALE_MAIL_CLIENT)
    assert stale.user == marie and stale.source == "imap"
    told = [message for message in mail.outbox if "IMAP" in message.body and marie.email in message.to]
    assert len(told) == 1
    print(f"E-mail to {', '.join(told[0].to)}\nSubject: {told[0].subject}\n\n{told[0].body}")
    assert "/aide/client-mail-ancien-mot-de-passe/" in told[0].body
    assert MailClient.objects.get(identifier="marie.dupont").protocol == "imap"
    # The phone gets the new password: its next login works once the lock is over, and the app is forgotten.
    AccountLockout.objects.filter(key="marie.dupont").update(failures=0, locked_until=None)
    assert dovecot.login("marie.dupont", PASSWORD).startswith("OK")
    # Dovecot sends the report of a success without waiting for it: the client may read OK before it arrives.
    _within_seconds(5, lambda: not MailClient.objects.exists())
    assert not MailClient.objects.exists()


def test_dovecots_own_log_lines_are_taken_in_by_the_log_command(dovecot, marie, capsys):
    dovecot.login("marie.dupont", "faute-de-frappe")
    dovecot.login("jean.martin", PASSWORD)
    _within_seconds(5, lambda: "Login: user=<jean.martin>" in dovecot.log)
    call_command("mail_log_ingest", str(dovecot.directory / "dovecot.log"), server="imap-test")
    print(dovecot.log)
    print(capsys.readouterr().out)
    from_log = SecurityEvent.objects.exclude(external_id="").order_by("pk")
    assert [(event.kind, event.submitted_identifier, event.source) for event in from_log] == [
        (EventKind.LOGIN_FAIL, "marie.dupont", "imap"),
        (EventKind.LOGIN_SUCCESS, "jean.martin", "imap"),
    ]
    assert all(str(event.ip) == "127.0.0.1" and event.data["session"] for event in from_log)
