import hashlib
import json

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kb import rendering, text
from kb.categories import BY_CODE, Category, CategoryCode
from portal.identity.access import is_verified_agent


class Audience(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    STAFF = "staff", _("Signed-in staff")
    AGENTS = "agents", _("Helpdesk agents only")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


# PostgreSQL text search configurations created by migration 0002 (unaccent, then the language's stemmer).
SEARCH_CONFIGS = {"fr": "fr_unaccent", "en": "en_unaccent"}
# Paths under aide/ taken by the knowledge base's own pages: no article may use them as its slug.
RESERVED_SLUGS = {"recherche", "contact", "categorie", "retours", "nouvel-article"}


def reader_rights(user) -> tuple:
    """What decides which articles a reader sees (ArticleQuerySet.visible_to): their audiences, and whether drafts
    too. Part of the key of whatever is kept per kind of reader (kb.page_cache)."""
    return (*audiences_for(user), is_verified_agent(user))


def audiences_for(user) -> list[str]:
    if is_verified_agent(user):
        return [Audience.PUBLIC, Audience.STAFF, Audience.AGENTS]
    if user is not None and user.is_authenticated:
        return [Audience.PUBLIC, Audience.STAFF]
    return [Audience.PUBLIC]


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ArticleQuerySet":
        """What this person may read: their audiences, and drafts only for agents (to preview them)."""
        visible = self.filter(audience__in=audiences_for(user))
        if not is_verified_agent(user):
            visible = visible.filter(status=Status.PUBLISHED)
        return visible

    def refresh_search_index(self) -> int:
        """Recompute the weighted tsvector of these articles in one UPDATE (PostgreSQL only; a no-op elsewhere).

        Weights: title A, error messages and tags B, summary and body C. ``head_vector`` holds the first two only:
        small enough to rank thousands of rows quickly (see kb/search.py).
        """
        if connections[self.db].vendor != "postgresql":
            return 0
        config = Case(
            *(When(language=language, then=Value(name)) for language, name in SEARCH_CONFIGS.items()),
            default=Value(SEARCH_CONFIGS["fr"]),
        )
        head = SearchVector("title", weight="A", config=config) + SearchVector(
            "errors", "tags", weight="B", config=config
        )
        return self.update(
            head_vector=head, search_vector=head + SearchVector("summary", "body_text", weight="C", config=config)
        )


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def get_queryset(self):
        # The tsvectors are only read by the database itself; loading them would double the size of every row.
        return super().get_queryset().defer("search_vector", "head_vector")


def split_list(value: str, separator: str = ",") -> list[str]:
    return [item.strip() for item in value.split(separator) if item.strip()]


class Article(models.Model):
    """One knowledge-base article in one language; its translations share its slug.

    Editable fields are listed in EDITABLE_FIELDS: they are what a revision records and what the loader compares.
    The HTML, the plain text, the trigram text and the search vector are derived from them on every save.
    """

    EDITABLE_FIELDS = ("title", "summary", "body", "category", "audience", "status", "tags", "errors", "related")

    slug = models.SlugField(
        _("slug"),
        max_length=80,
        help_text=_("The address of the article, shared by its translations (for example mot-de-passe-oublie)."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="fr")
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("summary"), max_length=300, blank=True, help_text=_("One sentence that gives the answer.")
    )
    body = models.TextField(_("text (Markdown)"))
    category = models.CharField(_("category"), max_length=20, choices=CategoryCode.choices)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    tags = models.CharField(_("tags"), max_length=300, blank=True, help_text=_("Comma-separated."))
    errors = models.TextField(
        _("error messages"),
        blank=True,
        help_text=_("The exact messages this article solves, one per line (for example: token badvalue)."),
    )
    related = models.CharField(
        _("related articles"), max_length=300, blank=True, help_text=_("Slugs of related articles, comma-separated.")
    )

    body_html = models.TextField(editable=False, default="")
    body_text = models.TextField(editable=False, default="")
    # Folded error messages, for trigram (typo-tolerant) matching of what people copy from their screen.
    match_text = models.TextField(editable=False, default="")
    search_vector = SearchVectorField(null=True, editable=False)
    head_vector = SearchVectorField(null=True, editable=False)

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last updated"), default=timezone.now, editable=False)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True, editable=False)
    # Bumped by every revision: the editor refuses to save over a version it did not start from.
    version = models.PositiveIntegerField(default=0, editable=False)
    # Fingerprint of the editable fields as the loader last wrote them; empty for articles created in the portal.
    loaded_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    objects = ArticleManager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [models.UniqueConstraint(fields=["slug", "language"], name="kb_article_slug_language_unique")]
        indexes = [
            # The home page (first titles of each category) and the related articles (latest of the category).
            models.Index(fields=["language", "category", "title"], name="kb_article_category_title"),
            models.Index(fields=["language", "category", "-updated_at"], name="kb_article_category_recent"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = rendering.render_markdown(self.body, language=self.language)
        self.body_text = rendering.plain_text(self.body_html)
        self.match_text = "\n".join(text.fold(line) for line in self.error_list)
        if self.status == Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "body_html", "body_text", "match_text", "published_at"}
        # Imported here: kb.vocabulary reads this module's models.
        from kb import vocabulary

        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            articles = type(self).objects.using(using)
            # Locked: two saves of one article must count one after the other.
            before = None
            if self.pk is not None:
                before = vocabulary.counted_row(articles.select_for_update().filter(pk=self.pk))
            super().save(*args, **kwargs)
            articles.filter(pk=self.pk).refresh_search_index()
            after = vocabulary.counted_row(articles.filter(pk=self.pk))
            vocabulary.article_terms_replaced(before=before, after=after, using=using)

    def get_absolute_url(self):
        with translation.override(self.language):
            return reverse("kb:article", kwargs={"slug": self.slug})

    def clean(self):
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("This address is used by a page of the knowledge base.")})

    @property
    def category_info(self) -> Category:
        return BY_CODE[self.category]

    @property
    def tag_list(self) -> list[str]:
        return split_list(self.tags)

    @property
    def error_list(self) -> list[str]:
        return split_list(self.errors, "\n")

    @property
    def related_slugs(self) -> list[str]:
        return split_list(self.related)

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    def snapshot(self) -> dict[str, str]:
        return {field: getattr(self, field) for field in self.EDITABLE_FIELDS}

    def fingerprint(self) -> str:
        return fingerprint(self.snapshot())


def fingerprint(snapshot: dict[str, str]) -> str:
    normalised = {key: str(value).replace("\r\n", "\n").strip() for key, value in snapshot.items()}
    return hashlib.sha256(json.dumps(normalised, sort_keys=True).encode()).hexdigest()


class Revision(models.Model):
    """The editable fields of an article after one change: who, when, which fields, and a note."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    created_at = models.DateTimeField(_("date"), default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("author")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    changed_fields = models.JSONField(_("changed fields"), default=list)
    snapshot = models.JSONField(default=dict)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_revision_number_unique")]

    def __str__(self):
        return f"{self.article} #{self.number}"

    @property
    def changed_field_labels(self) -> list[str]:
        return [str(Article._meta.get_field(name).verbose_name) for name in self.changed_fields]


class Feedback(models.Model):
    """One answer to "did this article solve your problem?", with an optional comment.

    One per signed-in person and article (answering again replaces it), and one per client address and article
    a day for people not signed in (``source`` is a keyed hash of the address, never the address), so fifty fresh
    sessions from one machine weigh as one reader in the agents' report (kb.services.feedback_record)."""

    COMMENT_MAX_LENGTH = 1000

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, blank=True, editable=False)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [
            models.Index(fields=["created_at", "helpful"], name="kb_feedback_recent"),
            models.Index(fields=["article", "source", "created_at"], name="kb_feedback_source"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="kb_feedback_once_per_person"
            )
        ]

    def __str__(self):
        return f"{self.article}: {'+' if self.helpful else '-'}"


def feedback_counts(article_ids) -> dict[int, dict[str, int]]:
    """{article id: {"yes": n, "no": n}} in one query."""
    rows = (
        Feedback.objects.filter(article_id__in=article_ids)
        .values("article_id")
        .annotate(yes=models.Count("pk", filter=Q(helpful=True)), no=models.Count("pk", filter=Q(helpful=False)))
    )
    return {row["article_id"]: {"yes": row["yes"], "no": row["no"]} for row in rows}


class Concept(models.Model):
    """Words and phrases that mean the same thing to the people searching, in one language ("bloqué",
    "verrouillé", "suspendu"): a query that says one finds articles that say another (kb.thesaurus).

    Applied when a query is read, so a change here takes effect on the next search, with no re-indexing. Loaded
    from kb/thesaurus/<language>.txt by ``load_kb``; a concept edited in the administration since it was loaded is
    never overwritten (``loaded_terms`` is what the loader last wrote)."""

    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="fr")
    name = models.CharField(_("name"), max_length=80, help_text=_("A short name for the idea, for example bloqué."))
    terms = models.TextField(
        _("words and phrases"),
        help_text=_("One per line, each meaning the same as the others: bloqué, verrouillé, suspendu…"),
    )
    loaded_terms = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["language", "name"]
        verbose_name = _("concept (synonyms)")
        verbose_name_plural = _("thesaurus")
        constraints = [models.UniqueConstraint(fields=["language", "name"], name="kb_concept_name_unique")]

    def __str__(self):
        return self.name

    @property
    def term_list(self) -> list[str]:
        return split_list(self.terms.replace(",", "\n"), "\n")

    def clean(self):
        super().clean()
        if len([term for term in self.term_list if text.words(term)]) < 2:
            raise ValidationError({"terms": _("Give at least two words or phrases that mean the same thing.")})


class Term(models.Model):
    """How many articles of one language use a word (by its stem): the rarer the word, the more it weighs in a
    query, and the known words are what "did you mean" corrects a typo to (kb.vocabulary).

    Kept up to date by every article save and delete (kb.vocabulary.article_terms_replaced), rebuilt in one pass by
    ``kb.vocabulary.vocabulary_rebuild`` after bulk loads. The row with an empty term counts the articles."""

    language = models.CharField(max_length=8)
    term = models.CharField(max_length=64)
    word = models.CharField(max_length=64, help_text="a folded word with this stem, as articles spell it")
    articles = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["language", "term"], name="kb_term_unique")]

    def __str__(self):
        return f"{self.language}:{self.term} ({self.articles})"
