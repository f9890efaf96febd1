"""Problem types, filled-in answers and files for the incident tests, created the way the portal creates them."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from portal.models import Role
from tickets.models import ProblemType, Queue, QueueMembership
from tickets.seed import sla_seed, standard_catalog_seed

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)

PHISHING_EML = b"""Return-Path: <bounce@acad3mie-fr.com>
Received: from mail.acad3mie-fr.com (mail.acad3mie-fr.com [203.0.113.7])
 by mx.ac-exemple.fr with ESMTP; Mon, 16 Nov 2026 08:00:00 +0100
From: Service informatique <support@acad3mie-fr.com>
Reply-To: helpdesk@collect-ici.example
To: marie.dupont@ac-exemple.fr
Subject: Votre boite mail sera suspendue
Date: Mon, 16 Nov 2026 08:00:00 +0100
Message-ID: <1234@acad3mie-fr.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><p>Cliquez <a href="https://login.acad3mie-fr.com/verify">https://webmail.ac-exemple.fr</a> pour
garder votre acces.</p><script>alert(1)</script></body></html>
"""

PHISHING_HEADERS = """From: Service informatique <support@acad3mie-fr.com>
To: jean.martin@ac-exemple.fr
Subject: Votre boite mail sera suspendue
Date: Mon, 16 Nov 2026 09:00:00 +0100
Received: from mail.acad3mie-fr.com ([203.0.113.7]) by mx.ac-exemple.fr; Mon, 16 Nov 2026 09:00:00 +0100
"""


def create_problem_types() -> dict[str, ProblemType]:
    """The standard queues and problem types (tickets/seed.py) and their default fields.

    Migration 0003 creates them, but a test after a transactional test finds the tables flushed: seed again."""
    standard_catalog_seed()
    sla_seed()
    for agent in get_user_model().objects.filter(role=Role.AGENT):
        join_every_queue(agent)
    return {problem_type.slug: problem_type for problem_type in ProblemType.objects.all()}


def join_every_queue(agent) -> None:
    """Make ``agent`` a member of every queue there is, as the demo's helpdesk agents are."""
    for queue in Queue.objects.all():
        QueueMembership.objects.get_or_create(queue=queue, user=agent)


def local_time(minutes_ago: int = 5) -> str:
    """A recent wall-clock time in Paris, as a datetime-local field sends it."""
    moment = timezone.localtime(timezone.now() - timedelta(minutes=minutes_ago))
    return moment.strftime("%Y-%m-%dT%H:%M")


def login_failure_answers(**overrides) -> dict:
    """Every required answer of the sign-in failure form, as the browser posts them."""
    answers = {
        "error_message": "Identifiant ou mot de passe incorrect",
        "url": "https://webmail.ac-exemple.fr/",
        "identifier": "marie.dupont",
        "occurred_at": local_time(),
        "occurred_at_tz": "Europe/Paris",
        "browser": "Firefox 128",
        "device": "Linux",
        "other_browser_tried": "no",
        "other_network_tried": "not_applicable",
        "otp_involved": "unknown",
        "sso_involved": "no",
        "vpn_used": "no",
        "description": "Depuis ce matin.",
    }
    answers.update(overrides)
    return answers
