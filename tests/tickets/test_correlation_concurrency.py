"""Two correlation runs at the same instant, on PostgreSQL: one proposal, each report linked once, one event each."""

import threading

import pytest
from django.db import connection

from bench.correlation import generate
from tests.helpers import requires_services
from tickets.correlation import correlate
from tickets.models import MajorIncident, TicketEvent, TicketEventKind

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_runs_make_one_proposal_and_link_each_report_once(problem_types):
    requires_services()
    ids = generate(outage=300, unrelated=100, seed=11)
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            correlate()
        except Exception as error:  # reported below: a thread's exception would be lost otherwise
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    outage = MajorIncident.objects.filter(tickets__in=ids["outage"]).distinct()
    assert outage.count() == 1
    assert outage.get().tickets.filter(pk__in=ids["outage"]).count() == 300
    linked = TicketEvent.objects.filter(kind=TicketEventKind.MAJOR_INCIDENT_LINKED, ticket__in=ids["outage"])
    assert linked.count() == 300, "one event per report, whichever run linked it"
    assert not MajorIncident.objects.filter(tickets__in=ids["unrelated"]).filter(pk=outage.get().pk).exists()
