"""The identity service layer (portal/identity/services.py): each workflow records its event and ends what must end,
whoever calls it; security events are recorded the same way with or without a web request."""

import subprocess
import sys

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.urls import reverse

from portal.identity import session_registry
from portal.identity.events import record_event
from portal.identity.selectors import security_events_for
from portal.identity.services import (
    factor_remove,
    password_set,
    sessions_end_all,
    user_deactivate,
    user_role_change,
)
from portal.models import EventKind, Role, SecurityEvent, SecurityKey, SignedInSession, User
from portal.models.security import Source
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db

SECURITY = "/en/compte/securite/"
NEW_PASSWORD = "une phrase de passe toute neuve"


def test_an_event_without_a_request_takes_its_address_and_browser_as_given(marie):
    event = record_event(
        EventKind.LOGIN_FAIL, ip="198.51.100.4", user_agent="Dovecot/2.3", user=marie, source=Source.MAIL
    )

    event.refresh_from_db()
    assert (event.ip, event.user_agent, event.source) == ("198.51.100.4", "Dovecot/2.3", Source.MAIL)


def test_a_request_fills_the_address_and_browser_unless_they_are_given(marie):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Firefox")

    filled = record_event(EventKind.LOGOUT, request=request, user=marie)
    given = record_event(EventKind.LOGOUT, request=request, ip="192.0.2.1", user_agent="curl", user=marie)

    assert (filled.ip, filled.user_agent) == ("203.0.113.7", "Firefox")
    assert (given.ip, given.user_agent) == ("192.0.2.1", "curl")


def test_the_event_log_does_not_import_the_task_queue():
    # detection → events → tasks → detection was a loop: the site shell plugs the queue in (portal/apps.py).
    code = (
        "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings'); django.setup();"
        "import portal.identity.detection, portal.identity.events; print('portal.tasks' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_password_change_says_why_in_its_event(client, marie, sign_in):
    sign_in(client, marie)

    client.post("/compte/mot-de-passe/", {"current_password": "correct-horse-battery-staple",
                                          "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})  # fmt: skip

    event = SecurityEvent.objects.get(kind=EventKind.PASSWORD_CHANGE)
    assert event.data == {"reason": "change"} and event.notify


def test_a_password_set_by_someone_else_ends_every_session_and_says_who(marie, sophie, sign_in):
    browser = sign_in(Client(), marie)
    helpdesk = RequestFactory().post("/")
    helpdesk.user, helpdesk.session = sophie, {}

    password_set(user=marie, password=NEW_PASSWORD, by=sophie, reason="reset", request=helpdesk)

    assert browser.get(SECURITY).status_code == 302
    assert not SignedInSession.objects.filter(user=marie).exists()
    event = SecurityEvent.objects.get(kind=EventKind.PASSWORD_CHANGE)
    assert event.data == {"reason": "reset", "by": sophie.username}


def test_sessions_ended_by_the_owner_keep_their_browser(client, marie, sign_in):
    this_browser = sign_in(client, marie)
    other_browser = sign_in(Client(), marie)
    request = RequestFactory().post("/")
    request.user, request.session = marie, this_browser.session

    sessions_end_all(user=marie, by=marie, request=request, keep=session_registry.current_id(request))

    assert other_browser.get(SECURITY).status_code == 302
    assert SignedInSession.objects.filter(user=marie).count() == 1
    event = SecurityEvent.objects.get()
    assert (event.kind, event.data) == (EventKind.SESSIONS_REVOKED, {})


def test_sessions_ended_by_an_administrator_end_them_all_and_say_who(marie, alain, sign_in):
    browser = sign_in(Client(), marie)

    assert sessions_end_all(user=marie, by=alain) == 1

    assert browser.get(SECURITY).status_code == 302
    event = SecurityEvent.objects.get()
    assert (event.kind, event.data) == (EventKind.SESSIONS_REVOKED_BY_ADMIN, {"by": alain.username})


@pytest.mark.parametrize("kind", ["authenticator app", "security key"])
def test_one_removal_for_every_kind_of_factor_keeping_the_last_one_an_agent_needs(sophie, kind):
    if kind == "security key":
        first, second = (
            SecurityKey.objects.create(user=sophie, name=name, confirmed=True, credential_id=name, public_key=b"k")
            for name in ("Bleue", "Rouge")
        )
        extra = {"factor": "security_key"}
    else:
        first, second = enrol_totp(sophie, "Téléphone"), enrol_totp(sophie, "Tablette")
        extra = {}

    assert factor_remove(user=sophie, factor=first, by=sophie) is True
    assert factor_remove(user=sophie, factor=second, by=sophie) is False  # the last one of an agent stays

    event = SecurityEvent.objects.get(kind=EventKind.MFA_DEVICE_REMOVE)
    assert event.data == {"device": first.name, **extra}
    assert not type(first).objects.filter(pk=first.pk).exists()
    assert type(second).objects.filter(pk=second.pk).exists()


# --- Privileges changed in the admin ------------------------------------------------------------------------------


def admin_edit(admin, user, **changes):
    """Save the user's admin page with ``changes`` to the fields it shows (an unticked box is left out)."""
    fields = {"username": user.username, "display_name": user.display_name, "email": user.email,
              "recovery_email": user.recovery_email, "role": user.role, "is_active": user.is_active}  # fmt: skip
    fields.update(changes)
    data = {name: ("on" if value is True else value) for name, value in fields.items() if value is not False}
    response = admin.post(reverse("admin:portal_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_a_role_changed_in_the_admin_is_recorded_with_from_to_and_who(marie, alain, sign_in):
    admin = sign_in(Client(), alain)

    admin_edit(admin, marie, role=Role.AGENT, display_name="Marie Dupont-Leroy")

    marie.refresh_from_db()
    assert (marie.role, marie.display_name, marie.is_active) == (Role.AGENT, "Marie Dupont-Leroy", True)
    event = SecurityEvent.objects.get(kind=EventKind.ROLE_CHANGE)
    assert event.user == marie
    assert event.data == {"from": Role.STAFF, "to": Role.AGENT, "by": alain.username}
    assert not SecurityEvent.objects.filter(kind=EventKind.ACCOUNT_DEACTIVATE).exists()


def test_an_edit_that_keeps_role_and_flag_records_no_privilege_change(marie, alain, sign_in):
    admin = sign_in(Client(), alain)

    admin_edit(admin, marie, display_name="Marie D.")

    assert not SecurityEvent.objects.filter(kind__in=[EventKind.ROLE_CHANGE, EventKind.ACCOUNT_DEACTIVATE]).exists()


def test_deactivating_in_the_admin_ends_sessions_and_tokens_and_is_recorded(marie, alain, sign_in):
    from tests.portal.test_api_tokens import create_token, program

    browser = sign_in(Client(), marie)
    holder = program(create_token(browser))
    assert holder.get("/api/tickets/").status_code == 200
    admin = sign_in(Client(), alain)

    admin_edit(admin, marie, is_active=False)

    assert browser.get(SECURITY).status_code == 302
    assert holder.get("/api/tickets/").status_code in (401, 403)
    assert not SignedInSession.objects.filter(user=marie).exists()
    event = SecurityEvent.objects.get(kind=EventKind.ACCOUNT_DEACTIVATE)
    assert event.user == marie and event.data == {"by": alain.username, "sessions": 1}

    admin_edit(admin, User.objects.get(pk=marie.pk), is_active=True)

    event = SecurityEvent.objects.get(kind=EventKind.ACCOUNT_REACTIVATE)
    assert event.data == {"by": alain.username}
    assert holder.get("/api/tickets/").status_code in (401, 403)  # nothing the account held comes back
    assert browser.get(SECURITY).status_code == 302


def test_the_services_record_nothing_when_nothing_changes(marie, alain):
    assert user_role_change(user=marie, role=Role.STAFF, by=alain) is False
    assert user_deactivate(user=marie, by=alain) is True
    assert user_deactivate(user=marie, by=alain) is False
    assert SecurityEvent.objects.filter(kind=EventKind.ACCOUNT_DEACTIVATE).count() == 1
    assert not SecurityEvent.objects.filter(kind=EventKind.ROLE_CHANGE).exists()


# --- What other apps read (portal/identity/selectors.py) ----------------------------------------------------------


def verified(user, yes=True):
    """The request's user as django-otp's middleware leaves it."""
    user.is_verified = lambda: yes
    return user


def test_an_accounts_security_events_are_read_by_its_owner_and_verified_agents_only(marie, jean, sophie):
    record_event(EventKind.LOGOUT, user=marie)
    record_event(EventKind.LOGOUT, user=jean)

    assert [event.user for event in security_events_for(" Marie.Dupont ", viewer=marie)] == [marie]
    assert len(security_events_for(marie.username, viewer=verified(sophie))) == 1
    assert security_events_for(marie.username, viewer=verified(sophie, yes=False)) == []  # password alone
    assert security_events_for(marie.username, viewer=jean) == []
    assert security_events_for(marie.username, viewer=AnonymousUser()) == []


def test_the_latest_events_come_first_up_to_the_limit(marie):
    kinds = [EventKind.LOGIN_SUCCESS, EventKind.LOGOUT, EventKind.LOGIN_FAIL]
    for kind in kinds:
        record_event(kind, user=marie)

    assert [event.kind for event in security_events_for(marie.username, viewer=marie, limit=2)] == kinds[:0:-1]
