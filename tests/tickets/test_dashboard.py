"""The dashboard: open incidents per queue and status, a day of filings, SLA breaches, the top error messages and
the knowledge base's deflections, for the agent's own queues, each chart with its table."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from portal.models import Role
from tests.tickets.helpers import login_failure_answers
from tickets.models import Deflection, QueueMembership, SlaState, Ticket, TicketEventKind, TicketStatus
from tickets.services import ticket_open_case
from tickets.timeline import event_write

pytestmark = pytest.mark.django_db

DASHBOARD = "/en/espace-agents/tableau-de-bord/"


def file(requester, problem_type, error="Identifiant ou mot de passe incorrect") -> Ticket:
    return ticket_open_case(
        requester=requester,
        problem_type=problem_type,
        answers=login_failure_answers(error_message=error),
        source="job",
    )


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_dashboard_counts_what_is_open_incoming_late_and_deflected(client, marie, sophie, problem_types, sign_in):
    from tests.kb.helpers import make_article

    sign_in_failure = problem_types["echec-connexion"]
    for _ in range(3):
        file(marie, sign_in_failure)
    file(marie, sign_in_failure, error="  IDENTIFIANT ou mot de passe incorrect ")
    other = file(marie, problem_types["quota"], error="Boîte pleine")
    Ticket.objects.filter(pk=other.pk).update(status=TicketStatus.WAITING)
    late = Ticket.objects.filter(problem_type=sign_in_failure).first()
    Ticket.objects.filter(pk=late.pk).update(sla_state=SlaState.BREACHED)
    event_write(late, TicketEventKind.SLA_BREACHED, actor=None, public=False)
    article = make_article("vider-le-cache", title="Vider le cache du navigateur", status="published")
    Deflection.objects.create(user=marie, problem_type=sign_in_failure, article=article)

    response = sign_in(client, sophie).get(DASHBOARD)
    assert response.status_code == 200
    text = text_of(response)
    assert "First-line support 4 0 0 4 0 1" in text, "4 received, none in progress or waiting; 1 breached"
    assert "Mail service team 0 0 1 1" in text
    assert "5 incidents filed." in text
    assert "1 breach over the last 14 days." in text
    # Typed differently, the same message: counted together.
    assert "IDENTIFIANT ou mot de passe incorrect 4" in text
    assert f"{article.title} 1" in text
    page = response.content.decode()
    assert page.count('<svg class="chart"') == 3
    assert page.count('role="img" aria-label=') == 3


def test_an_agent_sees_the_figures_of_their_own_queues_only(client, marie, problem_types, sign_in, django_user_model):
    paul = django_user_model.objects.create_user("paul.roux", "paul@ac-exemple.fr", "x", role=Role.AGENT)
    QueueMembership.objects.create(queue=problem_types["quota"].queue, user=paul)
    file(marie, problem_types["echec-connexion"], error="Erreur secrète du niveau 1")
    text = text_of(sign_in(client, paul).get(DASHBOARD))
    assert "First-line support" not in text
    assert "Erreur secrète" not in text
    assert "0 incidents filed." in text


def test_the_dashboard_is_for_agents_only(client, marie, problem_types, sign_in):
    assert client.get(DASHBOARD).status_code == 302
    assert sign_in(Client(), marie).get(DASHBOARD).status_code in (403, 404)


def test_incoming_hours_are_the_last_24_in_local_time(client, marie, sophie, problem_types, sign_in):
    old = file(marie, problem_types["echec-connexion"])
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=30))
    file(marie, problem_types["echec-connexion"])
    response = sign_in(client, sophie).get(DASHBOARD)
    rows = response.context["incoming"]["rows"]
    assert len(rows) == 24
    assert sum(row["total"] for row in rows) == 1
    assert rows[-1]["total"] == 1
    assert timezone.localtime(rows[-1]["hour"]).hour == timezone.localtime().hour
