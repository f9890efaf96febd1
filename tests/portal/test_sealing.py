"""Authenticator seeds are sealed at rest (R13): the database alone does not give them away."""

import base64
import os
from base64 import b32encode

import pytest
from django.core.management import call_command
from django.db import connection

from portal.models import AuthenticatorApp
from portal.web import sealing
from tests.helpers import enrol_totp, totp_now

pytestmark = pytest.mark.django_db


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture
def sealing_keys(settings):
    def use(*keys):
        settings.GUICHET_SEALING_KEYS = list(keys)
        sealing.reset_key_cache()

    yield use
    sealing.reset_key_cache()


def test_the_seed_is_nowhere_in_the_database_row(marie):
    device = enrol_totp(marie)
    seed = device.bin_key
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM portal_authenticatorapp WHERE id = %s", [device.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    for encoding in (seed.hex(), b32encode(seed).decode().rstrip("="), base64.b64encode(seed).decode()):
        assert encoding.lower() not in row.lower()


def test_a_seed_copied_to_another_account_does_not_open(marie, jean):
    device = enrol_totp(marie)
    other = enrol_totp(jean)
    AuthenticatorApp.objects.filter(pk=other.pk).update(sealed_seed=device.sealed_seed)
    other.refresh_from_db()
    with pytest.raises(sealing.SealBroken):
        other.bin_key  # noqa: B018


def test_after_a_key_rotation_old_seeds_still_sign_in_and_reseal_moves_them_to_the_new_key(marie, sealing_keys):
    old, new = _new_key(), _new_key()
    sealing_keys(old)
    device = enrol_totp(marie)
    seed = device.bin_key

    sealing_keys(new, old)
    device.refresh_from_db()
    assert device.verify_token(totp_now(device))
    assert not sealing.is_sealed_with_current_key(device.sealed_seed)

    call_command("reseal")
    device.refresh_from_db()
    assert sealing.is_sealed_with_current_key(device.sealed_seed)
    sealing_keys(new)  # the old key retired
    device.refresh_from_db()
    assert device.bin_key == seed


def test_a_code_is_accepted_once_even_when_two_requests_race_with_it(marie):
    device = enrol_totp(marie)
    code = totp_now(device)
    first = AuthenticatorApp.objects.get(pk=device.pk)
    second = AuthenticatorApp.objects.get(pk=device.pk)  # read before the first one used the code
    assert first.verify_token(code)
    assert not second.verify_token(code)
