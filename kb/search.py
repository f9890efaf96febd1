"""Knowledge-base search and suggestions: ranked, accent- and case-insensitive, stemmed, typo-tolerant, with
synonyms.

Three entry points, all limited to what the reader may see (``Article.objects.visible_to``) in one language:

- ``search_articles``: articles with every group of the query, and the best of those with some groups in their
  title, error messages or tags; if that finds nothing, any group may match (a person who adds one word too many
  still gets answers). Hits carry a highlighted snippet.
- ``search_page`` (the search page and API): ``search_articles`` plus what helps when it finds nothing or the
  wrong language (``SearchResults``): "did you mean" (each word no article uses replaced by the nearest known
  one, kb.vocabulary), the other language's answers (offered when this language has none, or when the question
  looks written in the other: more of its stop words, or words only its articles use), and, for a reader not
  signed in, whether articles for signed-in staff match too.
- ``suggest_articles`` (the incident form and the suggestion API, called on every pause in typing): any group may
  match, in titles, error messages and tags only, and the last word counts as a prefix ("mot de pas" already
  finds "mot de passe"). No snippet.

Before either backend sees it, a query is ``prepared``: its words become groups through the thesaurus
(kb.thesaurus: "verrouillé" also asks for "bloqué", "message d'absence" for "réponse automatique"), and each
group weighs its rarity (kb.vocabulary: "secours" outweighs "mot de passe"). A query of SITUATION_GROUPS groups
or more is a situation told in a sentence: no article has all its words, so it is ranked on any of them by their
weights, and the articles with its rarest groups are always considered.

Both backends rank the same way in spirit: title (weight A) above error messages and tags (B) above summary and
body (C); the share of the query's weight an article covers, squared, and that share in its title; the query's
words as a phrase of its title or error messages (PHRASE_WEIGHT); words close together above scattered ones; a
query that is a near copy of an error message the article lists ("tokne badvalue", "identifiant incorect") is a
match even with typos, and the closer the better.

Without an explicit backend, ``search_page`` and ``suggest_articles`` keep their answers in the process until an
article or a concept changes (kb.page_cache): a popular question costs no query the second time.

PostgreSQL (``PostgresSearch``), used whenever the database is PostgreSQL:

- Migration 0002 creates the ``unaccent`` and ``pg_trgm`` extensions and the text search configurations
  ``fr_unaccent`` and ``en_unaccent``: copies of ``french``/``english`` whose word mappings run ``unaccent``
  before the Snowball stemmer, so "Sécurités", "securite" and "sécurité" are one lexeme. Each article stores two
  weighted ``tsvector`` columns built with its language's configuration on every save
  (``ArticleQuerySet.refresh_search_index``): ``search_vector`` (A, B, C) and ``head_vector`` (A and B only,
  small enough to rank thousands of rows quickly), each with a GIN index; and ``match_text``, its folded error
  messages, with a GIN trigram index.
- Queries are built from folded words only (``[a-z0-9]+``), so nothing typed reaches ``to_tsquery``'s syntax.
  The word being typed is a prefix both of stems and, through the ``simple`` configuration, of raw lexemes, so a
  partial word that looks like a stop word ("pas" for "passe") still counts.
- One statement in stages (``PostgresSearch.match``), so that no costly function runs on every matching row of
  a 20,000-article base: shortlists from each index separately (cheap ``ts_rank`` on ``head_vector`` among the
  first HEAD_CANDIDATES matches; the first BODY_CANDIDATES body matches; for a query of at most
  TRIGRAM_MAX_LENGTH characters, the error messages nearest to it by pg_trgm word similarity, threshold 0.6),
  then ``ts_rank_cd`` (cover density, normalisation 32) and the coverage, phrase and trigram terms on that
  shortlist only. The trade-off: an article beyond the first HEAD_CANDIDATES (or BODY_CANDIDATES) matches of
  its index is not ranked. Long texts (a pasted paragraph) skip the trigram stage, which no index serves for
  them. The statement is written as SQL with named parameters (``_SearchStatement``): built with the ORM, it
  cost more time in Python than the database took to run it.
- Snippets: ``ts_headline`` over the plain text of the page of hits only (a second query; it is the expensive
  function). Matches are marked with two private-use characters that stored text cannot contain
  (``kb.text.clean`` removes them); the snippet is HTML-escaped and only then are the marks turned into
  ``<mark>``, so neither an article nor a query can inject markup.

Python (``PythonSearch``), used on SQLite and callable on any database (the tests run it on PostgreSQL too): it
loads the candidate articles of the language and scores them with ``kb.text`` (accent folding with unicodedata,
stop words, a light French/English suffix stemmer), the same field weights, and ``difflib`` ratios between the
query and the error messages for typos, in both directions so that an error message inside a pasted sentence is
found. Stems are cached per article content. It suits development databases of a few hundred articles.

Limits: queries are cut to MAX_QUERY_LENGTH characters (suggestions to MAX_SUGGEST_LENGTH) and MAX_TERMS words;
control characters (NUL included) are removed; a query with no word left (empty, punctuation, stop words only)
returns nothing without touching the database.
"""

import difflib
import functools
import re
from dataclasses import dataclass, field, replace
from operator import and_, or_

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
)
from django.db import connections
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kb import page_cache, text, thesaurus, vocabulary
from kb.models import SEARCH_CONFIGS, Article, Audience, Status, reader_rights
from kb.thesaurus import Group

MAX_QUERY_LENGTH = 200
MAX_SUGGEST_LENGTH = 500
MAX_TERMS = 12
TRIGRAM_MAX_LENGTH = 64
TRIGRAM_WEIGHT = 0.5
# Added for the share of the query's words found in the title, squared (both backends).
TITLE_WEIGHT = 0.5
SEARCH_LIMIT = 20
# Added when the query's words, in order, are a phrase of the title or of an error message (both backends).
PHRASE_WEIGHT = 0.3
# A query of this many groups is a situation described in a sentence: ranked on any of its words, weighted by
# rarity, with the articles that have its rarest ones always considered.
SITUATION_GROUPS = 6
SITUATION_RARE_GROUPS = 3
# PostgreSQL shortlist sizes (see PostgresSearch.match).
BODY_CANDIDATES = 400
HEAD_CANDIDATES = 1000
RERANK_CANDIDATES = 50
TYPO_CANDIDATES = 20
SUGGEST_LIMIT = 5
# Python backend: field weights mirror the tsvector weights (A=1.0, B=0.4, C=0.2 as in ts_rank's defaults), and
# the difflib ratio an error message must reach to count as "the same, with a typo".
WEIGHTS = {"title": 1.0, "keys": 0.4, "text": 0.2}
FUZZY_THRESHOLD = 0.8
SNIPPET_WORDS = 30

# Columns a result list shows; bodies stay in the database.
LISTING_FIELDS = ("id", "slug", "language", "title", "summary", "category", "audience", "status", "updated_at")


@dataclass(frozen=True)
class Query:
    """A query as the backends see it: cleaned text, folded text, its meaningful words (not stemmed), and, once
    ``prepared``, those words as thesaurus groups (kb.thesaurus) with each group's weight (kb.vocabulary)."""

    text: str
    folded: str
    words: list[str]
    language: str
    prefix_last: bool = False
    groups: tuple[Group, ...] = ()
    weights: tuple[float, ...] = ()
    # The complete words no article of the language uses (typos, or words of the other language).
    unknown: tuple[str, ...] = ()

    @property
    def terms(self) -> list[str]:
        return [text.stem(word, self.language) for word in self.words]

    @property
    def is_empty(self) -> bool:
        # Only stop words ("de la", "how to") or punctuation: nothing worth a query.
        return not self.words

    @property
    def is_situation(self) -> bool:
        """A sentence that describes what happened rather than a few keywords: no article has every word."""
        return len(self.groups) >= SITUATION_GROUPS

    def rarest(self, count: int = SITUATION_RARE_GROUPS) -> list[Group]:
        order = sorted(range(len(self.groups)), key=lambda index: -self.weights[index])
        return [self.groups[index] for index in order[:count]]


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float
    snippet: SafeString = field(default_factory=lambda: mark_safe(""))


def parse_query(raw: str, *, language: str, max_length: int = MAX_QUERY_LENGTH, prefix_last=False) -> Query:
    cleaned = " ".join(text.clean(raw or "")[:max_length].split())
    all_words = text.words(cleaned)
    # A prefix makes sense only while the last word is being typed, i.e. when no space follows it. That word is
    # kept even if it looks like a stop word: "pas" may be the start of "passe".
    prefix = prefix_last and bool(all_words) and bool(raw) and not raw[-1:].isspace()
    stop_words = text.STOP_WORDS.get(language, text.FRENCH_STOP_WORDS)
    typed = all_words[-1] if prefix else None
    complete = all_words[:-1] if prefix else all_words
    meaningful = [*dict.fromkeys(word for word in complete if word not in stop_words and word != typed)]
    meaningful = meaningful[: MAX_TERMS - 1] + [typed] if typed else meaningful[:MAX_TERMS]
    return Query(cleaned, " ".join(all_words), meaningful, language, prefix)


def prepared(query: Query, *, using: str = "default") -> Query:
    """The query with its thesaurus groups and their weights: two small queries (the concepts of the language, the
    counts of the query's stems). A group weighs the rarity of its most common way of being found (a concept is at
    least as common as its most common phrase), a phrase as common as its rarest word.
    A word no article uses weighs as a word found once (it is most likely a typo of a rare word); the word being
    typed weighs the average of the others (its counts are not known until it is complete)."""
    groups = thesaurus.query_groups(query.words, language=query.language, prefix_last=query.prefix_last)
    stems = {
        text.stem(word, query.language)
        for group in groups
        for alternative in group.alternatives
        for word in alternative
    }
    articles, counts = vocabulary.term_counts(stems, language=query.language, using=using)
    articles = max(articles, 1)
    weights = []
    for group in groups:
        if group.prefix:
            weights.append(None)
            continue
        found_in = max(
            min(counts.get(text.stem(word, query.language), 0) for word in alternative)
            for alternative in group.alternatives
        )
        weights.append(vocabulary.idf(min(max(found_in, 1), articles), articles))
    known = [weight for weight in weights if weight is not None]
    average = sum(known) / len(known) if known else 1.0
    weights = [average if weight is None else weight for weight in weights]
    complete = query.words[:-1] if query.prefix_last else query.words
    unknown = tuple(word for word in complete if not word.isdigit() and not counts.get(text.stem(word, query.language)))
    return replace(query, groups=tuple(groups), weights=tuple(weights), unknown=unknown)


def search_articles(*, query: str, user, language: str, limit: int = SEARCH_LIMIT, backend=None) -> list[Hit]:
    """The best articles for a search, with highlighted snippets (see the module docstring)."""
    parsed = parse_query(query, language=language)
    if parsed.is_empty:
        return []
    backend = backend or backend_for_database()
    return _ranked(prepared(parsed), Article.objects.visible_to(user).filter(language=language), backend, limit)


def _ranked(parsed: Query, candidates, backend, limit: int) -> list[Hit]:
    """Every group first (a situation skips that pass: no article has all its words), then any of them."""
    hits = [] if parsed.is_situation else backend.match(candidates, parsed, limit=limit, require_all=True)
    if not hits and len(parsed.groups) > 1:
        hits = backend.match(candidates, parsed, limit=limit, require_all=False)
    return backend.with_snippets(hits, parsed)


@dataclass(frozen=True)
class SearchResults:
    """What the search page shows: the hits, and what helps when they are missing or in the wrong language.

    - ``corrected``: the query searched instead of the typed one, which found nothing ("did you mean");
    - ``other_language``: answers in the other language, offered when this one has none or when the question
      looks written in the other language (more of its stop words: "how do I…" on the French site);
    - ``more_after_sign_in``: for a reader not signed in, articles for signed-in staff match too.
    """

    hits: list[Hit]
    corrected: str = ""
    other_language: list[Hit] = field(default_factory=list)
    other_language_code: str = ""
    more_after_sign_in: bool = False


OTHER_LANGUAGE = {"fr": "en", "en": "fr"}
OTHER_LANGUAGE_LIMIT = 5
# "Did you mean" corrects at most this many unknown words of a query.
MAX_CORRECTIONS = 3


def search_page(*, query: str, user, language: str, limit: int = SEARCH_LIMIT, backend=None) -> SearchResults:
    """The search page's results (SearchResults). For a reader not signed in with a query that finds something:
    five statements on PostgreSQL (the thesaurus, the word counts, the matches, the snippets, whether restricted
    articles match); more only when the query needs a correction or the other language.

    Without an explicit ``backend``, the answer is kept in the process until any article or concept changes
    (kb.page_cache): the same question asked again by a reader with the same rights costs no query."""
    parsed = parse_query(query, language=language)
    if parsed.is_empty:
        return SearchResults([])
    if backend is None:
        key = ("search", language, reader_rights(user), parsed.folded, limit)

        def build():
            return _search_page(query, parsed, user, language, limit, backend_for_database())

        return page_cache.kept(key, build, store=page_cache.ANSWERS)
    return _search_page(query, parsed, user, language, limit, backend)


def _search_page(query: str, parsed: Query, user, language: str, limit: int, backend) -> SearchResults:
    parsed = prepared(parsed)
    visible = Article.objects.visible_to(user).filter(language=language)
    hits = _ranked(parsed, visible, backend, limit)
    corrected = ""
    if not hits and parsed.unknown:
        corrected, new_words = corrected_query(query, parsed.unknown, language=language)
        # Only words an article this reader may see uses: one that only a draft or a restricted article has is
        # never offered (the statistics count every article).
        offered = parse_query(" ".join(new_words), language=language)
        if not offered.is_empty and backend.any_match(visible, prepared(offered)):
            parsed = prepared(parse_query(corrected, language=language))
            hits = _ranked(parsed, visible, backend, limit)
        corrected = corrected if hits else ""
    other = OTHER_LANGUAGE.get(language, "")
    offer = []
    if other and (not hits or _looks_written_in(other, query, parsed)):
        offer = search_articles(query=query, user=user, language=other, limit=OTHER_LANGUAGE_LIMIT, backend=backend)
    hidden = False
    if not (user is not None and user.is_authenticated):
        restricted = Article.objects.filter(language=language, audience=Audience.STAFF, status=Status.PUBLISHED)
        hidden = backend.any_match(restricted, parsed)
    return SearchResults(hits, corrected, offer, other if offer else "", hidden)


def _looks_written_in(other: str, raw: str, parsed: Query) -> bool:
    """More of the other language's stop words than of this one's ("how do I…" on the French site), or words
    this language's articles never use but the other's do ("refused", "syncing"): one query, only then."""
    if _stop_word_count(raw, other) > _stop_word_count(raw, parsed.language):
        return True
    if not parsed.unknown:
        return False
    _, counts = vocabulary.term_counts({text.stem(word, other) for word in parsed.unknown}, language=other)
    return any(counts.values())


def _stop_word_count(raw: str, language: str) -> int:
    stop_words = text.STOP_WORDS.get(language, frozenset())
    return sum(1 for word in text.words(raw[:MAX_QUERY_LENGTH]) if word in stop_words)


def corrected_query(raw: str, unknown: tuple[str, ...], *, language: str) -> tuple[str, list[str]]:
    """The query as typed with each of its ``unknown`` words (Query.unknown) replaced by the nearest known word,
    and those words; ("", []) when none has a near neighbour. One query per word, at most MAX_CORRECTIONS."""
    replacements = {}
    for word in unknown[:MAX_CORRECTIONS]:
        nearest = vocabulary.nearest_word(word, language=language)
        if nearest and nearest != word:
            replacements[word] = nearest
    if not replacements:
        return "", []
    typed = " ".join(text.clean(raw or "")[:MAX_QUERY_LENGTH].split())
    corrected = _TYPED_WORD.sub(lambda match: replacements.get(text.fold(match.group()), match.group()), typed)
    return corrected, list(replacements.values())


# A word as typed (letters and digits, accents included): folded, it is one of kb.text.words's words.
_TYPED_WORD = re.compile(r"[^\W_]+")


def suggest_articles(*, text: str, user, language: str, limit: int = SUGGEST_LIMIT, backend=None) -> list[Hit]:
    """The few articles most likely to solve what ``text`` describes (an error message, an incident title)."""
    parsed = parse_query(text, language=language, max_length=MAX_SUGGEST_LENGTH, prefix_last=True)
    if parsed.is_empty:
        return []

    def suggested(backend):
        candidates = Article.objects.visible_to(user).filter(language=language)
        return backend.match(candidates, prepared(parsed), limit=limit, require_all=False, head_only=True)

    if backend is None:  # kept as search_page's answers are
        key = ("suggest", language, reader_rights(user), parsed.folded, parsed.prefix_last, limit)
        return page_cache.kept(key, lambda: suggested(backend_for_database()), store=page_cache.ANSWERS)
    return suggested(backend)


def backend_for_database(alias: str = "default"):
    return PostgresSearch() if connections[alias].vendor == "postgresql" else PythonSearch()


def _highlighted(snippet: str) -> SafeString:
    escaped = escape(snippet).replace(text.HIGHLIGHT_START, "<mark>").replace(text.HIGHLIGHT_STOP, "</mark>")
    return mark_safe(escaped)  # noqa: S308 (escaped above; only our own marks become tags)


class PostgresSearch:
    def _tsquery(self, query: Query, *, require_all: bool) -> SearchQuery:
        """The groups as one SearchQuery (for the statements the ORM writes: snippets, any_match); the word being
        typed is a prefix both of the stems and, through the 'simple' configuration, of raw lexemes ("pas" for
        passe)."""
        config = SEARCH_CONFIGS[query.language]
        parts = []
        for group in query.groups:
            raw = _SearchStatement.tsquery_text(group, title_only=False)
            part = SearchQuery(raw, search_type="raw", config=config)
            parts.append(part | SearchQuery(raw, search_type="raw", config="simple") if group.prefix else part)
        return functools.reduce(and_ if require_all else or_, parts)

    def match(self, candidates, query: Query, *, limit: int, require_all: bool, head_only: bool = False) -> list[Hit]:
        """One statement in three stages, so that no expensive function runs on every matching row:

        1. a shortlist from each index separately (one OR across indexes makes PostgreSQL test every row): the
           RERANK_CANDIDATES best title/error/tag matches by the cheap ``ts_rank`` of the small ``head_vector``,
           among the first HEAD_CANDIDATES with all the groups and as many with only some of them (one common
           word can match a third of a large base: ranking all of those would cost more than the rest of the
           search); the same among the first BODY_CANDIDATES body matches; for a situation, the best matches of its
           rarest groups;
           and, for a short query, the TYPO_CANDIDATES articles whose error messages are nearest to it (trigram
           word similarity, GIN trigram index);
        2. the shortlist scored with ``ts_rank_cd`` (cover density) times the squared share of the query's weight
           the article covers, plus that share in the title, a phrase bonus and the trigram similarity;
        3. sorted and cut to ``limit``.

        Articles are filtered on all the groups (or any) but ranked on any of them: among articles that have every
        word, those with them in the title or close together come first.

        Written as SQL (``_SearchStatement``): composing it with the ORM cost more time in Python than the database
        took to run it. The tsqueries are computed once, in a CTE, from parameters.
        """
        statement = _SearchStatement(candidates, query)
        vector = "head_vector" if head_only else "search_vector"
        any_word, wanted = "q.any_word", ("q.wanted" if require_all else "q.any_word")
        branches = [statement.best("head_vector", f"head_vector @@ {wanted}", HEAD_CANDIDATES)]
        if require_all and len(query.groups) > 1:
            # Also the best title/error/tag matches of only some of the words: "page blanche webmail" must reach
            # the article titled "Page blanche" even though it never says "webmail" (coverage ranks them below).
            branches.append(statement.best("head_vector", f"head_vector @@ {any_word}", HEAD_CANDIDATES))
        if not head_only:
            branches.append(statement.best("search_vector", f"search_vector @@ {wanted}", BODY_CANDIDATES))
        if query.is_situation:
            branches.append(statement.best(vector, f"{vector} @@ q.rare", RERANK_CANDIDATES, ranked_by="q.rare"))
        typos = bool(query.folded) and len(query.folded) <= TRIGRAM_MAX_LENGTH
        if typos:
            branches.append(statement.nearest_errors())
        columns = ", ".join(f"kb_article.{name}" for name in LISTING_FIELDS)
        sql = (
            f"WITH q AS ({statement.cte}) "  # noqa: S608 (every value is a parameter)
            f"SELECT {columns}, COALESCE({statement.score(vector, typos=typos)}, 0) AS score "
            "FROM kb_article CROSS JOIN q "
            f"WHERE kb_article.id IN ({' UNION '.join(branches)}) "
            f"ORDER BY score DESC, kb_article.title LIMIT {int(limit)}"
        )
        rows = Article.objects.raw(sql, statement.params)
        return [Hit(article, round(article.score, 4)) for article in rows]

    def any_match(self, candidates, query: Query) -> bool:
        """Whether some article has all of the query's groups (any of them, for a situation). One short query."""
        return candidates.filter(search_vector=self._tsquery(query, require_all=not query.is_situation)).exists()

    def with_snippets(self, hits: list[Hit], query: Query) -> list[Hit]:
        if not hits:
            return hits
        headline = SearchHeadline(
            "body_text",
            self._tsquery(query, require_all=False),
            config=SEARCH_CONFIGS[query.language],
            start_sel=text.HIGHLIGHT_START,
            stop_sel=text.HIGHLIGHT_STOP,
            max_words=SNIPPET_WORDS,
            min_words=12,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
        ids = [hit.article.pk for hit in hits]
        headlines = dict(Article.objects.filter(pk__in=ids).annotate(headline=headline).values_list("pk", "headline"))
        return [
            Hit(hit.article, hit.score, _snippet_or_summary(headlines.get(hit.article.pk, ""), hit.article))
            for hit in hits
        ]


class _SearchStatement:
    """The pieces of PostgresSearch.match's SQL: the candidates' WHERE clause compiled from their queryset, the
    tsqueries as CTE columns (q.any_word, q.wanted, q.rare, q.phrase, one per group and one per group in titles),
    and the named parameters. Every word is [a-z0-9]+, and every value is a parameter."""

    def __init__(self, candidates, query: Query):
        self.query = query
        compiler = candidates.query.get_compiler(using=candidates.db)
        where, where_params = compiler.compile(candidates.query.where)
        pieces = where.replace('"kb_article".', "kb_article.").split("%s")
        self.params: dict = {f"w{index}": value for index, value in enumerate(where_params)}
        self.where = pieces[0] + "".join(f"%(w{index})s{piece}" for index, piece in enumerate(pieces[1:]))
        self.params.update(config=SEARCH_CONFIGS[query.language], folded=query.folded)
        columns = []
        for index, group in enumerate(query.groups):
            for name, title_only in ((f"g{index}", False), (f"t{index}", True)):
                self.params[name] = self.tsquery_text(group, title_only=title_only)
                expression = f"to_tsquery(%(config)s::regconfig, %({name})s)"
                if group.prefix:
                    expression = f"({expression} || to_tsquery('simple', %({name})s))"
                columns.append(f"{expression} AS {name}")
        groups = [f"g{index}" for index in range(len(query.groups))]
        rare = [f"g{query.groups.index(group)}" for group in query.rarest()] if query.is_situation else groups
        self.cte = (
            f"SELECT *, {' || '.join(groups)} AS any_word, {' && '.join(groups)} AS wanted, "  # noqa: S608 (no value)
            f"{' || '.join(rare)} AS rare, phraseto_tsquery(%(config)s::regconfig, %(folded)s) AS phrase "
            f"FROM (SELECT {', '.join(columns)}) AS groups"
        )

    @staticmethod
    def tsquery_text(group: Group, *, title_only: bool) -> str:
        label = "A" if title_only else ""
        if group.prefix:
            return f"{group.typed[0]}:*{label}"
        suffix = f":{label}" if label else ""
        alternatives = (" & ".join(f"{word}{suffix}" for word in alternative) for alternative in group.alternatives)
        return " | ".join(f"({alternative})" for alternative in alternatives)

    def best(self, vector: str, matching: str, count: int, *, ranked_by: str = "q.any_word") -> str:
        """The RERANK_CANDIDATES best of the first ``count`` candidates ``matching``, by ts_rank on ``vector``."""
        return (
            f"(SELECT id FROM (SELECT kb_article.id, kb_article.{vector} FROM kb_article, q "  # noqa: S608 (no value)
            f"WHERE {self.where} AND {matching} LIMIT {int(count)}) AS found, q "
            f"ORDER BY ts_rank(found.{vector}, {ranked_by}, 32) DESC LIMIT {RERANK_CANDIDATES})"
        )

    def nearest_errors(self) -> str:
        """The TYPO_CANDIDATES candidates whose error messages are nearest to the query (GIN trigram index)."""
        return (
            f"(SELECT id FROM kb_article WHERE {self.where} AND match_text %%> %(folded)s "  # noqa: S608 (no value)
            f"ORDER BY %(folded)s <<-> match_text LIMIT {TYPO_CANDIDATES})"
        )

    def score(self, vector: str, *, typos: bool) -> str:
        """ts_rank_cd times the squared weighted coverage, plus the squared coverage in titles, the phrase bonus and
        the trigram similarity to the error messages."""
        total = float(sum(self.query.weights)) or 1.0

        def coverage(in_vector: str, prefix: str) -> str:
            return " + ".join(
                f"(CASE WHEN kb_article.{in_vector} @@ q.{prefix}{index} THEN {float(weight)} ELSE 0 END)"
                for index, weight in enumerate(self.query.weights)
            )

        # Titles are weight A, which head_vector holds too: the smaller vector answers that question faster.
        score = (
            f"ts_rank_cd(kb_article.{vector}, q.any_word, 32) * power(({coverage(vector, 'g')}) / {total}, 2) "
            f"+ {TITLE_WEIGHT} * power(({coverage('head_vector', 't')}) / {total}, 2)"
        )
        if len(self.query.words) > 1:
            score += f" + (CASE WHEN kb_article.head_vector @@ q.phrase THEN {PHRASE_WEIGHT} ELSE 0 END)"
        if typos:
            score += f" + {TRIGRAM_WEIGHT} * word_similarity(%(folded)s, kb_article.match_text)"
        return score


def _snippet_or_summary(headline: str, article: Article) -> SafeString:
    if text.HIGHLIGHT_START in headline or not article.summary:
        return _highlighted(headline)
    return _highlighted(article.summary)


@dataclass
class _Scored:
    article: Article
    score: float


@dataclass(frozen=True)
class _Analysed:
    """An article's stems per field and its folded error messages, computed once per content."""

    fields: dict[str, frozenset[str]]
    targets: tuple[str, ...]
    # The title's and each error message's stems in order, for the phrase bonus.
    phrases: tuple[tuple[str, ...], ...]


# (article id, language, content hash) → analysis. Stemming every body on every query would cost more than the
# whole search; the cache is per process and simply cleared when it grows past a development-sized corpus.
_ANALYSED: dict[tuple, _Analysed] = {}
_ANALYSED_MAX = 5000


def _analyse(article: Article, language: str) -> _Analysed:
    content = (article.title, article.errors, article.tags, article.summary, article.body_text)
    key = (article.pk, language, hash(content))
    analysed = _ANALYSED.get(key)
    if analysed is None:
        if len(_ANALYSED) >= _ANALYSED_MAX:
            _ANALYSED.clear()
        fields = {
            "title": frozenset(text.terms(article.title, language)),
            "keys": frozenset(text.terms(f"{article.errors} {article.tags}", language)),
            "text": frozenset(text.terms(f"{article.summary} {article.body_text}", language)),
        }
        targets = tuple(" ".join(text.words(line)) for line in article.error_list)
        phrases = tuple(tuple(text.terms(line, language)) for line in (article.title, *article.error_list))
        analysed = _ANALYSED[key] = _Analysed(fields, tuple(target for target in targets if target), phrases)
    return analysed


class PythonSearch:
    FIELDS = (*LISTING_FIELDS, "tags", "errors", "body_text")

    def match(self, candidates, query: Query, *, limit: int, require_all: bool, head_only: bool = False) -> list[Hit]:
        scored = []
        for article in candidates.only(*self.FIELDS):
            score = self.score(article, query, require_all=require_all, head_only=head_only)
            if score > 0:
                scored.append(_Scored(article, score))
        scored.sort(key=lambda row: (-row.score, row.article.title))
        return [Hit(row.article, round(row.score, 4)) for row in scored[:limit]]

    def score(self, article: Article, query: Query, *, require_all: bool, head_only: bool = False) -> float:
        """Like the PostgreSQL backend: an article matches when all groups (or any, for suggestions) are found, or
        when the query is a near copy of one of its error messages; the rank counts every group found, weighted by
        its rarity."""
        analysed = _analyse(article, query.language)
        fields = {name: stems for name, stems in analysed.fields.items() if not (head_only and name == "text")}
        found = [self._group_weight(group, fields, query.language) for group in query.groups]
        total = sum(query.weights) or 1.0
        weighted = list(zip(found, query.weights, strict=True))
        # The average weight already counts a missing group as 0; times the coverage again, as the PostgreSQL
        # backend squares it.
        coverage = sum(weight for best, weight in weighted if best) / total
        in_title = sum(weight for best, weight in weighted if best == WEIGHTS["title"]) / total
        words_score = sum(best * weight for best, weight in weighted) / total * coverage
        words_score += TITLE_WEIGHT * in_title * in_title
        if len(query.words) > 1 and self._has_phrase(analysed, query):
            words_score += PHRASE_WEIGHT
        fuzzy = self.fuzzy(analysed.targets, query)
        if fuzzy < FUZZY_THRESHOLD:
            fuzzy = 0.0
        # All the groups; or, for search, some of them in the title, error messages or tags (ranked lower).
        words_match = (all(found) or max(found, default=0.0) >= WEIGHTS["keys"]) if require_all else any(found)
        if not words_match and not fuzzy:
            return 0.0
        return words_score + TRIGRAM_WEIGHT * fuzzy

    def any_match(self, candidates, query: Query) -> bool:
        require_all = not query.is_situation
        return any(
            all(found) if require_all else any(found)
            for found in (
                [
                    self._group_weight(group, _analyse(article, query.language).fields, query.language)
                    for group in query.groups
                ]
                for article in candidates.only(*self.FIELDS)
            )
        )

    @staticmethod
    def _group_weight(group: Group, fields: dict[str, frozenset[str]], language: str) -> float:
        """The best field weight at which one of the group's alternatives has all its words (0.0 if none)."""
        best = 0.0
        for alternative in group.alternatives:
            weights = []
            for word in alternative:
                if group.prefix:
                    prefixes = (text.stem(word, language), word)
                    weights.append(
                        max(
                            (WEIGHTS[name] for name, stems in fields.items() if _has_prefix(stems, prefixes)),
                            default=0.0,
                        )
                    )
                else:
                    term = text.stem(word, language)
                    weights.append(max((WEIGHTS[name] for name, stems in fields.items() if term in stems), default=0.0))
            best = max(best, min(weights, default=0.0))
        return best

    @staticmethod
    def _has_phrase(analysed: "_Analysed", query: Query) -> bool:
        """The query's words, stemmed and in order, are a run of the title's or of one error message's."""
        wanted = tuple(query.terms)
        return any(_contains_run(sequence, wanted) for sequence in analysed.phrases)

    @staticmethod
    def fuzzy(targets: tuple[str, ...], query: Query) -> float:
        """How closely the query matches one of the article's error messages, typos included (0..1)."""
        best = 0.0
        for target in targets:
            if len(query.folded) <= TRIGRAM_MAX_LENGTH:
                best = max(best, _best_window_ratio(query.folded, target))
            best = max(best, _best_window_ratio(target, query.folded))
        return best

    def with_snippets(self, hits: list[Hit], query: Query) -> list[Hit]:
        return [Hit(hit.article, hit.score, _python_snippet(hit.article, query)) for hit in hits]


def _contains_run(sequence: tuple[str, ...], run: tuple[str, ...]) -> bool:
    size = len(run)
    return any(sequence[start : start + size] == run for start in range(len(sequence) - size + 1))


def _has_prefix(stems: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    return any(stem.startswith(prefixes) for stem in stems)


def _best_window_ratio(needle: str, haystack: str) -> float:
    """Best difflib ratio between ``needle`` and any run of as many words of ``haystack`` (±1 word), or 0.0 when
    none reaches FUZZY_THRESHOLD."""
    needle_words = needle.split()
    hay_words = haystack.split()
    if not needle_words or not hay_words:
        return 0.0
    if len(hay_words) > 400:
        return 0.0  # a pasted page: leave it to the word match
    # Only ratios above the threshold matter: the cheap upper bounds skip almost every window.
    best = FUZZY_THRESHOLD - 1e-9
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle)
    for size in {max(1, len(needle_words) - 1), len(needle_words), len(needle_words) + 1}:
        for start in range(max(1, len(hay_words) - size + 1)):
            matcher.set_seq1(" ".join(hay_words[start : start + size]))
            if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
                best = max(best, matcher.ratio())
    return best if best >= FUZZY_THRESHOLD else 0.0


_TOKEN = re.compile(r"\w+|\W+")


def _python_snippet(article: Article, query: Query) -> SafeString:
    """A window of the body around the first matching word, matches wrapped in <mark>, everything else escaped."""
    terms = set(query.terms)
    stop_words = text.STOP_WORDS.get(query.language, text.FRENCH_STOP_WORDS)

    def matches(token: str) -> bool:
        folded = text.fold(token)
        return folded.isalnum() and folded not in stop_words and text.stem(folded, query.language) in terms

    tokens = _TOKEN.findall(article.body_text.replace("\n", " "))
    words_at = [index for index, token in enumerate(tokens) if token[0].isalnum() or token[0] == "_"]
    first = next((index for index in words_at if matches(tokens[index])), None)
    if first is None:
        return _highlighted(article.summary or "".join(tokens[: SNIPPET_WORDS * 2]))
    position = words_at.index(first)
    start = words_at[max(0, position - SNIPPET_WORDS // 3)]
    end_position = min(len(words_at) - 1, position + SNIPPET_WORDS)
    end = words_at[end_position] + 1
    pieces = []
    for token in tokens[start:end]:
        pieces.append(f"{text.HIGHLIGHT_START}{token}{text.HIGHLIGHT_STOP}" if matches(token) else token)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(tokens) else ""
    return _highlighted(prefix + "".join(pieces) + suffix)
