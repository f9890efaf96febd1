"""The few statements every signed-in request runs, written once as SQL from the models' metadata.

Building and compiling a query through the ORM costs about 0.25 ms of Python, more than PostgreSQL takes to find a
row by its key. These statements never change shape, so their text is written once per process and only the values
change. Values are adapted as the ORM adapts them (``Field.get_db_prep_value``). ``first_row`` converts nothing that
comes back, so it reads only columns every database returns as their Python value (text, integers); ``instance``
builds a model instance through the ORM's raw query, which converts every column.
"""

import functools

from django.db import connections, router

OPERATORS = frozenset({"=", ">"})


@functools.cache
def _statement(model, columns: tuple[str, ...], where: tuple[tuple[str, str], ...], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    meta = model._meta
    selected = ", ".join(quote(meta.get_field(name).column) for name in columns) or "1"
    conditions = []
    for name, operator in where:
        if operator not in OPERATORS:
            raise ValueError(f"unsupported operator {operator!r}")
        conditions.append(f"{quote(meta.get_field(name).column)} {operator} %s")
    # Only quoted names from the model's metadata go into the text; every value is a parameter.
    return f"SELECT {selected} FROM {quote(meta.db_table)} WHERE {' AND '.join(conditions)} LIMIT 1"  # noqa: S608


def first_row(model, columns: tuple[str, ...], *where: tuple[str, str, object]) -> tuple | None:
    """The ``columns`` of the first row of ``model`` matching every ``(field name, operator, value)`` of ``where``,
    or None; no columns asks only whether there is one (the row is then ``(1,)``)."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    meta = model._meta
    sql = _statement(model, columns, tuple((name, operator) for name, operator, _value in where), alias)
    values = [meta.get_field(name).get_db_prep_value(value, connection) for name, _operator, value in where]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone()


@functools.cache
def _instance_statement(model, alias: str) -> str:
    quote = connections[alias].ops.quote_name
    meta = model._meta
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 (as above)


def instance(model, pk):
    """The ``model`` instance whose primary key is ``pk``, every column read, or None. Through the ORM's raw query,
    which converts each value as any query does (dates, booleans on SQLite)."""
    alias = router.db_for_read(model)
    pk = model._meta.pk.get_db_prep_value(pk, connections[alias])
    return next(iter(model._default_manager.db_manager(alias).raw(_instance_statement(model, alias), [pk])), None)
