"""The agents' full-text search (tickets/search.py): a weighted tsvector on each ticket, filled for the tickets
already there, and its GIN index. PostgreSQL only for the filling and the index; on other databases the column is
added and stays empty.

Not atomic, so that a large table is filled in batches of BATCH tickets, each committed on its own: rows are
locked one batch at a time, and a migration stopped midway resumes where it stopped (only null vectors are
filled). The index is built afterwards, CONCURRENTLY, so filings go on meanwhile. The SQL is a copy of
tickets.search at the time of writing (a migration must not change when that module does).
"""

import django.contrib.postgres.search
from django.db import migrations

BATCH = 10_000
TEXT_ANSWERS = ("identifier", "description", "url", "browser", "device", "other_browser")


def _words(text_sql: str) -> str:
    return f"to_tsvector('fr_unaccent', translate({text_sql}, './@', '   '))"


def _answers(keys) -> str:
    return " || ' ' || ".join(f"coalesce(t.data->>'{key}', '')" for key in keys)


THREAD = (
    "coalesce((SELECT string_agg(left(e.body, 5000), ' ' ORDER BY e.created_at, e.id) FROM tickets_ticketevent e "
    "WHERE e.ticket_id = t.id AND e.kind IN ('tickets.ticket.replied', 'tickets.ticket.note') AND e.body <> ''), '')"
)
HEAD = "coalesce(t.title, '') || ' ' || coalesce(t.data->>'error_message', '')"
VECTOR = (
    f"setweight({_words(HEAD)}, 'A') || "
    f"setweight({_words(_answers(TEXT_ANSWERS))}, 'B') || setweight({_words(THREAD)}, 'C')"
)


def fill_search_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"""WITH batch AS (SELECT id FROM tickets_ticket WHERE id > %s AND search_vector IS NULL
                                   ORDER BY id LIMIT {BATCH})
                    UPDATE tickets_ticket t SET search_vector = {VECTOR} FROM batch WHERE t.id = batch.id
                    RETURNING t.id""",
                [last],
            )
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            last = max(ids)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_search_vector_gin ON tickets_ticket USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS tickets_search_vector_gin")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0014_ticket_page"),
        ("kb", "0002_postgres_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(fill_search_vectors, migrations.RunPython.noop, atomic=False),
        migrations.RunPython(create_index, drop_index, atomic=False),
    ]
