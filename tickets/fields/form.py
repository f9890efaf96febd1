"""The one validation of a filing: a problem type's rows give the form fields of their kinds, and each kind stores
its cleaned answer. The web page renders it (tickets.forms.IncidentForm adds what the page needs), the API binds
the request to it, and tickets.services.ticket_open_case uses ``validate_answers`` for code that has no request."""

from django import forms
from django.core.exceptions import ValidationError

from tickets.fields.answers import NO, YES
from tickets.fields.context import FillContext
from tickets.fields.prefetch import problem_type_rows
from tickets.fields.vocabulary import KINDS
from tickets.models import ProblemType
from tickets.submission import Submission


class AnswersForm(forms.Form):
    """The fields of ``problem_type``'s rows, in order. Once valid, ``submission`` holds what the kinds stored."""

    def __init__(self, data=None, files=None, *, problem_type: ProblemType, context: FillContext, **kwargs):
        super().__init__(data, files, **kwargs)
        self.problem_type = problem_type
        self.context = context
        self.rows = problem_type_rows(problem_type)
        # Each form field's row and kind: a kind may need two fields (the date and its zone).
        self.row_of = {}
        initial = {}
        for row in self.rows:
            kind = KINDS[row.key]
            help_text = row.help_text or kind.help_text
            for name, form_field in kind.form_fields(
                required=row.is_required, help_text=help_text, context=context
            ).items():
                self.fields[name] = form_field
                self.row_of[name] = row
            initial.update(kind.initial(context))
        # Explicit initial values (a re-rendered form) win over the computed defaults.
        self.initial = {**initial, **self.initial}
        self.answers: dict = {}
        self.uploads: list = []
        self.reported_message = None

    def kind_of(self, name: str):
        return KINDS[self.row_of[name].key]

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


def validate_answers(*, problem_type: ProblemType, answers: dict, context: FillContext, files=None) -> Submission:
    """``answers`` (by key: text, true/false or an answer for a question, None for blank) checked as the form checks
    them. Raises ValidationError whose ``message_dict`` gives the form's messages by field."""
    data = {name: _form_value(value) for name, value in answers.items()}
    form = AnswersForm(data, files or {}, problem_type=problem_type, context=context)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.submission


def _form_value(value):
    """A value as the web form would have posted it: true/false are the answers yes/no, None is left blank."""
    if value is True or value is False:
        return YES if value else NO
    return "" if value is None else value
