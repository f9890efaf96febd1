"""The forms of a major incident's page in the agents' workspace (and of its API): confirm, split, post an update,
change the status, resolve."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import REFERENCE_PATTERN, MajorIncidentStatus

MESSAGE_MAX = 5000
SPLIT_MAX = 500


def _text(label, *, required=True, rows=4, max_length=MESSAGE_MAX, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ConfirmForm(forms.Form):
    title_fr = forms.CharField(label=_("Title (French)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    public_message_fr = _text(
        _("Public message (French)"), help_text=_("Shown before the forms and sent to every linked reporter.")
    )
    public_message_en = _text(_("Public message (English)"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "confirm-%s")
        super().__init__(*args, **kwargs)


class SplitForm(forms.Form):
    tickets = forms.MultipleChoiceField(
        label=_("Incidents"), error_messages={"required": _("Tick at least one incident.")}
    )
    into = forms.ChoiceField(
        label=_("What becomes of them"),
        widget=forms.RadioSelect,
        choices=[
            ("unlink", _("Unlink them: they are handled one by one")),
            ("new", _("Move them into a new proposed major incident")),
        ],
        initial="unlink",
    )

    def __init__(self, data=None, **kwargs):
        kwargs.setdefault("auto_id", "split-%s")
        super().__init__(data, **kwargs)
        values = data.getlist("tickets") if hasattr(data, "getlist") else (data or {}).get("tickets", [])
        self.fields["tickets"].choices = [(value, value) for value in values if isinstance(value, str)]

    def clean_tickets(self):
        references = list(dict.fromkeys(self.cleaned_data["tickets"]))
        if len(references) > SPLIT_MAX:
            raise forms.ValidationError(_("At most %(max)d incidents at once.") % {"max": SPLIT_MAX})
        if not all(REFERENCE_PATTERN.match(reference) for reference in references):
            raise forms.ValidationError(_("Some ticked incidents do not exist."))
        return references


class UpdateForm(forms.Form):
    message = _text(_("Public update"), help_text=_("Sent to every linked reporter and every affected person."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "update-%s")
        super().__init__(*args, **kwargs)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[(value, label) for value, label in MajorIncidentStatus.choices if value in ("open", "monitoring")],
    )
    message = _text(_("Message to the people concerned"), required=False, rows=3)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "status-%s")
        super().__init__(*args, **kwargs)


class ResolveForm(forms.Form):
    note = _text(
        _("Resolution note"),
        help_text=_(
            "The last reply of every linked incident, which is then marked solved; also sent to the people affected."
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "resolve-%s")
        super().__init__(*args, **kwargs)
