"""The security event log leaves the host as JSON lines over syslog, and no secret reaches any log sink (R35)."""

import json
import logging
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from portal.identity.audit_log import syslog_handler
from portal.models import EventKind, RecoveryCodeDevice, SecurityEvent
from tests.helpers import DEMO_PASSWORD, enrol_totp, totp_now

pytestmark = pytest.mark.django_db

LOGIN, CODE = "/compte/connexion/", "/compte/connexion/code/"
WRONG_PASSWORD = "Pw-MARKER-wrong-4f1c9a"
NEW_PASSWORD = "Pw-MARKER-new-7d2e8b-assez-long"
WRONG_CODE = "424242"


@pytest.fixture
def collector():
    """A syslog collector on loopback, and the audit logger pointed at it as GUICHET_AUDIT_SYSLOG would."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(2)
    handler = syslog_handler(f"udp://127.0.0.1:{server.getsockname()[1]}")
    logger = logging.getLogger("guichet.audit")
    logger.addHandler(handler)

    def received() -> list[str]:
        lines = []
        server.settimeout(0.2)
        try:
            while True:
                lines.append(server.recv(65535).decode())
        except TimeoutError:
            return lines

    yield received
    logger.removeHandler(handler)
    handler.close()
    server.close()


def test_every_flow_is_shipped_once_with_all_fields_and_no_secret_anywhere(
    collector, marie, settings, caplog, clock, django_capture_on_commit_callbacks
):
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)
    caplog.set_level(logging.DEBUG)
    device = enrol_totp(marie)
    recovery_codes = RecoveryCodeDevice.objects.create(user=marie, name="Codes de secours").regenerate()
    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 Firefox/140.0", REMOTE_ADDR="198.51.100.30")
    secrets_seen = [WRONG_PASSWORD, NEW_PASSWORD, DEMO_PASSWORD, WRONG_CODE, *recovery_codes]

    with django_capture_on_commit_callbacks(execute=True):
        browser.post(LOGIN, {"identifier": "marie.dupont", "password": WRONG_PASSWORD})
        browser.post(LOGIN, {"identifier": "marie.dupont", "password": DEMO_PASSWORD})
        browser.post(CODE, {"code": WRONG_CODE})
        clock.advance(seconds=3)  # past the pause a wrong code imposes
        good_code = totp_now(device)
        browser.post(CODE, {"code": good_code})
        secrets_seen += [good_code, browser.session.session_key]
        browser.post(
            "/compte/mot-de-passe/",
            {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
        )
        browser.post("/compte/deconnexion/")
        second = Client(REMOTE_ADDR="198.51.100.30")
        second.post(LOGIN, {"identifier": "marie.dupont", "password": NEW_PASSWORD})
        second.post(CODE, {"code": recovery_codes[0]})
        secrets_seen.append(second.session.session_key)

    lines = collector()
    records = [json.loads(line.split("guichet-audit: ", 1)[1]) for line in lines]
    kinds = [record["event"] for record in records]
    for kind in (
        EventKind.LOGIN_FAIL,
        EventKind.MFA_FAIL,
        EventKind.PASSWORD_CHANGE,
        EventKind.LOGOUT,
        EventKind.RECOVERY_CODE_USED,
    ):
        assert kinds.count(kind) == 1, kind
    assert kinds.count(EventKind.LOGIN_SUCCESS) == 2
    assert len(records) == SecurityEvent.objects.count()  # one line per row, none lost or doubled
    for record in records:
        assert set(record) == {"id", "time", "event", "account", "identifier", "ip", "user_agent", "source", "data"}
        assert record["time"].endswith("+00:00")
        assert record["ip"] == "198.51.100.30"
        assert record["account"] == "marie.dupont"

    sinks = {
        "syslog": "\n".join(lines),
        "application log": caplog.text,
        "event rows": json.dumps(list(SecurityEvent.objects.values()), default=str),
        "e-mails": "\n".join(m.subject + m.body + "".join(str(a[0]) for a in m.alternatives) for m in mail.outbox),
    }
    for name, text in sinks.items():
        for secret in secrets_seen:
            assert secret not in text, f"a secret reached the {name}"


def test_an_event_of_a_rolled_back_change_is_not_shipped(collector, marie):
    from django.db import transaction

    from portal.identity.events import record_event

    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(EventKind.PASSWORD_CHANGE, user=marie)
        raise RuntimeError("the change failed")
    assert collector() == []


def test_a_malformed_collector_address_is_refused_at_start():
    with pytest.raises(ValueError, match="udp://host:514"):
        syslog_handler("syslog.example.org:514")
