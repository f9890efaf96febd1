from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.models import Role
from portal.web.admin_mixins import ReadOnlyAdmin
from tickets.major_incidents import (
    EDITABLE_FIELDS,
    major_incident_open,
    major_incident_resolve,
    major_incident_update,
)
from tickets.models import (
    ArticleSolution,
    AssignmentRule,
    BusinessCalendar,
    BusinessHours,
    CannedAnswer,
    Deflection,
    MajorIncident,
    MajorIncidentEvent,
    MajorIncidentStatus,
    ProblemType,
    ProblemTypeField,
    Queue,
    QueueMembership,
    SlaTarget,
    Ticket,
    TicketEvent,
)
from tickets.services import ticket_link_major_incident, ticket_priority_change, ticket_status_change


class AgentsMayEdit:
    """Helpdesk agents edit major incidents and tickets without per-model permissions (the admin site already
    requires an agent with a verified second factor); deleting stays with administrators."""

    def has_module_permission(self, request):
        return request.user.is_agent

    def has_view_permission(self, request, obj=None):
        return request.user.is_agent

    def has_add_permission(self, request, *args):
        return request.user.is_agent

    def has_change_permission(self, request, obj=None):
        return request.user.is_agent

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class LabelledInlineFormSet(BaseInlineFormSet):
    """A table row's inputs have no <label> of their own (the column header names them): each gets the column's
    name as its accessible name, "delete" included, so screen readers and axe know what each one is."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for name, field in form.fields.items():
            label = field.label or name
            field.widget.attrs.setdefault("aria-label", str(label))


class CatalogEditors(AgentsMayEdit):
    """Queues, their members and problem types shape where every incident goes and who sees it: agents read them,
    and only those given the model's own permission (``tickets.change_queue``, ``tickets.change_problemtype``, for
    instance through a "catalogue" group) add or change them."""

    permission_model = ""  # the model whose permission an inline follows (its parent's)

    def _may_edit(self, request) -> bool:
        model = self.permission_model or self.model._meta.model_name
        return request.user.is_agent and request.user.has_perm(f"tickets.change_{model}")

    def has_add_permission(self, request, *args):
        return self._may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request)


class QueueMembershipInline(CatalogEditors, admin.TabularInline):
    """The queue's agents: they see and work its incidents; one of them may be its lead."""

    model = QueueMembership
    permission_model = "queue"
    formset = LabelledInlineFormSet
    extra = 0
    fields = ("user", "is_lead", "is_available")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = get_user_model().objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AssignmentRuleInline(CatalogEditors, admin.TabularInline):
    """Who the queue's new tickets go to: in turn among available members, or always one person; a rule for a
    problem type wins over the rule without one."""

    model = AssignmentRule
    permission_model = "queue"
    formset = LabelledInlineFormSet
    extra = 0
    fields = ("problem_type", "mode", "owner", "is_active")


@admin.register(Queue)
class QueueAdmin(CatalogEditors, admin.ModelAdmin):
    list_display = ("name_fr", "name_en", "slug", "calendar", "is_active")
    prepopulated_fields = {"slug": ("name_fr",)}
    inlines = [QueueMembershipInline, AssignmentRuleInline]


class BusinessHoursInline(CatalogEditors, admin.TabularInline):
    """The opening intervals of each weekday; a day may have two (morning and afternoon), a closed day none."""

    model = BusinessHours
    permission_model = "businesscalendar"
    formset = LabelledInlineFormSet
    extra = 0
    fields = ("weekday", "opens", "closes")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(CatalogEditors, admin.ModelAdmin):
    """When a team works: its queues' SLA clocks count only these hours, outside public holidays."""

    list_display = ("name", "holiday_region")
    fields = ("name", "holiday_region", "closed_days")
    inlines = [BusinessHoursInline]


@admin.register(SlaTarget)
class SlaTargetAdmin(CatalogEditors, admin.ModelAdmin):
    """First response and resolution targets in business minutes. A change applies to tickets filed afterwards and
    to tickets whose priority an agent changes."""

    list_display = ("priority", "problem_type", "first_response_minutes", "resolution_minutes")
    list_filter = ("priority", "problem_type")


class ProblemTypeFieldInline(CatalogEditors, admin.TabularInline):
    """The questions of the problem type's form, from the fixed vocabulary (tickets/fields/), in order. Questions
    with a third answer (another browser or network tried, code, SSO, VPN) are always required, whatever the box
    says (tickets.fields.keys.QUESTION_KEYS)."""

    model = ProblemTypeField
    permission_model = "problemtype"
    formset = LabelledInlineFormSet
    extra = 0
    fields = ("position", "key", "required", "help_text_fr", "help_text_en")
    ordering = ("position", "pk")


@admin.register(ProblemType)
class ProblemTypeAdmin(CatalogEditors, admin.ModelAdmin):
    list_display = ("name_fr", "name_en", "queue", "position", "is_active", "field_count")
    list_filter = ("queue", "is_active")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name_fr",)}
    inlines = [ProblemTypeFieldInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(field_count=Count("fields"))

    @admin.display(description=_("form fields"), ordering="field_count")
    def field_count(self, problem_type):
        return problem_type.field_count


class TimelineInline(ReadOnlyAdmin, admin.TabularInline):
    """A history shown under its incident: agents read it, nobody adds to or edits it here (events are written by
    the services that make the changes)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        return request.user.is_agent


class MajorIncidentEventInline(TimelineInline):
    model = MajorIncidentEvent
    fields = ("created_at", "kind", "actor", "data")


@admin.register(MajorIncident)
class MajorIncidentAdmin(AgentsMayEdit, admin.ModelAdmin):
    """Agents open a major incident here; while it is ongoing the portal shows it before the forms of its problem
    type and people say "I'm affected too" instead of filing duplicates."""

    list_display = ("title_fr", "problem_type", "status", "opened_at", "affected_count", "ticket_count")
    list_filter = ("status", "problem_type")
    fields = (*EDITABLE_FIELDS, "resolved_at")
    readonly_fields = ("resolved_at",)
    inlines = [MajorIncidentEventInline]
    actions = ["resolve"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("problem_type")
            .annotate(affected_count=Count("affected", distinct=True), ticket_count=Count("tickets", distinct=True))
        )

    @admin.display(description=_("people affected"), ordering="affected_count")
    def affected_count(self, incident):
        return incident.affected_count

    @admin.display(description=_("linked incidents"), ordering="ticket_count")
    def ticket_count(self, incident):
        return incident.ticket_count

    def save_model(self, request, obj, form, change):
        # Written by tickets.major_incidents, each change with its event in the incident's history.
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
            major_incident_update(major_incident=obj, by=request.user, **changes)
            return
        fields = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data}
        opened = major_incident_open(by=request.user, **fields)
        # The admin goes on with the object its form built (its inlines and log entry point to it).
        obj.pk, obj.opened_by, obj.resolved_at = opened.pk, opened.opened_by, opened.resolved_at
        obj._state.adding, obj._state.db = False, opened._state.db

    @admin.action(description=_("Mark as resolved"), permissions=["change"])
    def resolve(self, request, queryset):
        incidents = list(queryset.exclude(status=MajorIncidentStatus.RESOLVED))
        for incident in incidents:
            major_incident_resolve(major_incident=incident, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d major incident resolved.", "%(count)d major incidents resolved.", len(incidents))
            % {"count": len(incidents)},
        )


class TicketEventInline(TimelineInline):
    model = TicketEvent
    fields = ("created_at", "kind", "actor", "public", "body", "data")


@admin.register(Ticket)
class TicketAdmin(AgentsMayEdit, admin.ModelAdmin):
    """A stop-gap until the agents' triage pages: read an incident, change its status or priority, link it to a
    major incident. These changes go through tickets.services, so they are in the timeline (and status changes
    e-mailed)."""

    list_display = ("reference", "problem_type", "status", "priority", "requester", "created_at")
    list_filter = ("status", "queue", "problem_type")
    search_fields = ("reference",)
    list_select_related = ("problem_type", "requester")
    fields = (
        "reference",
        "requester",
        "problem_type",
        "queue",
        "title",
        "data",
        "status",
        "priority",
        "major_incident",
        "created_at",
        "closed_at",
    )
    readonly_fields = ("reference", "requester", "problem_type", "queue", "title", "data", "created_at", "closed_at")
    inlines = [TicketEventInline]

    def has_add_permission(self, request, *args):
        return False  # incidents are filed through the portal's forms and API, with their validation

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)  # an agent's queues, as everywhere

    def save_model(self, request, obj, form, change):
        # Status, priority and major incident are written by the services, each with its event in the timeline.
        new_status, new_priority, new_incident = obj.status, obj.priority, obj.major_incident
        obj.status, obj.priority = form.initial["status"], form.initial["priority"]
        obj.major_incident_id = form.initial["major_incident"]
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if "major_incident" in form.changed_data:
                ticket_link_major_incident(ticket=obj, incident=new_incident, by=request.user)
            if "status" in form.changed_data:
                ticket_status_change(ticket=obj, to=new_status, by=request.user)
            if "priority" in form.changed_data:
                ticket_priority_change(ticket=obj, priority=new_priority, by=request.user)
            obj.refresh_from_db()


@admin.register(Deflection)
class DeflectionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("created_at", "problem_type", "article", "user")
    list_filter = ("problem_type",)
    list_select_related = ("problem_type", "article", "user")


@admin.register(ArticleSolution)
class ArticleSolutionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The incidents agents marked solved by an article ("solved by this article" on the ticket's page), and how
    many each article solved."""

    list_display = ("created_at", "ticket", "article", "solved_count", "by")
    list_filter = ("article__language",)
    search_fields = ("article__slug", "article__title", "ticket__reference")
    list_select_related = ("ticket", "article", "by")

    def has_module_permission(self, request):
        return request.user.is_agent

    def has_view_permission(self, request, obj=None):
        return request.user.is_agent

    def get_queryset(self, request):
        solved = ArticleSolution.objects.filter(article=OuterRef("article")).values("article").annotate(n=Count("pk"))
        rows = super().get_queryset(request).filter(ticket__in=Ticket.objects.visible_to(request.user))
        return rows.annotate(solved_count=Subquery(solved.values("n")[:1]))

    @admin.display(description=_("incidents this article solved"), ordering="solved_count")
    def solved_count(self, solution):
        return solution.solved_count


@admin.register(CannedAnswer)
class CannedAnswerAdmin(CatalogEditors, admin.ModelAdmin):
    """Replies agents insert on a ticket's page, with a knowledge-base article's address when they name one. Agents
    read them; adding or changing them needs ``tickets.change_cannedanswer`` (the "Canned answers" group)."""

    list_display = ("title_fr", "title_en", "article", "queue", "position", "is_active")
    list_filter = ("is_active", "queue")
    list_editable = ("position", "is_active")
    search_fields = ("title_fr", "title_en", "body_fr", "body_en")
    list_select_related = ("article", "queue")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "article":
            kwargs["queryset"] = (
                CannedAnswer._meta.get_field("article")
                .related_model.objects.filter(status="published")
                .order_by("language", "title")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
