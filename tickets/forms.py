"""The incident form of a problem type, built from its ProblemTypeField rows, and the reply form of a ticket.

``IncidentForm`` is the one validation path of filing: the web form renders it, and the API's serializer
(tickets.api) binds the request to it, so a required field is required alike, with the same messages.
"""

from dataclasses import dataclass, field

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.user_agent import detect
from tickets.fields.context import FillContext
from tickets.fields.files import check_uploads
from tickets.fields.inputs import MultipleFileField
from tickets.fields.keys import FieldKey
from tickets.fields.prefetch import problem_type_rows
from tickets.fields.vocabulary import GROUPS, KINDS
from tickets.models import ProblemType


@dataclass
class Submission:
    """A validated filing, ready for tickets.services.ticket_create: the answers (JSON), the checked files
    (uploaded file, tickets.uploads.CheckedUpload) and the parsed reported message, if any."""

    answers: dict
    uploads: list = field(default_factory=list)
    reported_message: object = None


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


class IncidentForm(ErrorSummaryMixin, forms.Form):
    def __init__(self, data=None, files=None, *, problem_type: ProblemType, context: FillContext, **kwargs):
        super().__init__(data, files, **kwargs)
        self.problem_type = problem_type
        self.context = context
        self.rows = problem_type_rows(problem_type)
        self.group_of: dict[str, str] = {}
        initial = {}
        for row in self.rows:
            kind = KINDS[row.key]
            help_text = row.help_text or kind.help_text
            for name, form_field in kind.form_fields(
                required=row.is_required, help_text=help_text, context=context
            ).items():
                if not row.is_required and name not in kind.always_answered:
                    # Said in words, not by a colour or a sign alone.
                    form_field.label = format_lazy("{} ({})", form_field.label, _("optional"))
                self.fields[name] = form_field
                self.group_of[name] = kind.group
            initial.update(kind.initial(context))
        # Explicit initial values (a re-rendered form) win over the computed defaults.
        self.initial = {**initial, **self.initial}
        self.answers: dict = {}
        self.uploads: list = []
        self.reported_message = None

    def clean(self):
        cleaned = super().clean()
        self.answers, self.uploads, self.reported_message = {}, [], None
        for row in self.rows:
            KINDS[row.key].store(self, cleaned, required=row.is_required)
        return cleaned

    @property
    def submission(self) -> Submission:
        assert self.is_valid()
        return Submission(
            answers=dict(self.answers), uploads=list(self.uploads), reported_message=self.reported_message
        )

    @property
    def groups(self) -> list[dict]:
        """The fields by fieldset, in the order of GROUPS, each with its legend and whether it holds an error."""
        grouped = {key: [] for key in GROUPS}
        for name in self.fields:
            grouped[self.group_of[name]].append(self[name])
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
