"""The relevance suite (kb/relevance/, kb.relevance) over the articles shipped in kb/content/, as a reader who is
not signed in: the questions people type find an answer in the first three results.

The thresholds are the floor the search must not fall below, not its score; ``manage.py kb_relevance --misses``
prints the scores and the questions missed. Writing a question differently to make it pass defeats the suite.
"""

import pytest

from kb.loader import load_articles
from kb.relevance import evaluate, read_suite
from kb.search import PostgresSearch, PythonSearch
from kb.thesaurus import load_thesaurus
from tests.helpers import requires_services

pytestmark = pytest.mark.django_db

# hit@3 floors per backend and suite.
FLOORS = {
    "postgresql": {"fr": 0.95, "en": 0.95, "cross": 0.85},
    "python": {"fr": 0.93, "en": 0.93, "cross": 0.80},
}


@pytest.fixture
def shipped():
    load_articles()
    load_thesaurus()


def test_the_suite_has_the_questions_it_promises():
    counts = {name: len(read_suite(name)) for name in ("fr", "en", "cross")}
    assert counts["fr"] >= 120 and counts["en"] >= 40 and counts["cross"] >= 20


@pytest.mark.parametrize("name", ["postgresql", "python"])
def test_questions_find_an_answer_in_the_first_three_results(shipped, name):
    if name == "postgresql":
        requires_services()
    backend = PostgresSearch() if name == "postgresql" else PythonSearch()
    for suite, floor in FLOORS[name].items():
        score = evaluate(suite, backend=backend)
        missed = [f"{question.text!r} → {found}" for question, found in score.misses]
        print(f"{name} {suite}: hit@1 {score.hit_at_1:.3f} hit@3 {score.hit_at_3:.3f} MRR {score.mrr:.3f}")
        assert score.hit_at_3 >= floor, "\n".join(missed)
