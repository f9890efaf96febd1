import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command

from portal.identity import mfa
from portal.management.commands.load_demo import DEMO_DEVICE_NAME, DEMO_PASSWORD, DEMO_USERS
from portal.models import AuthenticatorApp, Role, User
from tests.helpers import enrol_totp, totp_now
from tickets.models import ProblemType, Queue

pytestmark = pytest.mark.django_db


def test_demo_data_gives_every_role_a_working_login_and_is_idempotent(capsys):
    call_command("load_demo")
    call_command("load_demo")
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output
    assert User.objects.count() == len(DEMO_USERS)
    assert {user.role for user in User.objects.all()} == {Role.STAFF, Role.AGENT, Role.ADMIN}
    for username, _, _ in DEMO_USERS:
        assert username in output
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None
    assert Queue.objects.count() == 3
    assert ProblemType.objects.filter(slug="hameconnage", queue__slug="securite").exists()
    assert ProblemType.objects.count() == 9


def test_the_demo_password_passes_the_portal_policy_so_the_demo_signs_in_without_a_detour(client):
    call_command("load_demo")
    for username, _, _ in DEMO_USERS:
        validate_password(DEMO_PASSWORD, User.objects.get(username=username))  # raises if the policy refuses it
    response = client.post("/compte/connexion/", {"identifier": "marie.dupont", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert b"Marie Dupont" in home.content


def test_demo_data_restores_a_changed_demo_password():
    call_command("load_demo")
    user = User.objects.get(username="marie.dupont")
    user.set_password("another password entirely")
    user.save()
    call_command("load_demo")
    assert authenticate(username="marie.dupont", password=DEMO_PASSWORD) is not None


def test_demo_data_is_never_loaded_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never loaded"):
        call_command("load_demo")
    assert not User.objects.exists()


def test_problem_type_names_follow_the_active_language():
    call_command("load_demo")
    from django.utils import translation

    problem_type = ProblemType.objects.get(slug="compte-bloque")
    with translation.override("fr"):
        assert str(problem_type) == "Compte bloqué"
    with translation.override("en"):
        assert str(problem_type) == "Locked account"


def test_demo_agents_and_admin_come_with_one_authenticator_whose_key_and_code_command_are_printed(capsys):
    call_command("load_demo")
    keys = {device.user.username: device.bin_key for device in AuthenticatorApp.objects.all()}
    call_command("load_demo")
    output = capsys.readouterr().out
    enrolled = {username for username, _, role in DEMO_USERS if role != Role.STAFF}
    devices = AuthenticatorApp.objects.filter(confirmed=True)
    assert {device.user.username for device in devices} == enrolled
    assert devices.count() == len(enrolled)  # the second run reused them
    assert {device.user.username: device.bin_key for device in devices} == keys  # with the same key
    for device in devices:
        assert device.name == DEMO_DEVICE_NAME
        assert mfa.totp_secret(device) in output
        assert f".venv/bin/python manage.py demo_otp {device.user.username}" in output
    assert "demo_otp marie.dupont" not in output


def test_demo_otp_prints_the_code_the_authenticator_shows_now(capsys):
    call_command("load_demo")
    capsys.readouterr()
    call_command("demo_otp", "Sophie.Bernard")
    device = AuthenticatorApp.objects.get(user__username="sophie.bernard")
    code = capsys.readouterr().out.strip()
    # Right at a 30-second boundary the code may have just changed: either side counts.
    assert code in {totp_now(device, offset) for offset in (-1, 0)}


def test_demo_otp_explains_an_unknown_account_or_one_without_authenticator(marie):
    with pytest.raises(CommandError, match="No account"):
        call_command("demo_otp", "personne.inconnue")
    with pytest.raises(CommandError, match="no authenticator"):
        call_command("demo_otp", marie.username)


def test_demo_otp_never_runs_in_production(settings, sophie):
    enrol_totp(sophie)
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never runs"):
        call_command("demo_otp", sophie.username)


def test_demo_incidents_are_filed_once_so_agents_have_something_to_open(capsys):
    from tickets.models import Ticket

    call_command("load_demo")
    call_command("load_demo")
    assert "3 demo incidents filed" in capsys.readouterr().out
    assert Ticket.objects.count() == 3
    login = Ticket.objects.get(problem_type__slug="echec-connexion")
    assert login.requester.username == "marie.dupont"
    assert login.data["other_network_tried"] == "no" and login.data["sso_involved"] == "unknown"
