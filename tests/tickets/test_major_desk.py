"""Major incidents in the agents' workspace and their API: confirm, split or dismiss a proposal; one update or
status change told to every linked reporter and affected person; resolving solves the linked tickets. Who may.

Sophie is an agent of every queue; Paul only of the mail service team's queue ("messagerie"), not of the sign-in
failures' ("niveau-1").
"""

import html

import pytest
from django.test import Client

from portal.models import Role
from tickets.correlation import correlate
from tickets.major_incidents import major_incident_join
from tickets.models import (
    MajorIncident,
    MajorIncidentAffected,
    MajorIncidentEventKind,
    MajorIncidentNotice,
    MajorIncidentStatus,
    QueueMembership,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from tickets.services import ticket_create
from tickets.submission import Submission

pytestmark = pytest.mark.django_db

DESK = "/en/espace-agents/"
MAJORS = DESK + "incidents-majeurs/"


@pytest.fixture
def paul(django_user_model, problem_types):
    paul = django_user_model.objects.create_user(
        "paul.roux", "paul.roux@ac-exemple.fr", "x", display_name="Paul Roux", role=Role.AGENT
    )
    QueueMembership.objects.create(queue=problem_types["quota"].queue, user=paul)
    return paul


@pytest.fixture
def reporters(django_user_model):
    return [
        django_user_model.objects.create_user(
            f"rep.{n}", f"rep.{n}@ac-exemple.fr", None, language="en" if n % 2 else "fr"
        )
        for n in range(12)
    ]


@pytest.fixture
def proposal(reporters, problem_types, mailoutbox) -> MajorIncident:
    """Twelve reports of one outage, correlated into a proposal; the "received" e-mails forgotten."""
    for person in reporters:
        ticket_create(
            requester=person,
            problem_type=problem_types["echec-connexion"],
            submission=Submission(answers={"identifier": person.username, "error_message": "Erreur 502 Bad Gateway"}),
        )
    correlate()
    mailoutbox.clear()
    return MajorIncident.objects.get(status=MajorIncidentStatus.PROPOSED)


def page(response) -> str:
    return html.unescape(response.content.decode())


def confirm(client, incident):
    return client.post(
        f"{MAJORS}{incident.pk}/confirmer/",
        {
            "title_fr": "Le webmail ne répond plus",
            "title_en": "The webmail is not answering",
            "public_message_fr": "Nos équipes interviennent.",
            "public_message_en": "Our teams are on it.",
        },
    )


@pytest.fixture
def ongoing(proposal, sophie, sign_in, mailoutbox) -> MajorIncident:
    confirm(sign_in(Client(), sophie), proposal)
    mailoutbox.clear()
    proposal.refresh_from_db()
    return proposal


# --- The pages -----------------------------------------------------------------------------------------------------


def test_the_queue_view_links_to_the_major_incidents_with_the_count_of_proposals(proposal, sophie, sign_in):
    agent = sign_in(Client(), sophie)
    text = " ".join(page(agent.get(DESK)).split())
    assert f'href="{MAJORS}"' in text and "1 proposed" in text
    listing = page(agent.get(MAJORS))
    assert "Simultaneous reports" in listing and f"{MAJORS}{proposal.pk}/" in listing
    assert listing.index("Proposed") < listing.index("Ongoing")


def test_an_incidents_page_shows_its_linked_tickets_in_pages_with_the_same_queries(
    proposal, sophie, sign_in, django_assert_num_queries
):
    agent = sign_in(Client(), sophie)
    agent.get(f"{MAJORS}{proposal.pk}/")  # the session's first request writes its last-seen time
    with django_assert_num_queries(MAJOR_PAGE_QUERIES):
        response = agent.get(f"{MAJORS}{proposal.pk}/")
    assert response.status_code == 200
    assert len(response.context["linked"].object_list) == 12
    assert "Confirm the major incident" in page(response) and "Dismiss the proposal" in page(response)


# The middleware's four; the incident with its two counts (subqueries); the linked tickets' count and their page
# with its joins; the history with its actors. The proposals' count comes from the cache the first request filled.
MAJOR_PAGE_QUERIES = 8


def test_confirming_shows_it_to_the_public_and_tells_every_linked_reporter_once(
    proposal, reporters, sophie, sign_in, mailoutbox
):
    response = confirm(sign_in(Client(), sophie), proposal)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == MajorIncidentStatus.OPEN and proposal.opened_by is None
    assert proposal.title_en == "The webmail is not answering"
    assert "The webmail is not answering" in page(Client().get("/en/"))
    news = TicketEvent.objects.filter(kind=TicketEventKind.MAJOR_INCIDENT_NEWS)
    assert news.count() == 12 and all(event.public for event in news)
    english = news.get(ticket__requester=reporters[1])
    assert english.body == "Our teams are on it." and news.get(ticket__requester=reporters[0]).body.startswith("Nos")
    assert sorted(message.to[0] for message in mailoutbox) == sorted(person.email for person in reporters)
    assert "news of the major incident" in next(m for m in mailoutbox if m.to == [reporters[1].email]).subject
    reporter = sign_in(Client(), reporters[1])
    ticket = Ticket.objects.get(requester=reporters[1])
    assert "Our teams are on it." in page(reporter.get(f"/en/incidents/{ticket.reference}/"))


def test_a_form_left_empty_is_explained_with_a_400_and_nothing_changes(proposal, sophie, sign_in):
    agent = sign_in(Client(), sophie)
    response = agent.post(f"{MAJORS}{proposal.pk}/confirmer/", {"title_fr": "", "title_en": "x"})
    assert response.status_code == 400 and "This field is required." in page(response)
    assert agent.post(f"{MAJORS}{proposal.pk}/scinder/", {"tickets": ["nope"]}).status_code == 400
    assert agent.post(f"{MAJORS}{proposal.pk}/communiquer/", {"message": "x"}).status_code == 302, "not ongoing"
    proposal.refresh_from_db()
    assert proposal.status == MajorIncidentStatus.PROPOSED


def test_splitting_unlinks_the_ticked_tickets_and_the_job_leaves_them_alone(proposal, sophie, sign_in):
    ticked = list(proposal.tickets.order_by("pk").values_list("reference", flat=True)[:3])
    response = sign_in(Client(), sophie).post(f"{MAJORS}{proposal.pk}/scinder/", {"tickets": ticked, "into": "unlink"})
    assert response.status_code == 302
    assert proposal.tickets.count() == 9
    assert not Ticket.objects.filter(reference__in=ticked, major_incident__isnull=False).exists()
    correlate()
    assert not Ticket.objects.filter(reference__in=ticked, major_incident__isnull=False).exists()
    unlinked = TicketEvent.objects.filter(ticket__reference=ticked[0], kind=TicketEventKind.MAJOR_INCIDENT_LINKED)
    assert [event.data.get("major_incident") for event in unlinked] == [proposal.pk, None]
    assert not unlinked.filter(public=True).exists()
    assert proposal.events.filter(kind=MajorIncidentEventKind.SPLIT, data__count=3).exists()


def test_splitting_into_a_new_proposal_moves_them_there(proposal, sophie, sign_in):
    ticked = list(proposal.tickets.order_by("pk").values_list("reference", flat=True)[:2])
    response = sign_in(Client(), sophie).post(f"{MAJORS}{proposal.pk}/scinder/", {"tickets": ticked, "into": "new"})
    created = MajorIncident.objects.exclude(pk=proposal.pk).get()
    assert response["Location"] == f"{MAJORS}{created.pk}/"
    assert created.status == MajorIncidentStatus.PROPOSED
    assert set(created.tickets.values_list("reference", flat=True)) == set(ticked)
    assert proposal.tickets.count() == 10


def test_a_ticket_not_linked_or_outside_ones_queues_cannot_be_split_off(
    proposal, sophie, marie, sign_in, problem_types
):
    other = ticket_create(
        requester=marie, problem_type=problem_types["quota"], submission=Submission(answers={"identifier": "m"})
    )
    response = sign_in(Client(), sophie).post(f"{MAJORS}{proposal.pk}/scinder/", {"tickets": [other.reference]})
    assert response.status_code == 400
    assert proposal.tickets.count() == 12


def test_dismissing_unlinks_everything_and_hides_the_proposal_for_good(proposal, sophie, sign_in):
    response = sign_in(Client(), sophie).post(f"{MAJORS}{proposal.pk}/ecarter/")
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == MajorIncidentStatus.DISMISSED and proposal.dismissed_at is not None
    assert not Ticket.objects.filter(major_incident__isnull=False).exists()
    correlate()
    assert MajorIncident.objects.count() == 1 and not Ticket.objects.filter(major_incident__isnull=False).exists()
    assert sign_in(Client(), sophie).post(f"{MAJORS}{proposal.pk}/ecarter/").status_code == 302  # said, not a 500


def test_an_update_reaches_every_linked_reporter_and_affected_person_once(
    ongoing, reporters, marie, jean, sophie, sign_in, mailoutbox
):
    major_incident_join(incident=ongoing, user=marie)
    major_incident_join(incident=ongoing, user=jean)
    major_incident_join(incident=ongoing, user=reporters[0])  # also a reporter: one e-mail, not two
    second = Ticket.objects.filter(requester=reporters[0]).get()
    ticket_create(
        requester=reporters[0],
        problem_type=second.problem_type,
        submission=Submission(answers={"identifier": "rep.0", "error_message": "Erreur 502 Bad Gateway"}),
    )  # linked at filing: two tickets, still one e-mail
    mailoutbox.clear()
    response = sign_in(Client(), sophie).post(f"{MAJORS}{ongoing.pk}/communiquer/", {"message": "Back by noon."})
    assert response.status_code == 302
    assert TicketEvent.objects.filter(kind=TicketEventKind.MAJOR_INCIDENT_NEWS, body="Back by noon.").count() == 13
    recipients = sorted(message.to[0] for message in mailoutbox)
    assert recipients == sorted([person.email for person in reporters] + [marie.email, jean.email])
    notice = next(message for message in mailoutbox if message.to == [marie.email])
    assert "Back by noon." in notice.body and "Le webmail ne répond plus" in notice.subject
    assert MajorIncidentNotice.objects.count() == 2
    # Delivered again (a task run twice, the sweep): nothing more is sent.
    from portal.celery import app as celery_app

    celery_app.loader.import_default_modules()
    celery_app.tasks["tickets.tasks.send_major_incident_notices"].apply(
        args=[list(MajorIncidentNotice.objects.values_list("pk", flat=True))]
    )
    celery_app.tasks["tickets.tasks.send_ticket_notifications"].apply(
        args=[list(TicketEvent.objects.values_list("pk", flat=True))]
    )
    assert len(mailoutbox) == len(recipients)


def test_the_sweep_sends_a_notice_whose_task_was_lost(ongoing, marie, clock, mailoutbox):
    from tickets.broadcast import incident_broadcast
    from tickets.models import MajorIncidentEvent

    major_incident_join(incident=ongoing, user=marie)
    event = MajorIncidentEvent.objects.create(incident=ongoing, kind=MajorIncidentEventKind.PUBLIC_UPDATE, body="x")
    from unittest import mock

    with mock.patch("portal.web.outbox.queue", autospec=True):  # the broker was down
        incident_broadcast(event=event, by=None)
    mailoutbox.clear()
    clock.advance(minutes=2)
    from portal.celery import app as celery_app

    celery_app.loader.import_default_modules()
    celery_app.tasks["tickets.tasks.deliver_pending_major_incident_notices"].apply()
    assert [message.to for message in mailoutbox] == [[marie.email]]


def test_a_status_change_is_told_too(ongoing, marie, sophie, sign_in, mailoutbox):
    major_incident_join(incident=ongoing, user=marie)
    mailoutbox.clear()
    response = sign_in(Client(), sophie).post(
        f"{MAJORS}{ongoing.pk}/statut/", {"status": "monitoring", "message": "Fixed, we watch."}
    )
    assert response.status_code == 302
    ongoing.refresh_from_db()
    assert ongoing.status == MajorIncidentStatus.MONITORING
    assert len(mailoutbox) == 13
    assert TicketEvent.objects.filter(kind=TicketEventKind.MAJOR_INCIDENT_NEWS, data__status="monitoring").count() == 12


def test_resolving_solves_every_linked_open_ticket_with_the_note_and_tells_everyone(
    ongoing, marie, sophie, sign_in, mailoutbox
):
    major_incident_join(incident=ongoing, user=marie)
    closed = ongoing.tickets.order_by("pk").first()
    Ticket.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED)
    mailoutbox.clear()
    response = sign_in(Client(), sophie).post(f"{MAJORS}{ongoing.pk}/resoudre/", {"note": "Server restarted at 10:40."})
    assert response.status_code == 302
    ongoing.refresh_from_db()
    assert ongoing.status == MajorIncidentStatus.RESOLVED and ongoing.resolved_at is not None
    solved = ongoing.tickets.filter(status=TicketStatus.SOLVED)
    assert solved.count() == 11 and all(ticket.closed_at for ticket in solved)
    assert Ticket.objects.get(pk=closed.pk).status == TicketStatus.CLOSED, "a closed ticket stays closed"
    ticket = solved.first()
    assert list(ticket.events.order_by("pk").values_list("kind", flat=True))[-2:] == [
        TicketEventKind.REPLIED,
        TicketEventKind.STATUS_CHANGED,
    ]
    assert ticket.events.get(kind=TicketEventKind.REPLIED).body == "Server restarted at 10:40."
    assert len(mailoutbox) == 12, "eleven reporters and Marie"
    assert "Solved" in " ".join(message.subject for message in mailoutbox)
    resolved = next(message for message in mailoutbox if message.to == [marie.email])
    assert "resolved" in resolved.subject.lower() or "résolu" in resolved.subject.lower()
    assert "The webmail is not answering" not in page(Client().get("/en/"))


def test_the_admins_resolve_action_resolves_the_tickets_too(ongoing, sophie, sign_in):
    response = sign_in(Client(), sophie).post(
        "/admin/tickets/majorincident/", {"action": "resolve", "_selected_action": [ongoing.pk]}, follow=True
    )
    assert response.status_code == 200
    assert ongoing.tickets.filter(status=TicketStatus.SOLVED).count() == 12


# --- Who may -------------------------------------------------------------------------------------------------------

ACTIONS = ["confirmer/", "scinder/", "ecarter/", "communiquer/", "statut/", "resoudre/"]


def test_only_agents_of_its_queue_reach_an_incidents_pages_and_actions(proposal, marie, paul, alain, sign_in):
    detail = f"{MAJORS}{proposal.pk}/"
    assert Client().get(MAJORS).status_code == 302 and Client().get(detail).status_code == 302
    requester = sign_in(Client(), marie)
    assert requester.get(MAJORS).status_code == 403 and requester.get(detail).status_code == 403
    outsider = sign_in(Client(), paul)
    assert outsider.get(detail).status_code == 404, "another queue's incident, as if it did not exist"
    assert "Simultaneous reports" not in page(outsider.get(MAJORS))
    for action in ACTIONS:
        assert Client().post(detail + action).status_code == 302, action
        assert requester.post(detail + action).status_code == 403, action
        assert outsider.post(detail + action).status_code == 404, action
        assert outsider.get(detail + action).status_code == 405, action
    proposal.refresh_from_db()
    assert proposal.status == MajorIncidentStatus.PROPOSED and proposal.tickets.count() == 12
    assert sign_in(Client(), alain).get(detail).status_code == 200


# --- The API -------------------------------------------------------------------------------------------------------

API = "/api/desk/major-incidents/"


def test_the_api_lists_proposals_for_agents_only_and_the_public_list_still_hides_them(
    proposal, sophie, marie, paul, sign_in
):
    agent = sign_in(Client(), sophie)
    listed = agent.get(API).json()
    assert [(row["id"], row["status"], row["linked_count"]) for row in listed] == [(proposal.pk, "proposed", 12)]
    detail = agent.get(f"{API}{proposal.pk}/").json()
    assert len(detail["tickets"]) == 12 and detail["signature"] == "erreur 502 bad gateway"
    assert agent.get("/api/major-incidents/").json() == []
    assert Client().get(API).status_code in (401, 403)
    assert sign_in(Client(), marie).get(API).status_code == 403
    assert sign_in(Client(), paul).get(API).json() == []
    assert sign_in(Client(), paul).get(f"{API}{proposal.pk}/").status_code == 404


def test_the_api_confirms_updates_changes_the_status_and_resolves(proposal, sophie, sign_in, mailoutbox):
    agent = sign_in(Client(), sophie)
    body = {"title_fr": "Panne", "title_en": "Outage", "public_message_fr": "On s'en occupe."}
    response = agent.post(f"{API}{proposal.pk}/confirm/", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "open"
    assert agent.post(f"{API}{proposal.pk}/confirm/", body, content_type="application/json").status_code == 400
    update = agent.post(f"{API}{proposal.pk}/updates/", {"message": "Soon."}, content_type="application/json")
    assert update.status_code == 200
    status = agent.post(f"{API}{proposal.pk}/status/", {"status": "monitoring"}, content_type="application/json")
    assert status.json()["status"] == "monitoring"
    assert (
        agent.post(f"{API}{proposal.pk}/status/", {"status": "dismissed"}, content_type="application/json").status_code
        == 400
    )
    assert agent.post(f"{API}{proposal.pk}/resolve/", {}, content_type="application/json").status_code == 400
    resolved = agent.post(f"{API}{proposal.pk}/resolve/", {"note": "Fixed."}, content_type="application/json")
    assert resolved.json()["status"] == "resolved"
    assert Ticket.objects.filter(status=TicketStatus.SOLVED).count() == 12


def test_the_api_splits_and_dismisses(proposal, sophie, sign_in):
    agent = sign_in(Client(), sophie)
    ticked = list(proposal.tickets.order_by("pk").values_list("reference", flat=True)[:2])
    split = agent.post(
        f"{API}{proposal.pk}/split/", {"tickets": ticked, "into": "new"}, content_type="application/json"
    )
    assert split.status_code == 200 and split.json()["moved"] == 2 and split.json()["into"]
    wrong = agent.post(f"{API}{proposal.pk}/split/", {"tickets": ticked}, content_type="application/json")
    assert wrong.status_code == 400, "no longer linked to this one"
    dismissed = agent.post(f"{API}{proposal.pk}/dismiss/")
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert dismissed.json()["linked_count"] == 0


def test_every_api_action_refuses_outsiders(proposal, marie, paul, sign_in):
    requester, outsider = sign_in(Client(), marie), sign_in(Client(), paul)
    for action in ("confirm/", "split/", "dismiss/", "updates/", "status/", "resolve/"):
        url = f"{API}{proposal.pk}/{action}"
        assert Client().post(url).status_code in (401, 403), action
        assert requester.post(url).status_code == 403, action
        assert outsider.post(url, {}, content_type="application/json").status_code == 404, action
    assert MajorIncidentAffected.objects.count() == 0
    proposal.refresh_from_db()
    assert proposal.status == MajorIncidentStatus.PROPOSED
