"""Demo accounts, queues, problem types and a few incidents, so a newcomer can try every side of the portal at once.

Idempotent: running it again restores the demo accounts' passwords and roles and leaves other data alone; the demo
incidents are filed once (through tickets.services.ticket_open_case, checked as the incident form checks them), only
while the demo staff have none.
Agents and the admin must use a second factor, so each comes with a confirmed authenticator app whose key and
current code (`manage.py demo_otp`) are printed.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from portal.identity import mfa
from portal.models import AuthenticatorApp, MailClient, Role, User
from portal.models.security import Source
from tickets.models import ProblemType, Queue, QueueMembership
from tickets.seed import (
    canned_answer_editors_grant,
    canned_answers_seed,
    catalogue_editors_grant,
    sla_seed,
    standard_catalog_seed,
)

# Passes the portal's own policy (no organisation word, no name), so a demo account signs in without being sent to
# change it (tests/portal/test_demo_data.py checks it against every validator).
DEMO_PASSWORD = "Lavande-Ardoise-2026"
DEMO_DEVICE_NAME = "Application de démonstration"

# (requester, problem type, answers): the rest (identifier, time) is filled in as the form would.
DEMO_INCIDENTS = [
    (
        "marie.dupont",
        "echec-connexion",
        {
            "error_message": "token badvalue",
            "url": "https://webmail.ac-exemple.fr/",
            "occurred_at_tz": "Europe/Paris",
            "browser": "Firefox 128",
            "device": "Windows 10 / 11",
            "other_browser_tried": "yes",
            "other_browser": "Edge 131",
            "other_network_tried": "no",
            "otp_involved": "no",
            "sso_involved": "unknown",
            "vpn_used": "no",
            "description": "Depuis ce matin, la page de connexion revient après chaque tentative.",
        },
    ),
    (
        "jean.martin",
        "otp-mfa",
        {
            "error_message": "Code incorrect",
            "occurred_at_tz": "Europe/Paris",
            "device": "iPhone 13, FreeOTP",
            "description": "J'ai changé de téléphone hier ; le code de l'application est toujours refusé.",
        },
    ),
    (
        "marie.dupont",
        "quota",
        {
            "error_message": "Votre boîte aux lettres a dépassé la limite de taille",
            "device": "Thunderbird",
            "description": "Je ne reçois plus de messages depuis lundi.",
        },
    ),
]

DEMO_USERS = [
    ("marie.dupont", "Marie Dupont", Role.STAFF),
    ("jean.martin", "Jean Martin", Role.STAFF),
    ("sophie.bernard", "Sophie Bernard", Role.AGENT),
    ("karim.benali", "Karim Benali", Role.AGENT),
    ("admin.guichet", "Administration Guichet", Role.ADMIN),
]


class Command(BaseCommand):
    help = "Create or refresh the demo accounts, queues and problem types (development only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data has known passwords; it is never loaded when DJANGO_ENV=production.")
        enrolled = []
        with transaction.atomic():
            # Queues, problem types and their questions (migration 0003 already made them; an agent's edits stay).
            standard_catalog_seed()
            sla_seed()
            for username, display_name, role in DEMO_USERS:
                user, _ = User.objects.update_or_create(
                    username=username,
                    defaults={
                        "display_name": display_name,
                        "email": f"{username}@demo.guichet.invalid",
                        "recovery_email": f"{username}.perso@demo.guichet.invalid",
                        "role": role,
                        "is_active": True,
                    },
                )
                user.set_password(DEMO_PASSWORD)
                user.password_changed_at = timezone.now()
                user.save(update_fields=["password", "password_changed_at"])
                if user.is_agent:
                    enrolled.append(self._demo_device(user))
            # The demo's agents work every queue, Sophie leads them and may edit the catalogue.
            catalogue_editors_grant(User.objects.get(username="sophie.bernard"))
            canned_answer_editors_grant(User.objects.get(username="sophie.bernard"))
            for queue in Queue.objects.all():
                for agent in User.objects.filter(role=Role.AGENT):
                    QueueMembership.objects.get_or_create(
                        queue=queue, user=agent, defaults={"is_lead": agent.username == "sophie.bernard"}
                    )
            # An HR record for Marie (phone and line manager), so the helpdesk's call-back check can be tried.
            User.objects.filter(username="marie.dupont").update(
                hr_phone="01 99 00 56 78", line_manager=User.objects.get(username="jean.martin")
            )
            # Marie's phone still polls IMAP with her previous password: her security page, and the agents' view
            # of her account, show it (portal.identity.stale_clients).
            now = timezone.now()
            MailClient.objects.update_or_create(
                identifier="marie.dupont",
                protocol=Source.IMAP,
                device="iPhone Mail",
                defaults={
                    "pwhash": "5a3",
                    "repeats": 11,
                    "first_failure_at": now - timedelta(hours=3),
                    "last_failure_at": now - timedelta(minutes=4),
                    "last_ip": "203.0.113.40",
                },
            )

        self.stdout.write(
            self.style.SUCCESS("Demo data ready.") + " Accounts (password for all: " + DEMO_PASSWORD + "):"
        )
        for username, display_name, role in DEMO_USERS:
            self.stdout.write(f"  {username:<16} {str(Role(role).label):<20} {display_name}")
        filed = self._demo_incidents()
        self.stdout.write(
            f"  {Queue.objects.count()} queues, {ProblemType.objects.count()} problem types, "
            f"{filed} demo incidents filed."
        )
        self._load_knowledge_base()
        self.stdout.write(f"  {canned_answers_seed()} canned answers created.")
        self.stdout.write(
            "Agents and the administrator also need a code: add their key to an authenticator app, "
            "or print the current code with the command shown."
        )
        for device in enrolled:
            username = device.user.username
            self.stdout.write(f"  {username:<16} key  {mfa.totp_secret(device)}")
            self.stdout.write(f"  {'':<16} code .venv/bin/python manage.py demo_otp {username}")

    def _load_knowledge_base(self):
        """The articles of kb/content/ and the thesaurus of kb/thesaurus/. The loader never overwrites an article
        or a concept edited in the portal; a bad file is reported and skips the knowledge base only, so the demo
        accounts are still usable."""
        from kb.loader import ContentError, load_articles
        from kb.thesaurus import load_thesaurus

        try:
            report = load_articles()
            concepts = load_thesaurus()
        except (ContentError, ValueError) as error:
            self.stderr.write(f"Knowledge base not loaded:\n  {error}")
            return
        self.stdout.write(f"  {report.summary()}\n  {concepts.summary()}")

    @staticmethod
    def _demo_incidents() -> int:
        """Marie's and Jean's incidents, filed as the form files them; none when they already have some."""
        from tickets.models import Ticket
        from tickets.services import ticket_open_case
        from tickets.submission import TicketSource

        staff = {user.username: user for user in User.objects.filter(username__in=("marie.dupont", "jean.martin"))}
        if Ticket.objects.filter(requester__in=staff.values()).exists():
            return 0
        moment = timezone.localtime() - timedelta(hours=2)
        filed = 0
        for username, slug, answers in DEMO_INCIDENTS:
            problem_type = ProblemType.objects.get(slug=slug)
            data = {"identifier": username, "occurred_at": moment.strftime("%Y-%m-%dT%H:%M"), **answers}
            try:
                ticket_open_case(
                    requester=staff[username],
                    problem_type=problem_type,
                    answers=data,
                    source=TicketSource.DEMO,
                    by=staff[username],
                )
            except ValidationError:  # a problem type an agent edited may ask more: skip it rather than fail
                continue
            filed += 1
        return filed

    @staticmethod
    def _demo_device(user) -> AuthenticatorApp:
        """The account's demo authenticator, created once and kept (with its key) on later runs."""
        device, _ = AuthenticatorApp.objects.update_or_create(
            user=user, name=DEMO_DEVICE_NAME, defaults={"confirmed": True}
        )
        return device
