"""The helpdesk-assisted second-factor reset: the black-box tests of R38–R41 (../shared/SECURITY.md), through the
pages as the agents, the person and their line manager use them.

Personas: Marie (staff) lost her phone and has no recovery code; Sophie and Paul are agents, Alain is the
administrator; Claire is Marie's line manager.
"""

import logging
import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import get_resolver

from portal.identity import api_tokens, cooling_off, services
from portal.models import (
    AuthenticatorApp,
    EventKind,
    MfaResetRequest,
    MfaResetState,
    RecoveryCodeDevice,
    RecoveryRequest,
    Role,
    SecurityEvent,
    TemporaryAccessPass,
)
from tests.helpers import DEMO_PASSWORD, enrol_totp, totp_now
from tests.portal.url_map import admin_paths, routes

pytestmark = pytest.mark.django_db

RESETS = "/compte/assistance/reinitialisations/"
PASS_LOGIN = "/compte/connexion/passe-temporaire/"
STEPS = "/compte/passe-temporaire/"
PASS_PASSWORD = "/compte/passe-temporaire/mot-de-passe/"
NEW_PASSWORD = "une phrase de passe pour le nouveau téléphone"
PASS = re.compile(r'id="access-pass"[^>]*value="([A-Z0-9-]+)"')
TEAM = "soc@ac-exemple.fr"


def start_url(username: str) -> str:
    return f"/compte/assistance/comptes/{username}/reinitialiser-second-facteur/"


def approve_url(row) -> str:
    return f"{RESETS}{row.pk}/approuver/"


@pytest.fixture(autouse=True)
def _team(settings):
    settings.GUICHET_SECURITY_TEAM_EMAILS = [TEAM]


@pytest.fixture
def marie_lost_phone(marie, problem_types):
    """Marie, with an authenticator on the lost phone, used-up recovery codes and a recovery address."""
    marie.recovery_email = "marie.perso@example.net"
    marie.save()
    enrol_totp(marie, name="Téléphone perdu")
    RecoveryCodeDevice.objects.create(user=marie, name="Codes de secours", confirmed=True).regenerate()
    return marie


@pytest.fixture
def paul(django_user_model):
    """Paul, a second helpdesk agent."""
    return django_user_model.objects.create_user(
        "paul.agent", "paul.agent@ac-exemple.fr", DEMO_PASSWORD, display_name="Paul Agent", role=Role.AGENT
    )


@pytest.fixture
def claire(django_user_model, marie):
    """Claire, Marie's line manager (staff), named in Marie's HR record with the HR phone number."""
    claire = django_user_model.objects.create_user(
        "claire.chef", "claire.chef@ac-exemple.fr", DEMO_PASSWORD, display_name="Claire Chef", role=Role.STAFF
    )
    marie.line_manager = claire
    marie.hr_phone = "+33 1 99 00 11 22"
    marie.save()
    return claire


@pytest.fixture
def agents(sophie, paul, alain, sign_in):
    """Signed-in, verified browsers of the two agents and the administrator."""
    return {user.username: sign_in(Client(), user) for user in (sophie, paul, alain)}


def start(client, username, *, method="video_id", evidence="Visio 10:02, CNI 123456 conforme au dossier RH", case=""):
    return client.post(start_url(username), {"method": method, "evidence": evidence, "case": case})


def started(client, username, **kwargs) -> MfaResetRequest:
    response = start(client, username, **kwargs)
    assert response.status_code == 302, response.content.decode()[:2000]
    return MfaResetRequest.objects.filter(user__username=username).latest("pk")


def approve(client, row) -> str:
    """Approve ``row`` and return the access pass the page shows."""
    response = client.post(approve_url(row))
    assert response.status_code == 200, response.content.decode()[:2000]
    return PASS.search(response.content.decode()).group(1)


def pass_sign_in(access_pass: str, identifier: str = "marie.dupont", client: Client | None = None):
    client = client or Client()
    response = client.post(PASS_LOGIN, {"identifier": identifier, "access_pass": access_pass})
    return client, response


def events(kind, **filters):
    return SecurityEvent.objects.filter(kind=kind, **filters)


# --- R38: identity proofing before any reset ------------------------------------------------------------------


def test_the_reset_cannot_start_without_an_allowed_check_recorded_with_evidence(marie_lost_phone, agents):
    """R38 test 1: no method, a method outside the list, or no evidence: nothing starts, nothing changes."""
    sophie = agents["sophie.bernard"]
    for data in (
        {"method": "", "evidence": "Visio avec CNI"},
        {"method": "caller_said_so", "evidence": "Il a l'air sincère"},
        {"method": "video_id", "evidence": ""},
        {"method": "video_id", "evidence": "   "},
    ):
        response = sophie.post(start_url("marie.dupont"), data)
        assert response.status_code == 200
        assert 'class="form-errors"' in response.text
    assert MfaResetRequest.objects.count() == 0
    assert AuthenticatorApp.objects.filter(user=marie_lost_phone).count() == 1

    row = started(sophie, "marie.dupont")
    assert row.state == MfaResetState.PENDING and row.evidence.startswith("Visio")
    assert row.case_reference.startswith("INC-")  # no case given: one is opened, and the step is on it
    # Started is not done: the account keeps everything until a second agent approves.
    assert AuthenticatorApp.objects.filter(user=marie_lost_phone).count() == 1
    assert events(EventKind.MFA_RESET_REQUESTED, user=marie_lost_phone, data__case=row.case_reference).exists()


def test_a_caller_with_only_personal_details_gets_no_reset_and_the_owner_is_warned(marie_lost_phone, agents):
    """R38 test 2: a red-team call with name, employee number, date of birth and manager's name: no reset; a
    failed attempt in the log, the real owner e-mailed at both addresses, the security team alerted."""
    mail.outbox.clear()
    response = start(
        agents["sophie.bernard"],
        "marie.dupont",
        method="personal_details_only",
        evidence="Nom, matricule 4521, née le 3 mars 1980, responsable Claire Chef",
    )
    assert response.status_code == 200
    assert "portal/helpdesk/reset_not_started.html" in [template.name for template in response.templates]
    assert MfaResetRequest.objects.count() == 0
    assert TemporaryAccessPass.objects.count() == 0
    assert AuthenticatorApp.objects.filter(user=marie_lost_phone).count() == 1
    denied = events(EventKind.MFA_RESET_DENIED, user=marie_lost_phone).get()
    assert denied.data["reason"] == "identity_not_proven" and denied.data["by"] == "sophie.bernard"
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"marie.dupont@ac-exemple.fr", "marie.perso@example.net", TEAM} <= recipients


def test_a_call_back_needs_the_hr_number_and_the_line_managers_approval_in_the_portal(
    marie_lost_phone, claire, agents, sign_in
):
    """R38 (method 4): the call-back on the HR-registered number counts only with the line manager's approval,
    given in the portal by the manager signed in with a second factor; the manager is e-mailed the link."""
    mail.outbox.clear()
    row = started(agents["sophie.bernard"], "marie.dupont", method="callback_manager", evidence="Rappel 10:05")
    asked = [message for message in mail.outbox if message.to == ["claire.chef@ac-exemple.fr"]]
    manager_page = f"/compte/approbations/reinitialisations/{row.pk}/"
    assert len(asked) == 1 and manager_page in asked[0].body

    refused = agents["paul.agent"].post(approve_url(row))
    assert refused.status_code == 403
    row.refresh_from_db()
    assert row.state == MfaResetState.PENDING
    assert AuthenticatorApp.objects.filter(user=marie_lost_phone).count() == 1

    # Someone else signed in learns nothing; the manager needs a verified session, then approves.
    assert sign_in(Client(), agents_user(agents, "sophie.bernard")).get(manager_page).status_code == 404
    unverified = Client()
    unverified.force_login(claire)
    assert unverified.post(manager_page).status_code == 302
    manager = sign_in(Client(), claire)
    assert manager.post(manager_page).status_code == 302
    row.refresh_from_db()
    assert row.manager_approved_by == claire

    assert approve(agents["paul.agent"], row)
    row.refresh_from_db()
    assert row.state == MfaResetState.EXECUTED


def agents_user(agents, username):
    from portal.models import User

    return User.objects.get(username=username)


def test_the_line_manager_who_approved_cannot_also_be_the_second_agent(marie_lost_phone, agents, sophie, paul, sign_in):
    """Three people for a call-back: the agent who called back, the line manager, and a second agent."""
    marie_lost_phone.line_manager = paul
    marie_lost_phone.hr_phone = "+33 1 99 00 11 22"
    marie_lost_phone.save()
    row = started(agents["sophie.bernard"], "marie.dupont", method="callback_manager", evidence="Rappel 10:05")
    assert agents["paul.agent"].post(f"/compte/approbations/reinitialisations/{row.pk}/").status_code == 302
    refused = agents["paul.agent"].post(approve_url(row))
    assert refused.status_code == 403
    assert approve(agents["alain.admin"], row)


def test_under_the_security_key_policy_a_code_verified_agent_cannot_approve(marie_lost_phone, agents, settings):
    """R39: each agent is verified with a security key (R14) when the policy is on; a session that proved an app
    code is sent to prove a key instead, and nothing executes."""
    row = started(agents["sophie.bernard"], "marie.dupont")
    settings.GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY = True
    response = agents["paul.agent"].post(approve_url(row))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.state == MfaResetState.PENDING and TemporaryAccessPass.objects.count() == 0


def test_the_call_back_is_not_offered_without_an_hr_number_and_a_line_manager(marie_lost_phone, agents):
    page = agents["sophie.bernard"].get(start_url("marie.dupont")).text
    assert 'value="callback_manager"' not in page
    assert start(agents["sophie.bernard"], "marie.dupont", method="callback_manager").status_code == 200
    assert MfaResetRequest.objects.count() == 0


def test_the_request_page_answers_the_same_whoever_it_names_and_opens_one_case(marie_lost_phone, jean):
    """The public request: existing, unknown and closed accounts get the same redirect and page; only the
    existing active account gets a case (and its owner the warning e-mail)."""
    jean.is_active = False
    jean.save()
    answers = []
    for identifier in ("marie.dupont", "personne.inconnue", "jean.martin", "MARIE.DUPONT@AC-EXEMPLE.FR"):
        client = Client()
        response = client.post(
            "/compte/telephone-perdu/demande/",
            {"identifier": identifier, "message": "Téléphone perdu, plus de codes", "contact": "06 00 00 00 00"},
        )
        page = client.get(response["Location"])
        answers.append((response.status_code, response["Location"], page.status_code, page.content))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0][:3] == (302, "/compte/telephone-perdu/demande/envoyee/", 200)
    outcomes = list(RecoveryRequest.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["case", "unknown", "unknown", "case"]
    cases = set(RecoveryRequest.objects.exclude(case_reference="").values_list("case_reference", flat=True))
    assert len(cases) == 2
    assert events(EventKind.RECOVERY_REQUESTED, user=marie_lost_phone).count() == 2
    # The account is untouched by a request: the reset starts only with an agent's identity check.
    assert AuthenticatorApp.objects.filter(user=marie_lost_phone).count() == 1


def test_the_request_page_is_silently_limited_per_address(marie_lost_phone):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for n in range(8):
        response = client.post(
            "/compte/telephone-perdu/demande/",
            {"identifier": f"inconnu.{n}", "message": "perdu"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        assert response.status_code == 302
    assert RecoveryRequest.objects.count() == 5


def test_the_lost_phone_page_leads_to_the_request_which_says_what_happens_next():
    guide = Client().get("/en/compte/telephone-perdu/").text
    assert "/en/compte/telephone-perdu/demande/" in guide
    page = Client().get("/en/compte/telephone-perdu/demande/").text
    assert "What happens next" in page and "working day" in page and "one hour" in page
    french = Client().get("/compte/telephone-perdu/demande/").text
    assert "Ce qui se passe ensuite" in french


# --- R39: two people, tiered authority, 30 minutes ---------------------------------------------------------------


def test_the_initiator_cannot_approve_and_a_second_agent_can(marie_lost_phone, agents):
    """R39 tests 1 and 2: Sophie starts for Marie; her own approval is refused; Paul approves and it executes."""
    row = started(agents["sophie.bernard"], "marie.dupont")
    own = agents["sophie.bernard"].post(approve_url(row))
    assert own.status_code == 403 and "second agent" in own.text
    row.refresh_from_db()
    assert row.state == MfaResetState.PENDING and TemporaryAccessPass.objects.count() == 0
    assert events(EventKind.MFA_RESET_APPROVAL_REFUSED, data__reason="initiator").exists()

    assert approve(agents["paul.agent"], row)
    row.refresh_from_db()
    assert (row.state, row.approved_by.username) == (MfaResetState.EXECUTED, "paul.agent")
    assert AuthenticatorApp.objects.filter(user=marie_lost_phone).count() == 0


def test_an_agents_reset_needs_an_administrator_approver(agents, problem_types, django_user_model, sign_in):
    """R39 test 3: Sophie starting for Claude (an agent, the same role) needs a security officer (admin)."""
    claude = django_user_model.objects.create_user("claude.agent", "claude@ac-exemple.fr", DEMO_PASSWORD, role="agent")
    enrol_totp(claude)
    row = started(agents["sophie.bernard"], "claude.agent", method="in_person", evidence="Badge 7781 vu au guichet")
    refused = agents["paul.agent"].post(approve_url(row))
    assert refused.status_code == 403 and "un administrateur doit approuver" in refused.text
    assert approve(agents["alain.admin"], row)
    assert events(EventKind.ALERT_PRIVILEGED_RESET, user=claude).exists()
    assert any(TEAM in message.to and "claude.agent" in message.body for message in mail.outbox)


def test_nobody_acts_on_their_own_account(marie_lost_phone, agents, sophie, alain):
    """R39 test 4: Sophie's reset of her own account: 403; nor may she approve a reset of it started by another."""
    assert agents["sophie.bernard"].get(start_url("sophie.bernard")).status_code == 403
    assert start(agents["sophie.bernard"], "sophie.bernard").status_code == 403
    row = started(agents["alain.admin"], "sophie.bernard", method="in_person", evidence="Badge 1001")
    assert agents["sophie.bernard"].post(approve_url(row)).status_code == 403
    assert agents["sophie.bernard"].get(f"{RESETS}{row.pk}/").status_code == 403
    assert MfaResetRequest.objects.get(pk=row.pk).state == MfaResetState.PENDING


def test_nobody_acts_on_an_account_of_a_higher_role(agents, alain):
    assert agents["sophie.bernard"].get(start_url("alain.admin")).status_code == 403
    assert start(agents["sophie.bernard"], "alain.admin").status_code == 403
    assert MfaResetRequest.objects.count() == 0


def test_an_approval_at_minute_31_is_refused(marie_lost_phone, agents, paul, sign_in, clock):
    """R39 test 5: 30 minutes to approve; at minute 31 the reset has expired and nothing happens."""
    row = started(agents["sophie.bernard"], "marie.dupont")
    clock.advance(minutes=31)
    late = sign_in(Client(), paul).post(approve_url(row))  # a fresh session: an agent's idles out in 15 minutes
    assert late.status_code == 403 and "30 minutes" in late.text
    row.refresh_from_db()
    assert row.state == MfaResetState.EXPIRED
    assert AuthenticatorApp.objects.filter(user=marie_lost_phone).count() == 1
    assert events(EventKind.MFA_RESET_DENIED, data__reason="expired").exists()


def test_a_second_agent_may_refuse_and_the_initiator_may_cancel(marie_lost_phone, agents):
    row = started(agents["sophie.bernard"], "marie.dupont")
    response = agents["paul.agent"].post(f"{RESETS}{row.pk}/refuser/", {"reason": "La pièce ne correspond pas"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.state, row.close_reason) == (MfaResetState.REFUSED, "La pièce ne correspond pas")
    again = started(agents["sophie.bernard"], "marie.dupont")
    agents["sophie.bernard"].post(f"{RESETS}{again.pk}/refuser/", {"reason": "Erreur de compte"})
    again.refresh_from_db()
    assert again.state == MfaResetState.CANCELLED
    assert AuthenticatorApp.objects.filter(user=marie_lost_phone).count() == 1


# --- R40: the agent never sets a password; the temporary access pass ---------------------------------------------


def test_after_the_reset_old_codes_and_recovery_codes_fail_and_open_sessions_are_dead(
    marie_lost_phone, agents, sign_in
):
    """R40 test 1: the lost phone's codes and the old recovery codes no longer sign in; the open session is dead,
    the API token refused, the password alone refused."""
    old_app = AuthenticatorApp.objects.get(user=marie_lost_phone)
    codes = RecoveryCodeDevice.objects.get(user=marie_lost_phone).regenerate()
    browser = sign_in(Client(), marie_lost_phone)
    issuing = RequestFactory().get("/")
    issuing.user = marie_lost_phone
    token = api_tokens.api_token_issue(request=issuing, name="script", scopes=["read"], days=7).value
    assert browser.get("/compte/securite/").status_code == 200

    approve(agents["paul.agent"], started(agents["sophie.bernard"], "marie.dupont"))

    response = browser.get("/compte/securite/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/")
    assert Client().get("/api/tickets/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code in (401, 403)
    assert not AuthenticatorApp.objects.filter(pk=old_app.pk).exists()
    assert not RecoveryCodeDevice.objects.filter(user=marie_lost_phone).exists()
    # The password still matches, but signs in no more: a new one is required, chosen with the pass.
    assert authenticate(username="marie.dupont", password=DEMO_PASSWORD) is not None
    client = Client()
    client.post("/compte/connexion/", {"identifier": "marie.dupont", "password": DEMO_PASSWORD})
    assert "_auth_user_id" not in client.session
    assert client.post("/compte/connexion/code/", {"code": totp_now(old_app)}).status_code == 302
    assert client.post("/compte/connexion/code/", {"code": codes[0]}).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_access_pass_works_once_then_fails(marie_lost_phone, agents):
    """R40 test 2 (single use)."""
    access_pass = approve(agents["paul.agent"], started(agents["sophie.bernard"], "marie.dupont"))
    assert len(access_pass.replace("-", "")) >= 10
    client, response = pass_sign_in(access_pass.lower().replace("-", " "))  # as typed from a note
    assert response.status_code == 302 and response["Location"] == STEPS
    assert client.get(STEPS).status_code == 200
    _other, again = pass_sign_in(access_pass)
    assert again.status_code == 400 and "_auth_user_id" not in _other.session
    assert events(EventKind.ACCESS_PASS_LOGIN, user=marie_lost_phone).count() == 1


def test_the_access_pass_is_expired_at_61_minutes(marie_lost_phone, agents, clock):
    """R40 test 2 (lifetime): valid for one hour."""
    access_pass = approve(agents["paul.agent"], started(agents["sophie.bernard"], "marie.dupont"))
    clock.advance(minutes=61)
    client, response = pass_sign_in(access_pass)
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_the_pass_session_ends_with_the_pass_hour(marie_lost_phone, agents, clock):
    access_pass = approve(agents["paul.agent"], started(agents["sophie.bernard"], "marie.dupont"))
    clock.advance(minutes=50)
    client, _response = pass_sign_in(access_pass)
    assert client.get(STEPS).status_code == 200
    clock.advance(minutes=11)
    response = client.get(STEPS)
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/")


def test_a_pass_session_reaches_only_enrolment_and_the_new_password_page(marie_lost_phone, agents):
    """R40 test 3: every other route of the URL map, the admin and the API answer 403."""
    access_pass = approve(agents["paul.agent"], started(agents["sophie.bernard"], "marie.dupont"))
    client, _response = pass_sign_in(access_pass)
    allowed = {
        "portal:access_pass_steps",
        "portal:access_pass_password",
        "portal:mfa_totp_add",
        "portal:mfa_key_add",
        "portal:mfa_key_options",
        "portal:mfa_recovery_codes",
        "portal:logout",
        "health",
    }
    answered = []
    paths = [*routes(get_resolver().url_patterns), *(("admin", path) for path in admin_paths())]
    for name, path in paths:
        if name in allowed:
            continue
        response = client.get(path)
        if response.status_code != 403:
            answered.append((name, path, response.status_code))
    assert answered == []
    api = client.get("/api/tickets/", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 403 and "temporary access pass" in api.json()["detail"]
    assert client.post("/api/tickets/", {}, content_type="application/json").status_code == 403
    for path in (STEPS, "/compte/double-authentification/application/ajouter/"):
        assert client.get(path).status_code == 200


def test_after_a_new_factor_and_password_the_pass_session_ends_and_the_person_signs_in_normally(
    marie_lost_phone, agents, clock
):
    """R40: the pass grants enrolment and the new password, then the session is closed; the next sign-in is an
    ordinary one, with the new password and the new factor."""
    access_pass = approve(agents["paul.agent"], started(agents["sophie.bernard"], "marie.dupont"))
    client, _response = pass_sign_in(access_pass)
    assert client.get(PASS_PASSWORD).status_code == 302  # the factor comes first
    client.get("/compte/double-authentification/application/ajouter/")
    new = AuthenticatorApp.objects.get(user=marie_lost_phone, confirmed=False)
    added = client.post(
        "/compte/double-authentification/application/ajouter/", {"name": "Nouveau téléphone", "code": totp_now(new)}
    )
    assert added.status_code == 302 and added["Location"] == STEPS
    done = client.post(PASS_PASSWORD, {"new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/compte/connexion/"
    assert "_auth_user_id" not in client.session
    marie_lost_phone.refresh_from_db()
    assert marie_lost_phone.password_reset_required is False

    clock.advance(minutes=1)
    browser = Client()
    step = browser.post("/compte/connexion/", {"identifier": "marie.dupont", "password": NEW_PASSWORD})
    assert step.status_code == 302 and step["Location"].startswith("/compte/connexion/code/")
    new.refresh_from_db()
    assert browser.post("/compte/connexion/code/", {"code": totp_now(new, 1)}).status_code == 302
    assert browser.get("/compte/securite/").status_code == 200  # an ordinary session: the whole account again


def test_the_agent_pages_have_no_password_field(marie_lost_phone, agents):
    """R40 test 4."""
    sophie, paul = agents["sophie.bernard"], agents["paul.agent"]
    pages = [sophie.get(RESETS), sophie.get(start_url("marie.dupont"))]
    row = started(sophie, "marie.dupont")
    pages += [sophie.get(f"{RESETS}{row.pk}/"), paul.get(f"{RESETS}{row.pk}/"), paul.post(approve_url(row))]
    for page in pages:
        assert page.status_code == 200
        assert not re.search(r'type="password"|name="[^"]*password', page.text, re.IGNORECASE)


def test_the_pass_is_kept_hashed_and_reaches_no_log_event_case_or_e_mail(marie_lost_phone, agents, caplog):
    """R35, R40: the database keeps a digest; no security event, case event, e-mail or log line holds the pass."""
    from tickets.models import TicketEvent

    caplog.set_level(logging.DEBUG)
    access_pass = approve(agents["paul.agent"], started(agents["sophie.bernard"], "marie.dupont"))
    raw = access_pass.replace("-", "")
    stored = TemporaryAccessPass.objects.get(user=marie_lost_phone)
    assert raw not in stored.digest and access_pass not in stored.digest
    for text in (
        repr(list(SecurityEvent.objects.values())),
        repr(list(TicketEvent.objects.values())),
        " ".join(message.body + message.subject for message in mail.outbox),
        caplog.text,
    ):
        assert access_pass not in text and raw not in text
    steps = list(TicketEvent.objects.filter(kind="tickets.ticket.account_recovery").values_list("data", flat=True))
    assert [step["step"] for step in steps] == ["mfa_reset_requested", "mfa_reset_approved"]


# --- R41: notification, cooling-off, detection -------------------------------------------------------------------


def test_the_person_and_their_line_manager_are_e_mailed_when_the_reset_is_done(marie_lost_phone, claire, agents):
    """R41 test 1: the work and recovery addresses and the line manager (tasks run on commit; inline here)."""
    row = started(agents["sophie.bernard"], "marie.dupont")
    mail.outbox.clear()
    approve(agents["paul.agent"], row)
    to_marie = [message for message in mail.outbox if "marie.dupont@ac-exemple.fr" in message.to]
    assert len(to_marie) == 1 and "marie.perso@example.net" in to_marie[0].to
    assert "code d’accès temporaire" in to_marie[0].body  # in her language
    to_claire = [message for message in mail.outbox if message.to == ["claire.chef@ac-exemple.fr"]]
    assert len(to_claire) == 1 and "marie.dupont" in to_claire[0].body


def test_within_24_hours_an_address_change_is_refused_with_an_explanation(
    marie_lost_phone, agents, alain, sign_in, clock
):
    """R41 test 2: the e-mail address change waits a day after the reset, with the reason and the time."""
    approve(agents["paul.agent"], started(agents["sophie.bernard"], "marie.dupont"))
    admin = agents["alain.admin"]
    page = admin.get(f"/admin/portal/user/{marie_lost_phone.pk}/change/")
    assert page.status_code == 200
    form = _change_form_data(page.context["adminform"].form)
    form["recovery_email"] = "nouvelle.adresse@example.org"
    refused = admin.post(f"/en/admin/portal/user/{marie_lost_phone.pk}/change/", form)
    assert refused.status_code == 200
    assert "changing the e-mail addresses or the phone number is not possible until" in refused.text
    assert "reset by the helpdesk less than 24 hours ago" in refused.text
    marie_lost_phone.refresh_from_db()
    assert marie_lost_phone.recovery_email == "marie.perso@example.net"
    with pytest.raises(cooling_off.CoolingOff):
        services.user_addresses_change(
            user=marie_lost_phone, email="x@ac-exemple.fr", recovery_email="", by=marie_lost_phone
        )
    assert events(EventKind.COOLING_OFF_REFUSED, user=marie_lost_phone, data__change="address_change").exists()

    clock.advance(hours=24, minutes=1)
    accepted = sign_in(Client(), alain).post(f"/en/admin/portal/user/{marie_lost_phone.pk}/change/", form)
    assert accepted.status_code == 302
    marie_lost_phone.refresh_from_db()
    assert marie_lost_phone.recovery_email == "nouvelle.adresse@example.org"
    assert events(EventKind.CONTACT_CHANGE, user=marie_lost_phone).exists()


def _change_form_data(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(item, "pk", item) for item in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = getattr(value, "pk", value)
    return data


def test_within_24_hours_tokens_factor_removal_and_role_elevation_wait(marie_lost_phone, agents, alain, clock):
    """R41: new API tokens, removing the new factor and a higher role are refused for a day, with a reason."""
    access_pass = approve(agents["paul.agent"], started(agents["sophie.bernard"], "marie.dupont"))
    client, _response = pass_sign_in(access_pass)
    client.get("/compte/double-authentification/application/ajouter/")
    new = AuthenticatorApp.objects.get(user=marie_lost_phone, confirmed=False)
    client.post("/compte/double-authentification/application/ajouter/", {"name": "Neuf", "code": totp_now(new)})
    client.post(PASS_PASSWORD, {"new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})

    clock.advance(minutes=1)
    browser = Client()
    browser.post("/en/compte/connexion/", {"identifier": "marie.dupont", "password": NEW_PASSWORD})
    new.refresh_from_db()
    browser.post("/en/compte/connexion/code/", {"code": totp_now(new, 1)})
    token = browser.post("/en/compte/securite/jetons/ajouter/", {"name": "script", "scopes": ["read"], "days": 7})
    assert token.status_code == 200 and "less than 24 hours ago" in token.text
    assert not marie_lost_phone.api_tokens.exists()
    removal = browser.post(f"/en/compte/double-authentification/{new.pk}/supprimer/", follow=True)
    assert "removing a second factor is not possible until" in removal.text
    assert AuthenticatorApp.objects.filter(pk=new.pk).exists()
    with pytest.raises(cooling_off.CoolingOff):
        services.user_role_change(user=marie_lost_phone, role=Role.AGENT, by=alain)
    marie_lost_phone.refresh_from_db()
    assert marie_lost_phone.role == Role.STAFF

    clock.advance(hours=24)
    assert services.user_role_change(user=marie_lost_phone, role=Role.AGENT, by=alain) is True


def test_opening_the_agents_workspace_after_a_reset_alerts_the_security_team(
    agents, problem_types, django_user_model, sign_in, clock
):
    """R41 test 3: an agent account reset by the helpdesk signs in and opens the agents' workspace within a day:
    the security team is alerted, once for that session."""
    claude = django_user_model.objects.create_user("claude.agent", "claude@ac-exemple.fr", DEMO_PASSWORD, role="agent")
    enrol_totp(claude)
    approve(
        agents["alain.admin"], started(agents["sophie.bernard"], "claude.agent", method="in_person", evidence="Badge")
    )
    mail.outbox.clear()
    clock.advance(hours=2)
    claude.refresh_from_db()  # the reset changed its security stamp
    browser = sign_in(Client(), claude)
    response = browser.get("/admin/")
    assert response.status_code == 200, response.get("Location")
    browser.get(RESETS)
    alert = events(EventKind.ALERT_RESET_AGENT_AREA, user=claude).get()
    assert alert.data["path"] == "/admin/"
    assert [message.to for message in mail.outbox] == [[TEAM]]
    # A day later, the workspace is ordinary again.
    clock.advance(hours=23)
    sign_in(Client(), claude).get("/admin/")
    assert events(EventKind.ALERT_RESET_AGENT_AREA, user=claude).count() == 1


def test_a_sixth_reset_by_one_agent_in_an_hour_raises_an_alert(agents, problem_types, django_user_model):
    """R41 test 4."""
    for n in range(6):
        django_user_model.objects.create_user(f"staff.{n}", f"staff.{n}@ac-exemple.fr", DEMO_PASSWORD)
    for n in range(5):
        approve(agents["paul.agent"], started(agents["sophie.bernard"], f"staff.{n}"))
    assert not events(EventKind.ALERT_RESET_RATE).exists()
    mail.outbox.clear()
    approve(agents["paul.agent"], started(agents["sophie.bernard"], "staff.5"))
    alerted = set(events(EventKind.ALERT_RESET_RATE).values_list("data__agent", flat=True))
    assert alerted == {"sophie.bernard", "paul.agent"}
    team = [message for message in mail.outbox if message.to == [TEAM]]
    assert any("sophie.bernard" in message.body for message in team)
    # The agent is not tipped off.
    assert not any("sophie.bernard@ac-exemple.fr" in message.to for message in mail.outbox)


def test_an_identifier_with_a_nul_character_is_an_unknown_account_not_an_error(marie_lost_phone, agents):
    page = agents["sophie.bernard"].get(RESETS, {"identifier": "marie.dupont\x00"})
    assert page.status_code == 200 and "marie.dupont" in page.text
    assert not MfaResetRequest.objects.exists()
