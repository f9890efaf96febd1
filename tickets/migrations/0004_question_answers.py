"""Questions get a third answer and become required; problem types get their short descriptions.

- Every form row of a question (another browser or network tried, code, SSO, VPN: tickets.fields.keys.QUESTION_KEYS) is
  required: "I don't know" or "not possible" is now one of its answers, so a blank is never needed.
- Incidents filed before stored the answers as true/false: they become "yes"/"no", the values new incidents store.
- The standard problem types without a description get the standard one (tickets.seed.DESCRIPTIONS); a text an
  agent wrote is kept.
"""

from django.db import migrations

QUESTION_KEYS = ("other_browser_tried", "other_network_tried", "otp_involved", "sso_involved", "vpn_used")
BATCH = 2000


def forwards(apps, schema_editor):
    from tickets.seed import problem_type_descriptions_fill

    apps.get_model("tickets", "ProblemTypeField").objects.filter(key__in=QUESTION_KEYS).update(required=True)
    problem_type_descriptions_fill(problem_type_model=apps.get_model("tickets", "Category"))
    _answers_to_values(apps.get_model("tickets", "Ticket"), {True: "yes", False: "no"})


def backwards(apps, schema_editor):
    # The third answers had no value before: they go back to unanswered.
    mapping = {"yes": True, "no": False, "unknown": None, "not_applicable": None}
    _answers_to_values(apps.get_model("tickets", "Ticket"), mapping)


def _answers_to_values(ticket_model, mapping):
    changed = []
    for ticket in ticket_model.objects.only("pk", "data").iterator(chunk_size=BATCH):
        data = ticket.data or {}
        updates = {key: mapping[data[key]] for key in QUESTION_KEYS if _mapped(data.get(key), mapping)}
        if updates:
            ticket.data = {**data, **updates}
            changed.append(ticket)
        if len(changed) >= BATCH:
            ticket_model.objects.bulk_update(changed, ["data"])
            changed = []
    ticket_model.objects.bulk_update(changed, ["data"])


def _mapped(value, mapping) -> bool:
    # True == 1 in Python: compare types too, so a number never passes for a boolean.
    return any(value == key and type(value) is type(key) for key in mapping)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_standard_catalog"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
