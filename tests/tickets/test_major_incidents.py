"""Known ongoing incidents: opened by agents in the admin, shown first, "I'm affected too" instead of a duplicate."""

import pytest
from django.test import Client
from django.utils import timezone

from tickets.models import (
    MajorIncident,
    MajorIncidentAffected,
    MajorIncidentEvent,
    MajorIncidentEventKind,
    MajorIncidentStatus,
    Ticket,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage(problem_types):
    return MajorIncident.objects.create(
        title_fr="Le webmail ne répond plus",
        title_en="The webmail is not answering",
        problem_type=problem_types["echec-connexion"],
        error_messages="Erreur 502\nService indisponible",
        public_message_fr="Nos équipes interviennent.",
        public_message_en="Our teams are on it.",
    )


def test_an_agent_opens_one_in_the_admin_and_it_is_recorded(client, sign_in, sophie, problem_types):
    sign_in(client, sophie)
    response = client.post(
        "/admin/tickets/majorincident/add/",
        {
            "title_fr": "Boucle SSO",
            "title_en": "SSO loop",
            "problem_type": problem_types["sso"].pk,
            "status": "open",
            "error_messages": "",
            "public_message_fr": "",
            "public_message_en": "",
            "opened_at_0": "2026-11-22",
            "opened_at_1": "08:00:00",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = MajorIncident.objects.get()
    assert incident.opened_by == sophie
    assert MajorIncidentEvent.objects.get().kind == MajorIncidentEventKind.OPENED


def test_it_is_shown_first_on_the_home_page_the_choice_and_the_form(client, sign_in, marie, outage):
    for path in ("/en/", "/en/incidents/signaler/", "/en/incidents/signaler/echec-connexion/"):
        if path != "/en/":
            sign_in(client, marie)
        page = client.get(path).content.decode()
        assert "Known ongoing incidents" in page, path
        assert "The webmail is not answering" in page and "Our teams are on it." in page
        assert page.index("Known ongoing incidents") < page.index("<footer")
    form_page = client.get("/en/incidents/signaler/echec-connexion/").content.decode()
    assert form_page.index("The webmail is not answering") < form_page.index('name="error_message"')
    # Not before the forms of another problem type.
    assert "The webmail is not answering" not in client.get("/en/incidents/signaler/quota/").content.decode()


def test_signed_out_visitors_see_it_without_the_button(client, outage):
    page = client.get("/en/").content.decode()
    assert "The webmail is not answering" in page
    assert "I&#x27;m affected too" not in page and "Sign in to tell us you are affected" in page


def test_im_affected_too_links_the_person_once_without_a_ticket(client, sign_in, marie, outage):
    sign_in(client, marie)
    url = f"/en/incidents/incidents-majeurs/{outage.pk}/je-suis-concerne/"
    response = client.post(url, {"next": "/en/incidents/signaler/echec-connexion/"})
    assert response.status_code == 302 and response["Location"] == "/en/incidents/signaler/echec-connexion/"
    client.post(url, {"next": "https://evil.example/"})
    assert MajorIncidentAffected.objects.filter(incident=outage, user=marie).count() == 1
    assert MajorIncidentEvent.objects.filter(incident=outage, kind=MajorIncidentEventKind.AFFECTED).count() == 1
    assert not Ticket.objects.exists()
    page = client.get("/en/incidents/signaler/echec-connexion/").content.decode()
    assert "You told us you are affected." in page and "1 person affected" in page
    assert "The webmail is not answering" in client.get("/en/incidents/").content.decode()


def test_the_redirect_after_it_stays_on_the_site(client, sign_in, marie, outage):
    sign_in(client, marie)
    response = client.post(f"/en/incidents/incidents-majeurs/{outage.pk}/je-suis-concerne/", {"next": "//evil.example"})
    assert response["Location"] == "/en/incidents/"


def test_resolved_incidents_are_no_longer_shown_nor_joinable(client, sign_in, marie, outage):
    outage.status = MajorIncidentStatus.RESOLVED
    outage.save()
    sign_in(client, marie)
    assert "The webmail is not answering" not in client.get("/en/incidents/signaler/").content.decode()
    assert client.post(f"/en/incidents/incidents-majeurs/{outage.pk}/je-suis-concerne/").status_code == 404
    assert client.get("/api/major-incidents/").json() == []


def test_the_api_lists_them_and_takes_im_affected_too(client, sign_in, marie, outage):
    sign_in(client, marie)
    listed = client.get("/api/major-incidents/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert listed[0]["title"] == "The webmail is not answering"
    assert listed[0]["error_messages"] == ["Erreur 502", "Service indisponible"]
    assert listed[0]["you_are_affected"] is False
    assert client.post(f"/api/major-incidents/{outage.pk}/affected/").status_code == 201
    assert client.post(f"/api/major-incidents/{outage.pk}/affected/").status_code == 200
    assert client.get("/api/major-incidents/").json()[0]["affected_count"] == 1


def test_its_error_messages_join_the_known_messages_of_the_form(client, sign_in, marie, outage):
    sign_in(client, marie)
    assert '<option value="Erreur 502">' in client.get("/en/incidents/signaler/echec-connexion/").content.decode()


def test_agents_link_tickets_and_change_status_from_the_admin_with_events(
    client, sign_in, marie, sophie, outage, problem_types, mailoutbox
):
    from tickets.services import ticket_create
    from tickets.submission import Submission

    ticket = ticket_create(
        requester=marie,
        problem_type=problem_types["echec-connexion"],
        submission=Submission(answers={"identifier": "a"}),
    )
    helpdesk = sign_in(Client(), sophie)
    response = helpdesk.post(
        f"/admin/tickets/ticket/{ticket.pk}/change/",
        {
            "status": "in_progress",
            "priority": "high",
            "major_incident": outage.pk,
            "events-TOTAL_FORMS": "1",
            "events-INITIAL_FORMS": "1",
            "events-0-id": ticket.events.get().pk,
            "events-0-ticket": ticket.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.major_incident) == ("in_progress", "high", outage)
    assert list(ticket.events.values_list("kind", flat=True)) == [
        "tickets.ticket.created",
        "tickets.ticket.major_incident_linked",
        "tickets.ticket.status_changed",
        "tickets.ticket.priority_changed",
    ]
    sign_in(client, marie)
    assert "part of a major incident" in client.get(f"/en/incidents/{ticket.reference}/").content.decode()


def test_the_home_page_asks_the_database_nothing_while_no_incident_is_shown_and_shows_a_new_one_at_once(
    client, problem_types, django_assert_num_queries
):
    client.get("/")  # remembers that none is shown
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200
    MajorIncident.objects.create(
        title_fr="La messagerie est inaccessible",
        title_en="Webmail is down",
        problem_type=problem_types["echec-connexion"],
    )
    assert "La messagerie est inaccessible" in client.get("/").content.decode()


def _admin_form(incident, **changes) -> dict:
    """The major incident's change form as the admin posts it, with ``changes`` made. Its opening time is made
    whole seconds first, as when opened in the admin (the form has no microseconds, so it would see a change)."""
    incident.opened_at = incident.opened_at.replace(microsecond=0)
    MajorIncident.objects.filter(pk=incident.pk).update(opened_at=incident.opened_at)
    local = timezone.localtime(incident.opened_at)
    form = {
        "title_fr": incident.title_fr,
        "title_en": incident.title_en,
        "problem_type": incident.problem_type_id or "",
        "status": incident.status,
        "error_messages": incident.error_messages,
        "public_message_fr": incident.public_message_fr,
        "public_message_en": incident.public_message_en,
        "opened_at_0": local.strftime("%Y-%m-%d"),
        "opened_at_1": local.strftime("%H:%M:%S"),
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    return {**form, **changes}


def test_an_agent_editing_one_in_the_admin_leaves_an_event_naming_what_changed_and_who(client, sign_in, sophie, outage):
    sign_in(client, sophie)
    response = client.post(
        f"/admin/tickets/majorincident/{outage.pk}/change/",
        _admin_form(outage, public_message_en="Fixed by noon, we hope."),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = MajorIncidentEvent.objects.get(incident=outage)
    assert (event.kind, event.actor, event.data) == (
        MajorIncidentEventKind.UPDATED,
        sophie,
        {"fields": ["public_message_en"]},
    )
    outage.refresh_from_db()
    assert outage.public_message_en == "Fixed by noon, we hope."


def test_resolving_one_in_the_admin_records_the_status_change_and_hides_it(client, sign_in, sophie, outage):
    sign_in(client, sophie)
    response = client.post(f"/admin/tickets/majorincident/{outage.pk}/change/", _admin_form(outage, status="resolved"))
    assert response.status_code == 302, response.content.decode()[:2000]
    event = MajorIncidentEvent.objects.get(incident=outage)
    assert (event.kind, event.actor, event.data) == (
        MajorIncidentEventKind.STATUS_CHANGED,
        sophie,
        {"from": "open", "to": "resolved"},
    )
    outage.refresh_from_db()
    assert outage.resolved_at is not None
    assert "The webmail is not answering" not in Client().get("/en/").content.decode()


def test_the_resolve_action_of_the_list_resolves_the_ones_ticked_with_their_events(
    client, sign_in, sophie, outage, problem_types
):
    other = MajorIncident.objects.create(title_fr="Quota", title_en="Quota", problem_type=problem_types["quota"])
    sign_in(client, sophie)
    response = client.post(
        "/admin/tickets/majorincident/", {"action": "resolve", "_selected_action": [outage.pk]}, follow=True
    )
    assert response.status_code == 200
    outage.refresh_from_db()
    other.refresh_from_db()
    assert (outage.status, other.status) == ("resolved", "open")
    assert list(MajorIncidentEvent.objects.values_list("incident", "kind", "actor")) == [
        (outage.pk, MajorIncidentEventKind.STATUS_CHANGED, sophie.pk)
    ]


def test_a_job_runs_the_same_lifecycle_and_the_history_says_who_did_what(sophie, problem_types):
    from tickets.major_incidents import major_incident_open, major_incident_resolve, major_incident_update

    incident = major_incident_open(
        title_fr="SSO en boucle", title_en="SSO loop", problem_type=problem_types["sso"], by=None
    )
    major_incident_update(major_incident=incident, error_messages="Erreur 302", title_en="SSO loop", by=None)
    major_incident_resolve(major_incident=incident, by=sophie)
    history = list(incident.events.values_list("kind", "actor", "data"))
    assert history == [
        (MajorIncidentEventKind.OPENED, None, {}),
        (MajorIncidentEventKind.UPDATED, None, {"fields": ["error_messages"]}),  # the title did not change
        (MajorIncidentEventKind.STATUS_CHANGED, sophie.pk, {"from": "open", "to": "resolved"}),
    ]
    incident.refresh_from_db()
    assert incident.resolved_at is not None and not MajorIncident.objects.shown().exists()
