"""The forms of an agent's ticket page: reply or note (with canned answers), status, priority, merge, and "solved by
this article"."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.forms import ErrorSummaryMixin, ReplyForm
from tickets.models import Priority, TicketStatus

REPLY, NOTE = "reply", "note"


class AgentReplyForm(ReplyForm):
    """The requester's reply form, plus who reads it (a public reply by default, or an internal note) and the
    canned answers to insert."""

    visibility = forms.ChoiceField(
        label=_("Who reads it"),
        choices=[
            (REPLY, _("Public reply: the requester reads it and gets an e-mail")),
            (NOTE, _("Internal note: agents only, no e-mail; its files too")),
        ],
        initial=REPLY,
        required=False,  # a form posted without the choice (an older page) sends a public reply, as it did
        widget=forms.RadioSelect,
    )
    # Not checked against the list: a stale choice (an answer deactivated meanwhile) must not hold back a reply.
    canned = forms.CharField(label=_("Canned answer"), required=False, widget=forms.Select)

    def __init__(self, *args, canned_answers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Message")
        self.fields["body"].help_text = _("Never ask for a password or a code.")
        self.fields["canned"].widget.choices = [("", _("Choose an answer"))] + [
            (str(answer.pk), answer.title) for answer in canned_answers
        ]
        self.order_fields(["visibility", "canned", "body", "files"])

    @property
    def is_note(self) -> bool:
        return self.cleaned_data.get("visibility") == NOTE


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class MergeForm(ErrorSummaryMixin, forms.Form):
    into = forms.CharField(
        label=_("Reference of the incident to keep"),
        max_length=20,
        help_text=_("For example INC-2026-000123. This incident is closed and its requester told where it goes on."),
        error_messages={"required": _("Enter the reference of the incident to keep.")},
    )

    def clean_into(self):
        return self.cleaned_data["into"].strip().upper()


class SolvedByArticleForm(ErrorSummaryMixin, forms.Form):
    article = forms.ChoiceField(
        label=_("Article"), error_messages={"required": _("Choose the article that answers the incident.")}
    )
    body = forms.CharField(
        label=_("Message before the link (optional)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Empty: a standard sentence in the requester's language."),
    )

    def __init__(self, *args, articles=(), **kwargs):
        super().__init__(*args, auto_id="solved-%s", **kwargs)
        self.fields["article"].choices = [("", _("Choose an article"))] + [
            (slug, title) for _pk, slug, title in articles
        ]
