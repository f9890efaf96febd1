"""Where passwords live: the portal's own accounts (the embedded default) or the organisation's directory (LDAP),
behind one small interface, chosen by GUICHET_CREDENTIAL_STORE.

Everything in the portal that checks or writes a password goes through ``store()``: sign-in (through the
authentication backend of the store), re-authentication, a change, a reset, the temporary access pass. The portal
keeps its own lockout, bot challenge and second factor in front of either store; the store only answers "is this
the password" and "write this password".

Errors are two exceptions the pages turn into plain words: ``PasswordRefused`` (the store's own policy refused the
new password, with the reasons) and ``DirectoryUnavailable`` (the directory did not answer in time, or refused
the portal's own connection).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.web.statements import instance


class DirectoryUnavailable(Exception):
    """The directory could not be reached or did not answer within its timeout: try again later."""


class PasswordRefused(Exception):
    """The store's own policy refused a new password; ``reasons`` are sentences for the person."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(str(reason) for reason in reasons))
        self.reasons = reasons


class PortalStore:
    """The portal's own password hashes (``User.password``), as Django keeps them."""

    name = "portal"

    def authenticate(self, identifier: str, password: str):
        """The account if ``password`` is its password (Django's check, which also times unknown identifiers)."""
        return ModelBackend().authenticate(None, username=identifier, password=password)

    def check(self, user, password: str) -> bool:
        return user.check_password(password)

    def set(self, user, password: str) -> None:
        """Write the new password; the caller saves ``user`` (``password`` and ``password_changed_at``)."""
        user.set_password(password)
        user.password_changed_at = timezone.now()

    def find(self, submitted: str):
        """The active account whose identifier or work address is ``submitted`` (case-insensitive, Unicode-safe:
        ``alıce@…`` is not ``alice@…``), or None. Same queries whatever the answer."""
        from portal.models import User

        text = submitted.strip()
        if "@" in text:
            candidates = User.objects.filter(email__iexact=text, is_active=True)
            return next((user for user in candidates if user.email.casefold() == text.casefold()), None)
        return User.objects.filter(username=text.casefold()[:150], is_active=True).first()


STORES = {
    "portal": "portal.identity.credentials.PortalStore",
    "ldap": "portal.identity.directory.LdapStore",
}


class StoreBackend(ModelBackend):
    """Django's authentication backend for whichever store is configured: ``authenticate()`` (sign-in, the
    admin's own login page) asks the store; permissions and ``get_user`` are Django's, on the portal account."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = store().authenticate(username, password)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_user(self, user_id):
        """As Django's, the account read by a statement written once (every signed-in request asks)."""
        try:
            user = instance(get_user_model(), user_id)
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None


BACKEND = "portal.identity.credentials.StoreBackend"  # the path auth_login() records in the session


def store():
    """The configured credential store (a new object each time: it holds no connection between requests)."""
    name = settings.GUICHET_CREDENTIAL_STORE
    if name not in STORES:
        raise ImproperlyConfigured(f"GUICHET_CREDENTIAL_STORE must be one of {sorted(STORES)}; got {name!r}")
    return import_string(STORES[name])()
