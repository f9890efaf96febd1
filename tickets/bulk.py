"""Bulk actions on the queue view: one action on many tickets, all or nothing.

Each ticket goes through the same workflow as on its own page (so each gets its own event and e-mail), inside one
transaction: if one ticket refuses (closed meanwhile, not in the agent's queues…), none changes and the agent is
told which and why.
"""

from django import forms
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.assignment import AssignmentRefused, assignee_named, may_work_on, ticket_assign
from tickets.merging import MergeRefused, merge_target, ticket_merge
from tickets.models import REFERENCE_PATTERN, Priority, Ticket, TicketStatus
from tickets.services import TicketActionRefused, ticket_priority_change, ticket_reply, ticket_status_change

BULK_MAX = 100

ACTIONS = [
    ("assign", _("Assign to")),
    ("status", _("Change the status")),
    ("priority", _("Change the priority")),
    ("solve", _("Reply and mark solved")),
    ("merge", _("Merge into one incident")),
]


class BulkActionForm(forms.Form):
    tickets = forms.MultipleChoiceField(
        label=_("Incidents"), error_messages={"required": _("Tick at least one incident.")}
    )
    action = forms.ChoiceField(choices=[("", _("Choose an action"))] + ACTIONS, label=_("Action"))
    assignee = forms.CharField(required=False, max_length=150, label=_("Assign to"))
    status = forms.ChoiceField(choices=[("", "—")] + TicketStatus.choices, required=False, label=_("New status"))
    priority = forms.ChoiceField(choices=[("", "—")] + Priority.choices, required=False, label=_("New priority"))
    body = forms.CharField(
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Reply sent to every requester"),
    )
    into = forms.CharField(required=False, max_length=20, label=_("Merge into (reference)"))

    def __init__(self, data=None):
        super().__init__(data, auto_id="bulk-%s")  # the filter form above has fields of the same names
        self.fields["tickets"].choices = [(value, value) for value in (data.getlist("tickets") if data else [])]

    def clean_tickets(self):
        references = list(dict.fromkeys(self.cleaned_data["tickets"]))
        if len(references) > BULK_MAX:
            raise forms.ValidationError(_("At most %(max)d incidents at once.") % {"max": BULK_MAX})
        if not all(REFERENCE_PATTERN.match(reference) for reference in references):
            raise forms.ValidationError(_("Some ticked incidents do not exist."))
        return references

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "status" and not data.get("status"):
            self.add_error("status", _("Choose the new status."))
        if action == "priority" and not data.get("priority"):
            self.add_error("priority", _("Choose the new priority."))
        if action == "solve" and not (data.get("body") or "").strip():
            self.add_error("body", _("Write the reply the requesters will receive."))
        if action == "merge":
            data["into"] = (data.get("into") or "").strip().upper()
            if not REFERENCE_PATTERN.match(data["into"]):
                self.add_error("into", _("Enter the reference of the incident to keep, for example INC-2026-000123."))
        if action == "assign":
            try:
                data["assignee_user"] = assignee_named(data.get("assignee") or "")
            except AssignmentRefused:
                self.add_error("assignee", _("Choose a member of the incidents' queue."))
        return data


class BulkRefused(Exception):
    def __init__(self, reference: str, reason: str):
        super().__init__(reference)
        self.reference, self.reason = reference, reason

    def __str__(self):
        return gettext("Nothing was changed: %(reference)s refused the action (%(reason)s).") % {
            "reference": self.reference,
            "reason": self.reason,
        }


@transaction.atomic
def tickets_bulk_act(*, references: list[str], action: str, by, values: dict) -> int:
    """Apply ``action`` to every ticket named, or to none: raises BulkRefused naming the first that refused (for a
    merge, the incident to keep when it is not one the agent may see). Returns how many tickets changed."""
    target = None
    if action == "merge":
        try:
            target = merge_target(reference=values.get("into", ""), by=by)
        except MergeRefused as refused:
            raise BulkRefused(values.get("into", ""), str(refused)) from refused
    tickets = {
        ticket.reference: ticket
        for ticket in Ticket.objects.visible_to(by).select_for_update(of=("self",)).filter(reference__in=references)
    }
    for reference in references:
        ticket = tickets.get(reference)
        if ticket is None or not may_work_on(by, ticket):
            raise BulkRefused(reference, gettext("not in your queues"))
        try:
            if action == "assign":
                ticket_assign(ticket=ticket, to=values.get("assignee_user"), by=by)
            elif action == "status":
                ticket_status_change(ticket=ticket, to=values["status"], by=by)
            elif action == "priority":
                ticket_priority_change(ticket=ticket, priority=values["priority"], by=by)
            elif action == "solve":
                ticket_reply(ticket=ticket, by=by, body=values["body"])
                ticket_status_change(ticket=ticket, to=TicketStatus.SOLVED, by=by)
            elif action == "merge":
                ticket_merge(ticket=ticket, into=target, by=by)
            else:
                raise ValueError(f"unknown bulk action {action!r}")
        except (AssignmentRefused, MergeRefused) as refused:
            raise BulkRefused(reference, str(refused)) from refused
        except TicketActionRefused as refused:
            raise BulkRefused(reference, gettext("it is closed")) from refused
    return len(references)
