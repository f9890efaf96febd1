from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kb.models import Article, Concept, Feedback, Revision
from kb.services import article_save
from portal.web.admin_mixins import ReadOnlyAdmin


class RevisionInline(ReadOnlyAdmin, admin.TabularInline):
    """The history, read-only; restoring is done from the portal's history page (one click, with a preview)."""

    model = Revision
    extra = 0
    can_delete = False
    fields = ("number", "created_at", "author", "note", "changed", "open")
    readonly_fields = fields
    ordering = ("-number",)

    @admin.display(description=_("changed fields"))
    def changed(self, revision):
        return ", ".join(revision.changed_field_labels)

    @admin.display(description=_("content"))
    def open(self, revision):
        with translation.override(revision.article.language):
            url = reverse("kb:revision", kwargs={"slug": revision.article.slug, "number": revision.number})
        return format_html('<a href="{}">{}</a>', url, _("View or restore"))


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "language", "category", "audience", "status", "updated_at", "yes", "no")
    list_filter = ("language", "status", "audience", "category")
    search_fields = ("title", "slug", "tags", "errors")
    readonly_fields = ("version", "created_at", "updated_at", "published_at")
    fieldsets = (
        (None, {"fields": ("slug", "language", "title", "summary", "body")}),
        (_("Classification"), {"fields": ("category", "audience", "status", "tags", "errors", "related")}),
        (_("Dates"), {"fields": ("version", "created_at", "updated_at", "published_at")}),
    )
    inlines = [RevisionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                feedback_yes=Count("feedback", filter=Q(feedback__helpful=True)),
                feedback_no=Count("feedback", filter=Q(feedback__helpful=False)),
            )
        )

    @admin.display(description=_("helpful"), ordering="feedback_yes")
    def yes(self, article):
        return article.feedback_yes

    @admin.display(description=_("not helpful"), ordering="feedback_no")
    def no(self, article):
        return article.feedback_no

    def get_readonly_fields(self, request, obj=None):
        # Translations are linked by slug and revisions belong to one language version: both fixed once created.
        fixed = ("slug", "language") if obj is not None else ()
        return (*self.readonly_fields, *fixed)

    def save_model(self, request, obj, form, change):
        article_save(article=obj, by=request.user, note=str(_("Edited in the administration")))


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("created_at", "article", "helpful", "comment")
    list_filter = ("helpful", "article__language")
    search_fields = ("comment", "article__title")
    list_select_related = ("article",)
    readonly_fields = ("article", "helpful", "comment", "user", "created_at")


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    """The thesaurus (kb.thesaurus): helpdesk agents add the words people use, as they hear them; the next search
    uses the change. Deleting a concept stays with administrators."""

    list_display = ("name", "language", "listed_terms")
    list_filter = ("language",)
    search_fields = ("name", "terms")
    fields = ("language", "name", "terms")

    def has_module_permission(self, request):
        return request.user.is_agent

    def has_view_permission(self, request, obj=None):
        return request.user.is_agent

    def has_add_permission(self, request):
        return request.user.is_agent

    def has_change_permission(self, request, obj=None):
        return request.user.is_agent

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=_("words and phrases"))
    def listed_terms(self, concept):
        return ", ".join(concept.term_list)
