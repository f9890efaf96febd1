"""Score the search on the relevance suite (kb/relevance/): hit@1, hit@3 and MRR per suite and backend."""

import json

from django.core.management.base import BaseCommand
from django.db import connection

from kb.relevance import SUITES, evaluate
from kb.search import PostgresSearch, PythonSearch


class Command(BaseCommand):
    help = (
        "Search every question of the relevance suite as a reader who is not signed in and report hit@1, hit@3 "
        "and the mean reciprocal rank, per suite and per search backend, over the articles in the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--backend", choices=("postgresql", "python", "both"), default="both")
        parser.add_argument("--misses", action="store_true", help="list the questions missed in the top three")
        parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")

    def handle(self, *args, backend: str, misses: bool, **options):
        backends = {"postgresql": PostgresSearch, "python": PythonSearch}
        names = list(backends) if backend == "both" else [backend]
        if connection.vendor != "postgresql" and "postgresql" in names:
            names.remove("postgresql")
            self.stderr.write("PostgreSQL search needs a PostgreSQL database: scoring the Python backend only.")
        scores = {name: [evaluate(suite, backend=backends[name]()) for suite in SUITES] for name in names}
        if options["json"]:
            report = {
                name: {s.suite: {"questions": s.questions, "hit@1": s.hit_at_1, "hit@3": s.hit_at_3, "mrr": s.mrr}
                       for s in suite_scores}
                for name, suite_scores in scores.items()
            }  # fmt: skip
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write("| backend | suite | questions | hit@1 | hit@3 | MRR |\n|---|---|---|---|---|---|")
        for name, suite_scores in scores.items():
            for score in suite_scores:
                self.stdout.write(
                    f"| {name} | {score.suite} | {score.questions} | {score.hit_at_1:.3f} | {score.hit_at_3:.3f} "
                    f"| {score.mrr:.3f} |"
                )
        if misses:
            for name, suite_scores in scores.items():
                for score in suite_scores:
                    for question, found in score.misses:
                        self.stdout.write(
                            f"{name} {score.suite}:{question.line}: {question.text!r} wants "
                            f"{', '.join(question.expected)}; got {', '.join(found) or 'nothing'}"
                        )
