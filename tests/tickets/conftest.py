import pytest

from portal.models import Role
from tickets.models import QueueMembership


@pytest.fixture
def paul(django_user_model, problem_types):
    """Paul, an agent of the mail service team's queue only ("messagerie", where quota tickets go)."""
    paul = django_user_model.objects.create_user(
        "paul.roux", "paul.roux@ac-exemple.fr", "x", display_name="Paul Roux", role=Role.AGENT
    )
    QueueMembership.objects.create(queue=problem_types["quota"].queue, user=paul)
    return paul
