"""Load the knowledge-base articles from kb/content/ (or another directory); safe to run again at any time."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.loader import DEFAULT_DIRECTORY, ContentError, load_articles
from kb.thesaurus import DEFAULT_DIRECTORY as THESAURUS_DIRECTORY
from kb.thesaurus import load_thesaurus


class Command(BaseCommand):
    help = (
        "Create the knowledge-base articles and thesaurus concepts missing from the database and update those "
        "nobody edited since they were loaded. What was edited in the portal is never overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, default=DEFAULT_DIRECTORY, help="where the .md files are")
        parser.add_argument(
            "--thesaurus", type=Path, default=THESAURUS_DIRECTORY, help="where the thesaurus's .txt files are"
        )
        parser.add_argument("--check", action="store_true", help="validate the files and report, write nothing")

    def handle(self, *args, directory: Path, thesaurus: Path, check: bool, **options):
        try:
            report = load_articles(directory=directory, check_only=check)
            concepts = load_thesaurus(directory=thesaurus, check_only=check)
        except ContentError as error:
            raise CommandError("Invalid knowledge-base content:\n  " + "\n  ".join(error.problems)) from None
        except ValueError as error:
            raise CommandError(f"Invalid thesaurus: {error}") from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        prefix = "Check only (nothing written). " if check else ""
        self.stdout.write(prefix + report.summary())
        self.stdout.write(prefix + concepts.summary())
