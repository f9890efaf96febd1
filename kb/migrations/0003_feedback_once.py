"""Feedback: one answer per signed-in person and article (their latest is kept), and the keyed source of the
others, so that answers from one address count once a day."""

from django.db import migrations, models
from django.db.models import Q


def keep_latest_per_person(apps, schema_editor):
    Feedback = apps.get_model("kb", "Feedback")
    seen = set()
    duplicates = []
    for feedback in Feedback.objects.filter(user__isnull=False).order_by("-created_at", "-pk").only(
        "pk", "article_id", "user_id"
    ):
        key = (feedback.article_id, feedback.user_id)
        if key in seen:
            duplicates.append(feedback.pk)
        seen.add(key)
    Feedback.objects.filter(pk__in=duplicates).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0002_postgres_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedback",
            name="source",
            field=models.CharField(blank=True, editable=False, max_length=16, verbose_name="source"),
        ),
        migrations.RunPython(keep_latest_per_person, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="feedback",
            index=models.Index(fields=["article", "source", "created_at"], name="kb_feedback_source"),
        ),
        migrations.AddConstraint(
            model_name="feedback",
            constraint=models.UniqueConstraint(
                condition=Q(user__isnull=False), fields=("article", "user"), name="kb_feedback_once_per_person"
            ),
        ),
    ]
