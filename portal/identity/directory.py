"""The organisation's directory (LDAP) as the credential store: the mailbox password that the webmail, IMAP and SMTP
check is the one a sign-in binds with and a change or reset writes.

- **Sign-in** looks the person up with the portal's service account (least rights: read the people's entries,
  write ``userPassword``), then binds as them with the password typed. The portal account is created or updated
  from the entry each time (identifier, display name, work and recovery addresses, disabled state, when the
  password was last set); its local password stays unusable, so nothing but the directory can check it.
- **A change or reset** writes the directory password with the password-modify extended operation (RFC 3062) as
  the service account, asking for the password-policy response control (draft-behera-ldap-password-policy), so a
  refusal by the directory's own policy (too short, in history, too young) reaches the person in plain words.
  Active Directory has no RFC 3062: ``GUICHET_LDAP_PASSWORD_MODE=ad`` replaces ``unicodePwd`` instead (README).
- **Connections** are opened per operation and closed at once (no state between requests, so any number of web
  processes work), with ``GUICHET_LDAP_TIMEOUT`` on the connection and on every operation, and certificate checks
  always on (LDAPS, or StartTLS before any bind). A directory that does not answer, or refuses the service
  account, raises ``DirectoryUnavailable``: the page says "try again later" (503) and no sign-in failure is
  counted.

Library: python-ldap (``docs/decisions.md`` says why).
"""

import logging
import secrets
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import ldap
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ldap.controls.ppolicy import PasswordPolicyControl
from ldap.filter import escape_filter_chars

from portal.identity.credentials import DirectoryUnavailable, PasswordRefused

log = logging.getLogger(__name__)

# The password-policy control's error codes (draft-behera-ldap-password-policy, section 6.2), in plain words.
POLICY_REASONS = {
    3: _("The directory does not let you change your password yourself: contact the helpdesk."),
    5: _("The directory finds this password too simple: mix more kinds of characters or make it longer."),
    6: _("The directory refuses this password: it is too short."),
    7: _(
        "The directory refuses the change: your password was changed too recently. Try again later, or ask the "
        "helpdesk if you cannot wait."
    ),
    8: _("The directory refuses this password: you used it recently. Choose one you have never used."),
}
GENERIC_REFUSAL = _(
    "The directory refuses this password under its rules (length, complexity, history or minimum age). "
    "Choose another one."
)
# OpenLDAP's ppolicy marks an account locked by an administrator, for good, with this time.
LOCKED_FOR_GOOD = "000001010000Z"
AD_ACCOUNT_DISABLED = 0x2
ACTIVE_DIRECTORY = "ad"  # GUICHET_LDAP_PASSWORD_MODE for Active Directory, which has no RFC 3062
AD_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    """What the portal reads from a person's directory entry."""

    dn: str
    identifier: str
    display_name: str
    email: str
    recovery_email: str
    disabled: bool
    password_changed_at: datetime | None


def _first(attributes: dict, name: str) -> str:
    values = attributes.get(name) if name else None
    return values[0].decode("utf-8", "replace").strip() if values else ""


def _password_changed_at(attributes: dict) -> datetime | None:
    openldap = _first(attributes, "pwdChangedTime")  # 20261203074451Z
    if openldap:
        try:
            return datetime.strptime(openldap[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            return None
    active_directory = _first(attributes, "pwdLastSet")  # 100 ns intervals since 1601; 0: must change
    if active_directory.isdigit() and int(active_directory) > 0:
        return AD_EPOCH + timedelta(microseconds=int(active_directory) // 10)
    return None


def _disabled(attributes: dict) -> bool:
    if _first(attributes, "pwdAccountLockedTime") == LOCKED_FOR_GOOD:
        return True
    control = _first(attributes, "userAccountControl")
    return control.isdigit() and bool(int(control) & AD_ACCOUNT_DISABLED)


class Directory:
    """The directory as configured by the GUICHET_LDAP_* settings."""

    def __init__(self):
        self.url = settings.GUICHET_LDAP_URL
        self.timeout = settings.GUICHET_LDAP_TIMEOUT
        self.attrs = settings.GUICHET_LDAP_ATTRIBUTES

    @contextmanager
    def _connection(self):
        """A new connection, TLS checked, closed on leaving; directory errors other than the operation's own become
        ``DirectoryUnavailable``."""
        try:
            conn = ldap.initialize(self.url)
            conn.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
            conn.set_option(ldap.OPT_REFERRALS, 0)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, self.timeout)
            conn.set_option(ldap.OPT_TIMEOUT, self.timeout)
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
            if settings.GUICHET_LDAP_CA_FILE:
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, settings.GUICHET_LDAP_CA_FILE)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)  # last: applies the TLS options above to this connection
            conn.timeout = self.timeout
            if settings.GUICHET_LDAP_START_TLS:
                conn.start_tls_s()
        except (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR, ldap.PROTOCOL_ERROR) as exc:
            log.error("directory %s unreachable: %s", self.url, _describe(exc))
            raise DirectoryUnavailable from exc
        try:
            yield conn
        except (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR, ldap.BUSY, ldap.UNAVAILABLE) as exc:
            log.error("directory %s stopped answering: %s", self.url, _describe(exc))
            raise DirectoryUnavailable from exc
        finally:
            with suppress(ldap.LDAPError):
                conn.unbind_s()

    @contextmanager
    def _service(self):
        """A connection bound as the portal's service account."""
        with self._connection() as conn:
            try:
                conn.simple_bind_s(settings.GUICHET_LDAP_BIND_DN, settings.GUICHET_LDAP_BIND_PASSWORD)
            except (ldap.INVALID_CREDENTIALS, ldap.INVALID_DN_SYNTAX, ldap.UNWILLING_TO_PERFORM) as exc:
                log.error("the directory refuses the portal's service account %s", settings.GUICHET_LDAP_BIND_DN)
                raise DirectoryUnavailable from exc
            yield conn

    def _search(self, conn, filter_template: str, value: str) -> Entry | None:
        wanted = [name for name in self.attrs.values() if name]
        wanted += ["pwdChangedTime", "pwdAccountLockedTime", "pwdLastSet", "userAccountControl"]
        query = filter_template.format(value=escape_filter_chars(value))
        try:
            found = conn.search_ext_s(
                settings.GUICHET_LDAP_USER_BASE, ldap.SCOPE_SUBTREE, query, wanted, sizelimit=2, timeout=self.timeout
            )
        except (ldap.NO_SUCH_OBJECT, ldap.SIZELIMIT_EXCEEDED):
            return None
        entries = [(dn, attributes) for dn, attributes in found if dn]  # drop search references
        if len(entries) != 1:
            return None  # none, or ambiguous: never guess whose password to check
        dn, attributes = entries[0]
        return Entry(
            dn=dn,
            identifier=_first(attributes, self.attrs["identifier"]).casefold(),
            display_name=_first(attributes, self.attrs["display_name"]),
            email=_first(attributes, self.attrs["email"]),
            recovery_email=_first(attributes, self.attrs["recovery_email"]),
            disabled=_disabled(attributes),
            password_changed_at=_password_changed_at(attributes),
        )

    def lookup(self, *, identifier: str = "", email: str = "") -> Entry | None:
        """The entry of this identifier, or of this work address; None when there is none or more than one."""
        with self._service() as conn:
            if email:
                return self._search(conn, settings.GUICHET_LDAP_EMAIL_FILTER, email)
            return self._search(conn, settings.GUICHET_LDAP_USER_FILTER, identifier)

    def bind_succeeds(self, dn: str, password: str) -> bool:
        """Whether the directory accepts this password for this entry (a bind on a connection of its own)."""
        if not password:
            return False  # an empty password is an anonymous bind, which "succeeds": never send one
        with self._connection() as conn:
            try:
                conn.simple_bind_s(dn, password)
            except (ldap.INVALID_CREDENTIALS, ldap.INVALID_DN_SYNTAX, ldap.UNWILLING_TO_PERFORM):
                return False
            return True

    def password_write(self, dn: str, password: str) -> None:
        """Write a new password for this entry as the service account; ``PasswordRefused`` with the directory's
        reasons when its policy says no."""
        with self._service() as conn:
            try:
                if settings.GUICHET_LDAP_PASSWORD_MODE == ACTIVE_DIRECTORY:
                    # Active Directory: replace unicodePwd with the quoted password in UTF-16LE, over LDAPS only.
                    value = f'"{password}"'.encode("utf-16-le")
                    conn.modify_ext_s(dn, [(ldap.MOD_REPLACE, "unicodePwd", [value])])
                else:
                    msgid = conn.passwd(dn, None, password, serverctrls=[PasswordPolicyControl()])
                    conn.result3(msgid, timeout=self.timeout)
            except (ldap.CONSTRAINT_VIOLATION, ldap.UNWILLING_TO_PERFORM, ldap.INSUFFICIENT_ACCESS) as exc:
                reason = _policy_reason(exc)
                log.info("directory refused a new password for %s: %s", dn, _describe(exc))
                raise PasswordRefused([reason]) from exc

    def password_changed_at(self, identifier: str) -> datetime | None:
        entry = self.lookup(identifier=identifier)
        return entry.password_changed_at if entry else None


def _describe(exc: ldap.LDAPError) -> str:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return f"{info.get('desc', type(exc).__name__)} {info.get('info', '')}".strip()


def _policy_reason(exc: ldap.LDAPError) -> str:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    try:
        controls = ldap.controls.DecodeControlTuples(info.get("ctrls") or [])
    except ldap.LDAPError:
        controls = []
    for control in controls:
        if isinstance(control, PasswordPolicyControl) and control.error in POLICY_REASONS:
            return POLICY_REASONS[control.error]
    if isinstance(exc, ldap.INSUFFICIENT_ACCESS):
        return POLICY_REASONS[3]
    return GENERIC_REFUSAL


def account_sync(entry: Entry):
    """Create or update the portal account of a directory entry; returns it. The directory owns the identity
    fields and the disabled state; the portal owns the role, the factors and the lockout. The local password is
    unusable (set once, so the session hash does not change at every sign-in)."""
    from portal.models import User

    fields = {
        "display_name": entry.display_name[:150],
        "email": entry.email[:254],
        "recovery_email": entry.recovery_email[:254],
        "is_active": not entry.disabled,
        "password_changed_at": entry.password_changed_at,
    }
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=entry.identifier).first()
        if user is None:
            user = User(username=entry.identifier, **fields)
            user.set_unusable_password()
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError:  # created by a concurrent sign-in of the same person
                user = User.objects.select_for_update().get(username=entry.identifier)
            else:
                log.info("portal account created from the directory for %s", user.pk)
                return user
        changed = [name for name, value in fields.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, fields[name])
        if user.has_usable_password():
            user.set_unusable_password()
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
    return user


class LdapStore:
    """Passwords in the organisation's directory (``portal.identity.credentials`` describes the interface)."""

    name = "ldap"

    def __init__(self):
        self.directory = Directory()

    def authenticate(self, identifier: str, password: str):
        """The portal account of the person, if the directory accepts this password for this identifier."""
        text = identifier.strip().casefold()[:150]
        entry = self.directory.lookup(identifier=text) if text else None
        if entry is None:
            # Bind anyway, on a name that cannot exist, so unknown identifiers take as long as wrong passwords.
            self.directory.bind_succeeds(f"uid={secrets.token_hex(8)},{settings.GUICHET_LDAP_USER_BASE}", password)
            return None
        accepted = self.directory.bind_succeeds(entry.dn, password)
        if not (accepted or entry.disabled):
            return None
        user = account_sync(entry)  # a disabled entry deactivates the portal account, whatever the password
        return user if accepted and user.is_active else None

    def check(self, user, password: str) -> bool:
        entry = self.directory.lookup(identifier=user.username)
        return entry is not None and not entry.disabled and self.directory.bind_succeeds(entry.dn, password)

    def set(self, user, password: str) -> None:
        entry = self.directory.lookup(identifier=user.username)
        if entry is None:
            raise PasswordRefused([_("Your account is no longer in the directory: contact the helpdesk.")])
        self.directory.password_write(entry.dn, password)
        user.set_unusable_password()  # a new value: the session hash changes, as with a portal password
        user.password_changed_at = self.directory.password_changed_at(user.username) or timezone.now()

    def find(self, submitted: str):
        """The active portal account of the directory entry with this identifier or work address (created from
        the entry when the person never signed in to the portal), or None."""
        text = submitted.strip()
        if "@" in text:
            entry = self.directory.lookup(email=text)
            if entry is not None and entry.email.casefold() != text.casefold():
                entry = None  # the directory matched by its own rules (case folding, Unicode): not the same address
        else:
            entry = self.directory.lookup(identifier=text.casefold()[:150])
        if entry is None or not entry.identifier:
            return None
        user = account_sync(entry)
        return user if user.is_active else None
