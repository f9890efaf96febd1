"""The answers of a question (tickets.fields.kinds.YesNoKind). Incidents filed before the third answer existed hold
true/false."""

from django.utils.translation import gettext_lazy as _

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
