"""Mail servers without the policy hook: their events taken in by batch (API and log command), then counted by the
lockout job on new events only: one lock everywhere, one e-mail per lock, stale mail apps told apart from attacks."""

import json
import os
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.identity import mail_lockout
from portal.identity.mail_events import MAX_BATCH
from portal.identity.mail_policy import mail_server_add
from portal.models import AccountLockout, EventKind, JobCursor, LogCursor, MailClient, SecurityEvent, SourceThrottle

pytestmark = pytest.mark.django_db

EVENTS = "/api/mail/events/"
PHONE = "203.0.113.40"


@pytest.fixture
def server():
    return mail_server_add(name="imap-01")


@pytest.fixture
def send(server):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {server.key}")

    def post(events, **extra):
        return client.post(EVENTS, json.dumps({"events": events}), content_type="application/json", **extra)

    return post


@pytest.fixture(params=["postgresql", "portable"])
def sql_path(request, monkeypatch):
    """The batch paths twice: PostgreSQL's array statements, and the ORM's, which SQLite (make run) takes."""
    from django.db import connection

    if request.param == "portable":
        monkeypatch.setattr(connection, "vendor", "portable")
    elif connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (make test starts it)")
    return request.param


def event(number, *, outcome="failure", login="marie.dupont", ip=PHONE, ago=timedelta(seconds=30), **fields):
    at = (timezone.now() - ago).isoformat()
    return {"id": f"e{number}", "at": at, "outcome": outcome, "protocol": "imap", "login": login, "ip": ip, **fields}


def scan():
    """The job as the beat runs it, a little later than the events (they must settle first)."""
    return mail_lockout.mail_lockout_scan(now=timezone.now() + timedelta(seconds=10))


def lock_row(identifier="marie.dupont"):
    return AccountLockout.objects.filter(key=identifier).first()


def lift_lock(identifier="marie.dupont"):
    """The lock's time is over."""
    AccountLockout.objects.filter(key=identifier).update(locked_until=timezone.now() - timedelta(seconds=1))


def test_a_batch_is_stored_once_with_its_source_and_account(send, marie, sql_path):
    batch = [event(1), event(2), event(3, outcome="success")]
    response = send(batch)
    assert response.status_code == 200
    assert response.json() == {"received": 3, "stored": 3, "duplicates": 0}
    again = send(batch + [event(4)])
    assert again.json() == {"received": 4, "stored": 1, "duplicates": 3}
    stored = SecurityEvent.objects.exclude(external_id="").order_by("pk")
    assert [(e.kind, e.source, e.user, str(e.ip)) for e in stored][:3] == [
        (EventKind.LOGIN_FAIL, "imap", marie, PHONE),
        (EventKind.LOGIN_FAIL, "imap", marie, PHONE),
        (EventKind.LOGIN_SUCCESS, "imap", marie, PHONE),
    ]
    assert stored.first().data["server"] == "imap-01"


def test_one_bad_event_refuses_the_batch_with_a_message_per_bad_event_and_stores_nothing(send):
    batch = [event(1), {**event(2), "ip": "999.1.1.1"}, event(3), {**event(4), "outcome": "maybe"}]
    response = send(batch)
    assert response.status_code == 400
    body = response.json()
    assert [error["index"] for error in body["errors"]] == [1, 3]
    assert "ip" in body["errors"][0]["detail"] and "outcome" in body["errors"][1]["detail"]
    assert "nothing was stored" in body["detail"]
    assert not SecurityEvent.objects.exclude(external_id="").exists()


@pytest.mark.parametrize(
    "body, status",
    [
        (b"not json", 400),
        (b"[]", 400),
        (b'{"events": []}', 400),
        (b'{"events": [1]}', 400),
        (b'{"events": [], "other": 1}', 400),
        (json.dumps({"events": [event(1)] * (MAX_BATCH + 1)}).encode(), 400),
        (b'{"events": ["' + b"x" * (4 * 1024 * 1024) + b'"]}', 413),
    ],
)
def test_malformed_batches_get_a_clear_4xx(server, body, status):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {server.key}")
    response = client.post(EVENTS, body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["detail"]


def test_without_a_valid_key_nothing_is_taken(server):
    response = Client(HTTP_AUTHORIZATION="Bearer gms_00000000_wrong").post(
        EVENTS, json.dumps({"events": [event(1)]}), content_type="application/json"
    )
    assert response.status_code == 401
    assert Client().get(EVENTS).status_code == 405
    assert not SecurityEvent.objects.exclude(external_id="").exists()


def test_an_event_from_the_future_is_refused(send):
    response = send([event(1, ago=-timedelta(hours=1))])
    assert response.status_code == 400 and "future" in response.json()["errors"][0]["detail"]


def test_the_job_locks_after_five_failures_once_with_one_email(
    send, marie, django_capture_on_commit_callbacks, sql_path
):
    send([event(number) for number in range(7)])
    with django_capture_on_commit_callbacks(execute=True):
        assert scan() == {"items": 7, "actions": 1}
        assert scan() == {"items": 0, "actions": 0}  # the watermark: nothing read twice
    row = lock_row()
    assert row.failures == 5 and row.locked_until > timezone.now()  # tried during the lock: not counted
    locks = SecurityEvent.objects.filter(kind=EventKind.LOGIN_LOCK)
    assert [(lock.user, lock.source, lock.notify) for lock in locks] == [(marie, "imap", True)]
    assert len([m for m in mail.outbox if marie.email in m.to]) == 1
    assert (
        JobCursor.objects.get(name=mail_lockout.CURSOR).position
        == SecurityEvent.objects.exclude(external_id="").latest("pk").pk
    )
    assert SourceThrottle.objects.get(ip=PHONE).failures == 7


def test_a_success_starts_the_count_again_and_old_log_lines_lock_nobody(send, marie, sql_path):
    send([event(1), event(2), event(3), event(4), event(5, outcome="success"), event(6)])
    send([event(10 + n, ago=timedelta(hours=3)) for n in range(10)])  # last week's log, imported now
    scan()
    row = lock_row()
    assert row.failures == 1 and row.locked_until is None


def test_an_address_over_its_limit_is_throttled_once(send, settings, sql_path):
    settings.GUICHET_SOURCE_FAILURE_LIMIT = 5
    ipv6 = "2001:db8::0:5"  # written as the log had it, stored as the database writes it
    send([event(number, login=f"agent.{number}", ip=ipv6) for number in range(4)])
    assert scan()["actions"] == 0
    send([event(10 + number, login=f"agent.{number}", ip=ipv6) for number in range(3)])
    assert scan()["actions"] == 1
    send([event(20, login="agent.0", ip=ipv6)])
    assert scan()["actions"] == 0
    (throttled,) = SecurityEvent.objects.filter(kind=EventKind.SOURCE_THROTTLED)
    assert str(throttled.ip) == "2001:db8::5"
    assert SourceThrottle.objects.get(ip="2001:db8::5").failures == 8


def test_a_stale_phone_is_told_apart_and_its_owner_emailed_once(send, marie, django_capture_on_commit_callbacks):
    marie.password_changed_at = timezone.now() - timedelta(days=1)
    marie.save(update_fields=["password_changed_at"])
    # The phone polls with its old password (one hash) thirty times; nothing new is ever tried.
    phone = {"device": "iPhone Mail", "pwhash": "5a3"}
    send([event(number, **phone) for number in range(10)])
    with django_capture_on_commit_callbacks(execute=True):
        scan()
        lift_lock()  # the first lock ends; the phone goes on polling
        send([event(100 + number, **phone) for number in range(20)])
        scan()
    row = lock_row()
    assert row.failures == 5 and row.locked_until < timezone.now()  # the first tier, reached once, and no further
    assert SecurityEvent.objects.filter(kind=EventKind.LOGIN_LOCK).count() == 1
    stale = SecurityEvent.objects.filter(kind=EventKind.STALE_MAIL_CLIENT)
    assert [(e.user, e.data["device"], e.notify) for e in stale] == [(marie, "iPhone Mail", True)]
    told = [m for m in mail.outbox if "iPhone Mail" in m.body]
    assert len(told) == 1 and "/aide/client-mail-ancien-mot-de-passe/" in told[0].body
    assert MailClient.objects.get(identifier="marie.dupont").repeats == 29


def test_different_guesses_escalate_as_an_attack(send, marie):
    send([event(number, device="bot", pwhash=f"{number:03x}") for number in range(20)])
    scan()
    assert lock_row().failures == 5  # locked at the fifth: the fifteen tried during the lock count for nothing
    lift_lock()
    send([event(100 + number, device="bot", pwhash=f"{100 + number:03x}") for number in range(5)])
    scan()
    row = lock_row()
    assert row.failures == 10 and row.locked_until > timezone.now() + timedelta(minutes=50)  # the second tier
    assert not SecurityEvent.objects.filter(kind=EventKind.STALE_MAIL_CLIENT).exists()


def test_many_networks_against_one_account_alert_the_security_team_once(send, marie, settings):
    send([event(number, ip=f"198.51.{number}.7") for number in range(12)])
    scan()
    send([event(100 + number, ip=f"198.51.{number}.8") for number in range(12)])
    scan()
    sprays = SecurityEvent.objects.filter(kind=EventKind.SPRAY_DETECTED, submitted_identifier="marie.dupont")
    assert sprays.count() == 1


DOVECOT_23 = (
    "Dec  4 09:15:0{n} mail1 dovecot: imap-login: Aborted login (auth failed, 1 attempts in 2 secs): "
    "user=<marie.dupont>, method=PLAIN, rip=203.0.113.40, lip=192.0.2.1, TLS, session=<sess{n}>\n"
)


def test_the_log_command_resumes_where_it_stopped_and_survives_rotation(server, marie, tmp_path, capsys):
    log = tmp_path / "mail.log"
    log.write_text("".join(DOVECOT_23.format(n=n) for n in range(3)) + "Dec  4 09:15:09 mail1 other: noise\n")
    call_command("mail_log_ingest", str(log), server="imap-01")
    assert "3 stored" in capsys.readouterr().out
    call_command("mail_log_ingest", str(log), server="imap-01")
    assert "0 lines read" in capsys.readouterr().out
    with log.open("a") as stream:
        stream.write(DOVECOT_23.format(n=3) + DOVECOT_23.format(n=4)[:40])  # the last line is being written
    call_command("mail_log_ingest", str(log), server="imap-01")
    assert "1 stored" in capsys.readouterr().out
    # Rotation: the old file keeps the rest of its last line, a new file starts.
    with log.open("a") as stream:
        stream.write(DOVECOT_23.format(n=4)[40:])
    os.rename(log, tmp_path / "mail.log.1")
    log.write_text(DOVECOT_23.format(n=5))
    call_command("mail_log_ingest", str(log), server="imap-01")
    assert "2 stored" in capsys.readouterr().out
    events = SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL).exclude(external_id="")
    assert sorted(e.data["session"] for e in events) == [f"sess{n}" for n in range(6)]
    assert LogCursor.objects.get().offset == log.stat().st_size


def test_an_attempt_and_its_summary_read_by_two_runs_count_once(server, marie, tmp_path):
    log = tmp_path / "dovecot.log"
    attempt = "Dec  4 09:15:01 imap-login-host dovecot: auth: Info: passwd-file(marie.dupont,203.0.113.40,<s1>): "
    log.write_text(attempt + "Password mismatch\n")
    call_command("mail_log_ingest", str(log), server="imap-01")
    with log.open("a") as stream:
        stream.write(DOVECOT_23.format(n=1).replace("sess1", "s1"))  # the session's summary, read by the next run
    call_command("mail_log_ingest", str(log), server="imap-01")
    failures = SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL).exclude(external_id="")
    assert [event.data.get("reason") for event in failures] == ["password mismatch"]


def test_the_log_command_reports_an_unreadable_line_and_goes_on(server, tmp_path, capsys):
    log = tmp_path / "events.jsonl"
    good = json.dumps(event(1))
    log.write_text(good + "\n" + '{"id": "x", "at": "yesterday"}\n' + json.dumps(event(2)) + "\n")
    call_command("mail_log_ingest", str(log), server="imap-01")
    output = capsys.readouterr()
    assert "line 2:" in output.err and "2 stored" in output.out
    again = tmp_path / "again.jsonl"
    again.write_text(log.read_text())
    with pytest.raises(CommandError, match="line 2"):
        call_command("mail_log_ingest", str(again), server="imap-01", strict=True)
    assert LogCursor.objects.get(path=str(again)).offset == 0


def test_the_stale_app_is_shown_to_its_owner_and_to_agents_until_it_signs_in(send, marie, sophie, sign_in):
    send([event(number, device="iPhone Mail", pwhash="5a3") for number in range(4)])
    scan()
    owner, agent = Client(), Client()
    sign_in(owner, marie)
    sign_in(agent, sophie)
    for client, url in (
        (owner, reverse("portal:security")),
        (agent, reverse("portal:account_events", args=["marie.dupont"])),
    ):
        page = client.get(url).content.decode()
        assert "Applications de messagerie qui essaient encore un ancien mot de passe" in page
        assert "iPhone Mail" in page and "/aide/client-mail-ancien-mot-de-passe/" in page
    send([event(10, outcome="success", device="iPhone Mail")])
    scan()
    assert "iPhone Mail" not in owner.get(reverse("portal:security")).content.decode()
