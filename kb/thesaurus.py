"""The thesaurus: words and phrases people use for the same idea, applied to a query when it is read.

People type "verrouillé" where the article says "bloqué", "message suspect" where it says "hameçonnage",
"portable" where it says "téléphone". Each ``Concept`` lists such words and phrases for one language; when a run
of a query's words is one of them, the query asks for any of them instead (a *group* of alternatives), and the
group counts as one idea when the ranking weighs how much of the query an article covers. Both search backends
read the groups (kb.search), so the thesaurus is applied the same way on PostgreSQL and on SQLite, at query time:
an agent's change in the administration is used by the next search, and no article is re-indexed.

Words are compared folded and without plural or feminine endings (``_keys``), so "bloquée", "bloqués" and
"BLOQUE" all meet "bloqué"; the search's own stemmer is too coarse for this ("portable" and "port"). A phrase
matches the same words in the same order, stop words aside ("message d'absence" is "message absence").
The longest phrase wins: in "mot de passe oublié", "mot de passe oublié" (if listed) is taken before "mot de
passe".

The shipped thesaurus is ``kb/thesaurus/<language>.txt``, one concept per line, ``name: term, term, …``, loaded
by ``load_kb`` like the articles: missing concepts are created, concepts still as the loader wrote them follow
the file, and concepts edited in the administration are kept.
"""

import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kb import text
from kb.models import Concept

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "kb" / "thesaurus"
# A phrase longer than this many words is not looked for (nobody's synonym is a sentence).
MAX_PHRASE_WORDS = 5


@dataclass(frozen=True)
class Group:
    """One idea of a query: the words as typed, first, then the thesaurus's other ways of saying it.

    Each alternative is a tuple of folded words that must all be found; ``prefix`` marks the typed word that is
    still being typed (only ever a one-word group's first alternative)."""

    alternatives: tuple[tuple[str, ...], ...]
    prefix: bool = False

    @property
    def typed(self) -> tuple[str, ...]:
        return self.alternatives[0]


def phrase_words(phrase: str, language: str) -> tuple[str, ...]:
    stop_words = text.STOP_WORDS.get(language, text.FRENCH_STOP_WORDS)
    return tuple(word for word in text.words(phrase) if word not in stop_words)


def _phrase_or_none(term: str, language: str) -> tuple[str, ...] | None:
    """A term's meaningful words; None for a phrase that only one ordinary word would be left of ("plus de place"
    is not "place", "marche pas" is not "marche")."""
    words = phrase_words(term, language)
    return None if len(words) == 1 and len(text.words(term)) > 1 else words


def _keys(words: tuple[str, ...]) -> tuple[str, ...]:
    """Words as the thesaurus compares them: folded, without a plural s or x and a final e ("bloquées", "bloqué"
    → "bloqu"). Lighter than the search's stemmer on purpose: "portable" and "port" must stay apart."""
    keys = []
    for word in words:
        if len(word) > 3 and word[-1] in "sx":
            word = word[:-1]
        keys.append(word.rstrip("e") if len(word.rstrip("e")) >= 2 else word)
    return tuple(keys)


def concepts_for(language: str) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The thesaurus of ``language`` as an index: each phrase's keys → the other phrases of its concepts. One query
    (the rows); the index is built once per distinct content of those rows, so an edit is used at once."""
    rows = tuple(Concept.objects.filter(language=language).order_by("pk").values_list("terms", flat=True))
    return _index_of(language, rows)


@functools.lru_cache(maxsize=16)
def _index_of(language: str, rows: tuple[str, ...]) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    concepts = []
    for terms in rows:
        phrases = (_phrase_or_none(term, language) for term in terms.replace(",", "\n").splitlines())
        unique = tuple(dict.fromkeys(phrase for phrase in phrases if phrase and len(phrase) <= MAX_PHRASE_WORDS))
        if len(unique) > 1:
            concepts.append(unique)
    return phrase_index(concepts)


def phrase_index(concepts) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    by_keys: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for phrases in concepts:
        for phrase in phrases:
            alternatives = by_keys.setdefault(_keys(phrase), [])
            alternatives.extend(other for other in phrases if other != phrase and other not in alternatives)
    return {key: tuple(others) for key, others in by_keys.items()}


def query_groups(words: list[str], *, language: str, prefix_last: bool, index=None) -> list[Group]:
    """The query's meaningful words as groups: a run of words that is one of a concept's phrases becomes that
    concept's group; every other word is a group of its own. The word being typed stays alone (a prefix has no
    synonyms yet). ``index`` is concepts_for's (read from the database when not given)."""
    by_keys = concepts_for(language) if index is None else index
    complete = words[:-1] if prefix_last else words
    keys = _keys(tuple(complete))
    groups, position = [], 0
    while position < len(complete):
        for size in range(min(MAX_PHRASE_WORDS, len(complete) - position), 0, -1):
            others = by_keys.get(keys[position : position + size])
            if others:
                typed = tuple(complete[position : position + size])
                groups.append(Group((typed, *others)))
                position += size
                break
        else:
            groups.append(Group(((complete[position],),)))
            position += 1
    if prefix_last and words:
        groups.append(Group(((words[-1],),), prefix=True))
    return groups


@dataclass
class ThesaurusReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: list[str] = None

    def summary(self) -> str:
        kept = self.kept or []
        line = (
            f"Thesaurus: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(kept)} kept as edited in the administration."
        )
        return line + (" Kept: " + ", ".join(kept) + "." if kept else "")


def parse_file(path: Path) -> dict[str, str]:
    """{name: terms, one per line} from one thesaurus file; raises ValueError naming the line of a bad entry."""
    concepts = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, terms = line.partition(":")
        phrases = [term.strip() for term in terms.split(",") if term.strip()]
        if not separator or not name.strip() or len(phrases) < 2:
            raise ValueError(f"{path.name}, line {number}: expected 'name: term, term, …' with two terms or more")
        if name.strip() in concepts:
            raise ValueError(f"{path.name}, line {number}: '{name.strip()}' is already defined")
        concepts[name.strip()] = "\n".join(phrases)
    return concepts


@transaction.atomic
def load_thesaurus(*, directory: Path = DEFAULT_DIRECTORY, check_only: bool = False) -> ThesaurusReport:
    """Create missing concepts and update those nobody edited since they were loaded (see the module docstring)."""
    report = ThesaurusReport(kept=[])
    files = {path.stem: parse_file(path) for path in sorted(directory.glob("*.txt"))}
    for language, concepts in files.items():
        existing = {row.name: row for row in Concept.objects.select_for_update().filter(language=language)}
        for name, terms in concepts.items():
            concept = existing.get(name)
            if concept is None:
                report.created += 1
                if not check_only:
                    Concept.objects.create(language=language, name=name, terms=terms, loaded_terms=terms)
            elif concept.terms == terms:
                report.unchanged += 1
            elif concept.terms != concept.loaded_terms:
                report.kept.append(f"{language}:{name}")
            else:
                report.updated += 1
                if not check_only:
                    concept.terms = concept.loaded_terms = terms
                    concept.save(update_fields=["terms", "loaded_terms"])
    return report
