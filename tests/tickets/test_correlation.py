"""Correlation of simultaneous reports: the signature a report gets at filing, the periodic job that proposes a
major incident, its idempotence, and the link of new reports to an ongoing one at filing."""

import random
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from bench.correlation import OUTAGE_MESSAGE, generate, outage_message, outcome
from tests.tickets.helpers import login_failure_answers
from tickets.correlation import correlate, error_signature, keys_alike, report_key
from tickets.models import (
    MajorIncident,
    MajorIncidentEvent,
    MajorIncidentEventKind,
    MajorIncidentStatus,
    Ticket,
    TicketEvent,
    TicketEventKind,
)
from tickets.services import ticket_create
from tickets.submission import Submission

pytestmark = pytest.mark.django_db

FORM = "/en/incidents/signaler/echec-connexion/"


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.GUICHET_CORRELATION_THRESHOLD = 10
    settings.GUICHET_CORRELATION_WINDOW = timedelta(minutes=30)


def file(person, problem_type, message: str, **answers) -> Ticket:
    return ticket_create(
        requester=person,
        problem_type=problem_type,
        submission=Submission(answers={"identifier": person.username, "error_message": message, **answers}),
    )


def reports(django_user_model, problem_type, messages, *, prefix="p") -> list[Ticket]:
    people = [
        django_user_model.objects.create_user(f"{prefix}.{n}", f"{prefix}.{n}@ac-exemple.fr", None)
        for n in range(len(messages))
    ]
    return [file(person, problem_type, message) for person, message in zip(people, messages, strict=True)]


# --- The signature -------------------------------------------------------------------------------------------------


def test_people_typing_the_same_error_get_one_signature():
    typed = [
        "Erreur 502 Bad Gateway",
        "erreur 502 bad gateway !!",
        "ERREUR 502 – BAD GATEWAY.",
        "Érreur 502 bad gateway à 08h32",
        "erreur 502 bad gateway (12/11/2026 09:15:02) pour marie.dupont",
        "Erreur 502 Bad Gateway https://webmail.ac-exemple.fr/?session=a8f3k2 marie.dupont@ac-exemple.fr",
    ]
    signatures = {error_signature(text, personal=["marie.dupont"]) for text in typed}
    assert signatures == {"erreur 502 bad gateway"}


def test_error_codes_and_other_words_keep_errors_apart():
    assert error_signature("Erreur 502 Bad Gateway") != error_signature("Erreur 504 Bad Gateway")
    assert not keys_alike(error_signature("Erreur 502 Bad Gateway"), error_signature("Erreur 504 Bad Gateway"))
    assert error_signature("Code invalide", personal=["Ali"]) == "code invalide", "a name is removed as a word only"
    assert error_signature("Erreur 502", personal=["Agent", "502"]) == "erreur 502", "a number is nobody's name"
    assert error_signature("") == ""


def test_a_typo_makes_a_signature_alike_but_not_the_same():
    right = error_signature(OUTAGE_MESSAGE)
    typo = error_signature(OUTAGE_MESSAGE.replace("Gateway", "Gatway"))
    assert right != typo and keys_alike(right, typo)
    assert not keys_alike(error_signature("Compte verrouillé"), error_signature("Compte déverrouillé"))


def test_filing_stores_the_signature_and_a_phishing_report_its_campaign(marie, problem_types):
    ticket = file(marie, problem_types["echec-connexion"], "Erreur 502 pour marie.dupont à 8h05 !")
    assert ticket.correlation_key == "erreur 502"
    assert report_key(answers={}, requester=marie, campaign="abc") == "phishing:abc"


def test_a_phishing_report_filed_through_the_form_correlates_by_its_campaign(marie, problem_types):
    from tests.tickets.helpers import PHISHING_EML
    from tickets.phishing import parse_message

    message = parse_message(PHISHING_EML)
    ticket = ticket_create(
        requester=marie,
        problem_type=problem_types["hameconnage"],
        submission=Submission(answers={"identifier": "marie.dupont"}, reported_message=message),
    )
    ticket.refresh_from_db()
    assert ticket.correlation_key == "phishing:" + ticket.phishing_report.campaign_key


# --- The job -------------------------------------------------------------------------------------------------------


def test_an_outage_and_unrelated_reports_make_one_proposal_with_every_outage_report_and_no_other(problem_types):
    ids = generate(outage=60, unrelated=30, seed=7)
    result = correlate()
    summary = outcome(ids)
    assert summary["wrongly_linked"] == 0
    assert summary["outage_missed"] == 0 and summary["outage_linked"] == 60
    assert summary["other_proposals_mixing_outage_and_unrelated"] == 0
    incident = MajorIncident.objects.get(pk=summary["incident"])
    assert incident.status == MajorIncidentStatus.PROPOSED
    assert incident.problem_type.slug == "echec-connexion"
    assert result["actions"] >= 60


def test_below_the_threshold_or_outside_the_window_nothing_is_proposed(django_user_model, problem_types, settings):
    reports(django_user_model, problem_types["echec-connexion"], ["Erreur 502"] * 9)
    correlate()
    assert not MajorIncident.objects.exists()
    Ticket.objects.update(created_at=timezone.now() - timedelta(minutes=31))
    reports(django_user_model, problem_types["echec-connexion"], ["Erreur 502"] * 3, prefix="q")
    correlate()
    assert not MajorIncident.objects.exists(), "nine old ones and three new ones are not twelve at once"


def test_the_same_error_in_another_problem_type_is_another_cluster(django_user_model, problem_types):
    reports(django_user_model, problem_types["echec-connexion"], ["Erreur 502"] * 6)
    reports(django_user_model, problem_types["sso"], ["Erreur 502"] * 6, prefix="q")
    correlate()
    assert not MajorIncident.objects.exists()


def test_running_the_job_twice_changes_nothing_more(django_user_model, problem_types):
    reports(django_user_model, problem_types["echec-connexion"], [f"Erreur 502 à 8h{n:02d}" for n in range(12)])
    correlate()
    state = (
        list(Ticket.objects.order_by("pk").values_list("pk", "major_incident_id", "updated_at")),
        TicketEvent.objects.count(),
        MajorIncidentEvent.objects.count(),
        MajorIncident.objects.count(),
    )
    assert correlate() == {"items": 0, "actions": 0}
    assert state == (
        list(Ticket.objects.order_by("pk").values_list("pk", "major_incident_id", "updated_at")),
        TicketEvent.objects.count(),
        MajorIncidentEvent.objects.count(),
        MajorIncident.objects.count(),
    )
    incident = MajorIncident.objects.get()
    assert list(incident.events.values_list("kind", flat=True)) == [
        MajorIncidentEventKind.PROPOSED,
        MajorIncidentEventKind.TICKETS_LINKED,
    ]
    linked = TicketEvent.objects.filter(kind=TicketEventKind.MAJOR_INCIDENT_LINKED)
    assert linked.count() == 12 and not linked.filter(public=True).exists(), "a proposal is not the requester's news"


def test_new_matching_reports_join_the_existing_proposal_instead_of_a_second_one(django_user_model, problem_types):
    reports(django_user_model, problem_types["echec-connexion"], ["Erreur 502"] * 10)
    correlate()
    later = reports(django_user_model, problem_types["echec-connexion"], ["erreur 502 !", "Erreur 502 bad"], prefix="q")
    correlate()
    incident = MajorIncident.objects.get()
    assert incident.tickets.count() == 11 and later[0] in incident.tickets.all()
    assert later[1].major_incident is None


def test_one_proposal_per_signature_is_a_constraint_so_concurrent_runs_cannot_make_two(problem_types):
    fields = {"problem_type": problem_types["sso"], "status": "proposed", "correlation_key": "erreur 502"}
    MajorIncident.objects.create(title_fr="a", title_en="a", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        MajorIncident.objects.create(title_fr="b", title_en="b", **fields)


def test_a_run_that_lost_the_race_links_to_the_proposal_the_other_made(django_user_model, problem_types, monkeypatch):
    from tickets import correlation

    reports(django_user_model, problem_types["echec-connexion"], ["Erreur 502"] * 10)
    real = correlation._open_proposal
    calls = []

    def first_sees_none(cluster):
        # The other run creates its proposal between this run's look-up and its insert.
        calls.append(cluster.head)
        if len(calls) == 1:
            MajorIncident.objects.create(
                title_fr="x",
                title_en="x",
                problem_type_id=cluster.problem_type_id,
                status="proposed",
                correlation_key=cluster.head,
            )
            return None
        return real(cluster)

    monkeypatch.setattr(correlation, "_open_proposal", first_sees_none)
    correlate()
    assert MajorIncident.objects.get().tickets.count() == 10


def test_a_dismissed_signature_is_not_proposed_again_for_the_window(django_user_model, problem_types, sophie, clock):
    from tickets.major_incidents import major_incident_dismiss

    reports(django_user_model, problem_types["echec-connexion"], ["Erreur 502"] * 10)
    correlate()
    major_incident_dismiss(major_incident=MajorIncident.objects.get(), by=sophie)
    reports(django_user_model, problem_types["echec-connexion"], ["Erreur 502"] * 10, prefix="q")
    correlate()
    assert MajorIncident.objects.count() == 1 and not Ticket.objects.filter(major_incident__isnull=False).exists()
    clock.advance(minutes=31)
    reports(django_user_model, problem_types["echec-connexion"], ["Erreur 502"] * 10, prefix="r")
    correlate()
    assert MajorIncident.objects.filter(status="proposed").get().tickets.count() == 10


def test_reports_of_one_phishing_campaign_are_proposed_together(django_user_model, problem_types):
    people = [django_user_model.objects.create_user(f"p.{n}", f"p.{n}@ac-exemple.fr", None) for n in range(11)]
    for number, person in enumerate(people):
        Ticket.objects.create(
            reference=f"INC-2026-{number + 1:06d}",
            requester=person,
            problem_type=problem_types["hameconnage"],
            queue_id=problem_types["hameconnage"].queue_id,
            correlation_key="phishing:ab12cd34" if number < 10 else "phishing:ab12cd35",
        )
    correlate()
    incident = MajorIncident.objects.get()
    assert incident.tickets.count() == 10 and incident.correlation_key == "phishing:ab12cd34"


def test_the_job_is_a_periodic_task_that_records_its_run(problem_types):
    from portal.celery import app as celery_app
    from portal.models import JobRun
    from portal.site.schedule import BEAT_SCHEDULE

    celery_app.loader.import_default_modules()
    assert BEAT_SCHEDULE["correlate-reports"]["task"] == "tickets.tasks.correlate_reports"
    generate(outage=12, unrelated=0, seed=3)
    celery_app.tasks["tickets.tasks.correlate_reports"].apply()
    run = JobRun.objects.get(name="tickets.tasks.correlate_reports")
    assert (run.items, run.actions, run.error) == (1, 12, "")


# --- At filing -----------------------------------------------------------------------------------------------------


@pytest.fixture
def outage(problem_types, sophie):
    from tickets.major_incidents import major_incident_open

    return major_incident_open(
        title_fr="Le webmail ne répond plus",
        title_en="The webmail is not answering",
        problem_type=problem_types["echec-connexion"],
        error_messages="Erreur 502 Bad Gateway",
        public_message_fr="Nos équipes interviennent.",
        public_message_en="Our teams are on it.",
        by=sophie,
    )


def test_a_report_of_an_ongoing_incident_is_linked_at_filing_and_its_reporter_sees_it(
    client, sign_in, marie, outage, problem_types
):
    sign_in(client, marie)
    response = client.post(FORM, login_failure_answers(error_message="erreur 502 bad gateway à 9h12 !"))
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get()
    assert ticket.major_incident == outage
    linked = ticket.events.get(kind=TicketEventKind.MAJOR_INCIDENT_LINKED)
    assert linked.public and linked.data == {"major_incident": outage.pk}
    assert outage.events.filter(kind=MajorIncidentEventKind.TICKETS_LINKED, data__tickets=[ticket.reference]).exists()
    page = client.get(f"/en/incidents/{ticket.reference}/").content.decode()
    assert "The webmail is not answering" in page and "Our teams are on it." in page


def test_another_error_or_a_proposal_is_not_linked_at_filing(marie, outage, problem_types):
    assert file(marie, problem_types["echec-connexion"], "Compte verrouillé").major_incident is None
    assert file(marie, problem_types["quota"], "Erreur 502 Bad Gateway").major_incident is None, "another problem type"
    MajorIncident.objects.filter(pk=outage.pk).update(status="proposed", correlation_key="erreur 502 bad gateway")
    assert file(marie, problem_types["echec-connexion"], "Erreur 502 Bad Gateway").major_incident is None


def test_filing_asks_nothing_more_while_no_incident_is_shown(marie, problem_types, django_assert_num_queries):
    from tickets.correlation import ticket_link_at_filing
    from tickets.major_incidents import any_major_incident_shown

    any_major_incident_shown()  # remembered in the cache, as on any page before
    ticket = file(marie, problem_types["quota"], "Boîte pleine")
    with django_assert_num_queries(0):
        assert ticket_link_at_filing(ticket) is None


# --- Never shown to the public -------------------------------------------------------------------------------------


def test_the_public_never_sees_a_proposal(django_user_model, client, sign_in, marie, problem_types):
    reports(django_user_model, problem_types["echec-connexion"], ["Erreur 502"] * 10)
    ticket = file(marie, problem_types["echec-connexion"], "Erreur 502")
    correlate()
    assert MajorIncident.objects.get().status == "proposed"
    assert Ticket.objects.get(pk=ticket.pk).major_incident_id is not None
    assert Client().get("/en/").content.decode().count("Known ongoing incidents") == 0
    sign_in(client, marie)
    assert client.get("/api/major-incidents/").json() == []
    for path in ("/en/incidents/signaler/echec-connexion/", f"/en/incidents/{ticket.reference}/"):
        page = client.get(path).content.decode()
        assert "Simultaneous reports" not in page and "major incident" not in page.lower(), path
    assert "major_incident" not in str(client.get(f"/api/tickets/{ticket.reference}/").json())


def test_outage_messages_vary_like_people_type_them():
    rng = random.Random(1)  # noqa: S311 - test data, not a secret
    typed = {outage_message(rng, "corr.00001") for _ in range(50)}
    assert len(typed) > 30, "the benchmark's reports are not copies of one string"
