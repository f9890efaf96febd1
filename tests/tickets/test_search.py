"""The agents' search: words of a title, an answer, a reply or an internal note find their ticket, accents aside
(PostgreSQL), best match first; a reference or an identifier alone goes to its tickets; an agent never finds a
ticket outside their queues; no input breaks the page, the API or the export.

Tests that need the text index say so (``requires_services``); the others run on both databases, SQLite through
the plain fallback.
"""

import csv
import datetime
import importlib
import io

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from tests.helpers import requires_services
from tests.tickets.test_desk import DESK, DESK_QUERIES, QUOTA, SIGN_IN_FAILURE, make, next_query, references
from tickets import desk_cache
from tickets.models import Ticket, TicketEvent, TicketEventKind
from tickets.search import CONFIG
from tickets.services import ticket_create, ticket_reply
from tickets.submission import Submission
from tickets.timeline import event_write

pytestmark = pytest.mark.django_db


def file(requester, problem_type, *, title="", description="", days_ago=0):
    answers = {"identifier": requester.username, "title": title, "description": description}
    ticket = ticket_create(requester=requester, problem_type=problem_type, submission=Submission(answers=answers))
    moment = timezone.now() - datetime.timedelta(days=days_ago)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=moment, updated_at=moment)
    return ticket


def note(ticket, *, by, body):
    with transaction.atomic():
        event_write(ticket, TicketEventKind.NOTE, actor=by, body=body, public=False)


def test_a_word_of_a_reply_or_of_an_internal_note_finds_its_ticket(marie, sophie, problem_types, sign_in):
    replied = file(marie, problem_types[QUOTA], title="Boîte pleine")
    noted = file(marie, problem_types[QUOTA], title="Messages perdus")
    other = file(marie, problem_types[QUOTA], title="Quota dépassé")
    ticket_reply(ticket=replied, by=sophie, body="Essayez une fenêtre de navigation privée.")
    note(noted, by=sophie, body="La passerelle smtp-out-03 redémarre en boucle.")
    agent = sign_in(Client(), sophie)

    assert references(agent.get(DESK, {"q": "navigation privée"})) == [replied.reference]
    assert references(agent.get(DESK, {"q": "passerelle"})) == [noted.reference]
    assert other.reference not in references(agent.get(DESK, {"q": "navigation passerelle"})), "every word"


def test_replies_extend_the_search_vector_in_the_same_transaction(marie, sophie, problem_types):
    requires_services()
    ticket = file(marie, problem_types[QUOTA], title="Boîte pleine")
    assert not Ticket.objects.filter(pk=ticket.pk, search_vector="thunderbird").exists()
    ticket_reply(ticket=ticket, by=sophie, body="Thunderbird doit être redémarré.")
    from django.contrib.postgres.search import SearchQuery

    assert Ticket.objects.filter(pk=ticket.pk, search_vector=SearchQuery("thunderbird", config=CONFIG)).exists()
    assert Ticket.objects.filter(pk=ticket.pk, search_vector=SearchQuery("pleine", config=CONFIG)).exists()


def test_accents_and_endings_do_not_matter(marie, sophie, problem_types, sign_in):
    requires_services()
    ticket = file(marie, problem_types[QUOTA], title="Compte bloqué après la mise à jour")
    agent = sign_in(Client(), sophie)
    for typed in ("bloque", "BLOQUÉS", "bloqués mise a jour"):
        assert references(agent.get(DESK, {"q": typed})) == [ticket.reference], typed


def test_a_title_match_ranks_above_a_reply_only_match_and_other_orders_stay(marie, sophie, problem_types, sign_in):
    in_title = file(marie, problem_types[QUOTA], title="Thunderbird ne reçoit plus", days_ago=3)
    in_reply = file(marie, problem_types[QUOTA], title="Messages perdus", days_ago=1)
    ticket_reply(ticket=in_reply, by=sophie, body="Le profil Thunderbird était corrompu.")
    agent = sign_in(Client(), sophie)

    response = agent.get(DESK, {"q": "thunderbird"})
    assert response.context["form"].ordering == "relevance", "best match first while searching words"
    assert references(response) == [in_title.reference, in_reply.reference]
    newest = agent.get(DESK, {"q": "thunderbird", "sort": "newest"})
    assert references(newest) == [in_reply.reference, in_title.reference]
    api = agent.get("/api/queue/", {"q": "thunderbird"}).json()
    assert [row["reference"] for row in api["results"]] == [in_title.reference, in_reply.reference]


def test_ranked_pages_cover_every_match_once(marie, sophie, problem_types, sign_in):
    make(marie, problem_types[QUOTA], 60)
    make(marie, problem_types[QUOTA], 5, start=60, title="Erreur dans le titre")
    agent = sign_in(Client(), sophie)
    seen, response = [], agent.get(DESK, {"q": "erreur"})
    while True:
        seen += references(response)
        if not next_query(response):
            break
        response = agent.get(f"{DESK}?{next_query(response)}")
    assert len(seen) == len(set(seen)) == 65
    assert set(seen[:5]) == {ticket.reference for ticket in Ticket.objects.filter(title__startswith="Erreur")}


def test_filters_combine_with_the_search(marie, jean, sophie, problem_types, sign_in):
    quota = make(marie, problem_types[QUOTA], 2)
    login = make(jean, problem_types[SIGN_IN_FAILURE], 2, start=2, priority="urgent")
    agent = sign_in(Client(), sophie)
    assert set(references(agent.get(DESK, {"q": "erreur"}))) == {t.reference for t in quota + login}
    assert set(references(agent.get(DESK, {"q": "erreur", "priority": "urgent"}))) == {t.reference for t in login}
    assert references(agent.get(DESK, {"q": "erreur", "status": "solved"})) == []


def test_a_reference_or_an_identifier_alone_goes_to_its_tickets(marie, jean, sophie, problem_types, sign_in):
    mine = file(marie, problem_types[QUOTA], title="Boîte pleine")
    theirs = file(jean, problem_types[QUOTA], title="Boîte pleine")
    agent = sign_in(Client(), sophie)
    assert references(agent.get(DESK, {"q": f"  {mine.reference.lower()} "})) == [mine.reference]
    response = agent.get(DESK, {"q": "jean.martin"})
    assert references(response) == [theirs.reference]
    assert response.context["form"].ordering == "newest", "nothing to rank"


def test_agents_never_find_tickets_outside_their_queues(marie, paul, problem_types, sign_in):
    visible = file(marie, problem_types[QUOTA], title="Pièce jointe refusée")
    hidden = file(marie, problem_types[SIGN_IN_FAILURE], title="Pièce jointe refusée")
    note(hidden, by=None, body="pièce jointe")
    agent = sign_in(Client(), paul)
    assert references(agent.get(DESK, {"q": "pièce jointe"})) == [visible.reference]
    assert references(agent.get(DESK, {"q": hidden.reference})) == []
    api = agent.get("/api/queue/", {"q": "pièce jointe"}).json()
    assert [row["reference"] for row in api["results"]] == [visible.reference]
    export = b"".join(agent.get(f"/en{DESK}export.csv", {"q": "pièce jointe"}).streaming_content).decode()
    assert visible.reference in export and hidden.reference not in export
    assert sign_in(Client(), marie).get(DESK, {"q": "pièce"}).status_code == 403
    assert Client().get("/api/queue/", {"q": "pièce"}).status_code in (401, 403)


def test_the_export_holds_the_searchs_matches(marie, sophie, problem_types, sign_in):
    found = file(marie, problem_types[QUOTA], title="Agenda partagé inaccessible")
    file(marie, problem_types[QUOTA], title="Boîte pleine")
    agent = sign_in(Client(), sophie)
    text = b"".join(agent.get(f"/en{DESK}export.csv", {"q": "agenda"}).streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in rows[1:]] == [found.reference]


@pytest.mark.parametrize(
    "typed",
    ["x" * 5000, "&|!:*", "a & b | !c:* <-> (d)", "'\"\\", "\x00 erreur", "le la les de", "*:", "INC-2026-", "a." * 80],
)
def test_no_input_breaks_the_page_the_api_or_the_export(marie, sophie, problem_types, sign_in, typed):
    make(marie, problem_types[QUOTA], 2)
    agent = sign_in(Client(), sophie)
    assert agent.get(DESK, {"q": typed}).status_code in (200, 400)
    assert agent.get("/api/queue/", {"q": typed}).status_code in (200, 400)
    export = agent.get(f"{DESK}export.csv", {"q": typed})
    assert export.status_code == 200
    b"".join(export.streaming_content)
    assert agent.get(DESK, {"q": typed, "after": "MTIzfDQ1"}).status_code in (200, 400)


@pytest.mark.parametrize("size", [25, 100])
def test_a_search_costs_the_same_queries_whatever_the_page_size(
    marie, jean, sophie, problem_types, sign_in, size, django_assert_num_queries
):
    make(marie, problem_types[SIGN_IN_FAILURE], 150)
    make(jean, problem_types[QUOTA], 50, start=150)
    agent = sign_in(Client(), sophie)
    agent.get(DESK)  # the session's first request writes its last-seen time; measure the next one
    for query in ("erreur", "jean.martin"):
        desk_cache.PEOPLE.clear()  # as in a process that has not shown these people yet
        with django_assert_num_queries(DESK_QUERIES):
            response = agent.get(DESK, {"size": size, "q": query})
        assert len(references(response)) == min(size, 150 if query == "erreur" else 50)


def test_the_migration_indexes_the_tickets_already_there(marie, sophie, problem_types, sign_in):
    requires_services()
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    TicketEvent.objects.create(ticket=ticket, kind=TicketEventKind.REPLIED, actor=sophie, body="Synchronisation")
    Ticket.objects.filter(pk=ticket.pk).update(search_vector=None)
    migration = importlib.import_module("tickets.migrations.0015_ticket_search")
    with connection.schema_editor(atomic=False) as editor:
        migration.fill_search_vectors(None, editor)
    agent = sign_in(Client(), sophie)
    assert references(agent.get(DESK, {"q": "synchronisation"})) == [ticket.reference]
