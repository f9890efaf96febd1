"""Helpers shared by the knowledge-base views."""

from django.db import connections
from django.http import Http404

from kb.models import Article
from portal.web.language import content_language


def article_for_reader(request, slug: str) -> tuple[Article, Article | None]:
    """The article in the page's language (or, failing that, in the other one) and its translation, in one query.

    Raises Http404 when the reader may see neither: an agents-only article is as absent as a missing one.
    """
    language = content_language()
    versions = list(Article.objects.visible_to(request.user).filter(slug=slug))
    article = next((version for version in versions if version.language == language), None)
    article = article or next(iter(versions), None)
    if article is None:
        raise Http404
    other = next((version for version in versions if version.language != article.language), None)
    return article, other


def union_all(querysets: list) -> list:
    """The rows of several sliced querysets: one UNION ALL statement where the database accepts a LIMIT inside one
    (PostgreSQL), one query each elsewhere (SQLite, the development database)."""
    if connections[querysets[0].db].features.supports_slicing_ordering_in_compound:
        return list(querysets[0].union(*querysets[1:], all=True))
    return [row for queryset in querysets for row in queryset]
