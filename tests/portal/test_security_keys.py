"""Security keys and passkeys (WebAuthn, R14): adding and removing one, signing in and confirming it is you with one,
and the policy that agents and admins use nothing else.

A software authenticator written here (ES256, attestation "none") answers the portal's options the way a browser and
a key would, so py_webauthn's real verification runs on every answer: nothing of the library is mocked.
"""

import hashlib
import json
import os
import re
from base64 import urlsafe_b64decode, urlsafe_b64encode
from datetime import timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.admin.sites import site as admin_site
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY, device_classes

from portal.identity import webauthn
from portal.identity.api_auth import IsVerified
from portal.identity.session_state import REAUTH_AT, now_stamp
from portal.models import AuthenticatorApp, EventKind, RecoveryCodeDevice, SecurityEvent, SecurityKey, User
from tests.helpers import DEMO_PASSWORD, enrol_totp, totp_now

pytestmark = pytest.mark.django_db

ORIGIN = "http://localhost:8000"
RP_ID = "localhost"


@pytest.fixture(autouse=True)
def _webauthn_site(settings):
    settings.GUICHET_WEBAUTHN_RP_ID = RP_ID
    settings.GUICHET_WEBAUTHN_ORIGINS = [ORIGIN]
    settings.GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY = False
    # Sequential test requests arrive microseconds apart; rapid fire has its own tests (tests/portal/test_login.py).
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)


@pytest.fixture(autouse=True)
def _no_notification_mail(monkeypatch):
    # The e-mails have their own tests (tests/portal/test_notifications.py); here the SecurityEvent rows are checked.
    monkeypatch.setattr("portal.identity.notifications.deliver_event_notification", lambda event_id: None)


@pytest.fixture
def key_policy_on(settings):
    settings.GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY = True


def url(name, *args, query: str = "") -> str:
    """English URLs, so assertions on wording do not depend on the French catalog."""
    with translation.override("en"):
        return reverse(name, args=args) + (f"?{query}" if query else "")


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- A software authenticator --------------------------------------------------------------------------------------

FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40


class SoftAuthenticator:
    """One credential on an ES256 authenticator: answers create() with attestation "none", get() with a signature."""

    def __init__(self, *, origin: str = ORIGIN, rp_id: str = RP_ID, counts: bool = True):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.counts = counts  # synced passkeys always say 0: then only the single-use challenge stops a replay
        self.origin = origin
        self.rp_id = rp_id

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict, *, origin: str | None = None, challenge: str | None = None) -> str:
        assert options["rp"]["id"] == self.rp_id
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([FLAG_UP | FLAG_UV | FLAG_AT])
            + self.sign_count.to_bytes(4, "big")
            + bytes(16)  # AAGUID: all zeros, as authenticators without attestation send
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self.cose_public_key()
        )
        client_data = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation),
                    "transports": ["usb", "nfc"],
                },
                "clientExtensionResults": {},
            }
        )

    def get(self, options: dict, *, origin: str | None = None, challenge: str | None = None, count=None) -> str:
        if count is not None:
            self.sign_count = count
        elif self.counts:
            self.sign_count += 1
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([FLAG_UP | FLAG_UV])
            + self.sign_count.to_bytes(4, "big")
        )
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                },
                "clientExtensionResults": {},
            }
        )


# --- Helpers -------------------------------------------------------------------------------------------------------


def fresh_confirmation(client):
    session = client.session
    session[REAUTH_AT] = now_stamp()
    session.save()


def stale_confirmation(client):
    session = client.session
    session[REAUTH_AT] = (timezone.now() - timedelta(minutes=10)).isoformat()
    session.save()


def registration_options(client) -> dict:
    response = client.post(url("portal:mfa_key_options"))
    assert response.status_code == 200, response.content
    return response.json()


def add_key(client, authenticator: SoftAuthenticator, name="Clé USB bleue"):
    """Go through the add-a-key page as the browser would; returns the page's response."""
    answer = authenticator.create(registration_options(client))
    return client.post(url("portal:mfa_key_add"), {"name": name, "credential": answer})


def register_key(user, authenticator: SoftAuthenticator, name="Clé USB") -> SecurityKey:
    """A key already on the account, as if added earlier through the page."""
    return SecurityKey.objects.create(
        user=user,
        name=name,
        confirmed=True,
        credential_id=authenticator.id,
        public_key=authenticator.cose_public_key(),
        sign_count=authenticator.sign_count,
        transports=["usb"],
    )


def password_step(client, user):
    response = client.post(url("portal:login"), {"identifier": user.username, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(url("portal:login_code")), response
    return response


def sign_in_options(client) -> dict:
    response = client.post(url("portal:login_key_options"))
    assert response.status_code == 200, response.content
    return response.json()


def post_assertion(client, answer: str, next_url: str = "/en/"):
    return client.post(url("portal:login_key"), {"credential": answer, "next": next_url})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def key_signed_in(client, user, authenticator) -> Client:
    password_step(client, user)
    response = post_assertion(client, authenticator.get(sign_in_options(client)))
    assert response.status_code == 302 and signed_in(client)
    return client


def wrong_second_factors(user) -> int:
    user.refresh_from_db()
    return user.otp_failures


# --- Adding a key --------------------------------------------------------------------------------------------------


def test_adding_a_key_needs_a_recent_confirmation(client, sign_in, marie):
    sign_in(client, marie)
    stale_confirmation(client)
    page = client.get(url("portal:mfa_key_add"))
    assert page.status_code == 302 and page["Location"].startswith(url("portal:reauth"))
    options = client.post(url("portal:mfa_key_options"))
    assert options.status_code == 403
    assert options.json()["redirect"].startswith(url("portal:reauth"))
    assert webauthn.CEREMONY not in client.session


def test_a_key_is_added_and_the_session_is_then_verified_with_it(client, sign_in, marie):
    sign_in(client, marie)
    authenticator = SoftAuthenticator()
    response = add_key(client, authenticator, name="Clé USB bleue")
    key = SecurityKey.objects.get(user=marie)
    assert response.status_code == 302
    assert (key.name, key.credential_id, key.confirmed, key.sign_count) == ("Clé USB bleue", authenticator.id, True, 0)
    assert bytes(key.public_key) == authenticator.cose_public_key()
    assert key.transports == ["usb", "nfc"] and key.aaguid == "00000000-0000-0000-0000-000000000000"
    assert client.session[DEVICE_ID_SESSION_KEY] == key.persistent_id
    assert "Security key “Clé USB bleue” added." in client.get(url("portal:mfa")).content.decode()


def test_the_options_exclude_keys_already_added_prefer_passkeys_and_ask_no_attestation(client, sign_in, sophie):
    sign_in(client, sophie)
    existing = register_key(sophie, SoftAuthenticator())
    options = registration_options(client)
    assert options["rp"] == {"id": RP_ID, "name": "Guichet"}
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert [item["id"] for item in options["excludeCredentials"]] == [existing.credential_id]
    assert options["timeout"] == 300_000
    assert len(unb64url(options["challenge"])) == 32
    # The account id given to the authenticator is opaque: neither the identifier nor the database id.
    handle = unb64url(options["user"]["id"])
    assert sophie.username.encode() not in handle and handle != str(sophie.pk).encode() and len(handle) == 32
    assert options["user"]["name"] == sophie.username


def test_adding_a_key_is_recorded_and_signs_out_the_other_sessions_but_not_this_one(sign_in, marie):
    this, other = sign_in(Client(), marie), sign_in(Client(), marie)
    add_key(this, SoftAuthenticator(), name="Clé du bureau")
    event = SecurityEvent.objects.get(kind=EventKind.MFA_DEVICE_ADD)
    assert (event.user, event.notify) == (marie, True)
    assert event.data == {"device": "Clé du bureau", "factor": "security_key"}
    assert other.get(url("portal:mfa"))["Location"].startswith(url("portal:login"))
    assert this.get(url("portal:mfa")).status_code == 200


@pytest.mark.parametrize("tamper", ["other_origin", "other_challenge", "no_ceremony", "expired"])
def test_a_registration_answer_that_does_not_match_the_ceremony_is_refused(client, sign_in, marie, clock, tamper):
    sign_in(client, marie)
    authenticator = SoftAuthenticator()
    options = registration_options(client)
    if tamper == "other_origin":
        answer = authenticator.create(options, origin="https://guichet.example.net")
    elif tamper == "other_challenge":
        answer = authenticator.create(options, challenge=b64url(os.urandom(32)))
    else:
        answer = authenticator.create(options)
        if tamper == "no_ceremony":
            session = client.session
            del session[webauthn.CEREMONY]
            session.save()
        else:
            clock.advance(minutes=5, seconds=1)
            fresh_confirmation(client)
    body = client.post(url("portal:mfa_key_add"), {"name": "Clé", "credential": answer}).content.decode()
    assert not SecurityKey.objects.exists()
    assert 'class="form-errors" role="alert"' in body
    expected = "expired or was already used" if tamper in ("no_ceremony", "expired") else "could not be checked"
    assert expected in body


def test_an_answer_is_used_once_and_a_key_is_added_once(client, sign_in, marie, jean):
    sign_in(client, marie)
    authenticator = SoftAuthenticator()
    answer = authenticator.create(registration_options(client))
    assert client.post(url("portal:mfa_key_add"), {"name": "Clé", "credential": answer}).status_code == 302
    fresh_confirmation(client)
    replay = client.post(url("portal:mfa_key_add"), {"name": "Clé", "credential": answer}).content.decode()
    assert "expired or was already used" in replay
    # The same credential offered again, even by someone else, is refused: a credential belongs to one account.
    other = sign_in(Client(), jean)
    body = add_key(other, authenticator).content.decode()
    assert "This security key is already registered" in body
    assert SecurityKey.objects.get().user == marie


def test_without_the_browser_answer_the_page_says_what_to_do(client, sign_in, marie):
    sign_in(client, marie)
    body = client.post(url("portal:mfa_key_add"), {"name": "Clé", "credential": ""}).content.decode()
    assert "Your browser sent no answer from a security key" in body
    body = client.post(url("portal:mfa_key_add"), {"name": "", "credential": ""}).content.decode()
    assert "Give this key a name" in body and '<a href="#id_name">' in body
    assert not SecurityKey.objects.exists()


def test_the_add_page_is_accessible_markup_and_loads_only_its_own_script(client, sign_in, marie):
    sign_in(client, marie)
    body = client.get(url("portal:mfa_key_add")).content.decode()
    assert body.count("<h1") == 1
    assert '<label for="id_name">' in body
    assert 'role="status" aria-live="polite"' in body and 'role="alert"' in body
    assert 'data-options-url="/en/compte/double-authentification/cle/options/"' in body
    assert " style=" not in body and "<style" not in body
    scripts = re.findall(r"<script[^>]*>", body)
    assert scripts and all("src=" in tag for tag in scripts)


def test_the_key_list_shows_names_and_dates_and_no_credential_data(client, sign_in, marie):
    sign_in(client, marie)
    authenticator = SoftAuthenticator()
    add_key(client, authenticator, name="Clé du bureau")
    key = SecurityKey.objects.get()
    pages = [client.get(url("portal:mfa")), client.get(url("portal:mfa_key_remove", key.pk))]
    for page in pages:
        body = page.content.decode()
        assert page.status_code == 200 and "Clé du bureau" in body
        assert authenticator.id not in body
        assert b64url(authenticator.cose_public_key()) not in body
        assert authenticator.cose_public_key().hex() not in body


def test_the_second_factor_pages_offer_no_e_mail_or_sms_factor(client, sign_in, sophie):
    sign_in(client, sophie)
    for name in ("portal:mfa", "portal:mfa_key_add", "portal:mfa_totp_add"):
        page = client.get(url(name)).content.decode()
        # Without the random CSRF token, which spells "sms" now and then.
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page).lower()
        assert "sms" not in body and "text message" not in body
        assert "code by e-mail" not in body and "email device" not in body
    # The only kinds of second factor the portal knows: app codes, recovery codes, security keys.
    assert set(device_classes()) == {AuthenticatorApp, RecoveryCodeDevice, SecurityKey}


# --- Signing in with a key -----------------------------------------------------------------------------------------


def test_an_agent_signs_in_with_password_and_key(client, sophie):
    authenticator = SoftAuthenticator()
    key = register_key(sophie, authenticator)
    password_step(client, sophie)
    page = client.get(url("portal:login_code", query="next=/en/")).content.decode()
    assert "Use my security key" in page and 'data-options-url="/en/compte/connexion/cle/options/"' in page
    options = sign_in_options(client)
    assert [item["id"] for item in options["allowCredentials"]] == [authenticator.id]
    assert options["rpId"] == RP_ID and options["userVerification"] == "preferred"
    response = post_assertion(client, authenticator.get(options), next_url="/en/")
    assert response.status_code == 302 and response["Location"] == "/en/"
    assert signed_in(client) and client.session[DEVICE_ID_SESSION_KEY] == key.persistent_id
    assert response.cookies["guichet-device"].value  # known device, as after a code
    key.refresh_from_db()
    assert key.sign_count == 1 and key.last_used_at is not None
    event = SecurityEvent.objects.get(kind=EventKind.LOGIN_SUCCESS)
    assert (event.user, event.data) == (sophie, {"factor": "SecurityKey"})


def test_the_key_button_is_offered_only_to_people_with_a_key(client, marie):
    enrol_totp(marie)
    password_step(client, marie)
    page = client.get(url("portal:login_code")).content.decode()
    assert "Use my security key" not in page and "webauthn.js" not in page
    assert client.post(url("portal:login_key_options")).status_code == 404


def test_the_options_need_the_password_step(client, sophie):
    register_key(sophie, SoftAuthenticator())
    response = client.post(url("portal:login_key_options"))
    assert response.status_code == 401 and response.json()["redirect"] == url("portal:login")
    assert post_assertion(client, "{}")["Location"] == url("portal:login")


@pytest.mark.parametrize("counts", [True, False], ids=["key_with_counter", "passkey_without_counter"])
def test_a_replayed_answer_is_refused_and_counts_as_a_wrong_second_factor(sophie, counts):
    authenticator = SoftAuthenticator(counts=counts)
    register_key(sophie, authenticator)
    first = Client()
    password_step(first, sophie)
    answer = authenticator.get(sign_in_options(first))
    assert post_assertion(first, answer).status_code == 302
    # The same answer, captured and sent again from another browser that knows the password.
    thief = Client()
    password_step(thief, sophie)
    sign_in_options(thief)
    response = post_assertion(thief, answer)
    assert response.status_code == 302 and response["Location"].startswith(url("portal:login_code"))
    assert not signed_in(thief)
    assert wrong_second_factors(sophie) == 1
    assert SecurityEvent.objects.filter(kind=EventKind.MFA_FAIL, user=sophie).count() == 1
    page = thief.get(response["Location"]).content.decode()
    assert "Your security key was not accepted" in page and 'role="alert"' in page


def test_an_answer_posted_twice_in_one_session_is_refused_the_second_time(client, sophie):
    authenticator = SoftAuthenticator(counts=False)
    register_key(sophie, authenticator)
    password_step(client, sophie)
    options = sign_in_options(client)
    answer = authenticator.get(options)
    # The session still holds the ceremony (as when two tabs send at once), but the challenge can be claimed once.
    held = client.session[webauthn.CEREMONY]
    assert post_assertion(client, answer).status_code == 302 and signed_in(client)
    other = Client()
    password_step(other, sophie)
    session = other.session
    session[webauthn.CEREMONY] = {**held, "at": now_stamp()}
    session.save()
    assert post_assertion(other, answer)["Location"].startswith(url("portal:login_code"))
    assert not signed_in(other)


def test_an_answer_to_another_challenge_is_refused(client, sophie):
    authenticator = SoftAuthenticator()
    register_key(sophie, authenticator)
    password_step(client, sophie)
    options = sign_in_options(client)
    response = post_assertion(client, authenticator.get(options, challenge=b64url(os.urandom(32))))
    assert not signed_in(client) and response["Location"].startswith(url("portal:login_code"))
    assert wrong_second_factors(sophie) == 1


def test_an_answer_from_a_look_alike_site_is_refused(client, sophie):
    authenticator = SoftAuthenticator()
    register_key(sophie, authenticator)
    password_step(client, sophie)
    post_assertion(client, authenticator.get(sign_in_options(client), origin="https://guichet-login.example.com"))
    assert not signed_in(client) and wrong_second_factors(sophie) == 1


def test_an_answer_after_five_minutes_is_refused(client, sophie, clock):
    authenticator = SoftAuthenticator()
    register_key(sophie, authenticator)
    password_step(client, sophie)
    options = sign_in_options(client)
    clock.advance(minutes=5, seconds=1)
    post_assertion(client, authenticator.get(options))
    assert not signed_in(client) and wrong_second_factors(sophie) == 1


def test_a_key_of_another_account_is_refused(client, sophie, alain):
    register_key(sophie, SoftAuthenticator())
    admins_key = SoftAuthenticator()
    register_key(alain, admins_key)
    password_step(client, sophie)
    # The admin's key signs the agent's challenge: a valid signature, but not a key of this account.
    post_assertion(client, admins_key.get(sign_in_options(client)))
    assert not signed_in(client)
    assert wrong_second_factors(sophie) == 1 and wrong_second_factors(alain) == 0
    assert SecurityKey.objects.get(user=alain).throttling_failure_count == 0


def test_a_signature_counter_that_goes_back_is_refused_as_a_cloned_key(client, sophie, clock):
    authenticator = SoftAuthenticator()
    key = register_key(sophie, authenticator)
    key_signed_in(Client(), sophie, authenticator)
    key_signed_in(Client(), sophie, authenticator)
    key.refresh_from_db()
    assert key.sign_count == 2
    password_step(client, sophie)
    post_assertion(client, authenticator.get(sign_in_options(client), count=2))  # a copy of the key, one use behind
    assert not signed_in(client)
    key.refresh_from_db()
    assert key.sign_count == 2 and key.throttling_failure_count == 1
    assert wrong_second_factors(sophie) == 1


def test_a_refused_key_must_wait_before_the_next_try_then_works(client, sophie, clock):
    authenticator = SoftAuthenticator()
    register_key(sophie, authenticator)
    password_step(client, sophie)
    post_assertion(client, authenticator.get(sign_in_options(client), challenge=b64url(os.urandom(32))))
    response = post_assertion(client, authenticator.get(sign_in_options(client)))
    assert not signed_in(client)
    assert "Too many attempts: wait" in client.get(response["Location"]).content.decode()
    clock.advance(seconds=2)
    assert post_assertion(client, authenticator.get(sign_in_options(client))).status_code == 302
    assert signed_in(client) and wrong_second_factors(sophie) == 0


def test_ten_refused_keys_or_codes_close_the_second_factor_and_require_a_reset(client, sophie, clock):
    authenticator = SoftAuthenticator()
    register_key(sophie, authenticator)
    device = enrol_totp(sophie)
    password_step(client, sophie)
    for attempt in range(10):
        clock.advance(seconds=40)  # past each device's own back-off, within the 10 minutes of the second step
        if attempt % 2:
            client.post(url("portal:login_code"), {"code": totp_now(device, 5)})
        else:
            post_assertion(client, authenticator.get(sign_in_options(client), challenge=b64url(os.urandom(32))))
    sophie.refresh_from_db()
    assert sophie.password_reset_required and sophie.otp_blocked_until > timezone.now()
    assert SecurityEvent.objects.filter(kind=EventKind.MFA_FAIL_MAX, user=sophie, notify=True).count() == 1
    assert not signed_in(client)


def test_a_key_is_never_checked_by_a_typed_code_and_codes_do_not_throttle_it(client, sophie):
    authenticator = SoftAuthenticator()
    key = register_key(sophie, authenticator)
    device = enrol_totp(sophie)
    assert key.verify_token("123456") is False and key.verify_token(authenticator.id) is False
    password_step(client, sophie)
    client.post(url("portal:login_code"), {"code": totp_now(device, 5)})
    key.refresh_from_db()
    assert key.throttling_failure_count == 0
    assert post_assertion(client, authenticator.get(sign_in_options(client))).status_code == 302


def test_the_second_step_page_costs_a_fixed_number_of_queries(client, sophie, django_assert_num_queries):
    register_key(sophie, SoftAuthenticator())
    enrol_totp(sophie)
    password_step(client, sophie)
    client.get(url("portal:login_code"))  # warm the session row
    # Session, pending person, "has a key?", "has an app?" (the first kind of code device found ends the search).
    with django_assert_num_queries(4):
        assert client.get(url("portal:login_code")).status_code == 200


# --- Confirming it is you with a key ------------------------------------------------------------------------------


def test_confirming_it_is_you_with_a_key(client, sophie):
    authenticator = SoftAuthenticator()
    key = register_key(sophie, authenticator)
    key_signed_in(client, sophie, authenticator)
    stale_confirmation(client)
    page = client.get(url("portal:reauth", query="next=/en/compte/double-authentification/")).content.decode()
    assert "Confirm with my security key" in page
    options = client.post(url("portal:reauth_key_options")).json()
    response = client.post(
        url("portal:reauth"),
        {"password": DEMO_PASSWORD, "credential": authenticator.get(options), "next": url("portal:mfa")},
    )
    assert response.status_code == 302 and response["Location"] == url("portal:mfa")
    assert client.session[DEVICE_ID_SESSION_KEY] == key.persistent_id
    assert client.get(url("portal:mfa_key_add")).status_code == 200


def test_a_sign_in_ceremony_cannot_confirm_it_is_you(client, sophie):
    authenticator = SoftAuthenticator()
    register_key(sophie, authenticator)
    key_signed_in(client, sophie, authenticator)
    stale_confirmation(client)
    # A challenge issued for another purpose (here: the sign-in one, planted back) does not confirm a change.
    session = client.session
    session[webauthn.CEREMONY] = {
        "purpose": "sign_in",
        "user": sophie.pk,
        "challenge": b64url(os.urandom(32)),
        "at": now_stamp(),
    }
    session.save()
    answer = authenticator.get({"challenge": session[webauthn.CEREMONY]["challenge"]})
    body = client.post(url("portal:reauth"), {"password": DEMO_PASSWORD, "credential": answer}).content.decode()
    assert "Your security key was not accepted" in body
    assert client.get(url("portal:mfa_key_add")).status_code == 302


# --- Removing a key ------------------------------------------------------------------------------------------------


def test_removing_a_key_needs_a_recent_confirmation_then_is_recorded(sign_in, marie):
    this, other = sign_in(Client(), marie), sign_in(Client(), marie)
    key = register_key(marie, SoftAuthenticator(), name="Vieille clé")
    stale_confirmation(this)
    response = this.post(url("portal:mfa_key_remove", key.pk))
    assert response["Location"].startswith(url("portal:reauth")) and SecurityKey.objects.exists()
    fresh_confirmation(this)
    assert this.post(url("portal:mfa_key_remove", key.pk))["Location"] == url("portal:mfa")
    assert not SecurityKey.objects.exists()
    event = SecurityEvent.objects.get(kind=EventKind.MFA_DEVICE_REMOVE)
    assert (event.user, event.data, event.notify) == (marie, {"device": "Vieille clé", "factor": "security_key"}, True)
    assert other.get(url("portal:mfa"))["Location"].startswith(url("portal:login"))


def test_nobody_removes_someone_elses_key(client, sign_in, marie, jean):
    key = register_key(jean, SoftAuthenticator())
    sign_in(client, marie)
    assert client.post(url("portal:mfa_key_remove", key.pk)).status_code == 404
    assert SecurityKey.objects.filter(pk=key.pk).exists()


def test_under_the_policy_an_agent_keeps_their_last_key(client, sophie, key_policy_on):
    authenticator = SoftAuthenticator()
    key = register_key(sophie, authenticator)
    enrol_totp(sophie)
    key_signed_in(client, sophie, authenticator)
    assert "add another key before removing this one" in client.get(url("portal:mfa")).content.decode()
    client.post(url("portal:mfa_key_remove", key.pk))
    assert SecurityKey.objects.filter(pk=key.pk).exists()
    second = register_key(sophie, SoftAuthenticator(), name="Clé de secours")
    client.post(url("portal:mfa_key_remove", second.pk))
    assert list(SecurityKey.objects.all()) == [key]


def test_without_the_policy_an_agent_may_swap_a_key_for_an_app_but_keeps_one_factor(client, sophie):
    authenticator = SoftAuthenticator()
    key = register_key(sophie, authenticator)
    app = enrol_totp(sophie)
    key_signed_in(client, sophie, authenticator)
    client.post(url("portal:mfa_device_remove", app.pk))
    assert not AuthenticatorApp.objects.filter(pk=app.pk).exists()  # the key stands in for it
    response = client.post(url("portal:mfa_key_remove", key.pk))
    assert response["Location"] == url("portal:mfa")
    assert SecurityKey.objects.filter(pk=key.pk).exists()  # the last second factor stays
    assert "is your only security key" in client.get(url("portal:mfa")).content.decode()


# --- The policy for agents and admins ------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", ["app", "recovery"])
def test_under_the_policy_an_agent_with_a_key_cannot_sign_in_with_a_code(client, sophie, key_policy_on, factor):
    authenticator = SoftAuthenticator()
    register_key(sophie, authenticator)
    device = enrol_totp(sophie)
    codes = RecoveryCodeDevice.objects.create(user=sophie, name="Codes", confirmed=True).regenerate()
    password_step(client, sophie)
    page = client.get(url("portal:login_code")).content.decode()
    assert 'name="code"' not in page and "Use my security key" in page
    code = totp_now(device) if factor == "app" else codes[0]
    response = client.post(url("portal:login_code"), {"code": code})
    body = response.content.decode()
    assert response.status_code == 200 and not signed_in(client)
    assert "Your role requires your security key to sign in" in body and 'role="alert"' in body
    # Not a wrong code, and the code is not used up.
    assert wrong_second_factors(sophie) == 0 and not SecurityEvent.objects.filter(kind=EventKind.MFA_FAIL).exists()
    device.refresh_from_db()
    assert device.last_t == -1 and RecoveryCodeDevice.objects.get(user=sophie).remaining == 10
    assert post_assertion(client, authenticator.get(sign_in_options(client))).status_code == 302


def test_under_the_policy_confirming_it_is_you_needs_the_key(client, sophie, key_policy_on):
    authenticator = SoftAuthenticator()
    register_key(sophie, authenticator)
    device = enrol_totp(sophie)
    key_signed_in(client, sophie, authenticator)
    stale_confirmation(client)
    page = client.get(url("portal:reauth")).content.decode()
    assert 'name="code"' not in page
    body = client.post(url("portal:reauth"), {"password": DEMO_PASSWORD, "code": totp_now(device)}).content.decode()
    assert "Confirm with your security key" in body
    assert client.get(url("portal:mfa_key_add")).status_code == 302
    assert wrong_second_factors(sophie) == 0


def test_under_the_policy_an_agent_without_a_key_signs_in_with_a_code_then_reaches_only_the_key_pages(
    client, sophie, key_policy_on
):
    device = enrol_totp(sophie)
    password_step(client, sophie)
    assert client.post(url("portal:login_code"), {"code": totp_now(device), "next": "/en/"}).status_code == 302
    assert signed_in(client)
    add_page = url("portal:mfa_key_add")
    for blocked in ("/en/", url("portal:security"), url("portal:account_events", sophie.username), "/en/admin/"):
        response = client.get(blocked)
        assert response.status_code == 302 and response["Location"].startswith(add_page), blocked
    api = client.get("/api/schema/")  # outside the /en/ prefix: the API speaks the default language
    assert api.status_code == 403 and "clé de sécurité" in api.json()["detail"]
    assert client.get(add_page).status_code == 200
    assert client.get(url("portal:mfa")).status_code == 200
    assert "Your role requires a security key" in client.get(add_page).content.decode()
    # The key added, the same session reaches the agent pages and the admin.
    add_key(client, SoftAuthenticator())
    assert client.get(url("portal:account_events", sophie.username)).status_code == 200
    assert client.get("/en/admin/").status_code == 200


def test_under_the_policy_an_agent_with_no_factor_at_all_is_sent_to_add_a_key(client, sign_in, sophie, key_policy_on):
    sign_in(client, sophie, verified=False)
    response = client.get("/en/")
    assert response.status_code == 302 and response["Location"].startswith(url("portal:mfa_key_add"))


def test_under_the_policy_a_code_verified_session_is_sent_to_prove_the_key(client, sign_in, sophie, key_policy_on):
    register_key(sophie, SoftAuthenticator())
    sign_in(client, sophie)  # verified with an authenticator app, e.g. before the key was added elsewhere
    response = client.get(url("portal:account_events", sophie.username))
    assert response.status_code == 302 and response["Location"].startswith(url("portal:reauth"))


def test_under_the_policy_agent_pages_and_the_admin_themselves_refuse_a_code_verified_session(
    sophie, key_policy_on, rf: RequestFactory
):
    """Behind the middleware, each check stands on its own (defence in depth)."""
    from portal.identity.views.account import account_events_view

    request = rf.get(url("portal:account_events", sophie.username))
    request.user = sophie
    sophie.otp_device = enrol_totp(sophie)
    sophie.is_verified = lambda: True
    request.session = {}
    response = account_events_view(request, username=sophie.username)
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:mfa"))
    assert not admin_site.has_permission(request)
    assert not IsVerified().has_permission(request, None)  # every API view (403)
    sophie.otp_device = register_key(sophie, SoftAuthenticator())
    assert admin_site.has_permission(request) and IsVerified().has_permission(request, None)


def test_staff_are_not_concerned_by_the_policy(client, marie, key_policy_on):
    register_key(marie, SoftAuthenticator())
    device = enrol_totp(marie)
    password_step(client, marie)
    assert 'name="code"' in client.get(url("portal:login_code")).content.decode()
    assert client.post(url("portal:login_code"), {"code": totp_now(device)}).status_code == 302
    assert signed_in(client) and client.get("/en/").status_code == 200


def test_without_the_policy_an_agent_with_a_key_may_still_use_a_code(client, sophie):
    register_key(sophie, SoftAuthenticator())
    device = enrol_totp(sophie)
    password_step(client, sophie)
    page = client.get(url("portal:login_code")).content.decode()
    assert 'name="code"' in page and "Use my security key" in page
    assert client.post(url("portal:login_code"), {"code": totp_now(device)}).status_code == 302
    assert client.get(url("portal:account_events", sophie.username)).status_code == 200


# --- Configuration -------------------------------------------------------------------------------------------------


def test_the_relying_party_comes_from_the_site_address_and_the_policy_is_on_in_production(tmp_path):
    from tests.portal.test_settings import PRODUCTION_ENV, run_django

    show = (
        "from django.conf import settings as s\n"
        "print(s.GUICHET_WEBAUTHN_RP_ID, s.GUICHET_WEBAUTHN_ORIGINS, s.GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY)"
    )
    production = run_django(show, PRODUCTION_ENV, tmp_path)
    assert production.stdout.split("\n")[0] == "guichet.ac-exemple.fr ['https://guichet.ac-exemple.fr'] True"
    development = run_django(show, {}, tmp_path)
    # Browsers refuse an IP address as relying party: the development default moves to localhost.
    assert development.stdout.split("\n")[0] == "localhost ['http://localhost:8000'] False"
    overridden = run_django(
        show,
        {"GUICHET_WEBAUTHN_ORIGINS": "http://localhost:8000,http://localhost:8001", "GUICHET_WEBAUTHN_RP_ID": "lo"},
        tmp_path,
    )
    assert overridden.stdout.split("\n")[0] == "lo ['http://localhost:8000', 'http://localhost:8001'] False"


def test_the_user_handle_is_stable_per_account(sophie, alain):
    assert webauthn.user_handle(sophie) == webauthn.user_handle(User.objects.get(pk=sophie.pk))
    assert webauthn.user_handle(sophie) != webauthn.user_handle(alain)
