"""Answers from the knowledge base: canned answers that carry an article's address, and "solved by this article".

An article's address is always given in the requester's language (kb.selectors.article_address), whoever answers.
"""

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from kb.selectors import article_address, article_version
from tickets.assignment import may_work_on
from tickets.models import ArticleSolution, CannedAnswer, Ticket, TicketEventKind, TicketStatus
from tickets.services import TicketActionRefused, ticket_reply, ticket_status_change
from tickets.timeline import event_write


def requester_language(ticket: Ticket) -> str:
    return ticket.requester.language or settings.LANGUAGE_CODE


def canned_answers_for(ticket: Ticket) -> list[CannedAnswer]:
    """The active canned answers of the ticket's queue and of every queue, in order, their article joined. One
    query."""
    return list(
        CannedAnswer.objects.for_queue(ticket.queue_id)
        .select_related("article")
        .only("title_fr", "title_en", "body_fr", "body_en", "position", "article__slug", "article__language")
    )


def canned_text(answer: CannedAnswer, *, language: str) -> str:
    """The answer's text in ``language``, followed by its article's address when it has one."""
    text = answer.body_in(language).strip()
    if answer.article_id:
        text += "\n\n" + article_address(slug=answer.article.slug, language=language)
    return text


def ticket_solve_with_article(*, ticket: Ticket, article, by, body: str = "") -> Ticket:
    """An agent says a knowledge-base article answers the incident. The requester gets a public reply (the agent's
    words, or a standard sentence in their language) with the article's title and address; the ticket is solved,
    so they may still reopen it; an internal event names the article, and the article counts one more incident
    solved (ArticleSolution). All or nothing; TicketActionRefused when the ticket is closed or not the agent's."""
    if not may_work_on(by, ticket):
        raise TicketActionRefused("not a member of the queue")
    language = requester_language(ticket)
    shown = article_version(article, language=language)
    with translation.override(language):
        words = body.strip() or gettext("This article of the help pages answers your question:")
    reply = f"{words}\n\n{shown.title}\n{article_address(slug=shown.slug, language=language)}"
    with transaction.atomic():
        ticket = ticket_reply(ticket=ticket, by=by, body=reply)
        data = {"article": shown.slug, "language": shown.language, "title": shown.title}
        event_write(ticket, TicketEventKind.SOLVED_BY_ARTICLE, actor=by, data=data, public=False)
        ticket = ticket_status_change(ticket=ticket, to=TicketStatus.SOLVED, by=by)
        ArticleSolution.objects.create(ticket=ticket, article=shown, by=by)
    return ticket
