"""Security keys in a real browser (R14): Chromium's virtual authenticator, driven through the DevTools protocol,
plays the key; the page's script, the browser's WebAuthn implementation and the portal's verification all run."""

import os
from base64 import b64decode, urlsafe_b64decode
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from portal.models import EventKind, SecurityEvent, SecurityKey
from tests.e2e.test_home import assert_accessible
from tests.helpers import DEMO_PASSWORD, enrol_totp, totp_now

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/en/compte/connexion/"


@pytest.fixture
def portal_site(settings, live_server):
    """The portal as the relying party of the live server's own address (http://localhost:<port>)."""
    settings.GUICHET_WEBAUTHN_RP_ID = "localhost"
    settings.GUICHET_WEBAUTHN_ORIGINS = [live_server.url]
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)
    return live_server.url


@pytest.fixture
def virtual_key(page: Page):
    """A USB security key with a PIN already checked, plugged into this browser."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def sign_in_with_password(page: Page, site: str, username: str):
    page.goto(site + LOGIN)
    page.get_by_label("Identifier").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()


def sign_out(page: Page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_an_agent_adds_a_key_signs_in_with_it_and_their_code_is_then_refused(
    page: Page, portal_site, settings, virtual_key, axe, sophie
):
    settings.GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY = True
    cdp, authenticator_id = virtual_key
    device = enrol_totp(sophie)
    errors = []
    page.on("console", lambda message: errors.append(message) if message.type == "error" else None)

    # 1. No key yet: the code still signs the agent in, but only the page to add a key opens.
    sign_in_with_password(page, portal_site, "sophie.bernard")
    page.get_by_label("Code").fill(totp_now(device))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a security key or passkey")
    expect(page.get_by_text("Your role requires a security key or passkey.")).to_be_visible()
    assert_accessible(page, axe)
    page.goto(portal_site + f"/en/compte/assistance/comptes/{sophie.username}/securite/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a security key or passkey")

    # 2. Adding the key with the keyboard only: type a name, Enter; the browser asks the (virtual) key.
    name = page.get_by_label("Name of this security key")
    name.focus()
    page.keyboard.type("Virtual key")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    expect(page.get_by_role("status").filter(has_text="Security key “Virtual key” added.")).to_be_visible()
    expect(page.get_by_text("Virtual key", exact=True)).to_be_visible()
    assert_accessible(page, axe)
    key = SecurityKey.objects.get(user=sophie)
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    # The credential the portal stored is the one the key holds (DevTools gives it in base64, the portal base64url).
    assert [b64decode(credential["credentialId"]) for credential in credentials] == [
        urlsafe_b64decode(key.credential_id + "=" * (-len(key.credential_id) % 4))
    ]
    assert credentials[0]["isResidentCredential"]  # a passkey, as the options preferred
    assert "usb" in key.transports
    # The same session now reaches the agent pages.
    page.goto(portal_site + f"/en/compte/assistance/comptes/{sophie.username}/securite/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security of sophie.bernard")
    sign_out(page)

    # 3. Password, then the key: no code field is offered to this agent any more.
    sign_in_with_password(page, portal_site, "sophie.bernard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step: confirm it is you")
    expect(page.get_by_label("Code")).to_have_count(0)
    assert_accessible(page, axe)
    page.get_by_role("button", name="Use my security key").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    event = SecurityEvent.objects.filter(kind=EventKind.LOGIN_SUCCESS, user=sophie).latest("id")
    assert event.data == {"factor": "SecurityKey"}
    key.refresh_from_db()
    assert key.last_used_at is not None
    sign_out(page)

    # 4. A code sent anyway (the field is gone, so as a hand-made form) is refused without counting as wrong.
    sign_in_with_password(page, portal_site, "sophie.bernard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step: confirm it is you")
    page.evaluate(
        """(code) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/en/compte/connexion/code/";
            const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
            for (const [name, value] of [["code", code], ["csrfmiddlewaretoken", token]]) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                form.append(input);
            }
            document.body.append(form);
            form.submit();
        }""",
        totp_now(device, 1),
    )
    expect(page.get_by_role("alert")).to_contain_text("Your role requires your security key to sign in")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page, axe)
    sophie.refresh_from_db()
    assert sophie.otp_failures == 0
    # The key still works from here.
    page.get_by_role("button", name="Use my security key").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # No script error (CSP, WebAuthn), nothing refused but the browser's own guess at a favicon.
    assert [error.text for error in errors if not error.location["url"].endswith("/favicon.ico")] == []


def test_a_key_that_does_not_answer_is_explained_in_words_and_the_code_still_works(
    page: Page, portal_site, virtual_key, axe, marie
):
    # A key on the account that is not plugged into this browser: Chromium's key answers it has no such credential.
    SecurityKey.objects.create(
        user=marie,
        name="Clé oubliée",
        confirmed=True,
        credential_id="bm90LXRoaXMtb25l",
        public_key=os.urandom(77),
    )
    device = enrol_totp(marie)
    sign_in_with_password(page, portal_site, "marie.dupont")
    expect(page.get_by_role("heading", name="With your security key")).to_be_visible()
    assert_accessible(page, axe)
    button = page.get_by_role("button", name="Use my security key")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text(
        "Your security key did not answer in time, or the request was cancelled. Try again, or use your "
        "authenticator app code.",
        timeout=15_000,
    )
    expect(button).to_be_focused()
    assert_accessible(page, axe)
    page.get_by_label("Code").fill(totp_now(device))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    marie.refresh_from_db()
    assert marie.otp_failures == 0  # nothing reached the portal: nothing counted
