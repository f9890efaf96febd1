"""SLAs on business hours: the due instants of a ticket, the clock stopped while it waits on the requester, and
the job that marks tickets at risk and breached and escalates them, once."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.tickets.helpers import login_failure_answers
from tickets.business_time import AROUND_THE_CLOCK, BusinessClock, public_holidays
from tickets.models import (
    BusinessCalendar,
    HolidayRegion,
    Priority,
    QueueMembership,
    SlaState,
    SlaTarget,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from tickets.seed import SUPPORT_HOURS
from tickets.services import ticket_open_case, ticket_priority_change, ticket_reply, ticket_status_change
from tickets.sla import sla_sweep

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
SUPPORT = BusinessClock(hours=dict.fromkeys(range(5), SUPPORT_HOURS))


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def at(monkeypatch):
    """The server's clock set to an exact moment (SLA arithmetic depends on the weekday and the hour)."""

    class Moment:
        now = paris(2026, 12, 1, 9, 0)  # a Tuesday

        def __call__(self, *args):
            self.now = paris(*args)

        def advance(self, **elapsed):
            self.now += datetime.timedelta(**elapsed)

    moment = Moment()
    monkeypatch.setattr(timezone, "now", lambda: moment.now)
    return moment


def file_ticket(requester, problem_types, slug="echec-connexion", **answers) -> Ticket:
    ticket = ticket_open_case(
        requester=requester, problem_type=problem_types[slug], answers=login_failure_answers(**answers), source="job"
    )
    return Ticket.objects.get(pk=ticket.pk)


# --- The clock ---------------------------------------------------------------------------------------------------


def test_business_time_skips_lunch_nights_and_weekends():
    # Friday 11:00 + 4 h of business time: 1 h 30 before lunch, 2 h 30 in the afternoon.
    assert SUPPORT.add(paris(2026, 12, 4, 11, 0), 240) == paris(2026, 12, 4, 16, 0)
    # Friday 17:00 + 2 h: one hour on Friday, the second on Monday morning.
    assert SUPPORT.add(paris(2026, 12, 4, 17, 0), 120) == paris(2026, 12, 7, 9, 0)
    # Filed on Saturday: the clock starts on Monday at 8:00.
    assert SUPPORT.add(paris(2026, 12, 5, 10, 0), 30) == paris(2026, 12, 7, 8, 30)
    assert SUPPORT.minutes_between(paris(2026, 12, 4, 17, 0), paris(2026, 12, 7, 9, 0)) == 120
    assert SUPPORT.minutes_between(paris(2026, 12, 7, 9, 0), paris(2026, 12, 4, 17, 0)) == -120


def test_public_holidays_close_the_helpdesk_and_alsace_moselle_has_its_own():
    metropolitan = BusinessClock(hours=SUPPORT.hours, closed=public_holidays(HolidayRegion.METROPOLITAN, [2026]))
    alsace = BusinessClock(hours=SUPPORT.hours, closed=public_holidays(HolidayRegion.ALSACE, [2026]))
    # 1 May 2026 is a Friday: Thursday 17:30 + 1 h lands on Monday 4 May.
    assert metropolitan.add(paris(2026, 4, 30, 17, 30), 60) == paris(2026, 5, 4, 8, 30)
    # Good Friday (3 April 2026) is a holiday in Alsace-Moselle only.
    assert metropolitan.is_open(paris(2026, 4, 3, 10, 0))
    assert not alsace.is_open(paris(2026, 4, 3, 10, 0))
    assert datetime.date(2026, 12, 26) in alsace.closed
    assert datetime.date(2026, 12, 26) not in metropolitan.closed


def test_the_opening_hours_stay_local_across_the_summer_time_change():
    # Friday 27 March 2026 17:30 + 1 h: Monday 30 March 8:30 local time, after the clocks went forward on Sunday.
    due = SUPPORT.add(paris(2026, 3, 27, 17, 30), 60)
    assert due.astimezone(PARIS).replace(tzinfo=None) == datetime.datetime(2026, 3, 30, 8, 30)
    assert due.utcoffset() == datetime.timedelta(hours=2)


def test_around_the_clock_counts_every_minute():
    assert AROUND_THE_CLOCK.add(paris(2026, 12, 5, 23, 0), 120) == paris(2026, 12, 6, 1, 0)


# --- A ticket's targets ------------------------------------------------------------------------------------------


def test_filing_sets_both_due_instants_in_the_queues_business_hours(at, marie, problem_types):
    at(2026, 12, 4, 16, 0)  # Friday 16:00; first-line support works 8:00–12:30 and 13:30–18:00
    ticket = file_ticket(marie, problem_types)
    assert ticket.sla_target.priority == Priority.NORMAL
    # Normal priority: first response within 4 business hours, resolution within 24.
    assert ticket.first_response_due == paris(2026, 12, 7, 10, 0)
    assert ticket.resolution_due == SUPPORT.add(paris(2026, 12, 4, 16, 0), 3 * 8 * 60)
    assert ticket.sla_state == SlaState.OK


def test_a_problem_types_own_target_wins_over_the_priority_s(at, marie, problem_types):
    ticket = file_ticket(marie, problem_types, slug="compte-bloque")
    assert ticket.sla_target.problem_type.slug == "compte-bloque"
    assert ticket.first_response_due == at.now + datetime.timedelta(hours=1)


def test_the_security_queue_counts_around_the_clock(at, marie, problem_types):
    from tickets.services import security_case_open

    at(2026, 12, 5, 23, 0)  # Saturday night
    ticket = Ticket.objects.get(pk=security_case_open(requester=marie, title="Ce n'était pas moi", description="").pk)
    assert ticket.priority == Priority.URGENT
    assert ticket.first_response_due == paris(2026, 12, 5, 23, 30)


def test_the_clock_stops_while_the_ticket_waits_for_the_requester(at, marie, sophie, problem_types):
    ticket = file_ticket(marie, problem_types)  # Tuesday 9:00
    due = ticket.resolution_due
    at.advance(hours=1)
    ticket_status_change(ticket=ticket, to=TicketStatus.WAITING, by=sophie)
    at.advance(days=1)  # a whole business day (9 h) waiting: it does not count
    ticket_reply(ticket=Ticket.objects.get(pk=ticket.pk), by=marie, body="Voici la capture demandée.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.sla_paused_minutes == 9 * 60
    assert ticket.resolution_due == SUPPORT.add(due, 9 * 60)


def test_an_agents_first_public_reply_meets_the_first_response_target(at, marie, sophie, problem_types):
    ticket = file_ticket(marie, problem_types)
    ticket_reply(ticket=ticket, by=marie, body="J'ajoute une précision.")
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is None
    at.advance(minutes=20)
    ticket_reply(ticket=ticket, by=sophie, body="Pouvez-vous essayer en navigation privée ?")
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at == at.now


def test_an_agent_raising_the_priority_moves_the_targets(at, marie, sophie, problem_types):
    ticket = file_ticket(marie, problem_types)
    ticket_priority_change(ticket=ticket, priority=Priority.URGENT, by=sophie)
    ticket.refresh_from_db()
    assert ticket.sla_target.priority == Priority.URGENT
    assert ticket.first_response_due == at.now + datetime.timedelta(minutes=30)


# --- The job -----------------------------------------------------------------------------------------------------


def test_the_job_marks_at_risk_then_breached_escalates_and_tells_the_lead_once(at, marie, sophie, problem_types):
    queue = problem_types["echec-connexion"].queue
    QueueMembership.objects.filter(queue=queue, user=sophie).update(is_lead=True)
    ticket = file_ticket(marie, problem_types)  # Tuesday 9:00: first response due 14:00 (lunch skipped)
    mail.outbox.clear()
    assert sla_sweep() == {"items": 0, "actions": 0}

    at(2026, 12, 1, 12, 30)  # half an hour of business time left of four hours: at risk (a quarter or less)
    assert ticket.first_response_due == paris(2026, 12, 1, 14, 0)
    assert sla_sweep()["actions"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.AT_RISK
    assert ticket.sla_next_check == ticket.first_response_due
    assert ticket.priority == Priority.NORMAL

    at(2026, 12, 1, 14, 1)
    assert sla_sweep()["actions"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED
    assert ticket.priority == Priority.HIGH
    assert ticket.sla_next_check is None
    # The breach does not move its own deadline: the target stays the one the ticket was filed with.
    assert ticket.sla_target.priority == Priority.NORMAL
    kinds = list(ticket.events.filter(public=False).values_list("kind", flat=True))
    assert kinds.count(TicketEventKind.SLA_AT_RISK) == 1
    assert kinds.count(TicketEventKind.SLA_BREACHED) == 1
    assert kinds.count(TicketEventKind.PRIORITY_CHANGED) == 1
    assert [message.to for message in mail.outbox] == [[sophie.email]]
    assert ticket.reference in mail.outbox[0].subject
    assert marie.email not in {address for message in mail.outbox for address in message.to}

    # Again, and later: nothing more happens.
    events = TicketEvent.objects.count()
    at.advance(days=2)
    assert sla_sweep() == {"items": 0, "actions": 0}
    assert TicketEvent.objects.count() == events
    assert len(mail.outbox) == 1


def test_a_ticket_answered_and_waiting_is_left_alone_by_the_job(at, marie, sophie, problem_types):
    ticket = file_ticket(marie, problem_types)
    ticket_reply(ticket=ticket, by=sophie, body="Pouvez-vous nous envoyer une capture ?")
    ticket_status_change(ticket=Ticket.objects.get(pk=ticket.pk), to=TicketStatus.WAITING, by=sophie)
    at.advance(days=10)
    assert sla_sweep() == {"items": 0, "actions": 0}
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.OK
    assert not ticket.events.filter(kind=TicketEventKind.SLA_BREACHED).exists()


def test_a_solved_ticket_met_its_target(at, marie, sophie, problem_types):
    ticket = file_ticket(marie, problem_types)
    ticket_reply(ticket=ticket, by=sophie, body="C'est réglé : videz le cache du navigateur.")
    at.advance(hours=1)
    ticket_status_change(ticket=Ticket.objects.get(pk=ticket.pk), to=TicketStatus.SOLVED, by=sophie)
    assert Ticket.objects.get(pk=ticket.pk).sla_state == SlaState.MET


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_the_job_at_once_escalate_each_ticket_once(at, marie, problem_types):
    """On PostgreSQL, where the rows are locked: each run skips the tickets the other holds."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.helpers import requires_services

    requires_services()
    tickets = [file_ticket(marie, problem_types) for _ in range(40)]
    at.advance(days=7)

    def run(_):
        try:
            return sla_sweep()["actions"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        actions = sum(pool.map(run, range(2)))
    assert actions == len(tickets)
    for ticket in tickets:
        assert ticket.events.filter(kind=TicketEventKind.SLA_BREACHED).count() == 1
        assert ticket.events.filter(kind=TicketEventKind.PRIORITY_CHANGED).count() == 1


# --- Administration ----------------------------------------------------------------------------------------------


def test_a_calendar_explains_a_closed_day_that_is_not_a_date():
    calendar = BusinessCalendar(name="Rectorat", closed_days="2026-05-15\n15/05/2026")
    with pytest.raises(ValidationError) as raised:
        calendar.full_clean()
    assert "15/05/2026" in str(raised.value.message_dict["closed_days"])


def test_a_target_cannot_ask_the_first_response_after_the_resolution(problem_types):
    target = SlaTarget(priority=Priority.LOW, first_response_minutes=600, resolution_minutes=60)
    with pytest.raises(ValidationError):
        target.full_clean()


# --- The queue view ----------------------------------------------------------------------------------------------


def test_each_row_shows_the_time_left_and_the_filter_finds_what_needs_attention(
    at, client, marie, sophie, problem_types, sign_in
):
    late = file_ticket(marie, problem_types, title="Ancienne demande")
    at.advance(hours=6)  # Tuesday 15:00: the first one's answer was due at 14:00
    fresh = file_ticket(marie, problem_types, title="Nouvelle demande")
    sla_sweep()
    sign_in(client, sophie)

    page = client.get("/en/espace-agents/").content.decode()
    assert "Breached" in page
    assert "overdue by 1 h" in page
    assert "4 h left" in page  # the fresh one: first response due in four business hours, at 9:00 tomorrow

    attention = client.get("/en/espace-agents/", {"sla": "attention"}).content.decode()
    assert late.reference in attention
    assert fresh.reference not in attention
    assert client.get("/en/espace-agents/", {"sla": "late"}).status_code == 400


def test_calendars_and_targets_are_edited_by_catalogue_editors_only(client, sign_in, sophie, problem_types):
    from tickets.seed import SUPPORT_CALENDAR, catalogue_editors_grant

    calendar = BusinessCalendar.objects.get(name=SUPPORT_CALENDAR)
    url = f"/admin/tickets/businesscalendar/{calendar.pk}/change/"
    sign_in(client, sophie)
    assert client.get(url).status_code == 200, "every agent reads the hours"
    assert 'name="hours-0-opens"' not in client.get(url).content.decode()
    assert client.post(url, {"name": "Fermé", "holiday_region": "", "closed_days": ""}).status_code == 403
    assert client.get("/admin/tickets/slatarget/add/").status_code == 403

    catalogue_editors_grant(sophie)
    assert 'name="hours-0-opens"' in client.get(url).content.decode()
    assert client.get("/admin/tickets/slatarget/add/").status_code == 200
    calendar.refresh_from_db()
    assert calendar.name == SUPPORT_CALENDAR


def test_a_major_incidents_update_answers_its_reports_and_resolving_meets_their_targets(
    at, marie, sophie, problem_types
):
    from tickets.major_incidents import major_incident_open, major_incident_post_update, major_incident_resolve
    from tickets.services import ticket_link_major_incident

    tickets = [file_ticket(marie, problem_types) for _ in range(3)]
    incident = major_incident_open(title_fr="Webmail en panne", title_en="Webmail down", by=sophie)
    for ticket in tickets:
        ticket_link_major_incident(ticket=ticket, incident=incident, by=sophie)
    at.advance(minutes=30)
    major_incident_post_update(major_incident=incident, by=sophie, message="Nous rétablissons le service.")
    assert all(ticket.first_responded_at == at.now for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets]))
    at.advance(minutes=30)
    major_incident_resolve(major_incident=incident, by=sophie, note="Le service est rétabli.")
    at.advance(days=5)
    assert sla_sweep() == {"items": 0, "actions": 0}
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("sla_state", flat=True)) == {
        SlaState.MET
    }


def test_the_agents_ticket_page_shows_the_sla_and_the_requesters_does_not(
    at, client, marie, sophie, problem_types, sign_in
):
    from django.test import Client

    ticket = file_ticket(marie, problem_types)  # Tuesday 9:00
    agent_page = sign_in(client, sophie).get(f"/en/incidents/{ticket.reference}/").content.decode()
    assert "4 h left" in agent_page
    assert "First answer due" in agent_page and "Resolution due" in agent_page
    own_page = sign_in(Client(), marie).get(f"/en/incidents/{ticket.reference}/").content.decode()
    assert "First answer due" not in own_page and "4 h left" not in own_page
