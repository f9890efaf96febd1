import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from portal.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERS
from portal.models import Role, User
from tickets.models import Category, Queue

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
    assert Category.objects.filter(slug="hameconnage", queue__slug="securite").exists()
    assert Category.objects.count() == 9


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

    category = Category.objects.get(slug="compte-bloque")
    with translation.override("fr"):
        assert str(category) == "Compte bloqué"
    with translation.override("en"):
        assert str(category) == "Locked account"
