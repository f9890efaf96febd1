"""Black-box versions of requirements whose earlier tests reached their state by editing rows or planting values:
here every step is a request a person or an attacker would send, and nothing is reset between tries."""

import pytest
from django.test import Client

from portal.models import RecoveryCodeDevice
from tests.helpers import DEMO_PASSWORD, enrol_totp, totp_now

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"
CODE = "/compte/connexion/code/"


def code_now(device, clock) -> str:
    """The code the phone shows at the server's (moved) clock."""
    return totp_now(device, int(clock.offset.total_seconds() // device.step))


def signed_in(client) -> bool:
    return client.get("/incidents/").status_code == 200


@pytest.fixture
def phone_clock(clock, monkeypatch):
    """The server's clock moved forward for the codes too (the authenticator model reads time.time())."""
    import time
    from types import SimpleNamespace

    from portal.models import authenticator

    real = time.time
    monkeypatch.setattr(authenticator, "time", SimpleNamespace(time=lambda: real() + clock.offset.total_seconds()))
    return clock


def test_r10_thirty_sign_ins_with_the_app_leave_the_recovery_codes_unthrottled(client, marie, phone_clock):
    clock = phone_clock
    device = enrol_totp(marie)
    codes = RecoveryCodeDevice.objects.create(user=marie, name="Codes de secours").regenerate()
    for _ in range(30):
        clock.advance(seconds=30)  # a new code each time: a code signs in only once
        client.post(LOGIN, {"identifier": marie.username, "password": DEMO_PASSWORD})
        device.refresh_from_db()  # the drift the server learnt
        assert client.post(CODE, {"code": code_now(device, clock)}).status_code == 302
        assert signed_in(client)
        client.post("/compte/deconnexion/")
    clock.advance(seconds=2)
    client.post(LOGIN, {"identifier": marie.username, "password": DEMO_PASSWORD})
    assert client.post(CODE, {"code": codes[0]}).status_code == 302  # at once: no delay inherited from the app
    assert signed_in(client)


def test_r9_ten_wrong_codes_alternating_app_and_recovery_codes_with_real_waits_block_the_second_factor(
    client, marie, phone_clock
):
    clock = phone_clock
    device = enrol_totp(marie)
    RecoveryCodeDevice.objects.create(user=marie, name="Codes de secours").regenerate()
    for number in range(10):
        client.post(LOGIN, {"identifier": marie.username, "password": DEMO_PASSWORD})
        client.post(CODE, {"code": "000000" if number % 2 else "AAAA-BBBB-CCCC-DDDD"})
        clock.advance(seconds=2**number + 2)  # past each device's own delay; nothing reset by hand
    clock.advance(seconds=30 - clock.offset.total_seconds() % 30)  # a whole number of steps for code_now
    client.post(LOGIN, {"identifier": marie.username, "password": DEMO_PASSWORD})
    device.refresh_from_db()
    client.post(CODE, {"code": code_now(device, clock)})  # even the right code, now
    assert not signed_in(client)
    marie.refresh_from_db()
    assert marie.password_reset_required and marie.otp_blocked_until


def whose(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_r31_an_attackers_real_session_planted_in_the_victims_browser_is_useless(marie, jean):
    device = enrol_totp(marie)
    attacker = Client()
    attacker.post(LOGIN, {"identifier": jean.username, "password": DEMO_PASSWORD})  # a real session, the attacker's
    planted = attacker.cookies["sessionid"].value
    assert whose(attacker) == str(jean.pk)

    victim = Client()
    victim.cookies["sessionid"] = planted  # fixation: the attacker's cookie in the victim's browser
    victim.post(LOGIN, {"identifier": marie.username, "password": DEMO_PASSWORD})
    after_password = victim.cookies["sessionid"].value
    assert after_password != planted
    victim.post(CODE, {"code": totp_now(device)})
    assert victim.cookies["sessionid"].value not in (planted, after_password)
    assert whose(victim) == str(marie.pk)
    assert whose(attacker) != str(marie.pk)  # the session the attacker knows never became the victim's
