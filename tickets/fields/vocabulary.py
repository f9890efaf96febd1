"""Which kind each key is, with its help text and checks: KINDS, the one table of the vocabulary, and the fieldsets
of the form."""

from django.utils.translation import gettext_lazy as _

from portal.models import identifier_validator
from tickets.fields.answers import NOT_APPLICABLE
from tickets.fields.context import FillContext
from tickets.fields.files import ScreenshotsKind, SuspiciousMessageKind
from tickets.fields.inputs import NO_AUTOCORRECT
from tickets.fields.keys import FieldKey
from tickets.fields.kinds import Kind, OccurredAtKind, TextKind, UrlKind, YesNoKind

KNOWN_ERRORS_LIST_ID = "known-error-messages"
DEVICES_LIST_ID = "known-devices"
# Suggestions for the device field (a datalist: the person may type anything else).
DEVICE_SUGGESTIONS = (
    "Windows",
    "macOS",
    "Linux",
    "iPhone (Mail)",
    "Android (Gmail)",
    "Outlook",
    "Thunderbird",
    "Apple Mail",
)

# Fieldsets of the form, in order, with their legends.
GROUPS = {
    "problem": _("The problem"),
    "when": _("When, and for whom"),
    "tried": _("What you tried, and what is involved"),
    "setup": _("Your browser and device"),  # folded when detected (tickets/file.html)
    "files": _("Files"),
}


def _identifier(context: FillContext) -> str:
    return getattr(context.user, "username", "") or ""


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        TextKind(
            FieldKey.IDENTIFIER,
            group="when",
            max_length=150,
            help_text=_("Yours is filled in; change it when you report for a colleague (firstname.lastname)."),
            attrs={"autocomplete": "off", **NO_AUTOCORRECT},
            validators=[identifier_validator],
            required_message=_("Enter the identifier concerned, for example marie.dupont."),
            initial_from=_identifier,
            normalise=lambda value: value.strip().lower(),
        ),
        OccurredAtKind(),
        TextKind(
            FieldKey.TITLE,
            max_length=200,
            help_text=_("In a few words, for example: the webmail says my password is wrong."),
            required_message=_("Give the incident a title in a few words."),
        ),
        TextKind(
            FieldKey.ERROR_MESSAGE,
            max_length=500,
            help_text=_("Copy it exactly as shown, or pick it from the list of known messages as you type."),
            attrs=NO_AUTOCORRECT,
            datalist=KNOWN_ERRORS_LIST_ID,
            required_message=_("Copy the error message shown, or pick it from the list."),
        ),
        UrlKind(),
        TextKind(
            FieldKey.BROWSER,
            group="setup",
            max_length=120,
            help_text=_("Detected from this browser: correct it if the problem happened in another one."),
            initial_from=lambda context: context.detected.browser,
            required_message=_("Enter the browser and its version, for example Firefox 128."),
        ),
        TextKind(
            FieldKey.DEVICE,
            group="setup",
            max_length=120,
            help_text=_("The computer or phone and its system, or the mail app (Outlook, Thunderbird, iPhone Mail…)."),
            initial_from=lambda context: context.detected.system,
            datalist=DEVICES_LIST_ID,
            required_message=_("Enter the computer or phone, or the mail app."),
        ),
        YesNoKind(
            FieldKey.OTHER_BROWSER_TRIED,
            group="tried",
            help_text=_("Or a private window. “Not possible”: a mail app, or no other browser on the device."),
            third=NOT_APPLICABLE,
        ),
        TextKind(
            FieldKey.OTHER_BROWSER,
            group="tried",
            max_length=120,
            help_text=_("For example Firefox 128."),
            required_message=_("Enter which other browser you tried."),
        ),
        YesNoKind(
            FieldKey.OTHER_NETWORK_TRIED,
            group="tried",
            help_text=_(
                "For example your phone's 4G instead of the school's network. “Not possible”: no other network at hand."
            ),
            third=NOT_APPLICABLE,
        ),
        YesNoKind(
            FieldKey.OTP_INVOLVED,
            group="tried",
            help_text=_("A code from an app or a text message was asked for, or refused."),
        ),
        YesNoKind(FieldKey.SSO_INVOLVED, group="tried", help_text=_("You came through the intranet or ENT link.")),
        YesNoKind(FieldKey.VPN_USED, group="tried"),
        ScreenshotsKind(),
        SuspiciousMessageKind(),
        TextKind(
            FieldKey.DESCRIPTION,
            max_length=10_000,
            multiline=True,
            help_text=_("What you did, what you expected and what happened. Never write your password or a code."),
            required_message=_("Describe the problem in a few sentences."),
        ),
    )
}
