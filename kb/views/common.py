"""Helpers shared by the knowledge-base views."""

from django.db import connections


def union_all(querysets: list) -> list:
    """The rows of several sliced querysets: one UNION ALL statement where the database accepts a LIMIT inside one
    (PostgreSQL), one query each elsewhere (SQLite, the development database)."""
    if connections[querysets[0].db].features.supports_slicing_ordering_in_compound:
        return list(querysets[0].union(*querysets[1:], all=True))
    return [row for queryset in querysets for row in queryset]
