"""Before queue membership, every agent saw every ticket. So that an upgrade takes nothing away from anyone, each
existing agent becomes a member of each existing queue; administrators then narrow the teams in the admin."""

from django.db import migrations


def existing_agents_join_every_queue(apps, schema_editor):
    User = apps.get_model("portal", "User")
    Queue = apps.get_model("tickets", "Queue")
    QueueMembership = apps.get_model("tickets", "QueueMembership")
    QueueMembership.objects.bulk_create(
        [
            QueueMembership(queue_id=queue_id, user_id=user_id)
            for user_id in User.objects.filter(role="agent").values_list("pk", flat=True)
            for queue_id in Queue.objects.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0010_keyset_indexes"),
        ("portal", "0010_helpdesk_mfa_reset"),
    ]

    operations = [migrations.RunPython(existing_agents_join_every_queue, migrations.RunPython.noop)]
