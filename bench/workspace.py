"""What the workspace benchmarks need besides the corpus: a signed-in agent's session for wrk, the paths of the
measured pages, and the CSV export's peak memory and time at the corpus's size.

``python -m bench.workspace session`` prints the Cookie header of a fresh, verified session of bench.agent00 and the
paths to measure, as JSON; ``python -m bench.workspace export`` streams the export of every generated ticket and
prints its rows, seconds and peak memory.
"""

import json
import os
import resource
import sys
import time

import django

AGENT = "bench.agent00"


def session() -> dict:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from portal.identity.session_registry import SESSION_ENTRY
    from portal.identity.session_state import REAUTH_AT, SEEN_AT, SIGNED_IN_AT, now_stamp
    from portal.models import AuthenticatorApp, SignedInSession, User
    from tickets.models import OPEN_STATUSES, Ticket
    from tickets.worklist import cursor_encode

    agent = User.objects.get(username=AGENT)
    device, _ = AuthenticatorApp.objects.get_or_create(user=agent, name="bench", defaults={"confirmed": True})
    client = Client()
    client.force_login(agent)
    state = client.session
    stamp = now_stamp()
    state[SIGNED_IN_AT] = state[SEEN_AT] = state[REAUTH_AT] = stamp
    state[DEVICE_ID_SESSION_KEY] = device.persistent_id
    state[SESSION_ENTRY] = SignedInSession.objects.create(user=agent).public_id
    state.save()
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES).order_by("-created_at", "-pk")
    before_page_50 = open_tickets.values_list("created_at", "pk")[49 * 25 - 1]
    some = list(Ticket.objects.order_by("?").values_list("reference", flat=True)[:20])
    return {
        "cookie": cookie,
        "queue": "/espace-agents/",
        "filtered": "/espace-agents/?queue=1&status=new&status=waiting&priority=high&assignee=nobody&sort=stale",
        "page_50": f"/espace-agents/?after={cursor_encode(*before_page_50)}",
        "tickets": [f"/incidents/{reference}/" for reference in some],
    }


def export() -> dict:
    from portal.models import User
    from tickets.export import csv_rows
    from tickets.models import TicketStatus
    from tickets.worklist import WorklistFilter, sort_fields

    agent = User.objects.get(username=AGENT)
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query.setlist("status", TicketStatus.values)
    form = WorklistFilter(query, user=agent)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    lines = size = 0
    for line in csv_rows(form.filtered(), ordering=sort_fields(form.ordering)):
        lines += 1
        size += len(line)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rows": lines - 1, "seconds": round(seconds, 1), "megabytes": round(size / 1e6, 1),
            "peak_rss_mb": round(peak / 1024, 1), "growth_mb": round((peak - before) / 1024, 1)}  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    print(json.dumps({"session": session, "export": export}[sys.argv[1]]()))
