"""The agents' editor: write or change an article with a preview, read its history and restore a revision.

Every save goes through kb.services.article_save, so each change is a revision with its author, and a save made
from a page opened before someone else's change is refused instead of silently undoing it.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kb import rendering
from kb.forms import ArticleForm
from kb.models import Article, Status
from kb.services import StaleEdit, article_restore, article_save
from portal.identity.decorators import agent_required
from portal.web.language import content_language


def _agent_article(slug: str) -> Article:
    """The version in the page's language, or else the other one (as readers see it, drafts included)."""
    versions = {article.language: article for article in Article.objects.filter(slug=slug)}
    article = versions.get(content_language()) or next(iter(versions.values()), None)
    if article is None:
        raise Http404
    return article


@never_cache
@require_http_methods(["GET", "POST"])
@agent_required
def article_create_view(request):
    initial = {"language": content_language(), "status": Status.DRAFT}
    source = Article.objects.filter(slug=request.GET.get("slug", "")).first()
    if source is not None:
        # Translating an existing article: same slug, same classification, the other language.
        other = "en" if source.language == "fr" else "fr"
        initial.update(
            slug=source.slug,
            language=other,
            category=source.category,
            audience=source.audience,
            tags=source.tags,
            related=source.related,
        )
    return _edit(request, Article(), initial=initial)


@never_cache
@require_http_methods(["GET", "POST"])
@agent_required
def article_edit_view(request, slug):
    return _edit(request, _agent_article(slug))


def _edit(request, article: Article, initial=None):
    form = ArticleForm(request.POST or None, instance=article, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = rendering.render_markdown(form.cleaned_data["body"], language=form.instance.language)
        else:
            try:
                with transaction.atomic():
                    article_save(
                        article=form.instance,
                        by=request.user,
                        note=form.cleaned_data["note"],
                        base_version=form.cleaned_data["base_version"] if article.pk else None,
                    )
            except StaleEdit:
                form.add_error(
                    None,
                    gettext(
                        "Someone else changed this article since you opened it. Copy your text, reload the page and "
                        "apply your change again."
                    ),
                )
            else:
                messages.success(request, gettext("The article is saved."))
                return redirect(form.instance.get_absolute_url())
    return render(request, "kb/editor.html", {"form": form, "article": article, "preview": preview})


@never_cache
@agent_required
def history_view(request, slug):
    article = _agent_article(slug)
    revisions = article.revisions.select_related("author")
    return render(request, "kb/history.html", {"article": article, "revisions": revisions})


@never_cache
@agent_required
def revision_view(request, slug, number):
    article = _agent_article(slug)
    revision = get_object_or_404(article.revisions.select_related("author"), number=number)
    body_html = rendering.render_markdown(revision.snapshot.get("body", ""), language=article.language)
    return render(request, "kb/revision.html", {"article": article, "revision": revision, "body_html": body_html})


@require_POST
@agent_required
def revision_restore_view(request, slug, number):
    article = _agent_article(slug)
    revision = get_object_or_404(article.revisions, number=number)
    if article_restore(article=article, revision=revision, by=request.user) is None:
        messages.info(request, gettext("The article already has the content of this revision."))
    else:
        messages.success(request, gettext("Revision %(number)d is restored.") % {"number": revision.number})
    return redirect("kb:history", slug=article.slug)
