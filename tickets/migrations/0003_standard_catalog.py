"""The standard queues, problem types and their questions, so that every installation starts with a working form.

Runs tickets.seed.standard_catalog_seed with this migration's historical models: it only creates what is
missing, so re-running it, or running it on a database where agents already edited the catalog, changes nothing.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from tickets.seed import standard_catalog_seed

    standard_catalog_seed(
        queue_model=apps.get_model("tickets", "Queue"),
        # The model and its foreign key as they were named before migration 0005 (ProblemType).
        problem_type_model=apps.get_model("tickets", "Category"),
        field_model=apps.get_model("tickets", "ProblemTypeField"),
        type_field="category",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_incidents"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
