"""The relevance suite: questions as people type them, each with the articles that answer it, and the scores.

The questions are in ``kb/relevance/`` (``fr.txt`` and ``en.txt``: typed on the French and the English site;
``cross.txt``: typed in the other language, answered by the other language's articles), one per line as
``question => slug, slug``. They were written from the articles' content before the ranking was tuned, and must
stay that way: a question the search gets wrong is a finding, not a line to rewrite.

Each question is searched as a person who is not signed in. Scores: hit@1 (an expected article first), hit@3
(one in the first three), and the mean reciprocal rank (1/position of the first expected article, 0 beyond the
results). For cross-language questions, the position is the one in the other language's offer
(``kb.search.search_page``). Run by ``manage.py kb_relevance`` and by ``make bench``; pinned by
tests/kb/test_relevance.py.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from kb.search import search_page

SUITE_DIRECTORY = Path(settings.BASE_DIR) / "kb" / "relevance"
SUITES = ("fr", "en", "cross")


@dataclass(frozen=True)
class Question:
    text: str
    language: str  # the site's language
    expected: tuple[str, ...]
    line: int


@dataclass
class Score:
    suite: str
    questions: int = 0
    first: int = 0
    top_three: int = 0
    reciprocal: float = 0.0
    misses: list[tuple[Question, list[str]]] = field(default_factory=list)

    @property
    def hit_at_1(self) -> float:
        return self.first / self.questions if self.questions else 0.0

    @property
    def hit_at_3(self) -> float:
        return self.top_three / self.questions if self.questions else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal / self.questions if self.questions else 0.0

    def count(self, question: Question, found: list[str]) -> None:
        self.questions += 1
        position = next((index for index, slug in enumerate(found, 1) if slug in question.expected), None)
        if position is not None:
            self.reciprocal += 1 / position
            self.first += position == 1
            self.top_three += position <= 3
        if position is None or position > 3:
            self.misses.append((question, found[:3]))


def read_suite(name: str, directory: Path = SUITE_DIRECTORY) -> list[Question]:
    """The questions of one suite file; raises ValueError naming the line of a malformed one."""
    path = directory / f"{name}.txt"
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        language = name
        if name == "cross":
            language, _, line = line.partition(":")
            language, line = language.strip(), line.strip()
        question, separator, slugs = line.rpartition("=>")
        expected = tuple(slug.strip() for slug in slugs.split(",") if slug.strip())
        if not separator or not question.strip() or not expected or language not in ("fr", "en"):
            raise ValueError(
                f"{path.name}, line {number}: expected '{'fr: ' if name == 'cross' else ''}question => slug'"
            )
        questions.append(Question(question.strip(), language, expected, number))
    return questions


def evaluate(name: str, *, backend=None, directory: Path = SUITE_DIRECTORY) -> Score:
    score = Score(name)
    for question in read_suite(name, directory):
        results = search_page(query=question.text, user=AnonymousUser(), language=question.language, backend=backend)
        hits = results.other_language if name == "cross" else results.hits
        score.count(question, [hit.article.slug for hit in hits])
    return score
