"""The agents' ticket actions and bulk actions over the API: the same workflows and rules as the pages, 404 for a
ticket out of the agent's queues, 400 by field for a bad body, 409 naming the ticket that refused."""

import pytest
from django.core import mail
from django.test import Client

from tests.kb.helpers import make_article
from tests.tickets.test_desk import QUOTA, SIGN_IN_FAILURE, make
from tickets.models import ArticleSolution, Ticket, TicketEvent, TicketEventKind, TicketStatus

pytestmark = pytest.mark.django_db

ACTIONS = {
    "reply": {"body": "Pouvez-vous réessayer ?"},
    "status": {"status": "waiting"},
    "priority": {"priority": "urgent"},
    "merge": {"into": "INC-2026-000002"},
    "solved-by-article": {"article": "quota-plein"},
}


def post(client, path, data):
    return client.post(f"{path}?lang=en", data, content_type="application/json")


def test_an_agent_replies_notes_and_changes_status_and_priority(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    base = f"/api/tickets/{ticket.reference}"
    mail.outbox.clear()
    note = post(agent, f"{base}/reply/", {"body": "Vu avec l'équipe système.", "internal": True})
    assert note.status_code == 200 and note.json()["reference"] == ticket.reference
    assert mail.outbox == []
    assert TicketEvent.objects.get(kind=TicketEventKind.NOTE).public is False
    reply = post(agent, f"{base}/reply/", {"body": "Le quota est relevé."})
    assert reply.status_code == 200 and reply.json()["status"] == "in_progress"
    assert TicketEvent.objects.get(kind=TicketEventKind.REPLIED).public
    assert post(agent, f"{base}/status/", {"status": "waiting"}).json()["status"] == "waiting"
    assert post(agent, f"{base}/priority/", {"priority": "high"}).json()["priority"] == "high"
    bad = post(agent, f"{base}/status/", {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()
    assert post(agent, f"{base}/reply/", {}).status_code == 400
    requester_view = sign_in(Client(), marie).get(f"{base}/").json()
    assert "Vu avec" not in str(requester_view), "the note stays out of the requester's API too"


def test_merge_and_solved_by_article_over_the_api(marie, sophie, problem_types, sign_in):
    make_article("quota-plein", title="Boîte pleine", category="mail-clients")
    kept, duplicate, other = make(marie, problem_types[QUOTA], 3)
    agent = sign_in(Client(), sophie)
    merged = post(agent, f"/api/tickets/{duplicate.reference}/merge/", {"into": kept.reference})
    assert merged.status_code == 200 and merged.json()["status"] == "closed"
    again = post(agent, f"/api/tickets/{duplicate.reference}/merge/", {"into": kept.reference})
    assert again.status_code == 409 and again.json()["ticket"] == duplicate.reference
    unknown = post(agent, f"/api/tickets/{other.reference}/merge/", {"into": "INC-2026-999999"})
    assert unknown.status_code == 400 and unknown.json()["into"] == ["No incident you may see has this reference."]
    solved = post(agent, f"/api/tickets/{other.reference}/solved-by-article/", {"article": "quota-plein"})
    assert solved.status_code == 200 and solved.json()["status"] == "solved"
    assert ArticleSolution.objects.filter(ticket=other).count() == 1
    missing = post(agent, f"/api/tickets/{kept.reference}/solved-by-article/", {"article": "nope"})
    assert missing.status_code == 400 and "article" in missing.json()
    closed = post(agent, f"/api/tickets/{duplicate.reference}/reply/", {"body": "x"})
    assert closed.status_code == 409 and closed.json()["ticket"] == duplicate.reference


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_is_for_agents_of_the_queue_only(marie, sophie, paul, problem_types, sign_in, action):
    login = make(marie, problem_types[SIGN_IN_FAILURE], 2)[0]
    path = f"/api/tickets/{login.reference}/{action}/"
    assert post(Client(), path, ACTIONS[action]).status_code in (401, 403)
    assert post(sign_in(Client(), marie), path, ACTIONS[action]).status_code == 403, "the requester"
    assert post(sign_in(Client(), paul), path, ACTIONS[action]).status_code == 404, "another queue's agent"
    assert post(sign_in(Client(), sophie, verified=False), path, ACTIONS[action]).status_code == 403
    assert not TicketEvent.objects.exists()
    login.refresh_from_db()
    assert (login.status, login.priority) == (TicketStatus.NEW, "normal")


def test_bulk_over_the_api_is_all_or_nothing_and_names_the_refusing_ticket(
    marie,
    sophie,
    paul,
    problem_types,
    sign_in,
):
    quota = make(marie, problem_types[QUOTA], 3)
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=3)[0]
    references = [ticket.reference for ticket in quota]
    agent = sign_in(Client(), paul)
    refused = post(agent, "/api/tickets/bulk/", {"tickets": [*references, login.reference], "action": "priority",
                                                  "priority": "high"})  # fmt: skip
    assert refused.status_code == 409 and refused.json()["ticket"] == login.reference
    assert login.reference in refused.json()["detail"]
    assert not Ticket.objects.filter(priority="high").exists()

    merge = post(agent, "/api/tickets/bulk/", {"tickets": references[1:], "action": "merge", "into": references[0]})
    assert merge.status_code == 200 and merge.json() == {"changed": 2}
    assert Ticket.objects.filter(merged_into=quota[0]).count() == 2
    into_hidden = post(agent, "/api/tickets/bulk/", {"tickets": [references[0]], "action": "merge",
                                                      "into": login.reference})  # fmt: skip
    assert into_hidden.status_code == 409 and into_hidden.json()["ticket"] == login.reference

    for body, field in (
        ({"tickets": [references[0]], "action": "status"}, "status"),
        ({"tickets": [references[0]], "action": "solve", "body": " "}, "body"),
        ({"tickets": [references[0]], "action": "merge"}, "into"),
        ({"tickets": [], "action": "priority", "priority": "low"}, "tickets"),
        ({"tickets": ["INC-1"], "action": "priority", "priority": "low"}, "tickets"),
        ({"tickets": [references[0]], "action": "drop"}, "action"),
        ({"tickets": [references[0]], "action": "assign", "assignee": "nobody.here"}, "assignee"),
    ):
        response = post(agent, "/api/tickets/bulk/", body)
        assert response.status_code == 400 and field in response.json(), body
    solve = post(agent, "/api/tickets/bulk/", {"tickets": [references[0]], "action": "solve", "body": "Réglé."})
    assert solve.json() == {"changed": 1}
    assert post(sign_in(Client(), marie), "/api/tickets/bulk/", {"tickets": references, "action": "priority",
                                                                 "priority": "low"}).status_code == 403  # fmt: skip
    assert post(Client(), "/api/tickets/bulk/", {}).status_code in (401, 403)


def test_the_schema_documents_the_new_operations(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in ("/api/tickets/bulk/", "/api/tickets/{reference}/merge/", "/api/tickets/{reference}/reply/",
                 "/api/tickets/{reference}/solved-by-article/"):  # fmt: skip
        assert "409" in schema["paths"][path]["post"]["responses"], path
