"""Sign-in, black-box: lockout tiers, no enumeration, spoofing-proof source limits, the owner's way back (R1–R6),
and the second step (R9–R12, R31)."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from portal.identity import lockout
from portal.identity.session_state import PENDING_AT
from portal.models import AccountLockout, EventKind, RecoveryCodeDevice, SecurityEvent, User
from tests.helpers import DEMO_PASSWORD, enrol_totp, solved_challenge, totp_now

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"
CODE = "/compte/connexion/code/"
GENERIC = "Identifiant ou mot de passe incorrect"


@pytest.fixture(autouse=True)
def _no_rapid_fire_between_sequential_tries(settings):
    # Sequential test requests arrive microseconds apart; rapid-fire has its own tests below.
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)


def normalise(response) -> str:
    """The page without what differs by construction: the CSRF token and the echo of the typed identifier."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', body)
    return re.sub(r'name="identifier" value="[^"]*"', 'name="identifier" value=""', body)


def attempt(client, identifier, password, ip="198.51.100.7", **extra):
    """A sign-in from a browser at `ip`, solving the anti-robot check when asked (tests/portal/test_challenge.py)."""
    data = {"identifier": identifier, "password": password, **solved_challenge(ip)}
    return client.post(LOGIN, data, REMOTE_ADDR=ip, **extra)


def expire_locks():
    AccountLockout.objects.update(locked_until=timezone.now() - timedelta(seconds=1))


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_password_step_alone_grants_nothing(client, marie):
    device = enrol_totp(marie)
    response = attempt(client, "Marie.Dupont", DEMO_PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith(CODE)
    assert not signed_in(client)
    assert client.get("/compte/securite/").status_code == 302
    response = client.post(CODE, {"code": totp_now(device)})
    assert response.status_code == 302
    assert signed_in(client) and client.session["otp_device_id"] == device.persistent_id


def test_staff_without_second_factor_signs_in_with_password_during_grace(client, marie):
    response = attempt(client, "marie.dupont", DEMO_PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("identifier", ["marie.dupont", "zz.nouser"])
def test_five_failures_lock_the_identifier_even_with_the_right_password_then_it_reopens(client, marie, identifier):
    enrol_totp(marie)
    for i in range(5):
        attempt(client, identifier, f"wrong-{i}", ip=f"203.0.113.{i}")
    locked_good = attempt(client, identifier, DEMO_PASSWORD, ip="203.0.113.50")
    locked_bad = attempt(client, identifier, "wrong-again", ip="203.0.113.51")
    assert locked_good.status_code == locked_bad.status_code == 200
    assert normalise(locked_good) == normalise(locked_bad)
    assert GENERIC in locked_good.content.decode()
    assert not signed_in(client)
    expire_locks()
    if identifier == "marie.dupont":
        assert attempt(client, identifier, DEMO_PASSWORD).status_code == 302


def test_lockout_tiers_lengthen_and_the_last_requires_a_reset(client, marie):
    for i in range(5):
        attempt(client, "marie.dupont", f"wrong-{i}")
    row = AccountLockout.objects.get(key="marie.dupont")
    assert timedelta(minutes=14) < row.locked_until - timezone.now() <= timedelta(minutes=15)
    expire_locks()
    for i in range(5):
        attempt(client, "marie.dupont", f"wrong-{i}")
    row.refresh_from_db()
    assert timedelta(minutes=59) < row.locked_until - timezone.now() <= timedelta(hours=1)
    for _ in range(10):
        expire_locks()
        attempt(client, "marie.dupont", "wrong")
    row.refresh_from_db()
    assert row.failures == 20 and row.reset_required
    expire_locks()
    assert attempt(client, "marie.dupont", DEMO_PASSWORD).status_code == 200
    assert not signed_in(client)


def test_a_lock_sends_one_email_not_one_per_attempt(client, marie, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "portal.identity.notifications.deliver_event_notification", lambda event_id: sent.append(event_id)
    )
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(12):
            attempt(client, "marie.dupont", f"wrong-{i}")
    locks = SecurityEvent.objects.filter(kind=EventKind.LOGIN_LOCK, user=marie)
    assert locks.count() == 1
    assert sent == [locks.get().pk]


def test_at_most_a_handful_of_passwords_are_evaluated_per_hour(client, marie, settings):
    # Paced attempts for an hour (simulated by lifting each lock as soon as it expires would take longer):
    # the tiers leave at most 10 evaluations within the first hour, far under the 100 of R1.
    evaluated = 0
    for i in range(100):
        row = AccountLockout.objects.filter(key="marie.dupont").first()
        if row and row.locked_until and row.locked_until > timezone.now():
            break
        attempt(client, "marie.dupont", f"wrong-{i}")
        evaluated += 1
    assert evaluated == 5
    expire_locks()  # 15 minutes later
    response = attempt(client, "marie.dupont", DEMO_PASSWORD)
    assert response.status_code == 302  # the right password works again once the lock is over


@pytest.mark.parametrize("kind", ["unknown", "inactive", "unusable", "wrong"])
def test_every_refusal_looks_the_same(client, marie, django_user_model, kind):
    django_user_model.objects.create_user("paul.inactif", "p@ac-exemple.fr", DEMO_PASSWORD, is_active=False)
    sso = django_user_model.objects.create_user("lea.sso", "l@ac-exemple.fr", None)
    assert not sso.has_usable_password()
    reference = attempt(client, "marie.dupont", "not-her-password")
    identifier, password = {
        "unknown": ("zz.nouser", DEMO_PASSWORD),
        "inactive": ("paul.inactif", DEMO_PASSWORD),
        "unusable": ("lea.sso", "anything at all"),
        "wrong": ("marie.dupont", "another wrong one"),
    }[kind]
    response = attempt(Client(), identifier, password)
    assert response.status_code == reference.status_code == 200
    assert normalise(response) == normalise(reference)
    assert [c for c in response.cookies if c != "csrftoken"] == [c for c in reference.cookies if c != "csrftoken"]


def test_spoofed_forwarded_for_does_not_escape_the_source_limit(client, settings):
    settings.GUICHET_SOURCE_FAILURE_LIMIT = 50
    statuses = []
    for i in range(60):
        response = client.post(
            LOGIN,
            {"identifier": f"user{i}.spray", "password": "Printemps2026!", **solved_challenge("192.0.2.10")},
            REMOTE_ADDR="192.0.2.10",
            HTTP_X_FORWARDED_FOR=f"10.{i}.{i}.{i}",
            HTTP_X_REAL_IP=f"10.0.0.{i}",
        )
        statuses.append(response.status_code)
    assert statuses[:50] == [200] * 50
    assert statuses[50:] == [429] * 10
    ips = set(SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL).values_list("ip", flat=True))
    assert ips == {"192.0.2.10"}
    assert SecurityEvent.objects.filter(kind=EventKind.SOURCE_THROTTLED).count() == 1


def test_behind_a_trusted_proxy_the_proxy_given_address_counts(client, settings):
    settings.GUICHET_TRUSTED_PROXY_COUNT = 1
    attempt(client, "x.y", "z", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert SecurityEvent.objects.get(kind=EventKind.LOGIN_FAIL).ip == "203.0.113.9"


def test_the_owner_signs_in_from_a_known_browser_while_an_attacker_keeps_the_identifier_locked(client, marie):
    device = enrol_totp(marie)
    attempt(client, "marie.dupont", DEMO_PASSWORD)
    client.post(CODE, {"code": totp_now(device)})
    assert "guichet-device" in client.cookies
    client.post("/compte/deconnexion/")
    device.refresh_from_db()
    device.last_t -= 1  # let the same code be used again in this test (replay is tested separately)
    device.save()

    attacker = Client()
    for i in range(5):
        attempt(attacker, "marie.dupont", f"guess-{i}", ip="203.0.113.66")
    assert GENERIC in attempt(attacker, "marie.dupont", DEMO_PASSWORD, ip="203.0.113.66").content.decode()

    response = attempt(client, "marie.dupont", DEMO_PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith(CODE)
    assert GENERIC in attempt(attacker, "marie.dupont", DEMO_PASSWORD, ip="203.0.113.66").content.decode()


def test_a_known_device_cookie_dies_with_the_security_stamp(client, marie):
    device = enrol_totp(marie)
    attempt(client, "marie.dupont", DEMO_PASSWORD)
    client.post(CODE, {"code": totp_now(device)})
    marie.bump_security_stamp()
    for i in range(5):
        attempt(Client(), "marie.dupont", f"guess-{i}")
    assert attempt(client, "marie.dupont", DEMO_PASSWORD).status_code == 200


def test_two_failures_under_a_second_apart_impose_a_minute(client, marie, settings):
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(seconds=1)
    attempt(client, "marie.dupont", "wrong-1")
    attempt(client, "marie.dupont", "wrong-2")  # not evaluated: arrived within the second
    row = AccountLockout.objects.get(key="marie.dupont")
    assert row.failures == 1
    assert timedelta(seconds=55) < row.locked_until - timezone.now() <= timedelta(seconds=60)
    assert attempt(client, "marie.dupont", DEMO_PASSWORD).status_code == 200


def test_the_half_signed_in_state_expires_after_ten_minutes(client, marie):
    device = enrol_totp(marie)
    attempt(client, "marie.dupont", DEMO_PASSWORD)
    session = client.session
    session[PENDING_AT] = (timezone.now() - timedelta(minutes=11)).isoformat()
    session.save()
    response = client.post(CODE, {"code": totp_now(device)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not signed_in(client)


def test_session_key_changes_at_each_step_and_a_planted_one_is_useless(client, marie):
    device = enrol_totp(marie)
    client.cookies["sessionid"] = "plantedsessionkey0000000000000000"
    attempt(client, "marie.dupont", DEMO_PASSWORD)
    after_password = client.cookies["sessionid"].value
    assert after_password != "plantedsessionkey0000000000000000"
    client.post(CODE, {"code": totp_now(device)})
    assert client.cookies["sessionid"].value not in (after_password, "plantedsessionkey0000000000000000")
    assert signed_in(client)


def test_a_wrong_code_then_the_right_one_at_once_is_throttled_then_accepted_after_the_wait(client, marie):
    device = enrol_totp(marie)
    attempt(client, "marie.dupont", DEMO_PASSWORD)
    client.post(CODE, {"code": "000000" if totp_now(device) != "000000" else "111111"})
    response = client.post(CODE, {"code": totp_now(device)})
    assert "Trop de tentatives" in response.content.decode()
    device.refresh_from_db()
    device.throttling_failure_timestamp -= timedelta(seconds=2)
    device.save()
    assert client.post(CODE, {"code": totp_now(device)}).status_code == 302
    assert signed_in(client)


def test_ten_wrong_codes_across_devices_block_the_second_factor_and_require_a_reset(client, marie, monkeypatch):
    monkeypatch.setattr("portal.identity.notifications.deliver_event_notification", lambda event_id: None)
    device = enrol_totp(marie)
    recovery = RecoveryCodeDevice.objects.create(user=marie, name="Codes de secours")
    recovery.regenerate()
    attempt(client, "marie.dupont", DEMO_PASSWORD)
    for i in range(10):
        RecoveryCodeDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
        type(device).objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
        client.post(CODE, {"code": "999999" if i % 2 else "AAAA-BBBB-CCCC-DDDD"})
    marie.refresh_from_db()
    assert marie.password_reset_required and marie.otp_blocked_until > timezone.now()
    assert SecurityEvent.objects.filter(kind=EventKind.MFA_FAIL_MAX, user=marie, notify=True).count() == 1
    # The half-signed-in state is gone and even the right password and code no longer open the account.
    assert client.post(CODE, {"code": totp_now(device)})["Location"] == LOGIN
    assert attempt(client, "marie.dupont", DEMO_PASSWORD).status_code == 200
    assert not signed_in(client)


def test_a_code_cannot_be_replayed_and_only_one_step_of_drift_is_accepted(marie):
    device = enrol_totp(marie)
    for offset, accepted in [(-2, False), (2, False), (-1, True)]:
        assert (device.verify_token(totp_now(device, offset)) is True) is accepted, offset
        device.throttle_reset()
    first, second = Client(), Client()
    code = totp_now(device, 1)
    for browser in (first, second):
        attempt(browser, "marie.dupont", DEMO_PASSWORD)
    assert first.post(CODE, {"code": code}).status_code == 302
    assert second.post(CODE, {"code": code}).status_code == 200


def test_a_recovery_code_signs_in_once_and_leads_to_setting_up_a_new_authenticator(client, marie, monkeypatch):
    monkeypatch.setattr("portal.identity.notifications.deliver_event_notification", lambda event_id: None)
    enrol_totp(marie)
    recovery = RecoveryCodeDevice.objects.create(user=marie, name="Codes de secours")
    codes = recovery.regenerate()
    attempt(client, "marie.dupont", DEMO_PASSWORD)
    response = client.post(CODE, {"code": codes[2].lower()})
    assert response["Location"] == "/compte/double-authentification/"
    event = SecurityEvent.objects.get(kind=EventKind.RECOVERY_CODE_USED)
    assert event.data == {"remaining": 9} and event.notify
    other = Client()
    attempt(other, "marie.dupont", DEMO_PASSWORD)
    assert other.post(CODE, {"code": codes[2]}).status_code == 200


def test_thirty_app_codes_do_not_throttle_the_recovery_codes(marie):
    device = enrol_totp(marie)
    recovery = RecoveryCodeDevice.objects.create(user=marie, name="Codes de secours")
    codes = recovery.regenerate()
    for _ in range(30):
        device.verify_token(totp_now(device))
    recovery.refresh_from_db()
    assert recovery.throttling_failure_count == 0
    assert recovery.verify_token(codes[0])


def test_no_password_reaches_the_event_log(client, marie):
    attempt(client, "marie.dupont", "Pw-MARKER-1234")
    dumped = str(list(SecurityEvent.objects.values()))
    assert "Pw-MARKER" not in dumped
    assert User.objects.get(pk=marie.pk).password.count("Pw-MARKER") == 0


def test_a_timed_lock_is_lifted_at_its_end_with_one_event(client, marie, jean):
    for i in range(5):
        attempt(client, "marie.dupont", f"wrong-{i}")
    AccountLockout.objects.create(key="jean.martin", failures=20, reset_required=True, locked_until=timezone.now())
    assert lockout.expired_locks_lift() == 0  # still in force (and Jean's needs a reset, whatever its time)
    expire_locks()
    assert lockout.expired_locks_lift() == 1
    assert lockout.expired_locks_lift() == 0
    (lifted,) = SecurityEvent.objects.filter(kind=EventKind.LOGIN_UNLOCK)
    assert (lifted.user, lifted.data, lifted.notify) == (marie, {"reason": "expired"}, False)
    row = AccountLockout.objects.get(key="marie.dupont")
    assert row.locked_until is None and row.failures == 5  # the next failure still counts towards the next tier
    assert AccountLockout.objects.get(key="jean.martin").reset_required
