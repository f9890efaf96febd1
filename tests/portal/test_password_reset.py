"""Self-service password reset by e-mailed link: the black-box tests of R18–R26 (../shared/SECURITY.md)."""

import logging
import re

import pytest
from celery.signals import before_task_publish, task_prerun
from django.contrib.auth import authenticate
from django.core import mail
from django.test import Client, RequestFactory

from portal.identity import api_tokens, services
from portal.models import EventKind, PasswordResetRequest, RecoveryCodeDevice, SecurityEvent
from tests.helpers import DEMO_PASSWORD, enrol_totp, totp_now

REQUEST = "/compte/mot-de-passe-oublie/"
SENT = "/compte/mot-de-passe-oublie/envoye/"
NEW = "/compte/mot-de-passe-oublie/nouveau/"
CODE = "/compte/mot-de-passe-oublie/nouveau/code/"
NEW_PASSWORD = "une phrase de passe toute neuve"
LINK = re.compile(r"https?://[^\s\"<>]+/mot-de-passe-oublie/lien/([A-Za-z0-9_-]+)/")


def ask(identifier: str, client: Client | None = None):
    return (client or Client()).post(REQUEST, {"identifier": identifier})


def links_sent() -> list[str]:
    """Every link secret e-mailed so far, in order."""
    return [match.group(1) for message in mail.outbox for match in [LINK.search(message.body)] if match]


def link_for(identifier: str) -> str:
    before = len(links_sent())
    ask(identifier)
    sent = links_sent()
    assert len(sent) == before + 1, "no reset e-mail was sent"
    return sent[-1]


def open_link(secret: str, client: Client | None = None) -> Client:
    client = client or Client()
    response = client.get(f"/compte/mot-de-passe-oublie/lien/{secret}/")
    assert response.status_code == 302 and response["Location"] == NEW
    return client


def choose(client: Client, password: str = NEW_PASSWORD):
    return client.post(NEW, {"new_password": password, "confirmation": password})


@pytest.fixture
def marie_reachable(marie):
    marie.recovery_email = "marie.perso@example.net"
    marie.save()
    return marie


# --- R18, R19, R20: the request --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_kind_of_identifier_gets_the_same_answer(marie_reachable, jean, django_user_model):
    """R18: existing, unknown, inactive, no address at all, existing but over its limit, and an address typed in
    capitals: the same redirect, the same page, the same cookies."""
    jean.is_active = False
    jean.save()
    django_user_model.objects.create_user("sans.adresse", "", DEMO_PASSWORD)
    for _ in range(3):
        ask("marie.dupont")
    assert len(mail.outbox) == 3

    answers = []
    for identifier in (
        "marie.dupont",
        "personne.inconnue",
        "jean.martin",
        "sans.adresse",
        "MARIE.DUPONT@AC-EXEMPLE.FR",
    ):
        client = Client()
        response = ask(identifier, client)
        page = client.get(response["Location"])
        csrf_free = re.sub(rb'value="[^"]{64}"', b'value=""', page.content)
        answers.append((response.status_code, response["Location"], sorted(response.cookies), csrf_free))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0][:2] == (302, SENT)
    assert len(mail.outbox) == 3, "the fourth request for Marie, and the others, sent nothing"


@pytest.mark.django_db
def test_ten_requests_in_ten_minutes_send_three_emails_and_the_password_keeps_working(marie_reachable, clock):
    """R20: at most 3 e-mails per account per hour, silently; the account is neither changed nor locked."""
    for _ in range(10):
        ask("marie.dupont")
        clock.advance(minutes=1)
        assert authenticate(username="marie.dupont", password=DEMO_PASSWORD) is not None
    assert len(mail.outbox) == 3
    outcomes = list(PasswordResetRequest.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["sent"] * 3 + ["limited"] * 7
    clock.advance(minutes=55)
    ask("marie.dupont")
    assert len(mail.outbox) == 4, "an hour later a link is sent again"


@pytest.mark.django_db
def test_one_address_is_limited_to_twenty_requests_an_hour_even_with_a_forged_forwarded_header(marie_reachable):
    """R20 and R4: the 21st request from one address is dropped without a word, whatever X-Forwarded-For says."""
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(25):
        response = client.post(REQUEST, {"identifier": f"inconnu.{n}"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert response.status_code == 302 and response["Location"] == SENT
    assert PasswordResetRequest.objects.count() == 20
    ask("marie.dupont", client)
    assert len(mail.outbox) == 0
    ask("marie.dupont", Client(REMOTE_ADDR="198.51.100.8"))
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_email_goes_to_the_stored_addresses_only(marie_reachable, settings):
    """R21: the link goes to the recovery and work addresses on record; a look-alike address (dotless ı) gets
    nothing, and neither does the address typed."""
    ask("marıe.dupont@ac-exemple.fr")
    assert mail.outbox == []
    link_for("Marie.Dupont@ac-exemple.fr")
    assert mail.outbox[-1].to == ["marie.perso@example.net", "marie.dupont@ac-exemple.fr"]


@pytest.mark.django_db
def test_the_request_queues_a_task_by_id_and_never_a_token(marie_reachable, caplog):
    """R19 and R23: one task per request, whatever it names, with the request's id as its only argument; no log
    line, task argument or message header holds the link's secret."""
    published, started = [], []

    def on_publish(body=None, headers=None, **kwargs):
        published.append(repr((body, headers)))

    def on_start(task=None, args=None, kwargs=None, **extra):
        started.append((task.name, tuple(args or ()), kwargs or {}))

    before_task_publish.connect(on_publish)
    task_prerun.connect(on_start)
    caplog.set_level(logging.DEBUG)
    try:
        ask("personne.inconnue")
        secret = link_for("marie.dupont")
        client = open_link(secret)
        assert choose(client).status_code == 302
    finally:
        before_task_publish.disconnect(on_publish)
        task_prerun.disconnect(on_start)
    resets = [entry for entry in started if entry[0] == "portal.tasks.send_password_reset"]
    ids = list(PasswordResetRequest.objects.order_by("pk").values_list("pk", flat=True))
    assert resets == [("portal.tasks.send_password_reset", (row_id,), {}) for row_id in ids]
    assert all(secret not in line for line in published)
    assert secret not in caplog.text
    assert secret not in repr(list(SecurityEvent.objects.values()))


# --- R21, R22: the link ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_link_works_for_thirty_minutes(marie_reachable, clock):
    early, late = link_for("marie.dupont"), None
    clock.advance(minutes=29)
    assert choose(open_link(early)).status_code == 302
    late = link_for("marie.dupont")
    clock.advance(minutes=31)
    response = choose(open_link(late))
    assert response.status_code == 410
    assert "no longer works" in response.text or "ne fonctionne plus" in response.text


@pytest.mark.django_db
def test_only_the_newest_link_works_and_only_once(marie_reachable):
    """R22 (1, 2): L1 then L2: L1 refused, L2 works; L2 again: refused."""
    first, second = link_for("marie.dupont"), link_for("marie.dupont")
    assert choose(open_link(first)).status_code == 410
    assert choose(open_link(second)).status_code == 302
    assert choose(open_link(second), "encore une autre phrase de passe").status_code == 410
    assert authenticate(username="marie.dupont", password=NEW_PASSWORD) is not None


@pytest.mark.django_db
def test_signing_in_voids_an_outstanding_link(marie_reachable):
    """R22 (3): the person remembered the password and signed in: the link they asked for no longer works."""
    secret = link_for("marie.dupont")
    client = Client()
    client.post("/compte/connexion/", {"identifier": "marie.dupont", "password": DEMO_PASSWORD})
    assert client.session.get("_auth_user_id") == str(marie_reachable.pk)  # no factor yet: signed in at once
    assert choose(open_link(secret)).status_code == 410


@pytest.mark.django_db
def test_a_mail_scanner_opening_the_link_spoils_nothing(marie_reachable):
    """R22 (4): two GETs by a scanner leave the link working for the person."""
    secret = link_for("marie.dupont")
    for _ in range(2):
        scanner = open_link(secret)
        assert scanner.get(NEW).status_code == 200
    assert choose(open_link(secret)).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["deactivation", "address", "helpdesk unlock", "other sessions signed out"])
def test_a_change_to_the_account_voids_its_link(marie_reachable, sophie, change):
    """R21, R22: deactivation, an address change, a helpdesk action, anything that bumps the security stamp."""
    secret = link_for("marie.dupont")
    if change == "deactivation":
        marie_reachable.is_active = False
        marie_reachable.save()
    elif change == "address":
        marie_reachable.recovery_email = "quelqu.un@example.org"
        marie_reachable.save()
    elif change == "helpdesk unlock":
        services.lockout_lift(identifier="marie.dupont", by=sophie)
    else:
        services.sessions_end_all(user=marie_reachable, by=marie_reachable)
    assert choose(open_link(secret)).status_code == 410


@pytest.mark.django_db
@pytest.mark.parametrize("secret", ["x", "A" * 43, "A" * 500, "%00", "../../etc"])
def test_made_up_links_get_the_expired_page(marie_reachable, secret):
    client = Client()
    client.get(f"/compte/mot-de-passe-oublie/lien/{secret}/")
    assert choose(client).status_code == 410


# --- R23: the link does not leak ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_forged_host_header_does_not_change_the_link(marie_reachable, settings):
    settings.ALLOWED_HOSTS = ["*"]  # as if the proxy let it through: the link is still built from the setting
    Client().post(
        REQUEST, {"identifier": "marie.dupont"}, HTTP_HOST="evil.example", HTTP_X_FORWARDED_HOST="evil.example"
    )
    body = mail.outbox[-1].body
    assert "evil.example" not in body
    assert f"{settings.SITE_URL}/compte/mot-de-passe-oublie/lien/" in body


@pytest.mark.django_db
def test_the_secret_leaves_the_address_bar_and_no_referrer_is_sent(marie_reachable):
    secret = link_for("marie.dupont")
    client = Client()
    redirect = client.get(f"/compte/mot-de-passe-oublie/lien/{secret}/")
    assert redirect["Referrer-Policy"] == "no-referrer"
    response = client.get(redirect["Location"])
    assert secret not in redirect["Location"] and redirect["Location"] == NEW
    assert secret not in response.text
    # The form pages hold no secret in their address, and never send a Referer to another site either.
    assert response["Referrer-Policy"] == "same-origin"
    assert client.get(SENT)["Referrer-Policy"] == "no-referrer"


@pytest.mark.django_db
def test_the_log_masks_reset_links(settings):
    from portal.web.log_filters import MaskResetLinks

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /compte/mot-de-passe-oublie/lien/s3cr3t-Value/ HTTP/1.1", 302, 0),
        None,
    )
    assert MaskResetLinks().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert "/mot-de-passe-oublie/lien/…/" in record.getMessage()
    # And it is on the handler every logger writes to (portal/settings.py LOGGING).
    assert settings.LOGGING["handlers"]["stderr"]["filters"] == ["mask_reset_links"]


# --- R24: the second factor first, and no sign-in ----------------------------------------------------------------


@pytest.mark.django_db
def test_an_enrolled_person_proves_a_factor_before_the_new_password_and_is_not_signed_in(marie_reachable, clock):
    device = enrol_totp(marie_reachable)
    client = open_link(link_for("marie.dupont"))
    page = client.get(NEW)
    assert "new_password" not in page.text and 'name="code"' in page.text
    # Posting a password straight away does nothing: the factor step comes back.
    assert 'name="code"' in choose(client).text
    assert authenticate(username="marie.dupont", password=NEW_PASSWORD) is None

    wrong = client.post(CODE, {"code": "000000"})
    assert wrong.status_code == 400
    clock.advance(seconds=3)  # the device's own pause after a wrong code
    assert client.post(CODE, {"code": totp_now(device)})["Location"] == NEW
    done = choose(client)
    assert done.status_code == 302 and done["Location"] == "/compte/connexion/"
    assert "_auth_user_id" not in client.session

    # Signing in with the new password still asks for the code (R24).
    signing_in = Client().post("/compte/connexion/", {"identifier": "marie.dupont", "password": NEW_PASSWORD})
    assert signing_in["Location"].startswith("/compte/connexion/code/")


@pytest.mark.django_db
def test_a_recovery_code_confirms_a_reset_and_says_so(marie_reachable):
    enrol_totp(marie_reachable)
    codes = RecoveryCodeDevice.objects.create(user=marie_reachable, name="Codes", confirmed=True)
    typed = codes.regenerate()[0]
    client = open_link(link_for("marie.dupont"))
    assert client.post(CODE, {"code": typed})["Location"] == NEW
    assert choose(client).status_code == 302
    used = SecurityEvent.objects.get(kind=EventKind.RECOVERY_CODE_USED, user=marie_reachable)
    assert used.data["during"] == "password reset"


@pytest.mark.django_db
def test_a_wrong_code_on_the_reset_page_counts_toward_the_second_factor_limit(marie_reachable, settings, clock):
    settings.GUICHET_OTP_FAILURE_LIMIT = 3
    enrol_totp(marie_reachable)
    client = open_link(link_for("marie.dupont"))
    for n in range(3):
        client.post(CODE, {"code": f"00000{n}"})
        clock.advance(minutes=5)  # past the device's own growing delay between tries
    marie_reachable.refresh_from_db()
    assert marie_reachable.otp_blocked_until is not None


# --- R25, R26: what a reset ends, and who is told -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_reset_ends_every_session_and_api_token_and_notifies_both_addresses(marie_reachable, sign_in):
    first, second = sign_in(Client(), marie_reachable), sign_in(Client(), marie_reachable)
    issuing = RequestFactory().get("/")
    issuing.user = marie_reachable
    scope = api_tokens.scopes_for(marie_reachable)[0][0]
    token = api_tokens.api_token_issue(request=issuing, name="script", scopes=[scope], days=7).value
    assert first.get("/compte/securite/").status_code == 200
    assert Client().get("/api/tickets/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    device = marie_reachable.authenticatorapp_set.get()
    client = open_link(link_for("marie.dupont"))
    client.post(CODE, {"code": totp_now(device)})
    mail.outbox.clear()
    assert choose(client).status_code == 302

    for browser in (first, second):
        response = browser.get("/compte/securite/")
        assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/")
    refused = Client().get("/api/tickets/", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code in (401, 403) and "not valid" in refused.json()["detail"]

    assert len(mail.outbox) == 1, [message.subject for message in mail.outbox]
    notice = mail.outbox[0]
    assert notice.to == ["marie.dupont@ac-exemple.fr", "marie.perso@example.net"]
    assert "/compte/ce-netait-pas-moi/" in notice.body
    assert NEW_PASSWORD not in notice.body and "mot-de-passe-oublie/lien" not in notice.body
    event = SecurityEvent.objects.filter(kind=EventKind.PASSWORD_CHANGE, user=marie_reachable).get()
    assert event.data == {"reason": "reset"}
    previous = marie_reachable.password_changed_at
    marie_reachable.refresh_from_db()
    assert marie_reachable.password_changed_at > previous  # the password's age starts again (the reminder jobs)


@pytest.mark.django_db
def test_a_reset_lifts_the_sign_in_lock(marie_reachable, settings, clock):
    for n in range(settings.GUICHET_LOCKOUT_TIERS[0][0]):
        Client().post("/compte/connexion/", {"identifier": "marie.dupont", "password": f"faux {n}"})
    locked = Client().post("/compte/connexion/", {"identifier": "marie.dupont", "password": DEMO_PASSWORD})
    assert locked.status_code == 200  # refused while locked
    assert choose(open_link(link_for("marie.dupont"))).status_code == 302
    clock.advance(minutes=2)  # past the pause that follows any failure (rapid fire, R6), which is not a lock
    signed_in = Client().post("/compte/connexion/", {"identifier": "marie.dupont", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302


@pytest.mark.django_db
def test_pages_speak_french_and_english(marie_reachable):
    assert "Mot de passe oublié" in Client().get(REQUEST).text
    assert "Forgotten password" in Client().get("/en" + REQUEST).text
    assert "Téléphone perdu" in Client().get("/compte/telephone-perdu/").text
    assert "Lost or replaced phone" in Client().get("/en/compte/telephone-perdu/").text
    login = Client().get("/compte/connexion/").text
    assert REQUEST in login
