"""How many articles use each word: the weight of a query's words, and the words "did you mean" corrects to.

"mot de passe" appears in most articles and "secours" in three: an article that has only the frequent words of
a query must not rank above one that has its rare ones. Each query word (each thesaurus group, kb.thesaurus)
weighs its inverse document frequency, ``ln(1 + N / n)`` for a word found in n of the N articles of the
language: positive, and flat enough (a word in one article of forty weighs five times one found in all) that a
single rare but incidental word does not outweigh the rest of the query. In a long sentence that describes a
situation, this is what lets the few telling words ("téléphone", "changé") outweigh the many ordinary ones.

The counts live in ``kb.Term`` (one row per stem and language, from every field of every article, drafts and
restricted articles included: they are statistics). Every article save and delete updates them from the stored
row before and after (``article_terms_replaced``), in the same transaction, so they need no cache and hold across
processes and hosts; ``vocabulary_rebuild`` recounts a language in one pass after a bulk load. Two concurrent
saves that add the same new word both count it: the row is inserted with zero, then incremented. Words no
published article a reader may see uses are never offered to them by "did you mean" (kb.search checks the
corrected query against what the reader may see).
"""

import difflib
import math
from collections import Counter
from collections.abc import Iterable

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connections, transaction
from django.db.models import F

from kb import text
from kb.models import Article, Term

ARTICLES = ""  # the Term row that counts a language's articles
COUNTED_FIELDS = ("title", "tags", "errors", "summary", "body_text")
MAX_WORD = 64
# "Did you mean": how close a known word must be to replace an unknown one.
PG_SIMILARITY = 0.45
PYTHON_SIMILARITY = 0.75


def article_terms(values: Iterable[str], language: str) -> dict[str, str]:
    """{stem: first folded word with that stem} over an article's counted fields, stop words left out."""
    stop_words = text.STOP_WORDS.get(language, text.FRENCH_STOP_WORDS)
    found: dict[str, str] = {}
    for value in values:
        for word in text.words(value or ""):
            if word not in stop_words and len(word) <= MAX_WORD:
                found.setdefault(text.stem(word, language), word)
    return found


def article_terms_changed(*, language: str, before: dict | None, after: dict | None, using: str) -> None:
    """Count one article's change: the stems it lost and gained, and itself when it appears (``before`` is None)
    or goes (``after`` is None)."""
    terms = Term.objects.using(using).filter(language=language)
    added = {term: word for term, word in (after or {}).items() if term not in (before or {})}
    removed = [term for term in before or {} if term not in (after or {})]
    if before is None:
        added[ARTICLES] = ""
    if after is None:
        removed.append(ARTICLES)
    if added:
        rows = [Term(language=language, term=term, word=word) for term, word in added.items()]
        Term.objects.using(using).bulk_create(rows, ignore_conflicts=True)
        terms.filter(term__in=list(added)).update(articles=F("articles") + 1)
    if removed:
        terms.filter(term__in=removed).update(articles=F("articles") - 1)


@transaction.atomic
def counted_row(rows) -> tuple[str, tuple[str, ...]] | None:
    """(language, counted fields) of the one article ``rows`` selects, as stored; None when there is none."""
    row = rows.values_list("language", *COUNTED_FIELDS).first()
    return (row[0], row[1:]) if row else None


def article_terms_replaced(*, before, after, using: str) -> None:
    """Count an article's change from its stored row before and after (counted_row; None: absent), in its language
    or, if that changed, out of the old one and into the new one."""
    if before and after and before[0] == after[0]:
        language = after[0]
        article_terms_changed(language=language, before=article_terms(before[1], language),
                              after=article_terms(after[1], language), using=using)  # fmt: skip
        return
    if before:
        article_terms_changed(language=before[0], before=article_terms(before[1], before[0]), after=None, using=using)
    if after:
        article_terms_changed(language=after[0], before=None, after=article_terms(after[1], after[0]), using=using)


def article_deleted(sender, instance: Article, using: str, **kwargs) -> None:
    """pre_delete receiver (kb.apps): the article's words, as stored, are no longer counted."""
    before = counted_row(Article.objects.using(using).filter(pk=instance.pk))
    article_terms_replaced(before=before, after=None, using=using)


def vocabulary_rebuild(*, language: str | None = None, using: str = "default", models=(Article, Term)) -> int:
    """Recount every stem of ``language`` (or of every language) from the articles; returns the number of rows.
    ``models`` lets a migration pass its historical models."""
    article_model, term_model = models
    languages = (
        [language]
        if language
        else list(article_model.objects.using(using).order_by().values_list("language", flat=True).distinct())
    )
    total = 0
    for current in languages:
        counts: Counter[str] = Counter()
        words: dict[str, str] = {}
        rows = article_model.objects.using(using).filter(language=current).order_by().values_list(*COUNTED_FIELDS)
        articles = 0
        for values in rows.iterator(chunk_size=2000):
            found = article_terms(values, current)
            counts.update(found.keys())
            for term, word in found.items():
                words.setdefault(term, word)
            articles += 1
        term_model.objects.using(using).filter(language=current).delete()
        terms = [
            term_model(language=current, term=term, word=words[term], articles=count) for term, count in counts.items()
        ]
        terms.append(term_model(language=current, term=ARTICLES, word="", articles=articles))
        term_model.objects.using(using).bulk_create(terms, batch_size=5000)
        total += len(terms)
    return total


def idf(found_in: int, articles: int) -> float:
    return math.log(1 + articles / max(found_in, 1))


def term_counts(stems: Iterable[str], *, language: str, using: str = "default") -> tuple[int, dict[str, int]]:
    """(articles in the language, {stem: articles using it}) in one query."""
    wanted = {*stems, ARTICLES}
    rows = dict(Term.objects.using(using).filter(language=language, term__in=wanted).values_list("term", "articles"))
    return rows.pop(ARTICLES, 0), rows


def nearest_word(word: str, *, language: str, using: str = "default") -> str | None:
    """The known word closest to ``word`` (a typo), or None: pg_trgm similarity on PostgreSQL, difflib among the
    words of the same first letter elsewhere. One query."""
    known = Term.objects.using(using).filter(language=language, articles__gt=0).exclude(term=ARTICLES)
    if connections[using].vendor == "postgresql":
        # The % operator (trigram_similar) is what the GIN trigram index on word serves; the stricter threshold after.
        return (
            known.filter(word__trigram_similar=word)
            .annotate(similarity=TrigramSimilarity("word", word))
            .filter(similarity__gte=PG_SIMILARITY)
            .order_by("-similarity", "-articles")
            .values_list("word", flat=True)
            .first()
        )
    candidates = list(known.filter(word__startswith=word[:1]).values_list("word", flat=True))
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=PYTHON_SIMILARITY)
    return matches[0] if matches else None
