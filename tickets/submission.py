"""What a filing hands to tickets.services: the validated answers, the checked files and the parsed reported message,
and where the filing came from. Kept apart from the forms so that services never import a form."""

import enum
from dataclasses import dataclass, field


@dataclass
class Submission:
    """A validated filing, ready for tickets.services.ticket_create: the answers (JSON), the checked files
    (uploaded file, tickets.uploads.CheckedUpload) and the parsed reported message, if any."""

    answers: dict
    uploads: list = field(default_factory=list)
    reported_message: object = None


class TicketSource(enum.StrEnum):
    """Where an incident was filed from, kept in its "created" event: a job filing on someone's behalf passes its
    own code, so its tickets can be told apart later."""

    PORTAL = "portal"
    API = "api"
    SECURITY = "security"  # "this wasn't me" in a security e-mail (portal.identity.not_me)
    RECOVERY = "recovery"  # "reset my second factor" on the lost-phone page, or an agent's reset (helpdesk_reset)
    ACCOUNT_CHECKS = "account_checks"  # a periodic check of the accounts (portal.identity.account_checks)
    DEMO = "demo"  # manage.py load_demo
