"""The policy endpoint Dovecot asks before each login (portal.identity.mail_policy), as Dovecot calls it: one lock
on the portal and on the mail servers, counted once, refused to anyone without a server key, and a clear 4xx for
any malformed request. tests/portal/test_dovecot.py drives the same endpoint from a real Dovecot."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from portal.identity.mail_policy import LOCKED, RESET_REQUIRED, mail_server_add
from portal.models import AccountLockout, EventKind, MailServer, SecurityEvent, SourceThrottle
from tests.helpers import DEMO_PASSWORD
from tests.portal.test_login import GENERIC, attempt

pytestmark = pytest.mark.django_db

POLICY = "/api/mail/policy/"
PHONE = "203.0.113.40"


@pytest.fixture(autouse=True)
def _no_rapid_fire_between_sequential_tries(settings):
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)


@pytest.fixture
def dovecot():
    """A client holding a server key, calling as Dovecot does."""
    key = mail_server_add(name="imap-01").key
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def ask(command, **fields):
        body = {"login": "marie.dupont", "remote": PHONE, "protocol": "imap", "pwhash": "a1f", **fields}
        return client.post(f"{POLICY}?command={command}", json.dumps(body), content_type="application/json")

    return ask


def allowed(dovecot, **fields) -> int:
    response = dovecot("allow", **fields)
    assert response.status_code == 200
    return response.json()["status"]


def failed_login(dovecot, **fields):
    """One wrong password, as Dovecot reports it after the check."""
    assert allowed(dovecot, **fields) == 0
    response = dovecot("report", success=False, policy_reject=False, fail_type="credentials", **fields)
    assert response.status_code == 200 and response.json() == {"status": 0, "msg": ""}


def test_five_wrong_passwords_on_imap_lock_the_identifier_on_imap_and_on_the_portal(dovecot, client, marie):
    for _ in range(5):
        failed_login(dovecot)
    assert dovecot("allow").json() == {"status": -1, "msg": LOCKED}
    # The person's right password on the portal's sign-in form: refused too, one lock.
    response = attempt(client, "marie.dupont", DEMO_PASSWORD)
    assert GENERIC in response.content.decode()
    locks = SecurityEvent.objects.filter(kind=EventKind.LOGIN_LOCK)
    assert [(event.source, event.notify, event.user) for event in locks] == [("imap", True, marie)]
    fails = SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL, source="imap")
    assert fails.count() == 5 and all(str(event.ip) == PHONE for event in fails)


def test_a_lock_from_the_portal_is_refused_by_the_mail_server(dovecot, client, marie):
    for _ in range(5):
        attempt(client, "marie.dupont", "wrong")
    assert allowed(dovecot) == -1
    assert allowed(dovecot, login="Marie.Dupont@ac-exemple.fr") == 0  # not one of the organisation's domains


def test_the_organisations_mail_domain_is_the_same_identifier(dovecot, client, marie, settings):
    settings.GUICHET_ORGANISATION_MAIL_DOMAINS = ["ac-exemple.fr"]
    for _ in range(5):
        failed_login(dovecot, login="Marie.Dupont@AC-EXEMPLE.FR")
    assert allowed(dovecot, login="marie.dupont") == -1


def test_what_is_not_the_persons_doing_is_not_counted_and_a_success_starts_the_count_again(dovecot, marie):
    for _ in range(4):
        failed_login(dovecot)
    dovecot("report", success=False, policy_reject=True, fail_type="policy")
    dovecot("report", success=False, policy_reject=False, fail_type="internal")
    assert AccountLockout.objects.get(key="marie.dupont").failures == 4
    dovecot("report", success=True, policy_reject=False, fail_type="")
    assert AccountLockout.objects.get(key="marie.dupont").failures == 0
    failed_login(dovecot)
    assert allowed(dovecot) == 0


def test_an_address_over_its_limit_is_refused_for_every_identifier(dovecot, settings):
    settings.GUICHET_SOURCE_FAILURE_LIMIT = 3
    for number in range(3):
        failed_login(dovecot, login=f"guess.{number}")
    assert allowed(dovecot, login="someone.else") == -1
    assert allowed(dovecot, login="someone.else", remote="203.0.113.41") == 0
    assert SecurityEvent.objects.filter(kind=EventKind.SOURCE_THROTTLED).count() == 1


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer gms_nothing_here", "Basic Z21zOng=", "Bearer gch_a_b"])
def test_nobody_without_a_server_key_gets_an_answer(header, marie):
    mail_server_add(name="imap-01")
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.post(f"{POLICY}?command=allow", json.dumps({"login": "marie.dupont"}), "application/json")
    assert response.status_code == 401 and "Bearer gms_" in response.json()["detail"]
    assert SourceThrottle.objects.get(ip="127.0.0.1").failures == 1  # a guessed key counts as a failed credential


def test_a_revoked_key_is_refused_and_the_key_is_kept_only_as_a_hash(capsys):
    call_command("mail_server", "add", "imap-02")
    header = capsys.readouterr().out.strip()
    key = header.rpartition(" ")[2]
    server = MailServer.objects.get(name="imap-02")
    assert key.startswith(f"gms_{server.prefix}_") and key.rpartition("_")[2] not in server.secret_hash
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = json.dumps({"login": "x.y"})
    assert client.post(f"{POLICY}?command=allow", body, "application/json").status_code == 200
    call_command("mail_server", "revoke", "imap-02")
    assert client.post(f"{POLICY}?command=allow", body, "application/json").status_code == 401
    kinds = SecurityEvent.objects.values_list("kind", flat=True)
    assert set(kinds) >= {EventKind.MAIL_SERVER_ADDED, EventKind.MAIL_SERVER_REVOKED}


@pytest.mark.parametrize(
    ("query", "body", "message"),
    [
        ("command=allow", b"not json", "JSON object"),
        ("command=allow", b"[1, 2]", "JSON object"),
        ("command=allow", b"\xff\xfe", "JSON object"),
        ("command=allow", b'{"login": ""}', "login is required"),
        ("command=allow", b'{"login": 12}', "login must be a string"),
        ("command=allow", json.dumps({"login": "a" * 400}).encode(), "at most 320"),
        ("command=allow", b'{"login": "a.b", "remote": "999.1.1.1"}', "IP address"),
        ("command=report", b'{"login": "a.b", "success": "yes"}', "true or false"),
        ("command=delete", b'{"login": "a.b"}', "allow or report"),
        ("", b'{"login": "a.b"}', "allow or report"),
        ("command=allow", b'{"login": "a.b", "pad": "' + b"x" * 20000 + b'"}', "at most 16384 bytes"),
        ("command=allow", b"[" * 16000, "JSON object"),  # deeper than the JSON parser recurses
        ("command=allow", b'{"login": "a.b\\u0000"}', "control characters"),
        ("command=allow", b'{"login": "a.b", "session_id": "\\ud800"}', "control characters"),
    ],
)
def test_a_malformed_request_gets_a_clear_400(query, body, message):
    key = mail_server_add(name="imap-01").key
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post(f"{POLICY}?{query}", body, content_type="application/json")
    assert response.status_code == 400 and message in response.json()["detail"]
    # Without the key, the same request says nothing about itself.
    assert Client().post(f"{POLICY}?{query}", body, content_type="application/json").status_code == 401


def test_an_account_whose_password_must_be_reset_cannot_fetch_mail(dovecot, marie):
    marie.password_reset_required = True
    marie.save(update_fields=["password_reset_required"])
    assert dovecot("allow").json() == {"status": -1, "msg": RESET_REQUIRED}


def test_only_post_is_answered(dovecot):
    assert Client().get(f"{POLICY}?command=allow").status_code == 405


def test_gunicorn_serves_the_policy_outside_the_middleware_for_people(client, marie):
    """portal.wsgi.application (what gunicorn runs) answers the mail servers through a handler without sessions,
    language or authentication: the answer is the same, it sets no cookie and varies on nothing a person sends; a
    page for people still gets the whole stack."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import RequestFactory

    from portal.wsgi import application
    from tests.portal.test_mail_events import EVENTS, event

    key = mail_server_add(name="imap-01").key
    marie_locked = {"login": "marie.dupont", "remote": PHONE, "protocol": "imap"}
    for _ in range(5):
        attempt(client, "marie.dupont", "wrong")

    def served(request):
        status = []
        # As Django's test client does: the request signals would end the test's transaction.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            chunks = application(request.environ, lambda code, headers: status.append((code, dict(headers))))
            body = b"".join(chunks)
            chunks.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return status[0][0], status[0][1], body

    factory = RequestFactory(HTTP_AUTHORIZATION=f"Bearer {key}")
    code, headers, body = served(
        factory.post(f"{POLICY}?command=allow", json.dumps(marie_locked), content_type="application/json")
    )
    assert code.startswith("200") and json.loads(body) == {"status": -1, "msg": LOCKED}
    assert "Set-Cookie" not in headers and "Cookie" not in headers.get("Vary", "")
    assert "no-store" in headers["Cache-Control"] and headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Language" not in headers

    batch = {"events": [event(1)]}  # the other mail servers' endpoint, same handler
    code, headers, body = served(factory.post(EVENTS, json.dumps(batch), content_type="application/json"))
    assert code.startswith("200") and json.loads(body)["stored"] == 1 and "Content-Language" not in headers

    code, headers, _body = served(RequestFactory().get("/"))
    assert code.startswith("200") and headers["Content-Language"] == "fr"  # the language middleware ran
