"""Add, list and revoke the mail servers that may use the policy endpoint (docs/mail-servers.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from portal.identity.mail_policy import mail_server_add, mail_server_revoke
from portal.models import MailServer


class Command(BaseCommand):
    help = "Manage the keys of the mail servers that ask the portal before each login (Dovecot's policy protocol)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="create a server and print its key, once")
        add.add_argument("name", help="a name for the server, for example imap-01")
        actions.add_parser("list", help="the servers, their key prefix and their last request")
        revoke = actions.add_parser("revoke", help="refuse a server's key from now on")
        revoke.add_argument("name")

    def handle(self, *args, action, **options):
        if action == "add":
            name = options["name"].strip()
            if not name or len(name) > 80:
                raise CommandError("The name must be 1 to 80 characters long.")
            try:
                issued = mail_server_add(name=name)
            except IntegrityError:
                raise CommandError(f"A mail server is already named {name!r}.") from None
            self.stderr.write(f"Key of {name}, shown once; in Dovecot's configuration:")
            self.stdout.write(f"auth_policy_server_api_header = Authorization: Bearer {issued.key}")
        elif action == "list":
            for server in MailServer.objects.all():
                state = f"revoked {server.revoked_at:%Y-%m-%d %H:%M}" if server.revoked_at else "active"
                seen = f"{server.last_seen_at:%Y-%m-%d %H:%M}" if server.last_seen_at else "never"
                self.stdout.write(f"{server.name}\tgms_{server.prefix}_…\t{state}\tlast request: {seen}")
        elif not mail_server_revoke(name=options["name"]):
            raise CommandError(f"No active mail server is named {options['name']!r}.")
