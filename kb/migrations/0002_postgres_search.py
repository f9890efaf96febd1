"""PostgreSQL full-text and trigram search for the knowledge base; nothing at all on other databases.

- Extensions unaccent and pg_trgm (Django's CreateExtension already skips non-PostgreSQL databases).
- Text search configurations fr_unaccent and en_unaccent: copies of french/english where words with accents go
  through unaccent before the stemmer, so "sécurité" and "securite" give the same lexeme.
- GIN indexes on the two tsvectors and a GIN trigram index on match_text (typo-tolerant matching of error
  messages). They are created here rather than in Meta.indexes because SQLite cannot create them; Django's
  autodetector does not know them, so makemigrations stays quiet on every database.
See kb/search.py for how they are used.
"""

from django.contrib.postgres.operations import CreateExtension
from django.db import migrations

CONFIGURATIONS = {"fr_unaccent": ("french", "french_stem"), "en_unaccent": ("english", "english_stem")}


def create_search_objects(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (parent, stemmer) in CONFIGURATIONS.items():
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
        schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {parent})")
        schema_editor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {stemmer}"
        )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS kb_article_search_vector_gin ON kb_article USING gin (search_vector)"
    )
    schema_editor.execute("CREATE INDEX IF NOT EXISTS kb_article_head_vector_gin ON kb_article USING gin (head_vector)")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS kb_article_match_text_trgm ON kb_article USING gin (match_text gin_trgm_ops)"
    )


def drop_search_objects(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS kb_article_match_text_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS kb_article_head_vector_gin")
    schema_editor.execute("DROP INDEX IF EXISTS kb_article_search_vector_gin")
    for name in CONFIGURATIONS:
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [
        CreateExtension("unaccent"),
        CreateExtension("pg_trgm"),
        migrations.RunPython(create_search_objects, drop_search_objects),
    ]
