"""The command line both generated corpora share: ``--count``, Django set up with the bench settings, the corpus
built, then its tables vacuumed on PostgreSQL now rather than by autovacuum in the middle of a measurement."""

import argparse
import os

import django


def corpus_main(*, description: str, default_count: int, build, tables: list[str]) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--count", type=int, default=default_count)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    build(args.count)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")
