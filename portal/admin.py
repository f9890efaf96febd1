from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.identity import cooling_off
from portal.identity.services import (
    lockout_lift,
    sessions_end_all,
    user_addresses_change,
    user_deactivate,
    user_reactivate,
    user_role_change,
)
from portal.models import (
    AccountLockout,
    AuthenticatorApp,
    JobRun,
    MailClient,
    MailServer,
    MfaResetRequest,
    PasswordResetRequest,
    RecoveryCodeDevice,
    RecoveryRequest,
    SecurityEvent,
    SecurityKey,
    TemporaryAccessPass,
    User,
    role_rank,
)
from portal.web.admin_mixins import AppendOnlyAdmin, ReadOnlyAdmin


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "display_name", "email", "role")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean(self):
        """Within a day of a helpdesk reset of the account's second factor, its addresses and a higher role wait
        (R41): the form says so and saves nothing. The services refuse them too."""
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        held = cooling_off.until(self.instance)
        if held is None:
            return cleaned
        initial = self.initial
        contact = ("email", "recovery_email", "hr_phone")
        if any(cleaned.get(name, initial.get(name)) != initial.get(name) for name in contact):
            raise forms.ValidationError(str(cooling_off.CoolingOff(change=cooling_off.ADDRESS_CHANGE, until=held)))
        if role_rank(cleaned.get("role", initial.get("role"))) > role_rank(initial.get("role")):
            raise forms.ValidationError(str(cooling_off.CoolingOff(change=cooling_off.ROLE_ELEVATION, until=held)))
        return cleaned


def _lift(admin_view, request, identifiers) -> None:
    """Lift every block of these identifiers and say, for each, what was lifted."""
    labels = {
        "reset required": _("the reset that was required"),
        "second factor blocked": _("the second-factor block"),
        "code throttling": _("the code throttling of its devices"),
    }
    for identifier in dict.fromkeys(identifiers):
        report = lockout_lift(identifier=identifier, by=request.user, request=request)
        lifted = [str(_("%(count)d failure counter(s)") % {"count": report.counters})]
        lifted += [str(labels[item]) for item in report.cleared]
        admin_view.message_user(
            request,
            _("The identifier %(identifier)s can sign in again. Lifted: %(what)s.")
            % {"identifier": identifier, "what": ", ".join(lifted)},
        )


class LiftPermission:
    """The admin, and agents given the "lift sign-in blocks" permission (through a group), may lift blocks."""

    def has_lift_permission(self, request):
        return request.user.is_superuser or request.user.has_perm("portal.lift_lockout")


@admin.register(User)
class UserAdmin(LiftPermission, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("username", "display_name", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "email")
    ordering = ("username",)
    readonly_fields = ("last_login", "date_joined", "password_reset_required", "otp_blocked_until")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "email", "recovery_email")}),
        (_("HR record"), {"fields": ("hr_phone", "line_manager")}),
        (_("Access"), {"fields": ("role", "is_active", "groups", "user_permissions")}),
        (
            _("Sign-in blocks"),
            {
                "fields": ("password_reset_required", "otp_blocked_until"),
                "description": _("Lifted with the action “Lift every sign-in block”, after checking who it is."),
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "display_name", "email", "role", "password1", "password2")},
        ),
    )
    filter_horizontal = ("groups", "user_permissions")
    raw_id_fields = ("line_manager",)
    actions = ["sign_out_everywhere", "lift_blocks"]

    def save_model(self, request, obj, form, change):
        """The role, the active flag and the addresses change through the services, which record who changed them,
        end the sessions and tokens of a closed account and hold changes back after a helpdesk reset; the form saves
        everything else."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        role, active = obj.role, obj.is_active
        email, recovery_email = obj.email, obj.recovery_email
        obj.role, obj.is_active = form.initial["role"], form.initial["is_active"]
        obj.email, obj.recovery_email = form.initial["email"], form.initial["recovery_email"]
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if (email, recovery_email) != (obj.email, obj.recovery_email):
                user_addresses_change(
                    user=obj, email=email, recovery_email=recovery_email, by=request.user, request=request
                )
            if role != obj.role:
                user_role_change(user=obj, role=role, by=request.user, request=request)
            if active != obj.is_active:
                change_active = user_reactivate if active else user_deactivate
                change_active(user=obj, by=request.user, request=request)

    @admin.action(description=_("Lift every sign-in block (after checking who the person is)"), permissions=["lift"])
    def lift_blocks(self, request, queryset):
        _lift(self, request, [user.username for user in queryset])

    @admin.action(description=_("Sign out of every session"))
    def sign_out_everywhere(self, request, queryset):
        """Every browser of these accounts is signed out on its next request; known-device cookies die too."""
        with transaction.atomic():
            for user in queryset:
                sessions_end_all(user=user, by=request.user, request=request)
        self.message_user(request, _("Signed out everywhere: %(count)d account(s).") % {"count": queryset.count()})


@admin.register(SecurityEvent)
class SecurityEventAdmin(AppendOnlyAdmin, admin.ModelAdmin):
    """Read-only: the log is append-only, nobody edits or deletes it from here."""

    list_display = ("created_at", "kind", "user", "submitted_identifier", "ip", "source")
    # In the order of the record, not of the model's fields (the outbox fields come first from EventBase).
    fields = (
        "kind",
        "created_at",
        "user",
        "submitted_identifier",
        "ip",
        "user_agent",
        "source",
        "data",
        "notify",
        "notified_at",
    )
    list_filter = ("kind", "source")
    search_fields = ("submitted_identifier", "user__username", "ip")
    date_hierarchy = "created_at"
    list_select_related = ("user",)


@admin.register(AccountLockout)
class AccountLockoutAdmin(LiftPermission, ReadOnlyAdmin, admin.ModelAdmin):
    """The counters of failed sign-ins, for support: seen and lifted by those who may lift blocks."""

    list_display = ("key", "failures", "locked_until", "reset_required", "last_failure_at")
    list_filter = ("reset_required",)
    search_fields = ("key",)
    readonly_fields = ("key", "failures", "locked_until", "reset_required", "last_attempt_at", "last_failure_at")
    actions = ["unlock_selected"]

    def has_module_permission(self, request):
        return self.has_lift_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.has_lift_permission(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.action(description=_("Lift every sign-in block (after checking who the person is)"), permissions=["lift"])
    def unlock_selected(self, request, queryset):
        _lift(self, request, [row.key.split("|", 1)[0] for row in queryset])


class SecondFactorAdmin(AppendOnlyAdmin, admin.ModelAdmin):
    """Who has which second factor, for support: never a seed, QR code or recovery code (R13).

    Read-only: factors are added by their owner and removed by the owner or the helpdesk's identity-checked reset,
    both of which are recorded and notified; an edit here would be neither.
    """

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "name")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    readonly_fields = fields


@admin.register(AuthenticatorApp)
class AuthenticatorAppAdmin(SecondFactorAdmin):
    pass


@admin.register(RecoveryCodeDevice)
class RecoveryCodeDeviceAdmin(SecondFactorAdmin):
    fields = ("user", "name", "confirmed", "throttling_failure_count")
    readonly_fields = fields
    list_display = ("user", "name", "confirmed")


@admin.register(SecurityKey)
class SecurityKeyAdmin(SecondFactorAdmin):
    # The authenticator model (AAGUID) and transports help support; the credential id and public key are not
    # secret but say nothing useful to a person, so they stay out of the page.
    fields = (*SecondFactorAdmin.fields, "aaguid", "transports", "sign_count")
    readonly_fields = fields


@admin.register(MailServer)
class MailServerAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The servers allowed to use the policy endpoint. Keys are created and revoked with ``manage.py mail_server``,
    which prints a key once; here they are only listed."""

    list_display = ("name", "prefix", "created_at", "last_seen_at", "revoked_at")
    fields = list_display
    readonly_fields = fields


@admin.register(MailClient)
class MailClientAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Mail apps seen failing, per identifier, protocol and device (portal.identity.stale_clients); the attempted
    password's hash is not shown."""

    list_display = ("identifier", "protocol", "device", "repeats", "last_failure_at", "last_ip", "notified_at")
    list_filter = ("protocol",)
    search_fields = ("identifier", "device")
    fields = ("identifier", "protocol", "device", "repeats", "first_failure_at", "last_failure_at", "last_ip",
              "notified_at")  # fmt: skip
    readonly_fields = fields


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The record of periodic runs, for the helpdesk: did the e-mails go out, since when does a job fail. Agents
    read it (no per-model permission to hand out, as for the incident pages); administrators may delete runs."""

    list_display = ("started_at", "job", "succeeded", "processed", "acted", "took")
    list_filter = ("name",)
    search_fields = ("name", "error")
    date_hierarchy = "started_at"
    fields = ("name", "started_at", "finished_at", "items", "actions", "error")
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_agent

    def has_view_permission(self, request, obj=None):
        return request.user.is_agent

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=_("job"), ordering="name")
    def job(self, run):
        return run.name.rsplit(".", 1)[-1]  # the app is in the filter; the list stays one line a run

    @admin.display(description=_("duration"))
    def took(self, run):
        if run.duration is None:
            return _("not finished")
        return _("%(seconds).2f s") % {"seconds": run.duration.total_seconds()}

    # Short headers, so that a run fits on one line beside the filter.
    @admin.display(description=_("items"), ordering="items")
    def processed(self, run):
        return run.items

    @admin.display(description=_("actions"), ordering="actions")
    def acted(self, run):
        return run.actions

    @admin.display(description=_("succeeded"), boolean=True)
    def succeeded(self, run):
        # A green tick for a run that finished cleanly, a red cross for an error (a run still going shows neither).
        if run.error:
            return False
        return True if run.finished_at is not None else None


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The "I forgot my password" forms of the last day, for the helpdesk's "I asked at 9:02 and got nothing": what
    was typed and what the worker did (sent, unknown, over the account's limit). Never shown to the requester."""

    list_display = ("created_at", "submitted", "ip", "outcome", "notified_at")
    list_filter = ("outcome",)
    search_fields = ("submitted", "ip")
    date_hierarchy = "created_at"
    fields = list_display
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_agent

    def has_view_permission(self, request, obj=None):
        return request.user.is_agent


@admin.register(MfaResetRequest)
class MfaResetRequestAdmin(AppendOnlyAdmin, admin.ModelAdmin):
    """The helpdesk's second-factor resets, for audit: who checked whom, how, who approved. Started and decided on
    the agents' pages (portal.identity.helpdesk_reset), never edited here."""

    list_display = ("created_at", "user", "method", "state", "initiated_by", "approved_by", "case_reference")
    list_filter = ("state", "method")
    search_fields = ("user__username", "initiated_by__username", "approved_by__username", "case_reference")
    date_hierarchy = "created_at"
    list_select_related = ("user", "initiated_by", "approved_by")
    fields = (
        "user",
        "case_reference",
        "method",
        "evidence",
        "state",
        "initiated_by",
        "created_at",
        "expires_at",
        "manager_approved_by",
        "manager_approved_at",
        "approved_by",
        "approved_at",
        "executed_at",
        "closed_by",
        "closed_at",
        "close_reason",
    )
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_agent

    def has_view_permission(self, request, obj=None):
        return request.user.is_agent


@admin.register(TemporaryAccessPass)
class TemporaryAccessPassAdmin(AppendOnlyAdmin, admin.ModelAdmin):
    """When passes were issued and used; never the pass (only its digest is kept, and not shown)."""

    list_display = ("created_at", "user", "issued_by", "expires_at", "used_at")
    search_fields = ("user__username",)
    fields = ("user", "reset", "issued_by", "created_at", "expires_at", "used_at")
    readonly_fields = fields
    list_select_related = ("user", "issued_by")

    def has_module_permission(self, request):
        return request.user.is_agent

    def has_view_permission(self, request, obj=None):
        return request.user.is_agent


@admin.register(RecoveryRequest)
class RecoveryRequestAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The "reset my second factor" forms of the lost-phone page: what was typed and what the worker did (a case
    opened, nobody by that name, over the account's daily limit)."""

    list_display = ("created_at", "submitted", "ip", "outcome", "case_reference")
    list_filter = ("outcome",)
    search_fields = ("submitted", "ip", "case_reference")
    date_hierarchy = "created_at"
    fields = ("created_at", "submitted", "message", "contact", "ip", "outcome", "case_reference", "notified_at")
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_agent

    def has_view_permission(self, request, obj=None):
        return request.user.is_agent
