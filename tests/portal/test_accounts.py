"""The custom user model: one account per identifier whatever its case, and roles that decide access."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.models import Role, User

pytestmark = pytest.mark.django_db


def test_identifier_is_stored_lowercase_and_found_in_any_case(marie):
    assert marie.username == "marie.dupont"
    assert User.objects.get_by_natural_key("  Marie.DUPONT ") == marie


def test_identifiers_differing_only_by_case_are_one_account(marie):
    with pytest.raises(ValidationError) as error:
        User.objects.create_user("MARIE.Dupont", "autre@ac-exemple.fr", "x" * 16)
    assert "Un compte avec cet identifiant existe déjà." in error.value.messages
    # The database refuses it too, whatever path the row takes.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username="Marie.Dupont")])


@pytest.mark.parametrize("identifier", ["marie dupont", "élodie.martin", ".marie", "marie.", "marie@dupont", ""])
def test_malformed_identifiers_are_refused_with_an_explanation(identifier):
    with pytest.raises(ValidationError) as error:
        User.objects.create_user(identifier, "x@ac-exemple.fr", "x" * 16)
    assert "username" in error.value.message_dict


@pytest.mark.parametrize("identifier", ["marie.dupont", "jean-pierre.martin2", "m.dupont_ext", "a"])
def test_usual_identifiers_are_accepted(identifier):
    assert User.objects.create_user(identifier, "x@ac-exemple.fr", "x" * 16).username == identifier


def test_roles_decide_admin_access(marie, sophie, alain):
    assert (marie.is_staff, marie.is_superuser, marie.is_agent) == (False, False, False)
    assert (sophie.is_staff, sophie.is_superuser, sophie.is_agent) == (True, False, True)
    assert (alain.is_staff, alain.is_superuser) == (True, True)


def test_changing_the_role_updates_superuser_rights_even_with_update_fields(sophie):
    sophie.role = Role.ADMIN
    sophie.save(update_fields=["role"])
    sophie.refresh_from_db()
    assert sophie.is_superuser
    sophie.role = Role.STAFF
    sophie.save(update_fields=["role"])
    sophie.refresh_from_db()
    assert not sophie.is_superuser and not sophie.is_staff


def test_staff_cannot_enter_the_admin(client, marie, alain, sign_in):
    sign_in(client, marie)
    assert client.get("/admin/").status_code == 302
    sign_in(client, alain)
    response = client.get("/admin/portal/user/")
    assert response.status_code == 200
    assert "marie.dupont" in response.content.decode()


def test_admin_can_create_an_account_with_a_role(client, alain, sign_in):
    sign_in(client, alain)
    response = client.post(
        "/admin/portal/user/add/",
        {
            "username": "Paul.Durand",
            "display_name": "Paul Durand",
            "email": "paul.durand@ac-exemple.fr",
            "role": Role.AGENT,
            "password1": "une phrase de passe assez longue",
            "password2": "une phrase de passe assez longue",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(username="paul.durand")
    assert created.role == Role.AGENT and created.is_staff


def test_deactivating_an_account_voids_its_security_stamp(marie):
    before = marie.security_stamp
    marie.is_active = False
    marie.save(update_fields=["is_active"])
    marie.refresh_from_db()
    assert marie.security_stamp != before
