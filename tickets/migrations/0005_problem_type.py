"""One word for what a person picks when filing: the model Category becomes ProblemType, and every foreign key to it
is named ``problem_type``. Renames only: the table and columns keep their rows.

The index and the constraint that name the renamed columns are dropped before the rename and made again after it:
Django's migration state does not rename a field inside them, and SQLite rebuilds the table to rename a foreign key
column. They hold only the small tables (form fields, deflections, major incidents).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_question_answers"),
    ]

    operations = [
        migrations.RenameModel(old_name="Category", new_name="ProblemType"),
        migrations.AlterField(
            model_name="problemtype",
            name="queue",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="problem_types",
                to="tickets.queue",
                verbose_name="queue",
            ),
        ),
        migrations.RemoveConstraint(model_name="problemtypefield", name="tickets_field_once_per_type"),
        migrations.RemoveIndex(model_name="deflection", name="tickets_deflection_stats"),
        migrations.RemoveIndex(model_name="majorincident", name="tickets_major_shown"),
        migrations.RenameField(model_name="ticket", old_name="category", new_name="problem_type"),
        migrations.RenameField(model_name="problemtypefield", old_name="category", new_name="problem_type"),
        migrations.RenameField(model_name="majorincident", old_name="category", new_name="problem_type"),
        migrations.RenameField(model_name="deflection", old_name="category", new_name="problem_type"),
        migrations.AddConstraint(
            model_name="problemtypefield",
            constraint=models.UniqueConstraint(fields=("problem_type", "key"), name="tickets_field_once_per_type"),
        ),
        migrations.AddIndex(
            model_name="deflection",
            index=models.Index(fields=["problem_type", "created_at"], name="tickets_deflection_stats"),
        ),
        migrations.AddIndex(
            model_name="majorincident",
            index=models.Index(fields=["status", "problem_type"], name="tickets_major_shown"),
        ),
    ]
