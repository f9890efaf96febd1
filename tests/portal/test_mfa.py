"""Second-factor pages: enrolling an authenticator app, removing it, recovery codes (R13, R16, R17)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY

from portal.identity import mfa
from portal.identity.session_state import REAUTH_AT, now_stamp
from portal.models import AuthenticatorApp, EventKind, RecoveryCode, RecoveryCodeDevice, SecurityEvent
from portal.models.mfa import normalise_recovery_code
from tests.helpers import enrol_totp, totp_now

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_notification_mail(monkeypatch):
    # Sending the e-mails is not built yet; these tests check the SecurityEvent rows that drive them.
    monkeypatch.setattr("portal.identity.notifications.deliver_event_notification", lambda event_id: None)


def url(name, *args):
    """English URLs, so assertions on wording do not depend on the French catalog."""
    with translation.override("en"):
        return reverse(name, args=args)


def set_reauth_age(client, age: timedelta | None):
    session = client.session
    session[REAUTH_AT] = (timezone.now() - age).isoformat() if age is not None else now_stamp()
    session.save()


def signed_in_without_factor(client, sign_in, user):
    """A staff member within the grace period: signed in by password alone, which counts as re-authenticated."""
    sign_in(client, user, verified=False)
    set_reauth_age(client, None)
    return client


def start_enrolment(client):
    response = client.get(url("portal:mfa_totp_add"))
    assert response.status_code == 200
    return response, AuthenticatorApp.objects.get(confirmed=False)


def enrol(client, name="Téléphone pro"):
    """Go through the enrolment page with the code the app would show."""
    _, device = start_enrolment(client)
    response = client.post(url("portal:mfa_totp_add"), {"name": name, "code": totp_now(device)})
    device.refresh_from_db()
    return response, device


def displayed_secret(body: str) -> str:
    return re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', body).group(1)


def assert_csp_friendly_single_h1(body: str):
    assert body.count("<h1") == 1
    assert " style=" not in body and "<style" not in body
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", body))


# --- Enrolment ----------------------------------------------------------------------------------------------------


def test_enrolment_shows_a_server_drawn_qr_code_and_the_grouped_key_of_an_unconfirmed_device(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    response, device = start_enrolment(client)
    body = response.content.decode()
    assert not device.confirmed
    assert displayed_secret(body) == mfa.totp_secret(device)
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", mfa.totp_secret(device))
    assert re.search(r'<svg [^>]*class="qr-code"[^>]*role="img"[^>]*aria-label="[^"]+"', body)
    assert '<path d="M' in body
    assert "no-store" in response["Cache-Control"]
    assert_csp_friendly_single_h1(body)


def test_reloading_the_enrolment_page_keeps_the_same_key(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    first, _ = start_enrolment(client)
    second, _ = start_enrolment(client)
    assert displayed_secret(first.content.decode()) == displayed_secret(second.content.decode())
    assert AuthenticatorApp.objects.filter(user=marie).count() == 1


def test_a_valid_code_confirms_the_device_and_verifies_the_current_session(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    response, device = enrol(client, name="Téléphone pro")
    assert device.confirmed and device.name == "Téléphone pro"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    # A first factor with no recovery codes yet: next step is generating them.
    assert response.status_code == 302 and response["Location"] == reverse("portal:mfa_recovery_codes")


def test_with_recovery_codes_already_there_enrolment_returns_to_the_overview_with_a_message(client, sign_in, marie):
    sign_in(client, marie)
    generate_codes(client)  # through the page, as a person does (a bare POST makes none)
    response, device = enrol(client, name="Tablette")
    assert response["Location"] == reverse("portal:mfa")
    page = client.get(url("portal:mfa")).content.decode()
    assert "Authenticator “Tablette” added." in page


def test_a_wrong_code_keeps_the_device_unconfirmed_and_shows_the_same_key_with_a_linked_error(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    first, device = start_enrolment(client)
    response = client.post(url("portal:mfa_totp_add"), {"name": "Mon téléphone", "code": totp_now(device, 5)})
    body = response.content.decode()
    device.refresh_from_db()
    assert response.status_code == 200
    assert not device.confirmed
    assert displayed_secret(body) == displayed_secret(first.content.decode())
    assert 'value="Mon téléphone"' in body
    assert "This code is not right." in body
    assert 'id="id_code_error"' in body
    assert re.search(r'<input [^>]*aria-describedby="id_code_helptext id_code_error"', body)
    assert 'aria-invalid="true"' in body
    assert '<a href="#id_code">' in body
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_malformed_code_or_a_missing_name_is_explained_next_to_the_field(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    start_enrolment(client)
    body = client.post(url("portal:mfa_totp_add"), {"name": "", "code": "12ab56"}).content.decode()
    assert "Give this authenticator a name" in body
    assert "The code is made of 6 digits" in body
    assert '<a href="#id_name">' in body


def test_a_code_typed_with_a_space_is_accepted(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    _, device = start_enrolment(client)
    code = totp_now(device)
    client.post(url("portal:mfa_totp_add"), {"name": "Téléphone", "code": f"{code[:3]} {code[3:]}"})
    device.refresh_from_db()
    assert device.confirmed


def test_after_several_wrong_codes_even_the_right_one_must_wait(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    _, device = start_enrolment(client)
    # Four failures in a row: django-otp wants 8 seconds before the next try.
    device.throttling_failure_count = 4
    device.throttling_failure_timestamp = timezone.now()
    device.save()
    body = client.post(url("portal:mfa_totp_add"), {"name": "Téléphone", "code": totp_now(device)}).content.decode()
    device.refresh_from_db()
    assert re.search(r"Too many wrong codes in a row\. Wait [78] seconds", body)
    assert not device.confirmed


def test_an_abandoned_enrolment_leaves_no_device_that_can_sign_in(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    start_enrolment(client)
    assert not AuthenticatorApp.objects.filter(confirmed=True).exists()
    assert "Ajout en cours" not in client.get(url("portal:mfa")).content.decode()


def test_the_key_is_never_shown_again_once_the_device_is_confirmed(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    _, device = enrol(client)
    secret = mfa.totp_secret(device)
    pages = [
        client.get(url("portal:mfa")),
        client.get(url("portal:mfa_recovery_codes")),
        client.get(url("portal:mfa_device_remove", device.pk)),
        client.get(url("portal:mfa_totp_add")),  # a new enrolment gets a new key
    ]
    for page in pages:
        body = page.content.decode()
        assert page.status_code == 200
        assert secret not in body and secret.replace(" ", "") not in body and device.bin_key.hex() not in body


def test_adding_a_device_is_recorded_for_the_person(client, sign_in, marie):
    signed_in_without_factor(client, sign_in, marie)
    enrol(client, name="Téléphone pro")
    event = SecurityEvent.objects.get(kind=EventKind.MFA_DEVICE_ADD)
    assert (event.user, event.data, event.notify) == (marie, {"device": "Téléphone pro"}, True)


def test_adding_a_device_signs_out_the_other_sessions_but_not_this_one(sign_in, marie):
    this, other = sign_in(Client(), marie), sign_in(Client(), marie)
    enrol(this, name="Deuxième téléphone")
    assert other.get(url("portal:mfa"))["Location"].startswith(url("portal:login"))
    assert this.get(url("portal:mfa")).status_code == 200


# --- Overview -----------------------------------------------------------------------------------------------------


def test_overview_lists_own_devices_and_recovery_codes_left_and_nothing_secret(client, sign_in, marie, jean):
    sign_in(client, marie)
    enrol_totp(marie, name="Tablette")
    someone_else = enrol_totp(jean, name="Téléphone de Jean")
    mfa_device = RecoveryCodeDevice.objects.create(user=marie, name=mfa.RECOVERY_DEVICE_NAME)
    codes = mfa_device.regenerate()
    body = client.get(url("portal:mfa")).content.decode()
    assert "Téléphone" in body and "Tablette" in body and "Téléphone de Jean" not in body
    assert "You have 10 unused recovery codes left." in body
    for device in AuthenticatorApp.objects.filter(user=marie):
        assert f'action="{url("portal:mfa_device_remove", device.pk)}"' in body
        assert mfa.totp_secret(device).replace(" ", "") not in body.replace(" ", "")
    assert someone_else.bin_key.hex() not in body
    assert not any(code in body for code in codes)
    assert_csp_friendly_single_h1(body)


def test_overview_says_when_no_recovery_codes_were_generated(client, sign_in, marie):
    sign_in(client, marie)
    body = client.get(url("portal:mfa")).content.decode()
    assert "You have not generated recovery codes yet." in body
    assert f'href="{url("portal:mfa_recovery_codes")}"' in body
    assert f'href="{url("portal:mfa_totp_add")}"' in body


def test_overview_needs_a_signed_in_person(client):
    response = client.get(url("portal:mfa"))
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


# --- Re-authentication -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name"),
    [("get", "portal:mfa_totp_add"), ("post", "portal:mfa_totp_add"), ("post", "portal:mfa_recovery_codes")],
)
def test_factor_changes_need_a_re_authentication_less_than_five_minutes_old(client, sign_in, marie, method, name):
    sign_in(client, marie)
    set_reauth_age(client, timedelta(minutes=6))
    response = getattr(client, method)(url(name), {"name": "X", "code": "123456"} if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"].startswith(url("portal:reauth") + "?next=")
    assert not RecoveryCode.objects.exists()
    assert AuthenticatorApp.objects.filter(user=marie).count() == 1


def test_removing_a_device_with_a_stale_re_authentication_goes_to_the_re_authentication_page(client, sign_in, marie):
    sign_in(client, marie)
    old = enrol_totp(marie, name="Ancien téléphone")
    set_reauth_age(client, timedelta(minutes=6))
    response = client.post(url("portal:mfa_device_remove", old.pk))
    assert response["Location"].startswith(url("portal:reauth") + "?next=")
    assert AuthenticatorApp.objects.filter(pk=old.pk).exists()


def test_a_re_authentication_four_minutes_old_is_still_fresh(client, sign_in, marie):
    sign_in(client, marie)
    set_reauth_age(client, timedelta(minutes=4))
    assert client.get(url("portal:mfa_totp_add")).status_code == 200


# --- Removal ------------------------------------------------------------------------------------------------------


def test_removing_a_device_records_it_and_signs_out_the_other_sessions_only(sign_in, marie):
    this, other = sign_in(Client(), marie), sign_in(Client(), marie)
    old = enrol_totp(marie, name="Ancien téléphone")
    response = this.post(url("portal:mfa_device_remove", old.pk))
    assert response["Location"] == reverse("portal:mfa")
    assert not AuthenticatorApp.objects.filter(pk=old.pk).exists()
    event = SecurityEvent.objects.get(kind=EventKind.MFA_DEVICE_REMOVE)
    assert (event.user, event.data, event.notify) == (marie, {"device": "Ancien téléphone"}, True)
    assert other.get(url("portal:mfa"))["Location"].startswith(url("portal:login"))
    page = this.get(url("portal:mfa"))
    assert page.status_code == 200
    assert "Authenticator “Ancien téléphone” removed." in page.content.decode()


def test_removing_someone_elses_device_is_not_found(client, sign_in, marie, jean):
    sign_in(client, marie)
    jeans = enrol_totp(jean)
    assert client.post(url("portal:mfa_device_remove", jeans.pk)).status_code == 404
    assert client.get(url("portal:mfa_device_remove", jeans.pk)).status_code == 404
    assert AuthenticatorApp.objects.filter(pk=jeans.pk).exists()
    assert not SecurityEvent.objects.filter(kind=EventKind.MFA_DEVICE_REMOVE).exists()


def test_opening_the_removal_address_asks_for_confirmation_and_removes_nothing(client, sign_in, marie):
    sign_in(client, marie)
    old = enrol_totp(marie, name="Ancien téléphone")
    response = client.get(url("portal:mfa_device_remove", old.pk))
    assert response.status_code == 200
    assert "Remove “Ancien téléphone”" in response.content.decode()
    assert AuthenticatorApp.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize("role_user", ["sophie", "alain"])
def test_an_agent_or_admin_cannot_remove_their_last_authenticator(client, sign_in, role_user, request):
    user = request.getfixturevalue(role_user)
    sign_in(client, user)
    device = AuthenticatorApp.objects.get(user=user)
    response = client.post(url("portal:mfa_device_remove", device.pk))
    assert response["Location"] == reverse("portal:mfa")
    assert AuthenticatorApp.objects.filter(pk=device.pk).exists()
    assert not SecurityEvent.objects.filter(kind=EventKind.MFA_DEVICE_REMOVE).exists()
    page = client.get(url("portal:mfa")).content.decode()
    assert "is your only authenticator and your role requires one" in page
    assert f'action="{url("portal:mfa_device_remove", device.pk)}"' not in page


def test_an_agent_with_two_authenticators_may_remove_one(client, sign_in, sophie):
    sign_in(client, sophie)
    spare = enrol_totp(sophie, name="Clé de secours")
    client.post(url("portal:mfa_device_remove", spare.pk))
    assert AuthenticatorApp.objects.filter(user=sophie).count() == 1


def test_a_staff_member_may_remove_their_only_authenticator(client, sign_in, marie):
    sign_in(client, marie)
    client.post(url("portal:mfa_device_remove", AuthenticatorApp.objects.get(user=marie).pk))
    assert not AuthenticatorApp.objects.filter(user=marie).exists()


# --- Recovery codes -----------------------------------------------------------------------------------------------

CODE_PATTERN = re.compile(r"<code>([2-9A-Z]{4}(?:-[2-9A-Z]{4}){3})</code>")


def generate_codes(client) -> tuple[list[str], object]:
    page = client.get(url("portal:mfa_recovery_codes")).content.decode()
    generation = re.search(r'name="generation" value="([^"]+)"', page).group(1)
    response = client.post(url("portal:mfa_recovery_codes"), {"generation": generation})
    assert response.status_code == 200
    return CODE_PATTERN.findall(response.content.decode()), response


def test_recovery_codes_are_shown_once_and_never_on_reload(client, sign_in, marie):
    sign_in(client, marie)
    codes, response = generate_codes(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "no-store" in response["Cache-Control"]
    assert_csp_friendly_single_h1(response.content.decode())
    again = client.get(url("portal:mfa_recovery_codes"))
    body = again.content.decode()
    assert again.status_code == 200
    assert not CODE_PATTERN.search(body) and not any(code in body for code in codes)
    assert "You have 10 unused recovery codes left." in body


def test_reloading_the_page_of_new_codes_does_not_replace_them(client, sign_in, marie):
    sign_in(client, marie)
    page = client.get(url("portal:mfa_recovery_codes")).content.decode()
    form = {"generation": re.search(r'name="generation" value="([^"]+)"', page).group(1)}
    codes = CODE_PATTERN.findall(client.post(url("portal:mfa_recovery_codes"), form).content.decode())
    reload = client.post(url("portal:mfa_recovery_codes"), form)  # the browser's "resend the form?"
    assert reload.status_code == 302
    assert client.get(reload["Location"]).content.decode().count("already generated") == 1
    assert SecurityEvent.objects.filter(kind=EventKind.RECOVERY_CODES_REGENERATED).count() == 1
    device = RecoveryCodeDevice.objects.get(user=marie)
    assert device.verify_token(codes[0])  # the codes on the screen still work


def test_recovery_codes_are_kept_nowhere_but_the_response(client, sign_in, marie):
    sign_in(client, marie)
    codes, _ = generate_codes(client)
    session_dump = repr(dict(client.session.items()))
    events = repr(list(SecurityEvent.objects.values()))
    for code in codes:
        assert code not in session_dump and normalise_recovery_code(code) not in session_dump
        assert normalise_recovery_code(code)[4:] not in events
    assert "Your new recovery codes" not in client.get(url("portal:mfa")).content.decode()


def test_the_database_holds_no_recovery_code_in_clear(client, sign_in, marie):
    sign_in(client, marie)
    codes, _ = generate_codes(client)
    rows = list(RecoveryCode.objects.filter(device__user=marie))
    assert len(rows) == 10
    stored = repr([(row.lookup, row.code_hash) for row in rows])
    for code in codes:
        secret_part = normalise_recovery_code(code)[4:]
        assert secret_part not in stored and code not in stored
    for row in rows:
        identify_hasher(row.code_hash)  # a salted password hash with its algorithm prefix, e.g. "md5$…"
        assert re.match(r"^[a-z0-9_]+\$", row.code_hash)


def test_a_recovery_code_works_once(client, sign_in, marie):
    sign_in(client, marie)
    codes, _ = generate_codes(client)
    device = RecoveryCodeDevice.objects.get(user=marie)
    assert device.verify_token(codes[2])
    assert not device.verify_token(codes[2])
    assert device.remaining == 9


def test_generating_new_codes_revokes_the_old_set(client, sign_in, marie):
    sign_in(client, marie)
    old, _ = generate_codes(client)
    new, _ = generate_codes(client)
    device = RecoveryCodeDevice.objects.get(user=marie)
    assert RecoveryCodeDevice.objects.filter(user=marie).count() == 1
    assert device.verify_token(new[0])
    assert not device.verify_token(old[3])


def test_generating_codes_is_recorded_with_the_count_only(client, sign_in, marie):
    sign_in(client, marie)
    generate_codes(client)
    event = SecurityEvent.objects.get(kind=EventKind.RECOVERY_CODES_REGENERATED)
    assert (event.user, event.data, event.notify) == (marie, {"count": 10}, True)


def test_the_recovery_page_offers_printing_through_a_script_file_and_works_without_it(client, sign_in, marie):
    sign_in(client, marie)
    _, response = generate_codes(client)
    body = response.content.decode()
    assert re.search(r'<script src="[^"]*/js/print\.js" defer></script>', body)
    assert re.search(r"<button [^>]*data-print hidden", body)  # only JavaScript reveals it
    assert f'href="{url("portal:mfa")}"' in body


def test_a_bare_post_without_ever_opening_the_page_makes_no_new_codes(client, sign_in, marie):
    sign_in(client, marie)
    for _attempt in range(3):
        assert client.post(url("portal:mfa_recovery_codes")).status_code == 302
    assert not SecurityEvent.objects.filter(kind=EventKind.RECOVERY_CODES_REGENERATED).exists()
