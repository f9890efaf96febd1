"""Load the knowledge-base articles from kb/content/ (or another directory); safe to run again at any time."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.loader import DEFAULT_DIRECTORY, ContentError, load_articles


class Command(BaseCommand):
    help = (
        "Create the knowledge-base articles missing from the database and update those nobody edited since they "
        "were loaded. Articles edited in the portal are never overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, default=DEFAULT_DIRECTORY, help="where the .md files are")
        parser.add_argument("--check", action="store_true", help="validate the files and report, write nothing")

    def handle(self, *args, directory: Path, check: bool, **options):
        try:
            report = load_articles(directory=directory, check_only=check)
        except ContentError as error:
            raise CommandError("Invalid knowledge-base content:\n  " + "\n  ".join(error.problems)) from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        prefix = "Check only (nothing written). " if check else ""
        self.stdout.write(prefix + report.summary())
