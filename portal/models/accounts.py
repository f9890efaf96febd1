import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

# Checked before normalisation (forms validate what was typed), so upper case passes and is lowered on save.
identifier_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9._-]{0,148}[a-z0-9])?$",
    _(
        "An identifier contains letters without accents, digits, dots, hyphens or underscores, "
        "and starts and ends with a letter or digit (for example marie.dupont)."
    ),
    flags=re.IGNORECASE,
)


class Role(models.TextChoices):
    STAFF = "staff", _("Staff member")
    AGENT = "agent", _("Helpdesk agent")
    ADMIN = "admin", _("Administrator")


# How much each role may do, to compare two people: nobody acts on an account that may do more than they may (R39).
ROLE_RANK = {Role.STAFF: 0, Role.AGENT: 1, Role.ADMIN: 2}


def role_rank(role: str) -> int:
    return ROLE_RANK.get(role, 0)


class UserManager(BaseUserManager):
    use_in_migrations = True

    @staticmethod
    def normalize_identifier(identifier: str) -> str:
        # Identifiers are case-insensitive: "Marie.Dupont" and "marie.dupont" are one account.
        return identifier.strip().lower()

    def get_by_natural_key(self, username):
        return self.get(username=self.normalize_identifier(username))

    def create_user(self, username, email="", password=None, **extra):
        user = self.model(username=self.normalize_identifier(username), email=self.normalize_email(email), **extra)
        user.set_password(password)
        if password is not None:
            user.password_changed_at = timezone.now()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, username, email="", password=None, **extra):
        extra["role"] = Role.ADMIN
        return self.create_user(username, email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account of the organisation: a staff member who files incidents, an agent who handles them, or an admin.

    ``role`` is the source of truth for what a person may do; Django's ``is_staff``/``is_superuser`` flags, which
    the admin site reads, follow from it.
    """

    username = models.CharField(
        _("identifier"),
        max_length=150,
        unique=True,
        validators=[identifier_validator],
        help_text=_("The organisation identifier, usually firstname.lastname."),
        error_messages={"unique": _("An account with this identifier already exists.")},
    )
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    email = models.EmailField(_("work e-mail address"), blank=True)
    recovery_email = models.EmailField(
        _("recovery e-mail address"),
        blank=True,
        help_text=_("A personal address used only to recover access when the work mailbox is unreachable."),
    )
    # From the HR record (the directory import or an administrator): the helpdesk calls back on this number, never
    # on one the caller gives, and the line manager approves a reset checked by a call-back (R38) and is told of it.
    hr_phone = models.CharField(
        _("phone number on the HR record"),
        max_length=32,
        blank=True,
        help_text=_("The helpdesk calls this number back to check it is the person; it is never shown to them."),
    )
    line_manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("line manager"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STAFF)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="fr")
    # Bumped by every password reset, factor change or "log out everywhere": it is mixed into the session hash,
    # the reset tokens and the known-device cookies, so bumping it invalidates all of them at once.
    security_stamp = models.UUIDField(default=uuid.uuid4, editable=False)
    # When the password was last set (read from the directory when there is one): the age policy's reminders use it.
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True, editable=False)
    password_reset_required = models.BooleanField(
        _("password reset required"),
        default=False,
        help_text=_("Set after 20 failed sign-ins or 10 failed second-factor codes: only a reset lets the person in."),
    )
    # Consecutive wrong second-factor codes across all the person's devices (each device also throttles itself).
    otp_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    otp_blocked_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("username"), name="portal_user_username_ci_unique")]

    def __str__(self):
        return self.display_name or self.username

    def clean(self):
        super().clean()
        self.username = UserManager.normalize_identifier(self.username)

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._loaded_active = user.__dict__.get("is_active")
        return user

    def save(self, *args, **kwargs):
        self.username = UserManager.normalize_identifier(self.username)
        if getattr(self, "_loaded_active", None) and not self.is_active:
            # Deactivation ends everything the person holds: sessions, reset links, known-device cookies.
            self.security_stamp = uuid.uuid4()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "security_stamp"}
        self._loaded_active = self.is_active
        self.is_superuser = self.role == Role.ADMIN
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_superuser"}
        super().save(*args, **kwargs)

    @property
    def is_staff(self) -> bool:
        """May enter the Django admin (agents edit knowledge-base articles and categories there)."""
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def is_agent(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def get_session_auth_hash(self):
        # The password hash alone would survive a factor change or a "log out everywhere": mix in the stamp.
        return salted_hmac(
            "portal.User.get_session_auth_hash",
            f"{self.password}{self.security_stamp}",
            algorithm="sha256",
        ).hexdigest()

    def bump_security_stamp(self) -> None:
        """Invalidate every session, reset link and known-device cookie of this person (saves the row)."""
        self.security_stamp = uuid.uuid4()
        type(self).objects.filter(pk=self.pk).update(security_stamp=self.security_stamp)

    @property
    def mfa_deadline(self):
        """When staff must have enrolled a second factor; agents and admins have no grace period."""
        if self.is_agent:
            return self.date_joined
        return self.date_joined + timedelta(days=settings.GUICHET_MFA_GRACE_DAYS)

    def get_full_name(self):
        return self.display_name or self.username

    def get_short_name(self):
        return self.display_name.split(" ")[0] if self.display_name else self.username
