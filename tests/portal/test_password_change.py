"""A signed-in person changes their password: current password and a recent second factor first, a length-based
policy, other sessions signed out, an e-mail that says so (R25, R27, R28, R29)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from portal.identity.session_state import REAUTH_AT
from portal.models import EventKind, SecurityEvent
from tests.helpers import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

with translation.override("en"):
    CHANGE = reverse("portal:password_change")
    SECURITY = reverse("portal:security")
    REAUTH = reverse("portal:reauth")
GOOD_PASSWORD = "vfq8 Lzo2 wpx7"
PASSPHRASE_64 = "le chat 🐈 dort sur le toit 🏠 quand il pleut à verse ☔ sans fin !"


def change_password(client, new, *, current=DEMO_PASSWORD, confirmation=None):
    data = {
        "current_password": current,
        "new_password": new,
        "confirmation": new if confirmation is None else confirmation,
    }
    return client.post(CHANGE, data)


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def test_the_form_has_labelled_password_fields_with_a_show_button_that_needs_no_javascript(client, marie, sign_in):
    sign_in(client, marie)

    body = client.get(CHANGE).content.decode()

    assert body.count("<h1") == 1
    for field, autocomplete in (
        ("current_password", "current-password"),
        ("new_password", "new-password"),
        ("confirmation", "new-password"),
    ):
        assert f'<label for="id_{field}">' in body
        assert f'autocomplete="{autocomplete}"' in body
        assert f'aria-controls="id_{field}" aria-pressed="false" hidden>' in body
    assert "at least 12 characters" in body
    assert 'src="/static/js/password-toggle.js" defer' in body
    assert "onpaste" not in body and "<script>" not in body


def test_a_stale_verification_sends_the_person_to_confirm_it_is_them(client, marie, sign_in):
    sign_in(client, marie)
    session = client.session
    session[REAUTH_AT] = (timezone.now() - timedelta(minutes=6)).isoformat()
    session.save()

    response = change_password(client, GOOD_PASSWORD)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{REAUTH}?next=")
    marie.refresh_from_db()
    assert marie.check_password(DEMO_PASSWORD)


def test_a_wrong_current_password_is_refused_and_recorded(client, marie, sign_in):
    sign_in(client, marie)

    response = change_password(client, GOOD_PASSWORD, current="not-my-password")

    assert response.status_code == 200
    assert field_errors(response, "current_password") == ["This is not your current password."]
    assert 'aria-invalid="true"' in response.content.decode()
    assert 'aria-describedby="id_current_password_error"' in response.content.decode()
    marie.refresh_from_db()
    assert marie.check_password(DEMO_PASSWORD)
    event = SecurityEvent.objects.get(kind=EventKind.LOGIN_FAIL, user=marie)
    assert event.data == {"reason": "reauth"}
    assert "not-my-password" not in str(event.data) + event.submitted_identifier


def test_wrong_current_passwords_count_toward_the_sign_in_lock(client, marie, sign_in, settings):
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)
    sign_in(client, marie)
    for i in range(5):
        change_password(client, GOOD_PASSWORD, current=f"not-my-password-{i}")
    # The identifier is now locked: even the right current password is not checked.
    response = change_password(client, GOOD_PASSWORD, current=DEMO_PASSWORD)
    assert field_errors(response, "current_password") == ["Too many attempts: wait a moment and try again."]
    marie.refresh_from_db()
    assert marie.check_password(DEMO_PASSWORD)
    assert (
        Client().post("/compte/connexion/", {"identifier": "marie.dupont", "password": DEMO_PASSWORD}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("vfq8-Lzo2wp", False),  # 11 characters
        ("vfq8-Lzo2wpx", True),  # 12 characters
        ("abcdefghijkl", True),  # no composition rule: 12 letters are fine when not on the common list
        (PASSPHRASE_64, True),
        ("password1234", False),  # on the common-password list
        ("marie.dupont-jardin", False),  # contains the identifier
        ("mon webmail préféré", False),  # contains an organisation word
        ("x" * 129, False),
    ],
)
def test_the_policy_is_about_length_and_guessability(client, marie, sign_in, password, accepted):
    sign_in(client, marie)

    response = change_password(client, password)

    marie.refresh_from_db()
    assert marie.check_password(password) is accepted
    if not accepted:
        assert field_errors(response, "new_password")
        assert 'aria-describedby="id_new_password_helptext id_new_password_error"' in response.content.decode()


def test_a_passphrase_is_kept_exactly_as_typed(client, marie, sign_in):
    assert len(PASSPHRASE_64) == 64
    sign_in(client, marie)

    change_password(client, PASSPHRASE_64)

    marie.refresh_from_db()
    assert marie.check_password(PASSPHRASE_64)
    assert not marie.check_password(PASSPHRASE_64[:63])
    assert not marie.check_password(" " + PASSPHRASE_64.strip())


def test_the_two_new_passwords_must_match(client, marie, sign_in):
    sign_in(client, marie)

    response = change_password(client, GOOD_PASSWORD, confirmation=GOOD_PASSWORD + "!")

    assert field_errors(response, "confirmation") == ["The two new passwords differ."]
    marie.refresh_from_db()
    assert marie.check_password(DEMO_PASSWORD)


def test_a_change_signs_out_the_other_sessions_and_keeps_this_one(client, marie, sign_in, mailoutbox):
    marie.password_reset_required = True
    marie.save()
    this_browser = sign_in(client, marie)
    other_browser = sign_in(Client(), marie)

    response = change_password(this_browser, GOOD_PASSWORD)

    assert response["Location"] == SECURITY
    assert this_browser.get(SECURITY).status_code == 200
    assert other_browser.get(SECURITY).status_code == 302
    marie.refresh_from_db()
    assert marie.check_password(GOOD_PASSWORD)
    assert marie.password_reset_required is False
    assert SecurityEvent.objects.filter(kind=EventKind.PASSWORD_CHANGE, user=marie).count() == 1


def test_a_change_is_confirmed_on_the_page_and_by_one_e_mail_without_the_password(client, marie, sign_in, mailoutbox):
    sign_in(client, marie)

    response = change_password(client, GOOD_PASSWORD)

    assert "Your password is changed." in client.get(response["Location"]).content.decode()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [marie.email]
    for text in (mail.subject, mail.body, mail.alternatives[0][0]):
        assert GOOD_PASSWORD not in text
        assert DEMO_PASSWORD not in text


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        ("password1234", "figure dans des listes de mots de passe connus des attaquants"),
        ("marie.dupont2026", "contient votre identifiant ou votre nom"),
        ("Academie2026!", "contient le nom de l'organisation ou de ce service"),
    ],
)
def test_signing_in_with_a_breached_or_context_password_leads_only_to_changing_it(
    client, marie, weak, reason, settings
):
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)  # signing in then retyping the password at once, in a test
    marie.set_password(weak)  # accepted long ago, before today's policy
    marie.save()
    response = client.post("/compte/connexion/", {"identifier": "marie.dupont", "password": weak})
    assert response.status_code == 302

    for page in ("/", "/compte/securite/"):
        blocked = client.get(page)
        assert blocked.status_code == 302 and blocked["Location"] == "/compte/mot-de-passe/", page
    assert client.get("/api/kb/articles/").status_code in (403, 404)
    page = client.get("/compte/mot-de-passe/").content.decode()
    assert reason in page.replace("&#x27;", "'")  # the message names the real reason

    response = client.post(
        "/compte/mot-de-passe/",
        {"current_password": weak, "new_password": GOOD_PASSWORD, "confirmation": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/compte/securite/").status_code == 200


def test_a_sound_password_signs_in_without_detour(client, marie):
    response = client.post("/compte/connexion/", {"identifier": "marie.dupont", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
