"""A problem type with the rows of its form, read once for the page, the API and the services alike."""

from django.db.models import Prefetch

from tickets.fields.vocabulary import KINDS
from tickets.models import ProblemType, ProblemTypeField


def with_fields(problem_types):
    """The problem types, each with ``prefetched_fields``: the rows of its form in order, one query for them all.
    Rows of a key the code no longer knows are left out, so nothing downstream meets a key without a kind."""
    rows = ProblemTypeField.objects.filter(key__in=list(KINDS)).order_by("position", "pk")
    return problem_types.prefetch_related(Prefetch("fields", queryset=rows, to_attr="prefetched_fields"))


def problem_type_rows(problem_type: ProblemType) -> list[ProblemTypeField]:
    """The rows of the form, in order; unknown keys (a key removed from the code) are skipped, not fatal."""
    rows = getattr(problem_type, "prefetched_fields", None)
    if rows is None:
        rows = list(problem_type.fields.all())
    return [row for row in rows if row.key in KINDS]
