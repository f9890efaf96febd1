"""Loads knowledge-base articles from Markdown files, without ever overwriting what agents changed in the portal.

A file is ``<slug>.<language>.md`` (language ``fr`` or ``en``; the two files of one slug are translations of each
other) and starts with a header::

    ---
    title: Mot de passe oublié ou expiré
    category: password
    audience: public
    tags: mot de passe, réinitialisation
    errors: identifiant incorrect | mot de passe expiré
    related: compte-verrouille, client-mail-ancien-mot-de-passe
    summary: Une phrase qui résume la réponse.
    ---
    Markdown body…

For each file: a missing article is created (published); an article still exactly as the loader last wrote it is
updated when its file changed; any other (edited in the portal since, or created there) is left alone and
reported. Every write is a revision by "the loader". All files are validated before anything is written, and the
whole load is one transaction: a bad file leaves the knowledge base as it was, and the error names the file.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from kb import rendering
from kb.categories import CategoryCode
from kb.models import Article, Audience, Status, fingerprint
from kb.services import article_save

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "kb" / "content"
FILE_NAME = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<language>fr|en)\.md$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HEADER_KEYS = ("title", "category", "audience", "tags", "errors", "related", "summary")
REQUIRED_KEYS = ("title", "category", "audience")
ERROR_SEPARATOR = " | "


class ContentError(Exception):
    """One or more content files are invalid; each problem starts with the file name."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ArticleSource:
    path: Path
    slug: str
    language: str
    fields: dict[str, str]


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        line = (
            f"Knowledge base: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.kept)} kept as edited in the portal."
        )
        if self.kept:
            line += " Kept: " + ", ".join(self.kept) + "."
        return line


def parse_file(path: Path) -> ArticleSource:
    """Read one content file; raises ContentError naming the file and every problem found in it."""
    name = path.name
    match = FILE_NAME.match(name)
    if not match:
        raise ContentError([f"{name}: the file name must be <slug>.<fr|en>.md, the slug in lower case with hyphens"])
    try:
        content = path.read_text(encoding="utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise ContentError([f"{name}: not UTF-8 text"]) from None
    problems: list[str] = []
    header, body = _split_header(content, name, problems)
    values = _header_values(header, name, problems)
    for key in REQUIRED_KEYS:
        if not values.get(key):
            problems.append(f"{name}: '{key}' is missing or empty in the header")
    if values.get("category") and values["category"] not in CategoryCode.values:
        problems.append(f"{name}: unknown category '{values['category']}' (one of: {', '.join(CategoryCode.values)})")
    if values.get("audience") and values["audience"] not in Audience.values:
        problems.append(f"{name}: unknown audience '{values['audience']}' (one of: {', '.join(Audience.values)})")
    related = [item.strip() for item in values.get("related", "").split(",") if item.strip()]
    for key in related:
        if not SLUG.match(key):
            problems.append(f"{name}: related article '{key}' is not a slug (lower case, digits, hyphens)")
    if not body.strip():
        problems.append(f"{name}: the article has no text after the header")
    if problems:
        raise ContentError(problems)
    tags = [item.strip() for item in values.get("tags", "").split(",") if item.strip()]
    errors = [item.strip() for item in values.get("errors", "").split("|") if item.strip()]
    fields = {
        "title": values["title"],
        "summary": values.get("summary", ""),
        "body": body.strip() + "\n",
        "category": values["category"],
        "audience": values["audience"],
        "status": Status.PUBLISHED,
        "tags": ", ".join(tags),
        "errors": "\n".join(errors),
        "related": ", ".join(related),
    }
    return ArticleSource(path, match["slug"], match["language"], fields)


def _split_header(content: str, name: str, problems: list[str]) -> tuple[list[str], str]:
    lines = content.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.append(f"{name}: the file must start with a '---' line, then the header, then '---'")
        return [], ""
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return lines[1:index], "\n".join(lines[index + 1 :])
    problems.append(f"{name}: the header is not closed by a '---' line")
    return [], ""


def _header_values(header: list[str], name: str, problems: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(header, start=2):
        if not line.strip():
            continue
        key, separator, value = line.partition(":")
        key = key.strip().lower()
        if not separator:
            problems.append(f"{name}, line {number}: expected 'key: value', got {line.strip()!r}")
        elif key not in HEADER_KEYS:
            problems.append(f"{name}, line {number}: unknown header key '{key}' (known: {', '.join(HEADER_KEYS)})")
        elif key in values:
            problems.append(f"{name}, line {number}: '{key}' is given twice")
        else:
            values[key] = value.strip()
    return values


def read_directory(directory: Path) -> list[ArticleSource]:
    """Every ``*.md`` file of the directory, parsed; raises ContentError with the problems of all files."""
    if not directory.is_dir():
        raise ContentError([f"{directory}: not a directory"])
    sources, problems = [], []
    for path in sorted(directory.glob("*.md")):
        try:
            sources.append(parse_file(path))
        except ContentError as error:
            problems.extend(error.problems)
    if problems:
        raise ContentError(problems)
    return sources


def load_articles(*, directory: Path = DEFAULT_DIRECTORY, check_only: bool = False) -> LoadReport:
    """Create missing articles and update untouched ones from the files (see the module docstring)."""
    sources = read_directory(directory)
    report = LoadReport()
    with transaction.atomic():
        existing = {
            (article.slug, article.language): article
            for article in Article.objects.select_for_update().filter(slug__in={source.slug for source in sources})
        }
        known_slugs = {source.slug for source in sources} | set(Article.objects.values_list("slug", flat=True))
        plan, problems = [], []
        for source in sources:
            label = f"{source.slug}.{source.language}"
            for key in source.fields["related"].split(", "):
                if key and key not in known_slugs:
                    report.warnings.append(f"{source.path.name}: related article '{key}' does not exist (yet)")
            for key in rendering.article_links(source.fields["body"]):
                if key not in known_slugs:
                    report.warnings.append(f"{source.path.name}: the text links to '{key}', which does not exist")
            article = existing.get((source.slug, source.language))
            if article is None:
                article = Article(slug=source.slug, language=source.language)
                outcome = report.created
            elif not article.loaded_fingerprint or article.fingerprint() != article.loaded_fingerprint:
                report.kept.append(label)
                continue
            elif fingerprint(source.fields) == article.loaded_fingerprint:
                report.unchanged.append(label)
                continue
            else:
                outcome = report.updated
            for name, value in source.fields.items():
                setattr(article, name, value)
            try:
                article.full_clean()
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    problems.append(f"{source.path.name}: {name}: {' '.join(messages)}")
                continue
            plan.append((source, article))
            outcome.append(label)
        if problems:
            raise ContentError(problems)
        if check_only:
            return report
        for source, article in plan:
            action = "Created" if article.pk is None else "Updated"
            article_save(article=article, by=None, note=f"{action} from {source.path.name}")
            Article.objects.filter(pk=article.pk).update(loaded_fingerprint=article.fingerprint())
    return report
