"""The standard queues, problem types and their questions, so that every installation starts with a working form.

Runs tickets.catalog.standard_catalog_seed with this migration's historical models: it only creates what is
missing, so re-running it, or running it on a database where agents already edited the catalog, changes nothing.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from tickets.catalog import standard_catalog_seed

    standard_catalog_seed(
        queue_model=apps.get_model("tickets", "Queue"),
        category_model=apps.get_model("tickets", "Category"),
        field_model=apps.get_model("tickets", "ProblemTypeField"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_incidents"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
