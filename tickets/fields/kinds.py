"""The kinds of answers a key may have: text, a web address, a question, a date with its zone. Files are in
tickets.fields.files; which key has which kind, in tickets.fields.vocabulary."""

import datetime
import zoneinfo

from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tickets.fields.answers import ANSWER_LABELS, NO, THIRD_ANSWER_REQUIRED, UNKNOWN, YES, answer_label
from tickets.fields.api_types import AnswerField, optional_text
from tickets.fields.context import FillContext
from tickets.fields.inputs import (
    NO_AUTOCORRECT,
    TIME_ZONES,
    WEB_ADDRESS,
    LocalDateTimeField,
    TimeZoneField,
    WebAddressField,
)
from tickets.fields.keys import FieldKey

# How far from now an incident may be dated: a few minutes ahead for clocks that drift, a year back.
FUTURE_TOLERANCE = datetime.timedelta(minutes=15)
OLDEST = datetime.timedelta(days=366)


class Kind:
    """One key of the vocabulary. Subclasses say which form fields it needs, what it stores, and what the API calls
    it (``api_type``, with ``api_choices`` for the answers a question takes)."""

    key: FieldKey
    group = "problem"
    help_text = ""
    required_message = _("This information is required.")
    # Form fields of the kind that always carry a value (a list with a default): never labelled "optional".
    always_answered: tuple[str, ...] = ()
    api_type = "text"

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
        return {self.key: optional_text(help_text=self.help_text)}

    def api_choices(self) -> list[tuple[str, str]]:
        """The answers the key accepts, as (value, label); empty for free text."""
        return []

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

    @property
    def api_type(self) -> str:
        return "multiline" if self.multiline else "text"

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
        return {self.key: optional_text(max_length=self.max_length, help_text=self.help_text)}


class UrlKind(Kind):
    key = FieldKey.URL
    group = "problem"
    help_text = _("Copy it from the address bar, for example https://webmail.ac-exemple.fr/.")
    max_length = 2000
    api_type = "url"

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
            self.key: optional_text(
                max_length=self.max_length, help_text="An http or https address; without a scheme, https is assumed."
            )
        }


class YesNoKind(Kind):
    """A question answered yes, no, or a third answer for whoever cannot say: "I don't know" (is a code involved?)
    or "not possible" (no other browser or network at hand). Radio buttons in a fieldset whose legend is the
    question. Always required (tickets.fields.keys.QUESTION_KEYS): every person has one of the three answers, and a
    blank leaves support guessing. Stored as the answer's value ("yes", "no", "unknown", "not_applicable")."""

    api_type = "yes_no"

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

    def api_choices(self):
        return self.choices

    def display(self, data):
        return answer_label(data.get(self.key))


class OccurredAtKind(Kind):
    """Date and time with its zone. Two form fields: the wall-clock time and the zone it is in (pre-filled with the
    portal's zone, refined by the browser's through JavaScript)."""

    key = FieldKey.OCCURRED_AT
    group = "when"
    help_text = _("Filled in with the current time: change it if the problem happened earlier.")
    zone_key = "occurred_at_tz"
    always_answered = (zone_key,)
    api_type = "datetime"

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
            self.key: optional_text(
                allow_null=True,
                max_length=64,
                help_text="ISO 8601 (2026-11-22T09:30:00+01:00); without an offset, the time is read in "
                "occurred_at_tz. The web form's formats (2026-11-22 09:30, 22/11/2026 09:30) are accepted too.",
            ),
            self.zone_key: optional_text(help_text=f"IANA time zone (default {settings.TIME_ZONE})."),
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
