"""The queue's assignment rules give each new ticket to someone as it is filed, by the form, the API or a job."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from portal.models import Role
from tests.tickets.helpers import login_failure_answers
from tests.tickets.test_api import TICKETS, api_answers
from tickets.models import AssignmentMode, AssignmentRule, QueueMembership, Ticket, TicketEvent, TicketEventKind
from tickets.services import ticket_open_case

pytestmark = pytest.mark.django_db

FORM = "/incidents/signaler/echec-connexion/"


@pytest.fixture
def team(django_user_model, problem_types):
    """Three agents of first-line support (the sign-in failure queue); the third is on leave."""
    queue = problem_types["echec-connexion"].queue
    members = []
    for username, available in (("anne.a", True), ("bruno.b", True), ("chloe.c", False)):
        agent = django_user_model.objects.create_user(username, f"{username}@ac-exemple.fr", "x", role=Role.AGENT)
        QueueMembership.objects.create(queue=queue, user=agent, is_available=available)
        members.append(agent)
    return queue, members


def file_by_form(client) -> Ticket:
    response = client.post(FORM, login_failure_answers())
    assert response.status_code == 302, response.content.decode()[:3000]
    return Ticket.objects.latest("pk")


def test_round_robin_takes_turns_among_available_members_whatever_the_channel(
    client, marie, team, problem_types, sign_in
):
    queue, (anne, bruno, chloe) = team
    AssignmentRule.objects.create(queue=queue, mode=AssignmentMode.ROUND_ROBIN)
    sign_in(client, marie)
    by_form = [file_by_form(client) for _ in range(2)]
    by_api = Ticket.objects.get(
        reference=client.post(TICKETS, api_answers(), content_type="application/json").json()["reference"]
    )
    by_job = ticket_open_case(
        requester=marie, problem_type=problem_types["echec-connexion"], answers=login_failure_answers(), source="job"
    )
    owners = [Ticket.objects.get(pk=ticket.pk).assignee for ticket in [*by_form, by_api, by_job]]
    assert owners == [anne, bruno, anne, bruno], "in turn, never the member on leave"
    assert Ticket.objects.filter(assignee=chloe).count() == 0
    event = TicketEvent.objects.filter(ticket=by_form[0], kind=TicketEventKind.ASSIGNED).get()
    assert (event.actor, event.public, event.data["to"]) == (None, False, "anne.a")
    assert Ticket.objects.get(pk=by_form[0].pk).status == "new", "nobody has started on it yet"


def test_a_problem_type_rule_wins_over_the_queue_rule_and_goes_to_its_owner(
    client, marie, team, problem_types, sign_in
):
    queue, (anne, bruno, _chloe) = team
    AssignmentRule.objects.create(queue=queue, mode=AssignmentMode.ROUND_ROBIN)
    AssignmentRule.objects.create(
        queue=queue, problem_type=problem_types["echec-connexion"], mode=AssignmentMode.OWNER, owner=bruno
    )
    sign_in(client, marie)
    assert [file_by_form(client).assignee for _ in range(3)] == [bruno, bruno, bruno]


def test_without_a_rule_or_anyone_available_the_ticket_waits_in_the_queue(client, marie, team, sign_in):
    queue, members = team
    sign_in(client, marie)
    assert file_by_form(client).assignee is None
    AssignmentRule.objects.create(queue=queue, mode=AssignmentMode.ROUND_ROBIN)
    QueueMembership.objects.filter(queue=queue).update(is_available=False)
    ticket = file_by_form(client)
    assert ticket.assignee is None
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ASSIGNED).exists()


@translation.override("en")
def test_a_rule_for_one_person_needs_a_member_of_the_queue(team, marie, problem_types):
    queue, _members = team
    with pytest.raises(ValidationError) as missing:
        AssignmentRule(queue=queue, mode=AssignmentMode.OWNER).full_clean()
    assert "owner" in missing.value.message_dict
    with pytest.raises(ValidationError) as outsider:
        AssignmentRule(queue=queue, mode=AssignmentMode.OWNER, owner=marie).full_clean()
    assert "not a member of the queue" in outsider.value.message_dict["owner"][0]
    with pytest.raises(ValidationError) as elsewhere:
        AssignmentRule(queue=queue, problem_type=problem_types["quota"], mode=AssignmentMode.ROUND_ROBIN).full_clean()
    assert "another queue" in elsewhere.value.message_dict["problem_type"][0]


def test_rules_are_edited_with_the_queue_by_catalogue_editors(sophie, team, sign_in):
    from tickets.seed import catalogue_editors_grant

    queue, _members = team
    agent = sign_in(Client(), sophie)
    assert (
        'name="assignment_rules-0-mode"' not in agent.get(f"/admin/tickets/queue/{queue.pk}/change/").content.decode()
    )
    catalogue_editors_grant(sophie)
    AssignmentRule.objects.create(queue=queue, mode=AssignmentMode.ROUND_ROBIN)
    page = agent.get(f"/admin/tickets/queue/{queue.pk}/change/").content.decode()
    assert 'name="assignment_rules-0-mode"' in page
