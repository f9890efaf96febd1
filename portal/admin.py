from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal import lockout, session_registry
from portal.models import (
    AccountLockout,
    AuthenticatorApp,
    EventKind,
    RecoveryCodeDevice,
    SecurityEvent,
    SecurityKey,
    User,
)
from portal.security import record_event


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "display_name", "email", "role")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("username", "display_name", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "email")
    ordering = ("username",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "email", "recovery_email")}),
        (_("Access"), {"fields": ("role", "is_active", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "display_name", "email", "role", "password1", "password2")},
        ),
    )
    filter_horizontal = ("groups", "user_permissions")
    actions = ["sign_out_everywhere"]

    @admin.action(description=_("Sign out of every session"))
    def sign_out_everywhere(self, request, queryset):
        """Every browser of these accounts is signed out on its next request; known-device cookies die too."""
        with transaction.atomic():
            for user in queryset:
                user.bump_security_stamp()
                session_registry.end_all_but(user=user, keep=None)
                record_event(
                    EventKind.SESSIONS_REVOKED_BY_ADMIN,
                    request=request,
                    user=user,
                    data={"by": request.user.username},
                    notify=True,
                )
        self.message_user(request, _("Signed out everywhere: %(count)d account(s).") % {"count": queryset.count()})


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only, nobody edits or deletes it from here."""

    list_display = ("created_at", "kind", "user", "submitted_identifier", "ip", "source")
    list_filter = ("kind", "source")
    search_fields = ("submitted_identifier", "user__username", "ip")
    date_hierarchy = "created_at"
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccountLockout)
class AccountLockoutAdmin(admin.ModelAdmin):
    list_display = ("key", "failures", "locked_until", "reset_required", "last_failure_at")
    list_filter = ("reset_required",)
    search_fields = ("key",)
    readonly_fields = ("key", "failures", "locked_until", "reset_required", "last_attempt_at", "last_failure_at")
    actions = ["unlock_selected"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Lift the sign-in suspension"))
    def unlock_selected(self, request, queryset):
        for row in queryset:
            identifier = row.key.split("|", 1)[0]
            lockout.unlock(identifier)
            record_event(
                EventKind.LOGIN_UNLOCK,
                request=request,
                user=User.objects.filter(username=identifier).first(),
                identifier=identifier,
                data={"by": request.user.username},
            )
        self.message_user(request, _("Suspension lifted for %(count)d identifier(s).") % {"count": queryset.count()})


class SecondFactorAdmin(admin.ModelAdmin):
    """Who has which second factor, for support: never a seed, QR code or recovery code (R13).

    Read-only: factors are added by their owner and removed by the owner or the helpdesk's identity-checked reset,
    both of which are recorded and notified; an edit here would be neither.
    """

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "name")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
