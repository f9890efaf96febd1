"""The agents' search over incidents: a reference or an identifier typed alone goes straight to its tickets; words
find the tickets whose title, answers, replies or internal notes hold them all, best match first.

PostgreSQL (``connection.vendor == "postgresql"``): each ticket keeps a weighted ``search_vector`` (GIN index
``tickets_search_vector_gin``) built with the knowledge base's ``fr_unaccent`` configuration (kb migration 0002:
French stemming after ``unaccent``, so "bloqué", "bloques" and "BLOQUE" are one word):

- A: the title and the error message; B: the identifier and the other free-text answers (description, address,
  browser, device); C: the replies and internal notes, each cut to INDEXED_CHARS characters.
- Filing computes it from the row in the same transaction (``search_vectors_refresh``); a reply or a note appends
  its own words (``search_vector_append``, one UPDATE of the ticket's row), so nothing re-reads the thread.
- Dots, slashes and @ separate words on both sides (``jean.dupont``, ``webmail.ac-exemple.fr``), because the
  query's words are the knowledge base's folded words (``kb.search.parse_query``: letters and digits only, stop
  words left out), which can never carry tsquery syntax.
- Ranked by ``ts_rank`` with its default weights (A 1.0, B 0.4, C 0.2): a word of the title outranks the same word
  in a reply. The rank is an integer (millionths), so a page cursor names it exactly.

Other databases (SQLite in development and the fast tests): every word must appear, without regard to case, in the
title, an answer, or the body of a reply or note (an EXISTS); the rank is 2 when all the words are in the title or
error message, 1 otherwise. Accents are not folded there.
"""

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import BooleanField, Case, Exists, F, Func, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast

from kb.search import parse_query
from tickets.models import REFERENCE_PATTERN, TicketEvent, TicketEventKind

CONFIG = "fr_unaccent"
INDEX_NAME = "tickets_search_vector_gin"
# The answers that are free text; the others are dates, yes/no choices and files.
TEXT_ANSWERS = ("description", "url", "browser", "device", "other_browser")
SEARCHED_EVENTS = (TicketEventKind.REPLIED, TicketEventKind.NOTE)
INDEXED_CHARS = 5000
# prenom.nom, jean-paul.martin2: a single token with a dot and no space.
IDENTIFIER_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)+$")
RANK_SCALE = 1_000_000


def _words_sql(text_sql: str) -> str:
    return f"to_tsvector('{CONFIG}', translate({text_sql}, './@', '   '))"


def _answers_sql(alias: str, keys) -> str:
    return " || ' ' || ".join(f"coalesce({alias}.data->>'{key}', '')" for key in keys)


def own_vector_sql(alias: str = "t") -> str:
    """The SQL of a ticket row's vector without its replies: title and error message (A), identifier and the other
    free-text answers (B). ``alias`` names a row with the ticket's ``title`` and ``data`` (jsonb) columns."""
    head = f"coalesce({alias}.title, '') || ' ' || {_answers_sql(alias, ['error_message'])}"
    answers = _answers_sql(alias, ["identifier", *TEXT_ANSWERS])
    return f"setweight({_words_sql(head)}, 'A') || setweight({_words_sql(answers)}, 'B')"


def replies_vector_sql(text_sql: str) -> str:
    """The SQL of the C-weighted words of replies and notes whose text ``text_sql`` gives."""
    return f"setweight({_words_sql(text_sql)}, 'C')"


def search_vectors_refresh(tickets) -> None:
    """Recompute, in one UPDATE, the vectors of ``tickets`` (a queryset) from their rows and their replies and notes:
    at filing, and after tickets were written in bulk. Nothing on other databases."""
    if connection.vendor != "postgresql":
        return
    ids_sql, params = tickets.order_by().values("pk").query.sql_with_params()
    kinds = ", ".join(f"'{kind}'" for kind in SEARCHED_EVENTS)
    # Only this module's constants and the ORM's own SQL go into the text; values are parameters.
    thread = (
        f"coalesce((SELECT string_agg(left(e.body, {INDEXED_CHARS}), ' ' ORDER BY e.created_at, e.id) "  # noqa: S608
        f"FROM tickets_ticketevent e WHERE e.ticket_id = t.id AND e.kind IN ({kinds}) AND e.body <> ''), '')"
    )
    vector = f"{own_vector_sql()} || {replies_vector_sql(thread)}"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE tickets_ticket t SET search_vector = {vector} WHERE t.id IN ({ids_sql})", params)  # noqa: S608


def search_vector_append(ticket, body: str) -> None:
    """Add the words of one reply or note to its ticket's vector (PostgreSQL only). A ticket never indexed (a null
    vector) stays so until ``search_vectors_refresh`` builds it whole."""
    if connection.vendor != "postgresql" or not body.strip():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE tickets_ticket SET search_vector = search_vector || {replies_vector_sql('%s')} WHERE id = %s",  # noqa: S608
            [body[:INDEXED_CHARS], ticket.pk],
        )


@dataclass(frozen=True)
class TicketSearch:
    """What the search box asked for: an exact match (``exact``), or words to rank (``words``: folded, for
    PostgreSQL; ``typed``: as typed, for the fallback). No word at all (punctuation, stop words) matches nothing."""

    exact: Q | None
    words: tuple[str, ...]
    typed: tuple[str, ...]

    @property
    def ranked(self) -> bool:
        return self.exact is None and bool(self.words)

    def matches(self) -> Q:
        if self.exact is not None:
            return self.exact
        if not self.words:
            return Q(pk__in=[])
        if connection.vendor == "postgresql":
            return Q(search_vector=self._tsquery())
        return _fallback_match(self.typed)

    def rank(self):
        """An integer expression, higher for a better match, to annotate the matching tickets with."""
        if not self.words or not self.typed:
            return Value(0, output_field=IntegerField())
        if connection.vendor == "postgresql":
            score = SearchRank(F("search_vector"), self._tsquery()) * Value(float(RANK_SCALE))
            return Cast(score, IntegerField())
        in_head = Q()
        for word in self.typed:
            in_head &= Q(title__icontains=word) | Q(data__error_message__icontains=word)
        return Case(When(in_head, then=Value(2)), default=Value(1), output_field=IntegerField())

    def _tsquery(self) -> SearchQuery:
        # Words are [a-z0-9]+ (kb.search.parse_query): nothing in them is tsquery syntax.
        return SearchQuery(" & ".join(self.words), search_type="raw", config=CONFIG)


def search_parse(text: str) -> TicketSearch:
    query = parse_query(text, language="fr")
    typed = query.text.casefold()
    if REFERENCE_PATTERN.match(typed.upper()):
        return TicketSearch(exact=Q(reference=typed.upper()), words=(), typed=())
    if IDENTIFIER_PATTERN.match(typed):
        return TicketSearch(exact=_identifier_match(typed), words=(), typed=())
    # The fallback looks for the typed tokens that hold a meaningful word ("l'ENT" for "ent"), accents and all.
    meaningful = set(query.words)
    typed_words = (token for token in typed.split() if set(parse_query(token, language="fr").words) & meaningful)
    return TicketSearch(exact=None, words=tuple(query.words), typed=tuple(typed_words))


class _AmongIds(Func):
    arg_joiner = " = ANY(ARRAY("
    template = "%(expressions)s))"
    output_field = BooleanField()


def pk_among(ids):
    """``pk__in=ids`` (a subquery of ids), written on PostgreSQL as ``= ANY(ARRAY(subquery))``: the subquery then
    runs once, before the tickets are read by primary key, however many rows the planner expected from it (it
    expects a handful when several words all match, as AND-ed words rarely go together in its statistics)."""
    if connection.vendor == "postgresql":
        return _AmongIds(F("pk"), Subquery(ids))
    return Q(pk__in=ids)


def _identifier_match(identifier: str) -> Q:
    """The requester's tickets and those whose identifier is ``identifier``: the first through the requester index,
    the second through the search vector (where the identifier's words stand one after the other) on PostgreSQL."""
    requester = Subquery(get_user_model().objects.filter(username=identifier).values("pk")[:1])
    if connection.vendor == "postgresql":
        named = SearchQuery(identifier.replace(".", " "), search_type="phrase", config=CONFIG)
        return Q(requester_id=requester) | Q(search_vector=named)
    return Q(requester_id=requester) | Q(data__identifier=identifier)


def _fallback_match(words) -> Q:
    match = Q()
    for word in words:
        in_thread = TicketEvent.objects.filter(
            ticket=OuterRef("pk"), kind__in=SEARCHED_EVENTS, body__icontains=word
        ).values("pk")
        in_answers = Q()
        for key in ("error_message", "identifier", *TEXT_ANSWERS):
            in_answers |= Q(**{f"data__{key}__icontains": word})
        match &= Q(title__icontains=word) | in_answers | Exists(in_thread)
    return match
