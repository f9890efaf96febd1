"""A way out of every lock (R5): whatever keeps an identifier from signing in (20 failures and the reset they
require, 10 wrong codes, device throttling), the helpdesk lifts it in one action after checking who the person is,
and the sign-in page tells everyone refused how to ask."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from portal.models import AccountLockout, EventKind, SecurityEvent
from tests.helpers import DEMO_PASSWORD, enrol_totp, totp_now

pytestmark = pytest.mark.django_db

SIGN_IN = "/compte/connexion/"


def fail_twenty_times(client, identifier, clock):
    for number in range(20):
        clock.advance(hours=25)  # paced: each lock has expired before the next try
        client.post(SIGN_IN, {"identifier": identifier, "password": f"faux {number}"})


def test_after_twenty_paced_failures_only_the_helpdesk_lets_the_owner_back_in(client, sign_in, marie, sophie, clock):
    fail_twenty_times(client, marie.username, clock)
    clock.advance(days=3)
    owner = Client(REMOTE_ADDR="198.51.100.7")  # the owner, at home, in a new browser: no known-device cookie
    assert owner.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD}).status_code == 200
    page = owner.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD}).content.decode()
    assert "contactez l'assistance</a> en précisant que la connexion est suspendue" in page

    helpdesk = sign_in(Client(), sophie)
    lockouts = "/admin/portal/accountlockout/"
    assert helpdesk.get(lockouts).status_code == 403  # an agent needs the permission
    group = Group.objects.create(name="Déblocage")
    group.permissions.add(Permission.objects.get(codename="lift_lockout"))
    sophie.groups.add(group)
    row = AccountLockout.objects.get(key=marie.username)
    response = helpdesk.post(lockouts, {"action": "unlock_selected", "_selected_action": [row.pk]}, follow=True)
    assert "L&#x27;identifiant marie.dupont peut de nouveau se connecter" in response.content.decode()

    clock.advance(seconds=2)
    assert owner.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD}).status_code == 302
    event = SecurityEvent.objects.filter(kind=EventKind.LOGIN_UNLOCK, user=marie).get()
    assert event.data["by"] == sophie.username and event.data["counters"] >= 1


def test_staff_in_their_grace_period_hold_no_cookie_that_would_outlast_the_lock(client, marie, clock, settings):
    """Password-only sign-ins (staff who have not enrolled yet) prove nothing about the browser: no known-device
    cookie is given, so the browser the owner used yesterday is refused like any other once the reset is due."""
    yesterday = Client()
    response = yesterday.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and settings.GUICHET_KNOWN_DEVICE_COOKIE not in response.cookies
    yesterday.logout()
    fail_twenty_times(client, marie.username, clock)
    clock.advance(days=1)
    assert yesterday.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD}).status_code == 200


def test_ten_wrong_codes_are_lifted_too_and_the_admin_shows_the_block(client, sign_in, marie, alain, clock):
    device = enrol_totp(marie)
    for number in range(10):
        # Real tries, paced past each device's own growing delay (2**n seconds), signing in again when the
        # half-signed-in state has expired: no throttle is reset by hand.
        client.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD})
        client.post("/compte/connexion/code/", {"code": f"{number:06d}"})
        clock.advance(seconds=2**number + 2)
    marie.refresh_from_db()
    assert marie.password_reset_required and marie.otp_blocked_until

    helpdesk = sign_in(Client(), alain)
    change = helpdesk.get(f"/admin/portal/user/{marie.pk}/change/").content.decode()
    assert "password_reset_required" in change or "réinitialisation" in change.lower()  # shown, not hidden
    response = helpdesk.post(
        "/en/admin/portal/user/", {"action": "lift_blocks", "_selected_action": [marie.pk]}, follow=True
    )
    text = response.content.decode()
    assert (
        "The identifier marie.dupont can sign in again" in text
        and "the reset that was required" in text
        and "second-factor block" in text
    )
    marie.refresh_from_db()
    assert not marie.password_reset_required and marie.otp_blocked_until is None

    clock.advance(minutes=1)
    owner = Client()
    owner.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD})
    assert owner.post("/compte/connexion/code/", {"code": totp_now(device)}).status_code == 302
    assert owner.get("/incidents/").status_code == 200
