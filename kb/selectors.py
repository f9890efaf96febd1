"""What other apps may read from the knowledge base, without touching its tables or its views."""

from django.http import Http404

from kb.models import Article
from portal.web.language import content_language


def known_error_texts(*, user, language: str) -> list[str]:
    """Each exact error message the articles this person may read list in their metadata, one per line as written.
    One query."""
    rows = Article.objects.visible_to(user).filter(language=language).exclude(errors="")
    lines = (line.strip() for errors in rows.values_list("errors", flat=True) for line in errors.splitlines())
    return [line for line in lines if line]


def article_versions(*, user, slug: str) -> tuple[Article, list[Article]]:
    """The article in the page's language (or, failing that, in the other one) and its other versions, in one query.

    Raises Http404 when the reader may see none: an agents-only article is as absent as a missing one.
    """
    language = content_language()
    versions = list(Article.objects.visible_to(user).filter(slug=slug))
    article = next((version for version in versions if version.language == language), None)
    article = article or next(iter(versions), None)
    if article is None:
        raise Http404
    return article, [version for version in versions if version.pk != article.pk]


def article_for_reader(request, slug: str) -> tuple[Article, Article | None]:
    """The article a page shows and its translation, if any (article_versions)."""
    article, others = article_versions(user=request.user, slug=slug)
    return article, next(iter(others), None)
