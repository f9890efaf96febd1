"""The custom user model: one account per identifier whatever its case, and roles that decide access."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.models import Role, User

pytestmark = pytest.mark.django_db


def test_identifier_is_stored_lowercase_and_found_in_any_case(staff):
    assert staff.username == "marie.dupont"
    assert User.objects.get_by_natural_key("  Marie.DUPONT ") == staff


def test_identifiers_differing_only_by_case_are_one_account(staff):
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


def test_roles_decide_admin_access(staff, agent, admin_user):
    assert (staff.is_staff, staff.is_superuser, staff.is_agent) == (False, False, False)
    assert (agent.is_staff, agent.is_superuser, agent.is_agent) == (True, False, True)
    assert (admin_user.is_staff, admin_user.is_superuser) == (True, True)


def test_changing_the_role_updates_superuser_rights_even_with_update_fields(agent):
    agent.role = Role.ADMIN
    agent.save(update_fields=["role"])
    agent.refresh_from_db()
    assert agent.is_superuser
    agent.role = Role.STAFF
    agent.save(update_fields=["role"])
    agent.refresh_from_db()
    assert not agent.is_superuser and not agent.is_staff


def test_staff_cannot_enter_the_admin(client, staff, admin_user, sign_in):
    sign_in(client, staff)
    assert client.get("/admin/").status_code == 302
    sign_in(client, admin_user)
    response = client.get("/admin/portal/user/")
    assert response.status_code == 200
    assert "marie.dupont" in response.content.decode()


def test_admin_can_create_an_account_with_a_role(client, admin_user, sign_in):
    sign_in(client, admin_user)
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


def test_deactivating_an_account_voids_its_security_stamp(staff):
    before = staff.security_stamp
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    staff.refresh_from_db()
    assert staff.security_stamp != before
