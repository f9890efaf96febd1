"""The Django form fields the kinds are made of, where Django's own do not read what people type."""

import datetime
import functools
import zoneinfo

from django import forms
from django.core.validators import URLValidator
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

NO_AUTOCORRECT = {"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}
WEB_ADDRESS = _("Enter a web address, for example https://webmail.ac-exemple.fr/.")

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


class WebAddressField(forms.URLField):
    """http and https only: a webmail is never reached by ftp, and javascript: is never an address."""

    default_validators = [URLValidator(schemes=["http", "https"], message=WEB_ADDRESS)]
