"""Sessions end on the server: idle and absolute limits by role, sign-out, sign-out of other sessions, deactivation,
and the second-factor deadline that sends people without one to enrolment (R8, R32, R33)."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from portal.identity.session_state import SIGNED_IN_AT
from portal.models import EventKind, SecurityEvent, SignedInSession
from tests.helpers import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

SECURITY = reverse("portal:security")
LOGIN = reverse("portal:login")
LOGOUT = reverse("portal:logout")
LOGOUT_OTHERS = reverse("portal:logout_others")
ENROL = reverse("portal:mfa_totp_add")
with translation.override("en"):
    SECURITY_EN = reverse("portal:security")
    LOGOUT_EN = reverse("portal:logout")


def login_redirect(next_url: str) -> str:
    return f"{LOGIN}?{urlencode({'next': next_url}, safe='/')}"


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Idle and absolute limits -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "idle_minutes", "still_in"),
    [
        ("sophie", 16, False),
        ("alain", 16, False),
        ("marie", 16, True),
        ("marie", 31, False),
    ],
)
def test_idle_sessions_end_after_the_limit_of_the_role(request, client, sign_in, clock, person, idle_minutes, still_in):
    sign_in(client, request.getfixturevalue(person))
    clock.advance(minutes=idle_minutes)

    response = client.get(SECURITY)

    if still_in:
        assert response.status_code == 200
        assert is_signed_in(client)
    else:
        assert response.status_code == 302
        assert response["Location"] == login_redirect(SECURITY)
        assert not is_signed_in(client)


def test_an_expired_session_says_so_on_the_next_page(client, sophie, sign_in, clock):
    sign_in(client, sophie)
    clock.advance(minutes=16)
    client.get(SECURITY_EN)

    assert "Your session expired. Please sign in again." in client.get("/en/").content.decode()


@pytest.mark.parametrize(("person", "hours"), [("marie", 12), ("sophie", 8)])
def test_an_active_session_still_ends_at_the_absolute_limit(request, client, sign_in, clock, person, hours):
    sign_in(client, request.getfixturevalue(person))
    steps = hours * 60 // 10 - 1
    for _ in range(steps):  # a request every 10 minutes, up to 10 minutes before the limit
        clock.advance(minutes=10)
        assert client.get(SECURITY).status_code == 200

    clock.advance(minutes=11)
    response = client.get(SECURITY)

    assert response["Location"] == login_redirect(SECURITY)
    assert not is_signed_in(client)


def test_a_form_sent_after_expiry_leads_to_sign_in_and_back_to_the_page_it_was_on(client, sophie, sign_in, clock):
    sign_in(client, sophie)
    clock.advance(minutes=16)

    response = client.post(LOGOUT_OTHERS, HTTP_REFERER=f"http://testserver{SECURITY}")

    assert response["Location"] == login_redirect(SECURITY)
    assert not SecurityEvent.objects.filter(kind=EventKind.SESSIONS_REVOKED).exists()


def test_an_expired_session_gets_401_on_the_api(client, sophie, sign_in, clock):
    sign_in(client, sophie)
    clock.advance(minutes=16)

    response = client.get("/api/schema/")

    assert response.status_code == 401
    assert response.json()["detail"]
    assert not is_signed_in(client)


def test_a_session_without_a_start_time_starts_counting_now(client, marie, sign_in):
    sign_in(client, marie)
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()
    before = timezone.now()

    assert client.get(SECURITY).status_code == 200
    assert datetime.fromisoformat(client.session[SIGNED_IN_AT]) >= before


def test_the_session_cookie_ends_with_the_browser(client, marie, sign_in, clock):
    sign_in(client, marie)
    clock.advance(minutes=2)

    response = client.get(SECURITY)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["expires"] == ""
    assert cookie["max-age"] == ""


def test_requests_less_than_a_minute_apart_do_not_rewrite_the_session(client, marie, sign_in, clock):
    sign_in(client, marie)
    clock.advance(seconds=30)

    response = client.get(SECURITY)

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# --- Signing out --------------------------------------------------------------------------------------------------


def test_opening_the_sign_out_address_does_not_sign_out(client, marie, sign_in):
    sign_in(client, marie)

    response = client.get(LOGOUT)

    assert response.status_code == 405
    assert is_signed_in(client)


def test_signing_out_needs_the_form_token(marie, sign_in):
    browser = sign_in(Client(enforce_csrf_checks=True), marie)

    response = browser.post(LOGOUT)

    assert response.status_code == 403
    assert is_signed_in(browser)


def test_signing_out_ends_the_session_on_the_server(client, marie, sign_in):
    sign_in(client, marie)
    stolen_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post(LOGOUT_EN, follow=True)

    assert response.redirect_chain == [("/en/", 302)]
    assert "You are signed out." in response.content.decode()
    assert not is_signed_in(client)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen_cookie
    assert replay.get(SECURITY)["Location"] == login_redirect(SECURITY)
    assert SecurityEvent.objects.filter(kind=EventKind.LOGOUT, user=marie).count() == 1


def test_the_header_offers_sign_out_to_a_signed_in_person_and_sign_in_to_others(client, marie, sign_in):
    anonymous = client.get("/en/").content.decode()
    assert 'href="/en/compte/connexion/">Sign in</a>' in anonymous
    assert "Sign out" not in anonymous

    sign_in(client, marie)
    page = client.get("/en/").content.decode()
    assert "Marie Dupont" in page
    assert f'<form method="post" action="{LOGOUT_EN}">' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert f'href="{SECURITY_EN}"' in page
    assert "Sign in</a>" not in page


def test_signing_out_other_sessions_ends_them_and_keeps_this_one(client, marie, sign_in):
    this_browser = sign_in(client, marie)
    other_browser = sign_in(Client(), marie)

    response = this_browser.post(LOGOUT_OTHERS)

    assert response["Location"] == SECURITY
    assert this_browser.get(SECURITY).status_code == 200
    assert other_browser.get(SECURITY)["Location"] == login_redirect(SECURITY)
    assert SecurityEvent.objects.filter(kind=EventKind.SESSIONS_REVOKED, user=marie, notify=True).count() == 1


def test_signing_out_other_sessions_is_a_form_not_a_link(client, marie, sign_in):
    sign_in(client, marie)

    assert client.get(LOGOUT_OTHERS).status_code == 405


def test_a_deactivated_account_is_signed_out_on_its_next_request(client, marie, sign_in):
    sign_in(client, marie)
    marie.is_active = False
    marie.save()

    assert client.get(SECURITY)["Location"] == login_redirect(SECURITY)
    assert not is_signed_in(client)
    marie.is_active = True
    marie.save()
    assert client.get(SECURITY)["Location"] == login_redirect(SECURITY)


# --- Second-factor deadline ---------------------------------------------------------------------------------------


def joined_days_ago(user, days: int):
    user.date_joined = timezone.now() - timedelta(days=days)
    user.save()
    return user


def test_staff_past_the_grace_period_without_an_authenticator_are_sent_to_enrolment(client, marie, sign_in):
    sign_in(client, joined_days_ago(marie, 15), verified=False)

    response = client.get("/")

    assert response["Location"] == f"{ENROL}?next=/"


def test_staff_within_the_grace_period_may_use_the_portal_without_an_authenticator(client, marie, sign_in):
    sign_in(client, joined_days_ago(marie, 13), verified=False)

    assert client.get("/").status_code == 200
    assert client.get(SECURITY).status_code == 200


def test_agents_without_an_authenticator_are_sent_to_enrolment_at_once(client, sophie, sign_in):
    sign_in(client, sophie, verified=False)

    assert client.get(SECURITY)["Location"] == f"{ENROL}?next={SECURITY}"


def test_a_verified_agent_is_not_sent_to_enrolment(client, sophie, sign_in):
    sign_in(client, sophie)

    assert client.get("/").status_code == 200


def test_without_an_authenticator_past_the_deadline_one_may_still_sign_out(client, sophie, sign_in):
    sign_in(client, sophie, verified=False)

    response = client.post(LOGOUT)

    assert response["Location"] == "/"
    assert not is_signed_in(client)


def test_without_an_authenticator_past_the_deadline_health_still_answers(client, sophie, sign_in):
    sign_in(client, sophie, verified=False)

    assert client.get("/health/").status_code in (200, 503)


def test_without_an_authenticator_past_the_deadline_the_api_answers_403(client, sophie, sign_in):
    sign_in(client, sophie, verified=False)

    response = client.get("/api/schema/")

    assert response.status_code == 403


def browser(user_agent: str, ip: str) -> Client:
    """A browser signed in through the sign-in form (staff within their grace period: password only)."""
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    with override_settings(GUICHET_RAPID_FIRE_INTERVAL=timedelta(0)):  # two sign-ins a few ms apart in a test
        response = client.post(reverse("portal:login"), {"identifier": "marie.dupont", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and is_signed_in(client)
    return client


FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
SAFARI_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 Version/18.5 Safari/604.1"


def test_a_person_sees_their_browsers_and_signs_one_out_from_another(marie):
    office, phone = browser(FIREFOX, "198.51.100.20"), browser(SAFARI_IPHONE, "203.0.113.5")
    page = office.get(reverse("portal:security")).content.decode()
    assert "Firefox sous Windows" in page and "(cette session)" in page
    assert "Safari sous iOS" in page and "203.0.113.5" in page
    phone_entry = SignedInSession.objects.get(user_agent=SAFARI_IPHONE)
    assert phone_entry.public_id in page  # its sign-out form
    assert phone.session.session_key not in page

    office.post(reverse("portal:session_end", args=[phone_entry.public_id]))

    assert phone.get(reverse("portal:security")).status_code == 302
    assert not is_signed_in(phone)
    assert office.get(reverse("portal:security")).status_code == 200
    assert SecurityEvent.objects.filter(kind=EventKind.SESSION_ENDED, user=marie).count() == 1
    assert SignedInSession.objects.filter(user=marie).count() == 1


def test_nobody_can_sign_out_someone_elses_session(marie, jean, sign_in):
    victim = browser(FIREFOX, "198.51.100.20")
    other = sign_in(Client(), jean)
    entry = SignedInSession.objects.get(user=marie)
    other.post(reverse("portal:session_end", args=[entry.public_id]))
    assert victim.get(reverse("portal:security")).status_code == 200


def test_an_administrator_signs_an_account_out_of_every_browser(marie, alain, sign_in):
    office, phone = browser(FIREFOX, "198.51.100.20"), browser(SAFARI_IPHONE, "203.0.113.5")
    admin = sign_in(Client(), alain)
    response = admin.post(
        reverse("admin:portal_user_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [marie.pk]},
    )
    assert response.status_code == 302
    for client in (office, phone):
        assert client.get(reverse("portal:security")).status_code == 302
        assert not is_signed_in(client)
    event = SecurityEvent.objects.get(kind=EventKind.SESSIONS_REVOKED_BY_ADMIN)
    assert event.user == marie and event.data == {"by": alain.username}


def test_signing_out_removes_the_browser_from_the_list(marie):
    browser(FIREFOX, "198.51.100.20")
    phone = browser(SAFARI_IPHONE, "203.0.113.5")
    phone.post(reverse("portal:logout"))
    assert list(SignedInSession.objects.values_list("user_agent", flat=True)) == [FIREFOX]
