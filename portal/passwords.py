"""Password rules beyond Django's: words from the person's own context, and an upper bound on length.

The policy is length-based (at least 12 characters, no composition rules), refuses the 20,000 most common breached
passwords (Django's CommonPasswordValidator ships that list) and anything built on the identifier, the person's
name or the organisation's own words.
"""

import unicodedata
from functools import cache

from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_LENGTH = 128


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


class ContextWordsValidator:
    """Refuses a password that contains the identifier, a part of the person's name or an organisation word."""

    min_word_length = 4

    def words(self, user) -> set[str]:
        words = {_fold(word) for word in settings.GUICHET_ORGANISATION_WORDS}
        if user is not None:
            identifier = getattr(user, "username", "") or ""
            words.add(_fold(identifier))
            for part in identifier.replace("-", ".").replace("_", ".").split("."):
                words.add(_fold(part))
            for part in (getattr(user, "display_name", "") or "").split():
                words.add(_fold(part))
            email = getattr(user, "email", "") or ""
            words.add(_fold(email.split("@")[0]))
        return {word for word in words if len(word) >= self.min_word_length}

    def validate(self, password, user=None):
        folded = _fold(password)
        if any(word in folded for word in self.words(user)):
            raise ValidationError(
                _("This password contains your identifier, your name or the organisation's name; choose another."),
                code="password_context_word",
            )

    def get_help_text(self):
        return _("It must not contain your identifier, your name or the organisation's name.")


@cache
def _common_passwords() -> CommonPasswordValidator:
    return CommonPasswordValidator()  # reads its 20,000-word list once per process


def known_weak(password: str, user) -> bool:
    """True for a password on the breached/common list or built on the person's context words: such a password,
    even if it was accepted years ago, must be changed at the next sign-in (R28)."""
    for validator in (_common_passwords(), ContextWordsValidator()):
        try:
            validator.validate(password, user)
        except ValidationError:
            return True
    return False


class MaximumLengthValidator:
    def validate(self, password, user=None):
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                _("This password is longer than %(max)d characters.") % {"max": MAX_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self):
        return _("At most %(max)d characters; spaces and any character are allowed.") % {"max": MAX_LENGTH}
