"""The knowledge base as readers see it: home by category, category, article, search and the contact page."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language, get_language_info
from django.views.decorators.http import require_GET

from kb import page_cache
from kb.categories import BY_SLUG, CATEGORIES
from kb.forms import FeedbackForm, SearchForm
from kb.models import Article, feedback_counts, reader_rights
from kb.search import LISTING_FIELDS, SEARCH_LIMIT, search_page
from kb.selectors import PAGE_FIELDS, article_versions
from kb.views.common import union_all
from portal.identity.access import is_verified_agent
from portal.web.language import content_language
from portal.web.ratelimit import rate_limited

HOME_ARTICLES_PER_CATEGORY = 6
CATEGORY_PAGE_SIZE = 30
RELATED_ARTICLES = 5
FEEDBACK_SESSION_KEY = "kb_feedback_given"


@require_GET
def home_view(request):
    """Every category with its first few articles and a link to the rest.

    One small, index-served query per category (an index on language, category, title), sent as one UNION ALL
    statement on PostgreSQL, rather than a window over every visible article.
    """
    visible = Article.objects.visible_to(request.user).filter(language=content_language()).only(*LISTING_FIELDS)
    per_category = [
        visible.filter(category=category.code).order_by("title")[:HOME_ARTICLES_PER_CATEGORY] for category in CATEGORIES
    ]
    by_category: dict[str, list[Article]] = {}
    for article in union_all(per_category):
        by_category.setdefault(article.category, []).append(article)
    sections = [
        {"category": category, "articles": sorted(by_category[category.code], key=lambda article: article.title)}
        for category in CATEGORIES
        if category.code in by_category
    ]
    return render(request, "kb/home.html", {"sections": sections, "search_form": SearchForm()})


@require_GET
def category_view(request, slug):
    category = BY_SLUG.get(slug)
    if category is None:
        raise Http404
    articles = (
        Article.objects.visible_to(request.user)
        .filter(language=content_language(), category=category.code)
        .only(*LISTING_FIELDS)
        .order_by("title")
    )
    page = Paginator(articles, CATEGORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "kb/category.html", {"category": category, "page": page})


@require_GET
def article_view(request, slug):
    return render_article(request, slug)


@dataclass(frozen=True)
class ArticlePage:
    """The article page as every reader of one kind sees it in one language, rendered: the article with its
    breadcrumb and translation link (``main``), the fields of the feedback form not yet filled in, the related
    articles; and what the rest of the page needs to know of the article."""

    pk: int
    slug: str
    title: str
    has_translation: bool
    main: str
    feedback_fields: str
    related: str


def render_article(request, slug, *, feedback_form=None, status=200):
    """The article page; also re-rendered by the feedback view when its form has errors.

    The article, the empty feedback form and the related articles depend only on the language and on what the
    reader may see: they come from kb.page_cache, rendered once and dropped on any change to an article (no query
    on the next requests). The CSRF token, the answer already given in this session, a form sent back with its
    errors and the agents' tools are added for each request."""
    user = request.user
    is_agent = is_verified_agent(user)
    key = ("article", slug, get_language(), reader_rights(user))
    page = page_cache.kept(key, lambda: _article_page(user, slug))
    given = request.session.get(FEEDBACK_SESSION_KEY, []) if request.session.session_key else []
    context = {
        "page": page,
        "feedback_form": feedback_form,  # None: the empty form of the page
        "feedback_given": page.pk in given,
        "is_agent": is_agent,
        "counts": feedback_counts([page.pk]).get(page.pk, {"yes": 0, "no": 0}) if is_agent else None,
    }
    return render(request, "kb/article.html", context, status=status)


def _article_page(user, slug) -> ArticlePage:
    """Two queries: the article with its translation, the related articles (one UNION ALL on PostgreSQL)."""
    article, others = article_versions(user=user, slug=slug, fields=PAGE_FIELDS)
    translation = next(iter(others), None)
    context = {
        "article": article,
        "translation": translation,
        "in_other_language": article.language != content_language(),
        "related": _related(user, article),
    }
    return ArticlePage(
        pk=article.pk,
        slug=article.slug,
        title=article.title,
        has_translation=translation is not None,
        main=render_to_string("kb/includes/article_main.html", context),
        feedback_fields=render_to_string("kb/includes/feedback_fields.html", {"form": FeedbackForm()}),
        related=render_to_string("kb/includes/article_related.html", context),
    )


def _related(user, article: Article) -> list[Article]:
    """The article's chosen related articles first, then the latest of its category."""
    visible = Article.objects.visible_to(user).filter(language=article.language).exclude(pk=article.pk)
    chosen = visible.filter(slug__in=article.related_slugs).only(*LISTING_FIELDS).order_by()[:RELATED_ARTICLES]
    latest = visible.filter(category=article.category).only(*LISTING_FIELDS).order_by("-updated_at")
    rows = union_all([chosen, latest[:RELATED_ARTICLES]] if article.related_slugs else [latest[:RELATED_ARTICLES]])
    order = {slug: position for position, slug in enumerate(article.related_slugs)}
    rows.sort(key=lambda row: order.get(row.slug, len(order)))  # stable: the latest keep their order after
    unique = {row.pk: row for row in reversed(rows)}  # reversed, so the first occurrence wins
    return [row for row in rows if unique.pop(row.pk, None) is not None][:RELATED_ARTICLES]


def _language_name(code: str) -> str:
    """A language's name as a sentence of the page says it: "en anglais", "in French"."""
    if not code:
        return ""
    name = get_language_info(code)["name_translated"]
    return name.lower() if get_language() == "fr" else name


@require_GET
@rate_limited("search", methods=("GET",))
def search_view(request):
    form = SearchForm(request.GET)
    query = form.query()
    results = search_page(query=query, user=request.user, language=content_language()) if query else None
    hits = results.hits if results else []
    context = {
        "search_form": form,
        "query": query,
        "results": results,
        "hits": hits,
        "limit_reached": len(hits) >= SEARCH_LIMIT,
        "other_language_name": _language_name(results.other_language_code) if results else "",
    }
    return render(request, "kb/search.html", context)
