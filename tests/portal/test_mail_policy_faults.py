"""The policy endpoint when the database fails it (issue 16). Too slow for Dovecot: it answers within its budget (a
503, which Dovecot handles by auth_policy_reject_on_fail) instead of leaving Dovecot to its own 2 s timeout, and
writes nothing of a report it could not finish; the slowness is real, another session holds a lock on a table the
answer needs. Its connection cut since the last question (a restart, a failover): the question is answered as usual,
although the endpoint skips Django's connection health check."""

import json
import threading
import time
from contextlib import contextmanager

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from portal.identity.mail_policy import mail_server_add
from portal.models import AccountLockout, EventKind, SecurityEvent
from tests.helpers import requires_services, second_connection

pytestmark = pytest.mark.django_db(transaction=True)
BUDGET_MS = 300


@pytest.fixture
def dovecot(settings):
    requires_services()
    settings.GUICHET_MAIL_POLICY_BUDGET_MS = BUDGET_MS
    client = Client(HTTP_AUTHORIZATION=f"Bearer {mail_server_add(name='imap-01').key}")

    def ask(command, **fields):
        body = {"login": "marie.dupont", "remote": "203.0.113.40", "protocol": "imap", **fields}
        started = time.monotonic()
        url = f"/api/mail/policy/?command={command}"
        response = client.post(url, json.dumps(body), content_type="application/json")
        close_old_connections()  # as at the end of every real request
        return response, time.monotonic() - started

    return ask


@contextmanager
def locked(table: str):
    """Another session holding ``table`` in ACCESS EXCLUSIVE mode until the block ends, or 5 s at most (so that a
    request that waited for it fails the test instead of hanging it)."""
    with second_connection() as holder:
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        release = threading.Timer(5, holder.close)
        release.start()
        try:
            yield
        finally:
            release.cancel()


def test_a_policy_question_held_up_by_the_database_gets_a_503_within_the_budget(dovecot):
    with locked("portal_mailserver"):
        response, took = dovecot("allow")
    assert response.status_code == 503
    assert response.json() == {"detail": "The policy server could not answer in time."}
    # The budget, plus the request's own work and the cancel: far below Dovecot's 2 s.
    assert BUDGET_MS / 1000 <= took < BUDGET_MS / 1000 + 0.5, took
    response, took = dovecot("allow")  # the lock gone, the same process answers as usual
    assert response.status_code == 200 and response.json()["status"] == 0


def test_a_report_cut_by_the_budget_writes_nothing_and_the_next_one_counts(dovecot):
    failure = {"success": False, "policy_reject": False, "fail_type": "credentials", "pwhash": "a1f"}
    with locked("portal_securityevent"):  # the failure is counted, then its event row cannot be written
        response, took = dovecot("report", **failure)
    assert response.status_code == 503 and took < BUDGET_MS / 1000 + 0.5, took
    assert not AccountLockout.objects.filter(failures__gt=0).exists()
    failures = SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL)
    assert not failures.exists()
    response, _took = dovecot("report", **failure)
    assert response.status_code == 200
    assert AccountLockout.objects.get(failures__gt=0).failures == 1
    assert failures.count() == 1


def test_a_question_on_a_connection_cut_since_the_last_one_is_answered_as_usual(dovecot):
    assert dovecot("allow")[0].status_code == 200
    with second_connection(autocommit=True) as admin:  # what a restart does to the web process's connection
        admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    response, _took = dovecot("allow")
    assert response.status_code == 200 and response.json() == {"status": 0, "msg": ""}
