"""Password rules beyond Django's: words from the person's own context, and an upper bound on length.

The policy is length-based (at least 12 characters, no composition rules), refuses the 20,000 most common breached
passwords (Django's CommonPasswordValidator ships that list) and anything built on the identifier, the person's
name or the organisation's own words.
"""

from functools import cache

from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.web.text import strip_accents

MAX_LENGTH = 128


def _fold(text: str) -> str:
    return "".join(ch for ch in strip_accents(text.casefold()) if ch.isalnum())


# Why a password that was accepted must still be changed at sign-in (R28); the session keeps the reason so the
# page that asks for the change can say it.
WEAK_COMMON = "common"
WEAK_ORGANISATION = "organisation"
WEAK_PERSONAL = "personal"


class ContextWordsValidator:
    """Refuses a password that contains the identifier, a part of the person's name or an organisation word."""

    min_word_length = 4

    def organisation_words(self) -> set[str]:
        return self._long_enough({_fold(word) for word in settings.GUICHET_ORGANISATION_WORDS})

    def personal_words(self, user) -> set[str]:
        if user is None:
            return set()
        identifier = getattr(user, "username", "") or ""
        words = {_fold(identifier)}
        words.update(_fold(part) for part in identifier.replace("-", ".").replace("_", ".").split("."))
        words.update(_fold(part) for part in (getattr(user, "display_name", "") or "").split())
        words.add(_fold((getattr(user, "email", "") or "").split("@")[0]))
        return self._long_enough(words)

    def _long_enough(self, words: set[str]) -> set[str]:
        return {word for word in words if len(word) >= self.min_word_length}

    def found(self, password: str, user=None) -> str | None:
        """WEAK_PERSONAL or WEAK_ORGANISATION when the password contains such a word, else None."""
        folded = _fold(password)
        if any(word in folded for word in self.personal_words(user)):
            return WEAK_PERSONAL
        if any(word in folded for word in self.organisation_words()):
            return WEAK_ORGANISATION
        return None

    def validate(self, password, user=None):
        reason = self.found(password, user)
        if reason == WEAK_PERSONAL:
            raise ValidationError(
                _("This password contains your identifier or your name; choose another."),
                code="password_context_word",
            )
        if reason == WEAK_ORGANISATION:
            raise ValidationError(
                _("This password contains the name of the organisation or of this service; choose another."),
                code="password_context_word",
            )

    def get_help_text(self):
        return _("It must not contain your identifier, your name or the organisation's name.")


@cache
def _common_passwords() -> CommonPasswordValidator:
    return CommonPasswordValidator()  # reads its 20,000-word list once per process


def weakness(password: str, user) -> str | None:
    """Why a password, even one accepted years ago, must be changed at the next sign-in (R28): WEAK_COMMON when it
    is on the breached/common list, WEAK_PERSONAL or WEAK_ORGANISATION when built on those words; else None."""
    try:
        _common_passwords().validate(password, user)
    except ValidationError:
        return WEAK_COMMON
    return ContextWordsValidator().found(password, user)


class MaximumLengthValidator:
    def validate(self, password, user=None):
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                _("This password is longer than %(max)d characters.") % {"max": MAX_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self):
        return _("At most %(max)d characters; spaces and any character are allowed.") % {"max": MAX_LENGTH}
