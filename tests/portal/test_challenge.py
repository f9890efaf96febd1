"""The anti-robot check of the sign-in form (R7) and the detection job that switches it on (R5, R36)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client, RequestFactory

from portal.identity import challenge, signin
from portal.models import AccountLockout, ChallengeMode, EventKind, SecurityEvent, SourceThrottle
from portal.tasks import detect_credential_attacks
from tests.helpers import DEMO_PASSWORD, solved_challenge

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"
ATTACKER = "198.51.100.66"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)
    settings.GUICHET_SECURITY_TEAM_EMAILS = ["securite@ac-exemple.fr"]


def fail_from(ip: str, count: int, *, prefix="spray") -> None:
    client = Client()
    for i in range(count):
        data = {"identifier": f"{prefix}{i}.nom", "password": "Printemps2026!", **solved_challenge(ip)}
        assert client.post(LOGIN, data, REMOTE_ADDR=ip).status_code == 200


def test_after_ten_failures_from_an_address_the_right_password_without_the_check_is_refused_before_evaluation(
    marie,
):
    client = Client()
    assert 'name="challenge"' not in client.get(LOGIN, REMOTE_ADDR=ATTACKER).content.decode()
    fail_from(ATTACKER, 10)
    page = client.get(LOGIN, REMOTE_ADDR=ATTACKER).content.decode()
    assert 'name="challenge"' in page and "js/challenge.js" in page

    events_before = SecurityEvent.objects.count()
    response = client.post(LOGIN, {"identifier": "marie.dupont", "password": DEMO_PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 200
    assert "vérification automatique anti-robot" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Nothing was evaluated: no counter for the account, no event, the address's count unchanged.
    assert not AccountLockout.objects.filter(key="marie.dupont").exists()
    assert SecurityEvent.objects.count() == events_before
    assert SourceThrottle.objects.get(ip=ATTACKER).failures == 10


def test_a_solved_check_lets_the_password_through_once(marie):
    fail_from(ATTACKER, 10)
    fields = solved_challenge(ATTACKER)
    data = {"identifier": "marie.dupont", "password": DEMO_PASSWORD, **fields}
    first = Client()
    assert first.post(LOGIN, data, REMOTE_ADDR=ATTACKER).status_code == 302
    assert "_auth_user_id" in first.session
    # The same solution replayed, or solved for another address, is refused.
    replay = Client()
    assert replay.post(LOGIN, data, REMOTE_ADDR=ATTACKER).status_code == 200
    assert "_auth_user_id" not in replay.session
    fail_from("198.51.100.67", 10, prefix="other")
    elsewhere = Client()
    data = {"identifier": "marie.dupont", "password": DEMO_PASSWORD, **solved_challenge(ATTACKER)}
    elsewhere.post(LOGIN, data, REMOTE_ADDR="198.51.100.67")
    assert "_auth_user_id" not in elsewhere.session


def test_a_wrong_answer_or_a_forged_token_is_refused():
    issued = challenge.issue(ATTACKER)
    wrong = next(str(n) for n in range(10**6) if not challenge.solves(issued.token, str(n), issued.bits))
    assert not challenge.verify(ATTACKER, issued.token, wrong)
    easy = issued.token.replace("16", "0")  # any change breaks the signature
    assert not challenge.verify(ATTACKER, easy, "0")
    assert not challenge.verify(ATTACKER, "", "")
    assert not challenge.verify(ATTACKER, issued.token, "1" * 500)


def _request(ip: str, sophie: str):
    return RequestFactory().post(LOGIN, REMOTE_ADDR=ip, HTTP_USER_AGENT=sophie)


def test_spraying_from_one_network_switches_the_check_on_for_that_network_only_and_alerts_once(marie):
    for i in range(25):  # one guess per identifier, from addresses of one /24: under every per-address limit
        signin.check_password_step(_request(f"203.0.113.{i + 1}", "python-requests/2.32"), f"p{i}.nom", "Hiver2026!")
    assert not challenge.required("203.0.113.200")

    detect_credential_attacks.delay()
    detect_credential_attacks.delay()  # the job may run twice: still one alert

    assert challenge.required("203.0.113.200")  # a new address of the same network
    assert not challenge.required("192.0.2.44")
    assert ChallengeMode.objects.get().network == "203.0.113.0/24"
    alert = SecurityEvent.objects.get(kind=EventKind.SPRAY_DETECTED)
    assert alert.data["identifiers"] == 25
    assert [m.to for m in mail.outbox] == [["securite@ac-exemple.fr"]]
    assert "203.0.113.0/24" in mail.outbox[0].body


def test_ordinary_failures_of_a_school_network_do_not_switch_the_check_on(marie, django_user_model):
    # Forty teachers of one school network start the day: each mistypes once, then signs in. As many identifiers
    # fail as in a spray, but half the attempts succeed.
    for i in range(40):
        django_user_model.objects.create_user(f"prof{i}.nom", f"prof{i}@ac-exemple.fr", DEMO_PASSWORD)
    for i in range(40):
        browser, ip = Client(HTTP_USER_AGENT="Mozilla/5.0 Firefox/140.0"), f"198.18.0.{i + 1}"
        browser.post(LOGIN, {"identifier": f"prof{i}.nom", "password": "faute de frappe"}, REMOTE_ADDR=ip)
        browser.post(LOGIN, {"identifier": f"prof{i}.nom", "password": DEMO_PASSWORD}, REMOTE_ADDR=ip)
        assert "_auth_user_id" in browser.session
    detect_credential_attacks.delay()
    assert not ChallengeMode.objects.exists()
    assert not challenge.required("198.18.0.200")


def test_five_hundred_accounts_locked_within_ten_minutes_raise_one_mass_lockout_alert(settings):
    settings.GUICHET_LOCKOUT_TIERS = [(1, timedelta(minutes=15))]  # each identifier locks at its first failure
    for i in range(500):
        ip = f"10.{i // 200}.{i % 200}.1"  # 500 addresses of 3 networks: no per-address limit interferes
        signin.check_password_step(_request(ip, "curl/8.9"), f"cible{i}.nom", "Automne2026!")
    assert SecurityEvent.objects.filter(kind=EventKind.LOGIN_LOCK).count() == 500

    detect_credential_attacks.delay()
    detect_credential_attacks.delay()

    assert SecurityEvent.objects.filter(kind=EventKind.MASS_LOCKOUT).count() == 1
    assert SecurityEvent.objects.get(kind=EventKind.MASS_LOCKOUT).data == {"accounts": 500}
    # A wave against 500 identifiers also puts everyone behind the check for an hour.
    assert ChallengeMode.objects.filter(network=ChallengeMode.GLOBAL).exists()
    assert challenge.required("192.0.2.1")
    subjects = sorted(m.subject for m in mail.outbox)
    assert len([s for s in subjects if "bloqués" in s or "suspendus" in s]) == 1
