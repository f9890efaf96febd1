"""The incident form of a problem type as the page shows it, and the reply form of a ticket.

``IncidentForm`` validates as tickets.fields.form.AnswersForm, the one validation path of filing (the API's serializer
binds the request to it too, so a required field is required alike, with the same messages); it adds what the page
needs: the fieldsets, "optional" in the labels, and the error summary.
"""

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.web.user_agent import detect
from tickets.fields.context import FillContext
from tickets.fields.files import check_uploads
from tickets.fields.form import AnswersForm
from tickets.fields.inputs import MultipleFileField
from tickets.fields.keys import FieldKey
from tickets.fields.vocabulary import GROUPS


def fill_context(request, *, known_errors=()) -> FillContext:
    """Defaults the server can give without JavaScript: the account, the browser from its User-Agent, the time."""
    return FillContext(
        user=request.user,
        detected=detect(request.META.get("HTTP_USER_AGENT", "")),
        now=timezone.now(),
        known_errors=tuple(known_errors),
    )


class ErrorSummaryMixin:
    """What the error summary at the top of a form lists."""

    @property
    def error_links(self) -> list[dict]:
        """For the summary at the top: each field in error, with the id its link must point to (the first radio
        button of a yes/no question, whose fieldset has no id of its own)."""
        links = []
        for name, errors in self.errors.items():
            if name not in self.fields:
                continue
            bound = self[name]
            anchor = bound.auto_id + ("_0" if bound.field.widget.use_fieldset else "")
            links.append({"anchor": anchor, "label": bound.label, "errors": errors})
        return links


class IncidentForm(ErrorSummaryMixin, AnswersForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, form_field in self.fields.items():
            if not self.row_of[name].is_required and name not in self.kind_of(name).always_answered:
                # Said in words, not by a colour or a sign alone.
                form_field.label = format_lazy("{} ({})", form_field.label, _("optional"))

    @property
    def groups(self) -> list[dict]:
        """The fields by fieldset, in the order of GROUPS, each with its legend and whether it holds an error."""
        grouped = {key: [] for key in GROUPS}
        for name in self.fields:
            grouped[self.kind_of(name).group].append(self[name])
        return [
            {
                "key": key,
                "legend": GROUPS[key],
                "fields": fields,
                # A folded section opens when it holds an error or a required answer nobody could fill in.
                "needs_attention": any(
                    bound.errors or (bound.field.required and not bound.value()) for bound in fields
                ),
            }
            for key, fields in grouped.items()
            if fields
        ]

    @property
    def has_field(self):
        return {key: key in self.fields for key in FieldKey.values}

    @property
    def detected_summary(self) -> str:
        """Browser and system detected, for the summary of the folded "browser and device" section."""
        detected = self.context.detected
        return ", ".join(part for part in (detected.browser, detected.system) if part)


class ReplyForm(ErrorSummaryMixin, forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Never write your password or a code."),
    )
    files = MultipleFileField(
        label=_("Add files"),
        required=False,
        help_text=_("Images (PNG, JPEG, GIF, WebP), PDF, e-mail files (.eml, Outlook .msg) or text files."),
    )

    def __init__(self, *args, already: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.already = already
        self.uploads = []

    def clean(self):
        cleaned = super().clean()
        files = cleaned.get("files") or []
        if not (cleaned.get("body") or "").strip() and not files and not self.errors:
            raise forms.ValidationError(_("Write a message or add a file."), code="empty")
        self.uploads = check_uploads(self, "files", files, already=self.already) if files else []
        return cleaned
