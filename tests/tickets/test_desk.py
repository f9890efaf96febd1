"""The agents' workspace: who sees which queue, taking and assigning, the queue view's filters and its pages.

Sophie is an agent of every queue; Paul only of the mail service team's queue ("messagerie"); Alain, the
administrator, belongs to none and sees everything.
"""

import datetime
import html
import re

import pytest
from django.test import Client
from django.utils import timezone

from portal.models import Role
from tickets import desk_cache
from tickets.models import Queue, QueueMembership, SavedView, Ticket, TicketEvent, TicketEventKind, TicketStatus
from tickets.references import format_reference
from tickets.search import search_vectors_refresh

pytestmark = pytest.mark.django_db

DESK = "/espace-agents/"
SIGN_IN_FAILURE = "echec-connexion"  # queue niveau-1
QUOTA = "quota"  # queue messagerie


def make(requester, problem_type, count, *, start=0, **fields):
    """``count`` tickets a minute apart, the newest last; references from ``start``."""
    base = timezone.now() - datetime.timedelta(days=1)
    Ticket.objects.bulk_create(
        Ticket(
            reference=format_reference(2026, start + number + 1),
            requester=requester,
            problem_type=problem_type,
            queue_id=problem_type.queue_id,
            data={"error_message": f"Erreur {start + number}"},
            created_at=base + datetime.timedelta(minutes=start + number),
            updated_at=base + datetime.timedelta(minutes=start + number),
            **fields,
        )
        for number in range(count)
    )
    made = Ticket.objects.filter(reference__gte=format_reference(2026, start + 1))
    search_vectors_refresh(made)  # bulk_create skips the filing workflow that indexes a ticket
    return list(made.order_by("pk"))[:count]


def page(response) -> str:
    return html.unescape(response.content.decode())


def references(response) -> list[str]:
    """The references of the page's rows, in their order, as the agent reads them (the page may be a kept one, which
    the test client sees no template context for)."""
    return re.findall(r'<th scope="row"><a href="[^"]*">([^<]+)</a></th>', response.content.decode())


def next_query(response) -> str:
    """The query of the page's "Next page" link; empty on the last page."""
    found = re.search(r'<a href="\?([^"]*)" rel="next">', response.content.decode())
    return html.unescape(found.group(1)) if found else ""


# --- Who sees what ---------------------------------------------------------------------------------------------------


def test_an_agent_sees_only_the_queues_they_belong_to_and_an_admin_sees_all(marie, paul, alain, problem_types, sign_in):
    login, quota = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0], make(marie, problem_types[QUOTA], 1, start=1)[0]
    pauls = sign_in(Client(), paul)
    assert references(pauls.get(DESK)) == [quota.reference]
    assert pauls.get(login.get_absolute_url()).status_code == 404, "another queue's ticket, as if it did not exist"
    assert pauls.get(f"/api/tickets/{login.reference}/").status_code == 404
    assert pauls.get(quota.get_absolute_url()).status_code == 200
    assert pauls.get(f"/api/tickets/{quota.reference}/").status_code == 200
    assert pauls.post(f"{DESK}incidents/{login.reference}/prendre/").status_code == 404
    admins = sign_in(Client(), alain)
    assert set(references(admins.get(DESK))) == {login.reference, quota.reference}


def test_staff_and_unverified_agents_cannot_open_the_workspace(marie, sophie, problem_types, sign_in):
    assert Client().get(DESK).status_code == 302, "signed out: to the sign-in page"
    assert sign_in(Client(), marie).get(DESK).status_code == 403
    unverified = sign_in(Client(), sophie, verified=False)
    assert unverified.get(DESK).status_code in (302, 403)
    ticket = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0]
    assert sign_in(Client(), marie).post(f"{DESK}incidents/{ticket.reference}/prendre/").status_code == 403
    bulk = {"tickets": [ticket.reference], "action": "priority", "priority": "urgent"}
    assert sign_in(Client(), marie).post(f"{DESK}actions-groupees/", bulk).status_code == 403
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.priority) == (None, "normal")


def test_an_agent_without_a_queue_is_told_so(django_user_model, sign_in):
    newcomer = django_user_model.objects.create_user("lea.neuve", "lea@ac-exemple.fr", "x", role=Role.AGENT)
    response = sign_in(Client(), newcomer).get(DESK)
    assert response.status_code == 200
    assert "You are not a member of any queue yet" in page(sign_in(Client(), newcomer).get("/en" + DESK))
    assert references(response) == []


# --- Taking and assigning --------------------------------------------------------------------------------------------


def test_taking_a_new_ticket_assigns_it_and_starts_it_and_the_requester_sees_only_the_status(
    marie, sophie, problem_types, sign_in
):
    ticket = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0]
    agent = sign_in(Client(), sophie)
    response = agent.post(f"{DESK}incidents/{ticket.reference}/prendre/", {"next": DESK + "?assignee=mine"})
    assert response.status_code == 302 and response["Location"] == DESK + "?assignee=mine"
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (sophie, TicketStatus.IN_PROGRESS)
    assigned = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.ASSIGNED)
    assert (assigned.public, assigned.actor, assigned.data) == (False, sophie, {"from": None, "to": "sophie.bernard"})
    assert references(agent.get(DESK, {"assignee": "mine"})) == [ticket.reference]
    seen_by_marie = page(sign_in(Client(), marie).get(ticket.get_absolute_url()))
    assert "In progress" in seen_by_marie or "En cours" in seen_by_marie
    assert "sophie.bernard" not in seen_by_marie

    agent.post(f"{DESK}incidents/{ticket.reference}/prendre/")
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ASSIGNED).count() == 1, "no-op twice"


def test_the_rows_show_what_requesters_typed_as_text_and_their_take_buttons_work(marie, sophie, problem_types, sign_in):
    marie.display_name = 'Marie "<b>" Dupont'
    marie.save(update_fields=["display_name"])
    ticket = make(marie, problem_types[SIGN_IN_FAILURE], 1, title="<script>alert('x')</script> & " + "long " * 30)[0]
    agent = sign_in(Client(enforce_csrf_checks=True), sophie)
    listed = agent.get(DESK).content.decode()
    assert "<script>" not in listed and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; long" in listed
    assert "Marie &quot;&lt;b&gt;&quot; Dupont" in listed
    assert "long long…</td>" in listed  # cut at 90 characters
    # The Take button of the row posts with the page's CSRF token, back to the list it was pressed on.
    action = f'action="/espace-agents/incidents/{ticket.reference}/prendre/"'
    form = listed[listed.index(action) :].split("</form>")[0]
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = agent.post(f"{DESK}incidents/{ticket.reference}/prendre/", {"csrfmiddlewaretoken": token, "next": DESK})
    assert response.status_code == 302 and response["Location"] == DESK
    ticket.refresh_from_db()
    assert ticket.assignee == sophie
    assert f'id="tick-{ticket.reference}"' in agent.get(DESK).content.decode()


def test_a_ticket_goes_only_to_a_member_of_its_queue_and_can_go_back(marie, sophie, paul, problem_types, sign_in):
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0]
    agent = sign_in(Client(), sophie)
    refused = agent.post(f"/en{DESK}incidents/{login.reference}/attribuer/", {"assignee": "paul.roux"}, follow=True)
    assert "not a member of the incident's queue" in page(refused)
    login.refresh_from_db()
    assert login.assignee is None
    unknown = agent.post(f"/en{DESK}incidents/{login.reference}/attribuer/", {"assignee": "personne"}, follow=True)
    assert "Choose a member of the incident's queue" in page(unknown)

    quota = make(marie, problem_types[QUOTA], 1, start=1)[0]
    agent.post(f"{DESK}incidents/{quota.reference}/attribuer/", {"assignee": "paul.roux"})
    quota.refresh_from_db()
    assert quota.assignee == paul
    agent.post(f"{DESK}incidents/{quota.reference}/attribuer/", {"assignee": ""})
    quota.refresh_from_db()
    assert quota.assignee is None
    timeline = " ".join(page(agent.get("/en" + quota.get_absolute_url())).split())
    assert "assigned the incident to paul.roux" in timeline and "put the incident back in its queue" in timeline
    moves = TicketEvent.objects.filter(ticket=quota, kind=TicketEventKind.ASSIGNED).order_by("pk")
    assert [event.data for event in moves] == [{"from": None, "to": "paul.roux"}, {"from": "paul.roux", "to": None}]


def test_a_closed_ticket_is_not_assigned(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[SIGN_IN_FAILURE], 1, status=TicketStatus.CLOSED)[0]
    response = sign_in(Client(), sophie).post(f"/en{DESK}incidents/{ticket.reference}/prendre/", follow=True)
    assert "solved or closed" in page(response)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_the_next_parameter_cannot_send_the_agent_elsewhere(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0]
    response = sign_in(Client(), sophie).post(
        f"{DESK}incidents/{ticket.reference}/prendre/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == ticket.get_absolute_url()


# --- Filters ---------------------------------------------------------------------------------------------------------


def test_filters_combine(marie, jean, sophie, problem_types, sign_in):
    login = make(marie, problem_types[SIGN_IN_FAILURE], 3)
    quota = make(jean, problem_types[QUOTA], 2, start=3, priority="urgent")
    waiting = make(jean, problem_types[QUOTA], 1, start=5, status=TicketStatus.WAITING)[0]
    done = make(marie, problem_types[QUOTA], 1, start=6, status=TicketStatus.SOLVED)[0]
    Ticket.objects.filter(pk=login[0].pk).update(assignee=sophie)
    agent = sign_in(Client(), sophie)

    assert done.reference not in references(agent.get(DESK)), "open tickets by default"
    assert references(agent.get(DESK, {"status": "solved"})) == [done.reference]
    assert set(references(agent.get(DESK, {"problem_type": problem_types[QUOTA].pk, "priority": "urgent"}))) == {
        ticket.reference for ticket in quota
    }
    assert references(agent.get(DESK, {"status": "waiting", "queue": problem_types[QUOTA].queue_id})) == [
        waiting.reference
    ]
    assert references(agent.get(DESK, {"assignee": "mine"})) == [login[0].reference]
    assert login[0].reference not in references(agent.get(DESK, {"assignee": "nobody"}))
    assert references(agent.get(DESK, {"q": login[1].reference.lower()})) == [login[1].reference]
    assert set(references(agent.get(DESK, {"q": "jean.martin"}))) == {t.reference for t in [*quota, waiting]}
    assert references(agent.get(DESK, {"q": "erreur 2"})) == [login[2].reference]
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert len(references(agent.get(DESK, {"created_from": yesterday, "created_to": yesterday}))) in (0, 6)


def test_bad_filters_are_explained_and_nothing_breaks(marie, sophie, problem_types, sign_in):
    make(marie, problem_types[SIGN_IN_FAILURE], 2)
    agent = sign_in(Client(), sophie)
    response = agent.get("/en" + DESK, {"created_from": "2026-12-03", "created_to": "2026-12-01", "priority": "x"})
    assert response.status_code == 400
    text = page(response)
    assert "The end date is before the start date." in text
    assert "Select a valid choice" in text
    assert len(references(response)) == 2, "the list stays, unfiltered"
    for nasty in ({"queue": "abc"}, {"size": "100000"}, {"q": "x" * 5000}, {"status": "\x00"}, {"after": "%%%"}):
        assert agent.get(DESK, nasty).status_code in (200, 400)


# --- Pages -----------------------------------------------------------------------------------------------------------


def test_keyset_pages_cover_every_ticket_once_even_when_tickets_arrive_meanwhile(marie, sophie, problem_types, sign_in):
    make(marie, problem_types[SIGN_IN_FAILURE], 60)
    agent = sign_in(Client(), sophie)
    seen, response = [], agent.get(DESK)
    while True:
        seen += references(response)
        if len(seen) == 25:
            make(marie, problem_types[SIGN_IN_FAILURE], 1, start=500)  # the newest: it belongs before page 1
        following = next_query(response)
        if not following:
            break
        response = agent.get(f"{DESK}?{following}")
    assert len(seen) == len(set(seen)) == 60
    assert seen == sorted(seen, reverse=True)


def test_a_damaged_page_link_gives_the_first_page_with_a_word(marie, sophie, problem_types, sign_in):
    make(marie, problem_types[SIGN_IN_FAILURE], 3)
    response = sign_in(Client(), sophie).get("/en" + DESK, {"after": "bm90LWEtY3Vyc29y"})
    assert response.status_code == 200
    assert "That page link is not valid any more" in page(response)
    assert len(references(response)) == 3


def test_queue_counts_show_open_and_unassigned(marie, sophie, problem_types, sign_in):
    make(marie, problem_types[QUOTA], 4)
    Ticket.objects.filter(pk=Ticket.objects.first().pk).update(assignee=sophie)
    text = page(sign_in(Client(), sophie).get("/en" + DESK))
    assert "4 open, 3 unassigned" in " ".join(text.split())


@pytest.mark.parametrize("size", [25, 100])
def test_the_queue_view_costs_the_same_queries_whatever_the_page_size(
    marie, jean, sophie, problem_types, sign_in, size, django_assert_num_queries
):
    make(marie, problem_types[SIGN_IN_FAILURE], 150)
    make(jean, problem_types[QUOTA], 50, start=150)
    Ticket.objects.filter(pk__in=Ticket.objects.values("pk")[:40]).update(assignee=sophie)
    agent = sign_in(Client(), sophie)
    agent.get(DESK)  # the session's first request writes its last-seen time; measure the next one
    desk_cache.PEOPLE.clear()  # as in a process that has not shown these people yet
    with django_assert_num_queries(DESK_QUERIES):
        response = agent.get(DESK, {"size": size, "sort": "stale"})
    assert len(references(response)) == size
    print(f"\nqueue view, page of {size}: {DESK_QUERIES} queries")


# Session, user, second-factor device, session-list check (the middleware); the page of rows, and the people it names.
# Nothing per row. The filter form's queues, problem types and colleagues and the agent's saved views (4 queries) are
# kept by the process that served the first request (tickets.desk_cache), as are the rows' queues and problem types
# (the form's); the queue counts and the queues' business hours (the SLA countdowns) come from the shared cache.
DESK_QUERIES = 6
# The people the rows name are kept too: a page showing the same people again does not ask for them.
DESK_QUERIES_PEOPLE_KEPT = 5


def test_the_kept_lists_and_forms_follow_every_change_of_queues_teams_and_names(
    marie, sophie, paul, problem_types, sign_in, django_assert_num_queries, django_capture_on_commit_callbacks
):
    make(marie, problem_types[QUOTA], 3, assignee=paul)
    agent = sign_in(Client(), sophie)
    agent.get("/en" + DESK)
    quota_queue = Queue.objects.get(pk=problem_types[QUOTA].queue_id)
    with django_capture_on_commit_callbacks(execute=True):
        quota_queue.name_en = "Mailboxes and quotas"
        quota_queue.save()
        paul.display_name = "Paul Roux-Martin"
        paul.save(update_fields=["display_name"])
    text = page(agent.get("/en" + DESK))
    assert text.count(f'<option value="{paul.username}"') == 2
    assert text.count("Mailboxes and quotas") == 1 + 1 + 3, "the queue's new name: in the filter, its card, each row"
    assert text.count("Paul Roux-Martin") == 1 + 1 + 3, "his: in the assignee filter, the bulk form, each row"
    with django_capture_on_commit_callbacks(execute=True):
        marie.display_name = "Marie Dupont-Leroy"
        marie.save()
    assert page(agent.get("/en" + DESK)).count("Marie Dupont-Leroy") == 3, "the requester's new name on her rows"
    with django_capture_on_commit_callbacks(execute=True):
        QueueMembership.objects.filter(user=paul).delete()
    offered = f'<option value="{paul.username}"'
    assert offered not in page(agent.get("/en" + DESK)), "no longer in a queue of hers: offered in neither form"
    # A sign-in writes the person's last sign-in time, which the workspace does not show: nothing is read again.
    sign_in(Client(), marie)
    with django_assert_num_queries(DESK_QUERIES_PEOPLE_KEPT):
        agent.get("/en" + DESK)


def tokenless(response) -> str:
    """The page without its CSRF tokens, which each answer masks anew."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def written_whole(response) -> bool:
    return "tickets/desk/queue.html" in [template.name for template in response.templates]


@pytest.mark.parametrize(
    "query, rows",
    [
        ("", 25),
        ("?status=solved&status=closed&sort=oldest", 5),
        ("?assignee=nobody&size=100", 20),
        ("?status=bogus", 25),  # the filter's error, over every open incident
        ("next", 15),  # the second page
    ],
)
def test_a_kept_queue_page_is_the_page_written_whole(
    query, rows, marie, sophie, paul, problem_types, sign_in, monkeypatch
):
    make(marie, problem_types[QUOTA], 20, assignee=paul)
    make(marie, problem_types[QUOTA], 20, start=20)
    make(marie, problem_types[QUOTA], 5, start=40, status=TicketStatus.SOLVED)
    agent = sign_in(Client(), sophie)
    if query == "next":
        query = "?" + next_query(agent.get("/en" + DESK))
    url = "/en" + DESK + query
    first, kept = agent.get(url), agent.get(url)
    assert written_whole(first) and not written_whole(kept), "the second answer comes from the kept page"
    monkeypatch.setattr(desk_cache.CATALOGUE, "_usable", lambda: None)  # nothing kept: each part written anew
    whole = agent.get(url)
    assert written_whole(whole)
    assert first.status_code == kept.status_code == whole.status_code
    assert tokenless(kept) == tokenless(whole) == tokenless(first)
    assert len(references(kept)) == rows


def test_the_periodic_job_counts_what_the_queue_cards_show(marie, sophie, problem_types, sign_in):
    from tickets.tasks import refresh_queue_counts

    make(marie, problem_types[QUOTA], 2)
    agent = sign_in(Client(), sophie)

    def cards() -> str:
        return " ".join(page(agent.get("/en" + DESK)).split())

    assert "2 open, 2 unassigned" in cards(), "no count yet: the page counts"
    make(marie, problem_types[QUOTA], 1, start=10)
    assert "2 open, 2 unassigned" in cards(), "the shared count, until the job counts again"
    refresh_queue_counts()
    assert "3 open, 3 unassigned" in cards()


def test_a_kept_queue_page_shows_each_request_its_own_rows_counts_next_link_and_token(
    marie, sophie, problem_types, sign_in, monkeypatch
):
    monkeypatch.setattr("tickets.worklist.COUNTS_SECONDS", 0)  # the queue counts read anew for every request
    make(marie, problem_types[QUOTA], 26)
    agent = sign_in(Client(enforce_csrf_checks=True), sophie)
    first = agent.get("/en" + DESK)
    newest = make(marie, problem_types[QUOTA], 1, start=100)[0]
    second = agent.get("/en" + DESK)
    assert not written_whole(second)
    assert references(second)[0] == newest.reference and len(references(second)) == 25
    assert "27 open, 27 unassigned" in " ".join(page(second).split())
    assert next_query(second) != next_query(first), "the next page starts after this page's last row"
    assert references(agent.get("/en" + DESK + "?" + next_query(second)))[0] == references(first)[-1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', second.content.decode()).group(1)
    assert token != re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.content.decode()).group(1)
    take = f"{DESK}incidents/{newest.reference}/prendre/"
    assert agent.post(take, {"csrfmiddlewaretoken": "x" * 64}).status_code == 403
    assert agent.post(take, {"csrfmiddlewaretoken": token}).status_code == 302, "the kept page's forms work"
    newest.refresh_from_db()
    assert newest.assignee == sophie


def test_a_message_shows_once_on_a_kept_queue_page(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    agent.get("/en" + DESK), agent.get("/en" + DESK)
    agent.post("/en" + BULK, {"tickets": [ticket.reference], "action": "priority", "priority": "urgent", "next": DESK})
    shown = agent.get("/en" + DESK)
    assert "1 incident changed." in page(shown) and written_whole(shown)
    again = agent.get("/en" + DESK)
    assert "1 incident changed." not in page(again) and not written_whole(again)
    assert "Urgent" in page(again)


def test_the_ticket_page_offers_its_queue_members_and_assigns(marie, sophie, paul, alain, problem_types, sign_in):
    quota = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    text = page(agent.get("/en" + quota.get_absolute_url()))
    assert "Assign to" in text and "Paul Roux" in text and "Alain Admin" in text
    agent.post(f"{DESK}incidents/{quota.reference}/attribuer/", {"assignee": "alain.admin"})
    quota.refresh_from_db()
    assert quota.assignee == alain
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=1)[0]
    assert "Paul Roux" not in page(agent.get("/en" + login.get_absolute_url())), "not a member of that queue"
    assert "Assign to" not in page(sign_in(Client(), marie).get("/en" + quota.get_absolute_url()))


# --- Bulk actions ----------------------------------------------------------------------------------------------------

BULK = f"{DESK}actions-groupees/"


def test_a_bulk_action_changes_every_ticked_ticket_each_with_its_event(
    marie, jean, sophie, paul, problem_types, sign_in
):
    tickets = make(marie, problem_types[QUOTA], 3) + make(jean, problem_types[QUOTA], 2, start=3)
    ticked = [ticket.reference for ticket in tickets[:4]]
    agent = sign_in(Client(), sophie)
    response = agent.post(BULK, {"tickets": ticked, "action": "assign", "assignee": "paul.roux", "next": DESK + "?q=x"})
    assert response.status_code == 302 and response["Location"] == DESK + "?q=x"
    assert set(Ticket.objects.filter(assignee=paul).values_list("reference", flat=True)) == set(ticked)
    assert TicketEvent.objects.filter(kind=TicketEventKind.ASSIGNED, ticket__reference__in=ticked).count() == 4

    agent.post(BULK, {"tickets": ticked[:2], "action": "priority", "priority": "urgent"})
    assert (
        list(Ticket.objects.filter(priority="urgent").values_list("reference", flat=True).order_by("pk")) == ticked[:2]
    )

    from django.core import mail

    mail.outbox.clear()
    agent.post(BULK, {"tickets": ticked, "action": "solve", "body": "Le quota a été relevé à 5 Go pour tous."})
    assert Ticket.objects.filter(reference__in=ticked, status=TicketStatus.SOLVED).count() == 4
    assert Ticket.objects.get(pk=tickets[4].pk).status == TicketStatus.NEW, "not ticked, not touched"
    replies = TicketEvent.objects.filter(kind=TicketEventKind.REPLIED, ticket__reference__in=ticked)
    assert {event.body for event in replies} == {"Le quota a été relevé à 5 Go pour tous."} and replies.count() == 4
    assert {message.to[0] for message in mail.outbox} == {"marie.dupont@ac-exemple.fr", "jean.martin@ac-exemple.fr"}


def test_a_bulk_action_is_all_or_nothing_and_says_which_ticket_refused(marie, sophie, paul, problem_types, sign_in):
    quota = make(marie, problem_types[QUOTA], 2)
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=2)[0]
    agent = sign_in(Client(), paul)  # Paul works only the quota's queue
    ticked = [quota[0].reference, login.reference, quota[1].reference]
    response = agent.post("/en" + BULK, {"tickets": ticked, "action": "priority", "priority": "high"})
    assert response.status_code == 409
    assert f"Nothing was changed: {login.reference} refused the action" in page(response)
    assert not Ticket.objects.filter(priority="high").exists()
    assert page(response).count(" checked") >= 2, "the ticked incidents stay ticked"

    Ticket.objects.filter(pk=quota[1].pk).update(status=TicketStatus.CLOSED)
    response = sign_in(Client(), sophie).post(
        "/en" + BULK, {"tickets": [quota[0].reference, quota[1].reference], "action": "solve", "body": "Réglé."}
    )
    assert response.status_code == 409 and "it is closed" in page(response)
    assert not TicketEvent.objects.filter(kind=TicketEventKind.REPLIED).exists(), "the first reply was rolled back"


def test_a_bulk_action_without_what_it_needs_is_explained(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    for data, expected in (
        ({"action": "status"}, "Tick at least one incident."),
        ({"tickets": [ticket.reference], "action": "status"}, "Choose the new status."),
        (
            {"tickets": [ticket.reference], "action": "solve", "body": "  "},
            "Write the reply the requesters will receive.",
        ),
        ({"tickets": [ticket.reference], "action": "assign", "assignee": "nobody.here"}, "Choose a member"),
        ({"tickets": ["INC-2026-99"], "action": "status", "status": "solved"}, "Some ticked incidents do not exist."),
        ({"tickets": [ticket.reference], "action": "drop-table"}, "Select a valid choice"),
    ):
        response = agent.post("/en" + BULK, data)
        assert response.status_code == 400, data
        assert expected in page(response), data
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


# --- CSV export ------------------------------------------------------------------------------------------------------


def test_the_export_streams_every_matching_ticket_and_defuses_formulas(marie, sophie, problem_types, sign_in):
    import csv
    import io

    make(marie, problem_types[QUOTA], 130)
    Ticket.objects.filter(reference=format_reference(2026, 1)).update(title='=HYPERLINK("http://evil")')
    make(marie, problem_types[SIGN_IN_FAILURE], 3, start=130, status=TicketStatus.SOLVED)
    agent = sign_in(Client(), sophie)
    response = agent.get(f"{DESK}export.csv", {"problem_type": problem_types[QUOTA].pk, "sort": "oldest"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="incidents-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff"), "French spreadsheets read UTF-8 with a byte-order mark"
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Référence", "Signalé le", "Dernière activité"]
    assert len(rows) == 131, "every match, not one page"
    assert rows[1][0] == format_reference(2026, 1) and rows[1][9] == '\'=HYPERLINK("http://evil")'
    assert rows[1][3] == "Reçu" and rows[1][6] == "Boîte pleine et quota"

    english = b"".join(agent.get(f"/en{DESK}export.csv", {"status": "solved"}).streaming_content).decode()
    lines = list(csv.reader(io.StringIO(english)))
    assert lines[0][0] == "Reference" and len(lines) == 4 and lines[1][3] == "Solved"


def test_the_export_holds_only_the_agents_queues(marie, paul, problem_types, sign_in):
    make(marie, problem_types[QUOTA], 2)
    make(marie, problem_types[SIGN_IN_FAILURE], 2, start=2)
    text = b"".join(sign_in(Client(), paul).get(f"/en{DESK}export.csv").streaming_content).decode()
    assert text.count("INC-2026-") == 2 and format_reference(2026, 3) not in text
    assert sign_in(Client(), marie).get(f"{DESK}export.csv").status_code == 403


# --- API -------------------------------------------------------------------------------------------------------------


def test_the_queue_api_filters_pages_and_assigns_like_the_pages(marie, sophie, paul, problem_types, sign_in):
    make(marie, problem_types[QUOTA], 30)
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=30)[0]
    agent = sign_in(Client(), paul)
    first = agent.get("/api/queue/", {"size": 25}).json()
    assert len(first["results"]) == 25 and first["next"]
    second = agent.get("/api/queue/", {"size": 25, "after": first["next"]}).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert login.reference not in {row["reference"] for row in first["results"] + second["results"]}
    assert first["results"][0]["queue"] == "messagerie" and first["results"][0]["requester"] == "marie.dupont"

    bad = agent.get("/api/queue/?lang=en", {"created_from": "2026-12-03", "created_to": "2026-12-01"})
    assert bad.status_code == 400 and "created_to" in bad.json()
    assert agent.get("/api/queue/", {"after": "%%%"}).status_code == 400

    reference = first["results"][0]["reference"]
    done = agent.post(f"/api/tickets/{reference}/assign/", {"assignee": "paul.roux"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["assignee"] == "paul.roux"
    refused = agent.post(
        f"/api/tickets/{reference}/assign/?lang=en", {"assignee": "marie.dupont"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "not a member" in refused.json()["assignee"][0]
    hidden = agent.post(f"/api/tickets/{login.reference}/assign/", {"assignee": None}, content_type="application/json")
    assert hidden.status_code == 404
    assert sign_in(Client(), marie).get("/api/queue/").status_code == 403


def test_the_admin_ticket_list_holds_only_the_agents_queues(marie, paul, problem_types, sign_in):
    quota = make(marie, problem_types[QUOTA], 1)[0]
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=1)[0]
    admin_list = page(sign_in(Client(), paul).get("/admin/tickets/ticket/"))
    assert quota.reference in admin_list and login.reference not in admin_list
    assert sign_in(Client(), paul).get(f"/admin/tickets/ticket/{login.pk}/change/").status_code == 302


@pytest.mark.parametrize("replies", [2, 40])
def test_the_agents_ticket_page_costs_the_same_queries_whatever_its_history(
    marie, sophie, problem_types, sign_in, replies, django_assert_num_queries
):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=ticket, kind=TicketEventKind.REPLIED, actor=sophie if n % 2 else marie, body=f"Réponse numéro {n}"
        )
        for n in range(replies)
    )
    agent = sign_in(Client(), sophie)
    agent.get(ticket.get_absolute_url())  # the session's first request writes its last-seen time
    with django_assert_num_queries(TICKET_PAGE_QUERIES):
        response = agent.get(ticket.get_absolute_url())
    assert page(response).count("Réponse numéro ") == replies
    print(f"\nagent's ticket page with {replies} replies: {TICKET_PAGE_QUERIES} queries")


# The middleware's four; the ticket with its joins; the problem type's questions; the phishing report; the timeline
# with its actors and its files (two); whether the agent works the ticket's queue and who may take it. Then the
# agent's panels (tickets.ticket_panels), one query each whatever their rows: the queue's canned answers with their
# article, the requester's other recent incidents, the identifier's security events and, finding none, whether it
# is an account at all, its mail apps repeating an old password, the articles to link. A requester's page runs none
# of these six.
TICKET_PAGE_QUERIES = 17


def test_an_upgrade_keeps_existing_agents_seeing_every_queue(django_user_model, problem_types):
    """Before queue membership every agent saw every ticket: the migration makes existing agents members of every
    queue, so nobody loses their work list on the day of the upgrade."""
    from importlib import import_module

    from django.apps import apps

    upgrade = import_module("tickets.migrations.0011_existing_agents_join_every_queue")
    veteran = django_user_model.objects.create_user("vera.ancienne", "vera@ac-exemple.fr", "x", role=Role.AGENT)
    staff = django_user_model.objects.create_user("staff.only", "staff@ac-exemple.fr", "x", role=Role.STAFF)
    upgrade.existing_agents_join_every_queue(apps, None)
    queues = Queue.objects.count()
    assert QueueMembership.objects.filter(user=veteran).count() == queues
    assert not QueueMembership.objects.filter(user=staff).exists()
    upgrade.existing_agents_join_every_queue(apps, None)  # run twice: nothing doubles
    assert QueueMembership.objects.filter(user=veteran).count() == queues


# --- Saved views -------------------------------------------------------------------------------------------------


def test_an_agent_saves_a_filtered_view_and_opens_it_again(client, sophie, problem_types, sign_in):
    sign_in(client, sophie)
    query = "status=new&priority=high&sla=attention&after=bm90"
    response = client.post("/en" + DESK + "vues/", {"name": "  Urgences   du matin ", "query": query})
    assert response.status_code == 302
    view = SavedView.objects.get(user=sophie)
    assert view.name == "Urgences du matin"
    assert view.query == "status=new&priority=high&sla=attention", "saved without the page cursor"
    page = client.get("/en" + DESK).content.decode()
    assert 'href="/en/espace-agents/?status=new&amp;priority=high&amp;sla=attention">Urgences du matin</a>' in page

    # The same name again replaces it.
    client.post("/en" + DESK + "vues/", {"name": "Urgences du matin", "query": "status=waiting"})
    assert list(SavedView.objects.filter(user=sophie).values_list("query", flat=True)) == ["status=waiting"]


def test_a_view_with_filters_that_do_not_filter_is_refused_and_explained(client, sophie, problem_types, sign_in):
    sign_in(client, sophie)
    response = client.post("/en" + DESK + "vues/", {"name": "Cassée", "query": "priority=extreme"})
    assert response.status_code == 400
    assert "These filters are not valid" in response.content.decode()
    response = client.post("/en" + DESK + "vues/", {"name": "", "query": ""})
    assert response.status_code == 400
    assert not SavedView.objects.exists()


def test_saved_views_are_each_agents_own(client, sophie, problem_types, sign_in, django_user_model):
    other = django_user_model.objects.create_user("paul.agent", "paul@ac-exemple.fr", "x", role=Role.AGENT)
    theirs = SavedView.objects.create(user=other, name="Les miennes", query="assignee=mine")
    sign_in(client, sophie)
    assert "Les miennes" not in client.get(DESK).content.decode()
    assert client.post(f"{DESK}vues/{theirs.pk}/supprimer/").status_code == 404
    assert SavedView.objects.filter(pk=theirs.pk).exists()
    mine = SavedView.objects.create(user=sophie, name="À moi", query="assignee=mine")
    assert client.post(f"{DESK}vues/{mine.pk}/supprimer/").status_code == 302
    assert not SavedView.objects.filter(pk=mine.pk).exists()


def test_saving_views_is_for_agents_only(client, marie, problem_types, sign_in):
    assert client.post(DESK + "vues/", {"name": "x", "query": ""}).status_code == 302  # to sign in
    sign_in(client, marie)
    assert client.post(DESK + "vues/", {"name": "x", "query": ""}).status_code in (403, 404)
    assert not SavedView.objects.exists()


def test_most_urgent_first_then_oldest_pages_through_every_open_ticket_once(
    marie, sophie, problem_types, sign_in, django_assert_num_queries
):
    for start, priority in ((0, "low"), (10, "urgent"), (20, "normal"), (30, "high"), (40, "urgent")):
        make(marie, problem_types[QUOTA], 10, start=start, priority=priority)
    agent = sign_in(Client(), sophie)
    agent.get(DESK)
    seen, after = [], ""
    while True:
        with django_assert_num_queries(DESK_QUERIES_PEOPLE_KEPT):  # every row is Marie's, kept since the first page
            response = agent.get(DESK, {"sort": "urgent", "after": after} if after else {"sort": "urgent"})
        seen += [(ticket.priority, ticket.created_at) for ticket in response.context["page"].rows]
        after = response.context["page"].next_cursor
        if not after:
            break
    assert len(seen) == 50
    assert [priority for priority, _ in seen] == ["urgent"] * 20 + ["high"] * 10 + ["normal"] * 10 + ["low"] * 10
    urgent_times = [moment for priority, moment in seen if priority == "urgent"]
    assert urgent_times == sorted(urgent_times), "the oldest urgent ticket first"
