"""The vocabulary of incident form fields: for each tickets.models.FieldKey, its form field(s), its checks, what it
stores in Ticket.data, how it is shown and its API field.

A problem type's form is built from its ProblemTypeField rows (data, edited in the admin); this module is the only
place that knows what each key means. The web form and the API both validate through the form built here
(tickets.forms.IncidentForm), so a rule is written once.

What a kind stores in ``Ticket.data`` is JSON: strings (the answer's value for questions: "yes", "no", "unknown",
"not_applicable"; older incidents hold true/false) and, for the date, an ISO 8601 string with its offset plus the
zone's name; None for an optional answer left blank. Files are not stored in ``data``: screenshots
and the reported message become attachments, and the parsed message a PhishingReport.
"""

import datetime
import functools
import zoneinfo
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.models import identifier_validator
from portal.web.user_agent import Detected
from tickets.models import FieldKey

# How far from now an incident may be dated: a few minutes ahead for clocks that drift, a year back.
FUTURE_TOLERANCE = datetime.timedelta(minutes=15)
OLDEST = datetime.timedelta(days=366)

NO_AUTOCORRECT = {"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}
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
# The zones offered in the list (metropolitan France and the overseas territories); the API accepts any IANA zone.
TIME_ZONES = (
    ("Europe/Paris", _("France (metropolitan), Paris time")),
    ("America/Guadeloupe", _("Guadeloupe, Martinique, Saint-Barthélemy, Saint-Martin")),
    ("America/Cayenne", _("French Guiana")),
    ("America/Miquelon", _("Saint-Pierre-et-Miquelon")),
    ("Indian/Reunion", _("La Réunion")),
    ("Indian/Mayotte", _("Mayotte")),
    ("Pacific/Noumea", _("New Caledonia")),
    ("Pacific/Tahiti", _("French Polynesia (Tahiti)")),
    ("Pacific/Wallis", _("Wallis and Futuna")),
    ("UTC", _("Universal time (UTC)")),
)

WEB_ADDRESS = _("Enter a web address, for example https://webmail.ac-exemple.fr/.")

# Fieldsets of the form, in order, with their legends.
GROUPS = {
    "problem": _("The problem"),
    "when": _("When, and for whom"),
    "tried": _("What you tried, and what is involved"),
    "setup": _("Your browser and device"),  # folded when detected (tickets/file.html)
    "files": _("Files"),
}


@dataclass(frozen=True)
class FillContext:
    """What the form may fill in by itself: the account, the browser's User-Agent, the time and zone, and the
    error messages the knowledge base knows (for the error field's list)."""

    user: object
    detected: Detected = field(default_factory=Detected)
    now: datetime.datetime | None = None
    time_zone: str = ""
    known_errors: tuple[str, ...] = ()


@functools.cache
def _all_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class LocalDateTimeField(forms.DateTimeField):
    """A date and time as typed, without applying the server's zone: the zone field next to it says which zone the
    wall-clock time is in. An ISO value with an offset (from the API) stays aware."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value
        text = str(value).strip()[:64]
        try:
            parsed = parse_datetime(text)
        except (ValueError, OverflowError):
            parsed = None
        for pattern in () if parsed else self.FORMATS:
            try:
                parsed = datetime.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class TimeZoneField(forms.ChoiceField):
    """The zones of TIME_ZONES in the list; any IANA zone name is accepted (the API, or a browser elsewhere)."""

    def valid_value(self, value):
        return value in _all_zones()


class MultipleFileField(forms.FileField):
    widget = type("MultipleFileInput", (forms.ClearableFileInput,), {"allow_multiple_selected": True})

    def clean(self, data, initial=None):
        files = [file for file in (data or []) if file]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


# The answers of a question (YesNoKind). Incidents filed before the third answer existed hold true/false.
YES, NO, UNKNOWN, NOT_APPLICABLE = "yes", "no", "unknown", "not_applicable"
ANSWER_LABELS = {
    YES: _("Yes"),
    NO: _("No"),
    UNKNOWN: _("I don't know"),
    NOT_APPLICABLE: _("Not possible"),
}
THIRD_ANSWER_REQUIRED = {
    UNKNOWN: _("Choose yes, no or “I don't know”."),
    NOT_APPLICABLE: _("Choose yes, no or “not possible”."),
}


def answer_label(value) -> str:
    """The answer to a question as shown to people ("" when it was not asked)."""
    if value is True or value is False:
        value = YES if value else NO
    label = ANSWER_LABELS.get(value)
    return str(label) if label else ""


class Kind:
    """One key of the vocabulary. Subclasses say which form fields it needs and what it stores."""

    key: FieldKey
    group = "problem"
    help_text = ""
    required_message = _("This information is required.")
    # Form fields of the kind that always carry a value (a list with a default): never labelled "optional".
    always_answered: tuple[str, ...] = ()

    @property
    def label(self):
        return FieldKey(self.key).label

    def form_fields(self, *, required: bool, help_text: str, context: FillContext) -> dict[str, forms.Field]:
        raise NotImplementedError

    def initial(self, context: FillContext) -> dict:
        return {}

    def store(self, form, cleaned: dict, *, required: bool) -> None:
        """Put the cleaned answer in ``form.answers`` (or files in ``form.uploads``); add errors to ``form``."""
        form.answers[self.key] = cleaned.get(self.key)

    def api_fields(self) -> dict[str, serializers.Field]:
        return {self.key: serializers.CharField(required=False, allow_blank=True, help_text=self.help_text)}

    def display(self, data: dict) -> str:
        """The answer as plain text for the ticket page ("" when not answered)."""
        value = data.get(self.key)
        return "" if value in (None, "") else str(value)


class TextKind(Kind):
    max_length = 200
    multiline = False
    attrs: dict = {}
    datalist = ""

    def __init__(self, key, *, group="problem", max_length=200, help_text="", multiline=False, attrs=None, **extra):
        self.key, self.group, self.max_length, self.help_text = key, group, max_length, help_text
        self.multiline, self.attrs = multiline, dict(attrs or {})
        self.validators = extra.get("validators", [])
        self.initial_from = extra.get("initial_from")
        self.datalist = extra.get("datalist", "")
        self.normalise = extra.get("normalise")
        self.required_message = extra.get("required_message", Kind.required_message)

    def form_fields(self, *, required, help_text, context):
        attrs = dict(self.attrs)
        if self.datalist:
            attrs["list"] = self.datalist
        widget = forms.Textarea(attrs={"rows": 6, **attrs}) if self.multiline else forms.TextInput(attrs=attrs)
        return {
            self.key: forms.CharField(
                label=self.label,
                required=required,
                max_length=self.max_length,
                help_text=help_text,
                widget=widget,
                validators=self.validators,
                error_messages={"required": self.required_message},
            )
        }

    def initial(self, context):
        return {self.key: self.initial_from(context)} if self.initial_from else {}

    def store(self, form, cleaned, *, required):
        value = cleaned.get(self.key) or ""
        form.answers[self.key] = self.normalise(value) if self.normalise and value else value

    def api_fields(self):
        return {
            self.key: serializers.CharField(
                required=False, allow_blank=True, max_length=self.max_length, help_text=self.help_text
            )
        }


class WebAddressField(forms.URLField):
    """http and https only: a webmail is never reached by ftp, and javascript: is never an address."""

    default_validators = [URLValidator(schemes=["http", "https"], message=WEB_ADDRESS)]


class UrlKind(Kind):
    key = FieldKey.URL
    group = "problem"
    help_text = _("Copy it from the address bar, for example https://webmail.ac-exemple.fr/.")
    max_length = 2000

    def form_fields(self, *, required, help_text, context):
        return {
            self.key: WebAddressField(
                label=self.label,
                required=required,
                max_length=self.max_length,
                assume_scheme="https",
                help_text=help_text,
                widget=forms.URLInput(attrs={"inputmode": "url", **NO_AUTOCORRECT}),
                error_messages={
                    "required": _("Enter the address you used, for example https://webmail.ac-exemple.fr/."),
                    "invalid": WEB_ADDRESS,
                },
            )
        }

    def api_fields(self):
        # Text, as the form reads it: an address without its scheme ("webmail.ac-exemple.fr") is taken as https.
        return {
            self.key: serializers.CharField(
                required=False,
                allow_blank=True,
                max_length=self.max_length,
                help_text="An http or https address; without a scheme, https is assumed.",
            )
        }


class YesNoKind(Kind):
    """A question answered yes, no, or a third answer for whoever cannot say: "I don't know" (is a code involved?)
    or "not possible" (no other browser or network at hand). Radio buttons in a fieldset whose legend is the
    question. Always required (tickets.models.QUESTION_KEYS): every person has one of the three answers, and a blank
    leaves support guessing. Stored as the answer's value ("yes", "no", "unknown", "not_applicable")."""

    def __init__(self, key, *, group, help_text="", third=UNKNOWN):
        self.key, self.group, self.help_text, self.third = key, group, help_text, third
        self.required_message = THIRD_ANSWER_REQUIRED[third]

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(YES, ANSWER_LABELS[YES]), (NO, ANSWER_LABELS[NO]), (self.third, ANSWER_LABELS[self.third])]

    def form_fields(self, *, required, help_text, context):
        return {
            self.key: forms.ChoiceField(
                label=self.label,
                required=required,
                choices=self.choices,
                widget=forms.RadioSelect,
                help_text=help_text,
                error_messages={"required": self.required_message, "invalid_choice": self.required_message},
            )
        }

    def store(self, form, cleaned, *, required):
        form.answers[self.key] = cleaned.get(self.key) or None

    def api_fields(self):
        return {
            self.key: AnswerField(
                choices=[value for value, _label in self.choices], required=False, help_text=self.help_text
            )
        }

    def display(self, data):
        return answer_label(data.get(self.key))


class AnswerField(serializers.ChoiceField):
    """A question's answer in the API: one of its values, or true/false for yes/no (the schema says both, through
    tickets.api.AnswerFieldSchema)."""


class OccurredAtKind(Kind):
    """Date and time with its zone. Two form fields: the wall-clock time and the zone it is in (pre-filled with the
    portal's zone, refined by the browser's through JavaScript)."""

    key = FieldKey.OCCURRED_AT
    group = "when"
    help_text = _("Filled in with the current time: change it if the problem happened earlier.")
    zone_key = "occurred_at_tz"
    always_answered = (zone_key,)

    def form_fields(self, *, required, help_text, context):
        return {
            self.key: LocalDateTimeField(
                label=self.label,
                required=required,
                help_text=help_text,
                error_messages={
                    "required": _("Enter the date and time of the problem."),
                    "invalid": _("Enter a date and time, for example 2026-11-22 09:30."),
                },
            ),
            self.zone_key: TimeZoneField(
                label=_("Time zone"),
                required=False,
                choices=TIME_ZONES,
                error_messages={"invalid_choice": _("Choose a time zone from the list.")},
            ),
        }

    def initial(self, context):
        zone = context.time_zone or settings.TIME_ZONE
        now = context.now or timezone.now()
        local = timezone.localtime(now, zoneinfo.ZoneInfo(zone)).replace(second=0, microsecond=0, tzinfo=None)
        return {self.key: local, self.zone_key: zone}

    def store(self, form, cleaned, *, required):
        value = cleaned.get(self.key)
        zone_name = cleaned.get(self.zone_key) or settings.TIME_ZONE
        form.answers[self.zone_key] = zone_name
        if value is None:
            form.answers[self.key] = None
            return
        zone = zoneinfo.ZoneInfo(zone_name)
        try:
            moment = value.astimezone(zone) if timezone.is_aware(value) else value.replace(tzinfo=zone)
            utc = moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            form.add_error(self.key, forms.ValidationError(_("This date is out of range."), code="range"))
            return
        now = timezone.now()
        if utc > now + FUTURE_TOLERANCE:
            form.add_error(
                self.key,
                forms.ValidationError(
                    _("This date is in the future: check the date and the time zone."), code="future"
                ),
            )
        elif utc < now - OLDEST:
            form.add_error(
                self.key,
                forms.ValidationError(
                    _("This date is more than a year ago: describe an older problem in the description."), code="past"
                ),
            )
        else:
            form.answers[self.key] = moment.isoformat()

    def api_fields(self):
        return {
            # Text, as the form reads it, so the schema promises no more and no less than the form accepts.
            self.key: serializers.CharField(
                required=False,
                allow_blank=True,
                allow_null=True,
                max_length=64,
                help_text="ISO 8601 (2026-11-22T09:30:00+01:00); without an offset, the time is read in "
                "occurred_at_tz. The web form's formats (2026-11-22 09:30, 22/11/2026 09:30) are accepted too.",
            ),
            self.zone_key: serializers.CharField(
                required=False, allow_blank=True, help_text=f"IANA time zone (default {settings.TIME_ZONE})."
            ),
        }

    def display(self, data):
        value = data.get(self.key)
        if not value:
            return ""
        try:
            moment = datetime.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return str(value)
        return f"{formats.date_format(moment, 'DATETIME_FORMAT')} ({data.get(self.zone_key) or moment.tzname()})"


def check_uploads(form, name: str, files, *, already: int = 0):
    """The shared attachment rules (tickets.uploads): count, then each file's content. Errors go next to ``name``."""
    from tickets.uploads import UploadRefused, check_count, inspect_upload

    checked = []
    try:
        check_count(adding=len(files) + len(form.uploads), already=already)
    except UploadRefused as refused:
        form.add_error(name, forms.ValidationError(refused.message, code=refused.code))
        return []
    for file in files:
        try:
            checked.append((file, inspect_upload(file)))
        except UploadRefused as refused:
            form.add_error(name, forms.ValidationError(refused.message, code=refused.code))
    return checked


class ScreenshotsKind(Kind):
    key = FieldKey.SCREENSHOTS
    group = "files"
    help_text = _("Images (PNG, JPEG, GIF, WebP), PDF or text files; you may select several.")
    required_message = _("Add at least one screenshot.")

    def form_fields(self, *, required, help_text, context):
        return {
            self.key: MultipleFileField(
                label=self.label,
                required=required,
                help_text=help_text,
                error_messages={"required": self.required_message},
                widget=MultipleFileField.widget(attrs={"accept": "image/*,.pdf,.txt,.log"}),
            )
        }

    def store(self, form, cleaned, *, required):
        form.uploads.extend(check_uploads(form, self.key, cleaned.get(self.key) or []))

    def api_fields(self):
        return {
            self.key: serializers.ListField(
                child=serializers.FileField(), required=False, help_text="multipart/form-data only."
            )
        }

    def display(self, data):
        return ""


class SuspiciousMessageKind(Kind):
    """The reported message: an .eml or Outlook .msg file, or its headers pasted. Parsed by tickets.phishing during
    validation, so an unreadable message is refused next to the field; the message's HTML is never rendered."""

    key = FieldKey.SUSPICIOUS_MESSAGE
    group = "problem"
    help_text = _(
        "In your mail app, save the message as a file (.eml, or .msg from Outlook) or show its source, and attach it "
        "here. Do not forward it and do not click its links."
    )
    headers_key = "suspicious_message_headers"
    max_headers = 100_000

    def form_fields(self, *, required, help_text, context):
        return {
            self.key: forms.FileField(
                label=self.label,
                required=False,
                help_text=help_text,
                widget=forms.ClearableFileInput(
                    attrs={"accept": ".eml,.msg,message/rfc822,application/vnd.ms-outlook"}
                ),
            ),
            self.headers_key: forms.CharField(
                label=_("Or paste the message's headers"),
                required=False,
                max_length=self.max_headers,
                strip=False,
                help_text=_("The source of the message, from its first line down to the blank line after Subject."),
                widget=forms.Textarea(attrs={"rows": 6, **NO_AUTOCORRECT}),
            ),
        }

    def store(self, form, cleaned, *, required):
        from tickets.phishing import MessageUnreadable, parse_headers, parse_message, parse_outlook_message
        from tickets.uploads import OUTLOOK_MESSAGE

        file = cleaned.get(self.key)
        headers = (cleaned.get(self.headers_key) or "").strip()
        if file:
            checked = check_uploads(form, self.key, [file])
            if not checked:
                return
            if checked[0][1].kind != "email":
                form.add_error(
                    self.key,
                    forms.ValidationError(
                        _(
                            "This file is not an e-mail message: save the message as a file (.eml, or .msg from "
                            "Outlook) and attach that."
                        ),
                        code="not_email",
                    ),
                )
                return
            try:
                file.seek(0)
                parse = parse_outlook_message if checked[0][1].content_type == OUTLOOK_MESSAGE else parse_message
                form.reported_message = parse(file.read())
            except MessageUnreadable:
                form.add_error(self.key, forms.ValidationError(UNREADABLE, code="unreadable"))
                return
            finally:
                file.seek(0)
            form.uploads.extend(checked)
        elif headers:
            try:
                form.reported_message = parse_headers(headers)
            except MessageUnreadable:
                form.add_error(self.headers_key, forms.ValidationError(UNREADABLE, code="unreadable"))
        elif required:
            form.add_error(
                self.key,
                forms.ValidationError(
                    _("Attach the message as a file (.eml, or .msg from Outlook), or paste its headers below."),
                    code="required",
                ),
            )

    def api_fields(self):
        return {
            self.key: serializers.FileField(
                required=False, help_text="The message as .eml or Outlook .msg (multipart/form-data)."
            ),
            self.headers_key: serializers.CharField(
                required=False, allow_blank=True, max_length=self.max_headers, help_text="Or its headers as text."
            ),
        }

    def display(self, data):
        return ""


UNREADABLE = _(
    "This message could not be read. Save it again as a file (.eml, or .msg from Outlook), or paste its headers "
    "instead."
)


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
