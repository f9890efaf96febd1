"""Workflows on articles: saving with a revision, restoring a revision, recording and reporting feedback."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext

from kb.models import Article, Feedback, Revision


class StaleEdit(Exception):
    """The article changed since the editor opened it; saving would silently undo someone else's change."""


@transaction.atomic
def article_save(*, article: Article, by, note: str = "", base_version: int | None = None) -> Revision | None:
    """Validate and save an article, and record a revision of what changed (None when nothing did).

    ``by`` is the agent (None for the content loader). ``base_version`` is the version the editor started from:
    when given and no longer current, StaleEdit is raised and nothing is saved.
    """
    article.full_clean()
    previous = None
    if article.pk is not None:
        current = Article.objects.select_for_update().get(pk=article.pk)
        if base_version is not None and base_version != current.version:
            raise StaleEdit
        previous = current.snapshot()
    snapshot = article.snapshot()
    changed = [field for field in Article.EDITABLE_FIELDS if previous is None or previous[field] != snapshot[field]]
    if previous is not None and not changed:
        return None
    article.version += 1
    article.updated_at = timezone.now()
    article.save()
    return Revision.objects.create(
        article=article,
        number=article.version,
        author=by,
        note=note[:200],
        changed_fields=changed,
        snapshot=snapshot,
    )


def article_restore(*, article: Article, revision: Revision, by) -> Revision | None:
    """Put an old revision's content back, as a new revision (history is never rewritten)."""
    if revision.article_id != article.pk:
        raise ValueError("revision of another article")
    for field in Article.EDITABLE_FIELDS:
        if field in revision.snapshot:
            setattr(article, field, revision.snapshot[field])
    note = gettext("Restored revision %(number)d") % {"number": revision.number}
    return article_save(article=article, by=by, note=note)


ANONYMOUS_FEEDBACK_WINDOW = timedelta(days=1)


def feedback_source(address: str) -> str:
    """A keyed hash of a client address: equal for equal addresses, and not the address (nothing to hand over)."""
    return hmac.new(settings.SECRET_KEY.encode(), f"kb-feedback:{address}".encode(), hashlib.sha256).hexdigest()[:16]


@transaction.atomic
def feedback_record(*, article: Article, helpful: bool, comment: str, user, address: str = "") -> Feedback:
    """Store an answer to "did this solve your problem?". A signed-in person has one answer per article (a new one
    replaces it); without a session, one answer per client address and article a day, a later one replacing it."""
    values = {
        "helpful": helpful,
        "comment": comment.strip()[: Feedback.COMMENT_MAX_LENGTH],
        "created_at": timezone.now(),
    }
    if user is not None and user.is_authenticated:
        existing = Feedback.objects.select_for_update().filter(article=article, user=user).first()
        feedback = existing or Feedback(article=article, user=user)
    else:
        source = feedback_source(address)
        since = timezone.now() - ANONYMOUS_FEEDBACK_WINDOW
        existing = (
            Feedback.objects.select_for_update()
            .filter(article=article, user=None, source=source, created_at__gte=since)
            .first()
        )
        feedback = existing or Feedback(article=article, source=source)
    for name, value in values.items():
        setattr(feedback, name, value)
    feedback.full_clean(validate_constraints=False)
    feedback.save()
    return feedback


@dataclass(frozen=True)
class FailingArticle:
    article: Article
    yes: int
    no: int
    comments: list[Feedback]

    @property
    def total(self) -> int:
        return self.yes + self.no

    @property
    def failure_rate(self) -> int:
        """Percentage of "no" answers."""
        return round(100 * self.no / self.total) if self.total else 0


def articles_failing_to_help(*, days: int, limit: int = 50, comments: int = 3) -> list[FailingArticle]:
    """Articles with at least one "no" in the period, those with the most "no" first, then the worst ratio.

    The count of "no" comes first because an article read a thousand times and failing twenty of them needs
    rewriting more than one failing its only reader. Three queries whatever the number of articles.
    """
    since = timezone.now() - timedelta(days=days)
    in_period = Q(feedback__created_at__gte=since)
    recent_no_comments = Feedback.objects.filter(helpful=False, created_at__gte=since).exclude(comment="")
    rows = (
        Article.objects.annotate(
            yes=Count("feedback", filter=in_period & Q(feedback__helpful=True)),
            no=Count("feedback", filter=in_period & Q(feedback__helpful=False)),
        )
        .filter(no__gt=0)
        .order_by("-no", "yes", "title")
        .prefetch_related(Prefetch("feedback", queryset=recent_no_comments, to_attr="recent_comments"))
        .only("id", "slug", "language", "title", "category", "status", "audience")[:limit]
    )
    return [FailingArticle(row, row.yes, row.no, row.recent_comments[:comments]) for row in rows]
