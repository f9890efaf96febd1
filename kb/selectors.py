"""What other apps may read from the knowledge base, without touching its tables or its views."""

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from kb.models import Article, Audience, Status
from portal.web.language import content_language


def known_error_texts(*, user, language: str) -> list[str]:
    """Each exact error message the articles this person may read list in their metadata, one per line as written.
    One query."""
    rows = Article.objects.visible_to(user).filter(language=language).exclude(errors="")
    lines = (line.strip() for errors in rows.values_list("errors", flat=True) for line in errors.splitlines())
    return [line for line in lines if line]


# What the article page shows of an article and of its translation: not the Markdown source, the plain text or the
# trigram text, each as long as the HTML again (the search vectors are never loaded, kb.models.ArticleManager).
PAGE_FIELDS = (
    "id", "slug", "language", "title", "summary", "category", "audience", "status", "tags", "errors", "related",
    "body_html", "updated_at",
)  # fmt: skip


def article_versions(*, user, slug: str, fields: tuple[str, ...] = ()) -> tuple[Article, list[Article]]:
    """The article in the page's language (or, failing that, in the other one) and its other versions, in one query;
    only ``fields`` loaded, when given.

    Raises Http404 when the reader may see none: an agents-only article is as absent as a missing one.
    """
    language = content_language()
    rows = Article.objects.visible_to(user).filter(slug=slug)
    versions = list(rows.only(*fields) if fields else rows)
    article = next((version for version in versions if version.language == language), None)
    article = article or next(iter(versions), None)
    if article is None:
        raise Http404
    return article, [version for version in versions if version.pk != article.pk]


def article_for_reader(request, slug: str) -> tuple[Article, Article | None]:
    """The article a page shows and its translation, if any (article_versions)."""
    article, others = article_versions(user=request.user, slug=slug)
    return article, next(iter(others), None)


# Articles an agent may send a requester: published, and readable by any signed-in person.
LINKABLE_AUDIENCES = (Audience.PUBLIC, Audience.STAFF)


def article_address(*, slug: str, language: str) -> str:
    """The article's absolute address in ``language`` (the page falls back to the other version if need be), from
    the configured site address only, for a message sent to someone."""
    with translation.override(language):
        return settings.SITE_URL + reverse("kb:article", kwargs={"slug": slug})


def linkable_articles(*, language: str) -> list[tuple[int, str, str]]:
    """(id, slug, title) of the articles an agent may link in a reply, one per slug, in ``language`` when it has
    that version, by title. One query."""
    rows = Article.objects.filter(status=Status.PUBLISHED, audience__in=LINKABLE_AUDIENCES)
    chosen: dict[str, tuple[int, str, str]] = {}
    for pk, slug, title, version in rows.values_list("pk", "slug", "title", "language"):
        if slug not in chosen or version == language:
            chosen[slug] = (pk, slug, title)
    return sorted(chosen.values(), key=lambda row: row[2].casefold())


def linkable_article(*, slug: str, language: str) -> Article | None:
    """The article ``slug`` if an agent may link it in a reply (as in linkable_articles), in ``language`` when it
    has that version; None otherwise. One query."""
    rows = Article.objects.filter(slug=str(slug or "")[:80], status=Status.PUBLISHED, audience__in=LINKABLE_AUDIENCES)
    versions = list(rows.only("pk", "slug", "language", "title"))
    return next((row for row in versions if row.language == language), next(iter(versions), None))


def article_version(article: Article, *, language: str) -> Article:
    """The published version of ``article`` in ``language``, else ``article`` itself."""
    translated = (
        Article.objects.filter(slug=article.slug, language=language, status=Status.PUBLISHED)
        .only("pk", "slug", "language", "title")
        .first()
    )
    return translated or article
