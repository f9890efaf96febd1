"""What an agent of the ticket's queue reads on its page besides the timeline: the answers at a glance, the
requester's other recent incidents, the security events of the identifier concerned, and what the reply tools
offer (canned answers, articles to link). Each panel is one or two queries, whatever the history; a requester's page
asks none of them."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kb.selectors import linkable_articles
from portal.identity.selectors import recent_security_history
from portal.web.language import content_language
from tickets.fields.answers import YES, answer_label
from tickets.fields.keys import FieldKey
from tickets.fields.vocabulary import KINDS
from tickets.models import Ticket
from tickets.solutions import canned_answers_for, canned_text, requester_language

GLANCE_KEYS = (
    FieldKey.IDENTIFIER,
    FieldKey.OCCURRED_AT,
    FieldKey.ERROR_MESSAGE,
    FieldKey.URL,
    FieldKey.BROWSER,
    FieldKey.OTHER_BROWSER_TRIED,
    FieldKey.OTHER_NETWORK_TRIED,
    FieldKey.OTP_INVOLVED,
    FieldKey.SSO_INVOLVED,
)
OTHER_TICKETS = 5
SECURITY_DAYS = 30
NOT_SAID = _("not said")


@dataclass(frozen=True)
class Glance:
    key: str
    label: str
    value: str

    @property
    def said(self) -> bool:
        return bool(self.value)


def answers_at_a_glance(ticket: Ticket) -> list[Glance]:
    """The answers agents check first, always in the same order; an empty value is one the requester did not give
    (or their form did not ask)."""
    data = ticket.data or {}
    rows = []
    for key in GLANCE_KEYS:
        value = KINDS[key].display(data)
        if key == FieldKey.OTHER_BROWSER_TRIED and answer_label(data.get(key)) == answer_label(YES):
            other = KINDS[FieldKey.OTHER_BROWSER].display(data)
            value = f"{value} ({other})" if other else value
        rows.append(Glance(key=key, label=KINDS[key].label, value=value))
    return rows


def identifier_concerned(ticket: Ticket) -> str:
    """The identifier the incident is about: the one typed on the form, else the requester's own."""
    return str((ticket.data or {}).get(FieldKey.IDENTIFIER) or ticket.requester.username)


def other_recent_tickets(ticket: Ticket, *, viewer, limit: int = OTHER_TICKETS) -> list[Ticket]:
    """The requester's latest incidents besides this one, among those ``viewer`` may see. One query."""
    return list(
        Ticket.objects.visible_to(viewer)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .select_related("problem_type")
        .only("reference", "status", "title", "data", "created_at", "problem_type__name_fr", "problem_type__name_en")
        .order_by("-created_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class CannedChoice:
    pk: int
    title: str
    text: str
    article_slug: str


def agent_panels(ticket: Ticket, *, viewer) -> dict:
    """The agent's panels and reply tools, for tickets/detail.html."""
    language = requester_language(ticket)
    canned = [
        CannedChoice(
            pk=answer.pk,
            title=answer.title,
            text=canned_text(answer, language=language),
            article_slug=answer.article.slug if answer.article_id else "",
        )
        for answer in canned_answers_for(ticket)
    ]
    return {
        "glance": answers_at_a_glance(ticket),
        "not_said": NOT_SAID,
        "other_tickets": other_recent_tickets(ticket, viewer=viewer),
        "security": recent_security_history(identifier_concerned(ticket), viewer=viewer, days=SECURITY_DAYS),
        "canned_answers": canned,
        "linkable_articles": linkable_articles(language=content_language()),
        "requester_language": language,
    }
