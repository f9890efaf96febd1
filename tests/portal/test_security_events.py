"""A person reads their recent security events on their security page; helpdesk agents read any account's (R35)."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from portal.identity.events import record_event
from portal.models import EventKind

pytestmark = pytest.mark.django_db

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def english(url_name: str, *args) -> str:
    with translation.override("en"):
        return reverse(url_name, args=args)


SECURITY = english("portal:security")


def record(kind, user, *, ip="203.0.113.7", user_agent=FIREFOX_ON_WINDOWS):
    request = RequestFactory().get("/", REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)
    return record_event(kind, request=request, user=user)


def event_rows(body: str) -> int:
    return body.count("<time datetime=")


# --- The person's own page ----------------------------------------------------------------------------------------


def test_the_security_page_lists_my_events_newest_first_in_paris_time(client, marie, sign_in):
    first = record(EventKind.LOGIN_SUCCESS, marie, ip="198.51.100.4", user_agent=SAFARI_ON_IPHONE)
    record(EventKind.PASSWORD_CHANGE, marie)
    sign_in(client, marie)

    body = client.get(SECURITY).content.decode()

    assert body.count("<h1") == 1
    assert body.index("<td>Password changed</td>") < body.index("<td>Signed in</td>")
    assert "203.0.113.7" in body and "Firefox on Windows" in body
    assert "198.51.100.4" in body and "Safari on iOS" in body
    assert "Portal" in body
    assert "Europe/Paris" in body
    with translation.override("en"):
        paris_time = formats.date_format(timezone.localtime(first.created_at), "DATETIME_FORMAT")
    assert paris_time in body


def test_the_security_page_links_to_the_second_factor_and_the_password_change(client, marie, sign_in):
    sign_in(client, marie)

    body = client.get(SECURITY).content.decode()

    assert f'href="{english("portal:mfa")}"' in body
    assert f'href="{english("portal:password_change")}"' in body
    assert f'<form method="post" action="{english("portal:logout_others")}">' in body


def test_the_security_page_does_not_show_other_peoples_events(client, marie, jean, sign_in):
    record(EventKind.LOGIN_FAIL, jean, ip="192.0.2.99")
    sign_in(client, marie)

    body = client.get(SECURITY).content.decode()

    assert "192.0.2.99" not in body
    assert "No security event has been recorded yet." in body


def test_the_security_page_shows_the_latest_50_events(client, marie, sign_in):
    for _ in range(55):
        record(EventKind.LOGIN_SUCCESS, marie)
    sign_in(client, marie)

    assert event_rows(client.get(SECURITY).content.decode()) == 50


def test_the_security_page_costs_the_same_queries_for_5_or_50_events(client, marie, sign_in, django_assert_num_queries):
    sign_in(client, marie)
    for _ in range(5):
        record(EventKind.LOGIN_SUCCESS, marie)
    with CaptureQueriesContext(connection) as five:
        assert event_rows(client.get(SECURITY).content.decode()) == 5
    for _ in range(45):
        record(EventKind.LOGIN_SUCCESS, marie)

    with django_assert_num_queries(len(five)):
        assert event_rows(client.get(SECURITY).content.decode()) == 50


def test_the_security_page_needs_a_signed_in_person(client):
    response = client.get(SECURITY)

    assert response.status_code == 302
    assert response["Location"].startswith(english("portal:login"))


def test_the_security_page_is_not_cached(client, marie, sign_in):
    sign_in(client, marie)

    assert "no-store" in client.get(SECURITY)["Cache-Control"]


# --- The helpdesk's view of an account ----------------------------------------------------------------------------


def test_an_agent_sees_the_events_and_state_of_any_account(client, sophie, marie, sign_in):
    record(EventKind.LOGIN_LOCK, marie, ip="192.0.2.50")
    marie.password_reset_required = True
    marie.save()
    sign_in(client, sophie)

    response = client.get(english("portal:account_events", "Marie.Dupont"))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<h1") == 1
    assert "marie.dupont" in body
    assert "Staff member" in body
    assert "Yes: only a password reset lets this person in" in body
    assert "192.0.2.50" in body and "Sign-in suspended after repeated failures" in body


def test_an_agent_sees_that_an_account_is_deactivated(client, sophie, marie, sign_in):
    marie.is_active = False
    marie.save()
    sign_in(client, sophie)

    body = client.get(english("portal:account_events", marie.username)).content.decode()

    assert "No: sign-in is disabled" in body


def test_an_unknown_account_is_not_found(client, sophie, sign_in):
    sign_in(client, sophie)

    assert client.get(english("portal:account_events", "personne.inconnue")).status_code == 404


def test_staff_may_not_read_another_accounts_events(client, marie, jean, sign_in):
    sign_in(client, marie)

    assert client.get(english("portal:account_events", jean.username)).status_code == 403
