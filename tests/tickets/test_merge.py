"""Merging a duplicate into the incident where the case goes on: from the ticket's page, in bulk from the queue
view, and the refusals (itself, a closed target, one the agent may not see), always all or nothing."""

import pytest
from django.core import mail
from django.test import Client

from tests.tickets.test_desk import QUOTA, SIGN_IN_FAILURE, make, page
from tickets.merging import MergeRefused, ticket_merge
from tickets.models import Ticket, TicketEvent, TicketEventKind, TicketStatus

pytestmark = pytest.mark.django_db

BULK = "/en/espace-agents/actions-groupees/"


def merge_path(ticket) -> str:
    return f"/en/espace-agents/incidents/{ticket.reference}/fusionner/"


def events(ticket, kind):
    return list(TicketEvent.objects.filter(ticket=ticket, kind=kind))


def test_a_duplicate_is_closed_its_requester_told_and_the_target_lists_it(marie, sophie, problem_types):
    kept, duplicate = make(marie, problem_types[QUOTA], 2)
    mail.outbox.clear()
    ticket_merge(ticket=duplicate, into=kept, by=sophie)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (TicketStatus.CLOSED, kept)
    [merged] = events(duplicate, TicketEventKind.MERGED)
    assert merged.public and merged.notify and merged.data == {"into": kept.reference, "same_requester": True}
    assert kept.reference in merged.body
    [listed] = events(kept, TicketEventKind.MERGED_IN)
    assert not listed.public and listed.data == {"merged": duplicate.reference, "requester": "marie.dupont"}
    kept.refresh_from_db()
    assert kept.status == TicketStatus.NEW and kept.merged_into is None
    assert {message.to[0] for message in mail.outbox} == {"marie.dupont@ac-exemple.fr"}
    assert all(kept.reference not in message.subject for message in mail.outbox)


def test_the_other_requester_is_not_exposed(marie, jean, sophie, problem_types, sign_in):
    kept = make(marie, problem_types[QUOTA], 1)[0]
    duplicate = make(jean, problem_types[QUOTA], 1, start=1)[0]
    ticket_merge(ticket=duplicate, into=kept, by=sophie)
    jeans = page(sign_in(Client(), jean).get(f"/en/incidents/{duplicate.reference}/"))
    assert kept.reference in jeans, "he is told where the case goes on"
    assert "marie" not in jeans.lower() and "Marie Dupont" not in jeans
    assert f'href="/en/incidents/{kept.reference}/"' not in jeans, "no link to a page he cannot open"
    assert sign_in(Client(), jean).get(f"/en/incidents/{kept.reference}/").status_code == 404
    agents = page(sign_in(Client(), sophie).get(f"/en/incidents/{kept.reference}/"))
    assert f"merged {duplicate.reference} into this incident" in " ".join(agents.split())


def test_a_ticket_is_not_merged_into_itself_a_closed_one_or_one_out_of_sight(marie, sophie, paul, problem_types):
    first, second = make(marie, problem_types[QUOTA], 2)
    closed = make(marie, problem_types[QUOTA], 1, start=2, status=TicketStatus.SOLVED)[0]
    other_queue = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=3)[0]
    for into, by, reason in (
        (first, sophie, "self"),
        (closed, sophie, "target_done"),
        (other_queue, paul, "unknown"),
    ):
        with pytest.raises(MergeRefused) as refused:
            ticket_merge(ticket=first, into=into, by=by)
        assert refused.value.reason == reason
    with pytest.raises(MergeRefused) as refused:
        ticket_merge(ticket=closed, into=second, by=sophie)
    assert refused.value.reason == "done"
    assert not TicketEvent.objects.exists() and not Ticket.objects.filter(merged_into__isnull=False).exists()


def test_a_chain_is_followed_to_where_the_case_goes_on_and_never_loops(marie, sophie, problem_types):
    a, b, c = make(marie, problem_types[QUOTA], 3)
    ticket_merge(ticket=b, into=a, by=sophie)
    ticket_merge(ticket=c, into=b, by=sophie)
    c.refresh_from_db()
    assert c.merged_into == a, "b was merged into a: c goes to a"
    with pytest.raises(MergeRefused) as refused:
        ticket_merge(ticket=a, into=b, by=sophie)
    assert refused.value.reason == "self"


def test_the_page_merges_and_explains_a_refusal_beside_the_field(marie, sophie, paul, problem_types, sign_in):
    kept, duplicate = make(marie, problem_types[QUOTA], 2)
    hidden = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=2)[0]
    agent = sign_in(Client(), paul)
    unknown = agent.post(merge_path(duplicate), {"into": hidden.reference})
    assert unknown.status_code == 404 and "No incident you may see has this reference." in page(unknown)
    missing = agent.post(merge_path(duplicate), {"into": "INC-2026-999999"})
    assert missing.status_code == 404 and page(missing).count("No incident you may see") == page(unknown).count(
        "No incident you may see"
    ), "an existing reference of another queue answers like a missing one"
    itself = agent.post(merge_path(duplicate), {"into": duplicate.reference.lower()})
    assert itself.status_code == 409 and "cannot be merged into itself" in page(itself)
    for nasty in ("", "x" * 500, "INC-2026-1", "<script>"):
        assert agent.post(merge_path(duplicate), {"into": nasty}).status_code in (400, 404)
    assert not TicketEvent.objects.exists()

    closed = make(marie, problem_types[QUOTA], 1, start=5, status=TicketStatus.CLOSED)[0]
    refused = agent.post(merge_path(closed), {"into": kept.reference}, follow=True)
    assert "only open incidents are merged" in page(refused), "said even though the page shows no merge form"
    assert not TicketEvent.objects.exists()

    done = agent.post(merge_path(duplicate), {"into": kept.reference})
    assert done.status_code == 302 and done["Location"] == kept.get_absolute_url()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept and duplicate.status == TicketStatus.CLOSED


def test_bulk_merge_closes_every_ticked_ticket_into_one_each_with_its_events(
    marie, jean, sophie, problem_types, sign_in
):
    kept, *duplicates = make(marie, problem_types[QUOTA], 3) + make(jean, problem_types[QUOTA], 1, start=3)
    ticked = [ticket.reference for ticket in duplicates]
    response = sign_in(Client(), sophie).post(BULK, {"tickets": ticked, "action": "merge", "into": kept.reference})
    assert response.status_code == 302
    assert set(Ticket.objects.filter(merged_into=kept).values_list("reference", flat=True)) == set(ticked)
    assert TicketEvent.objects.filter(kind=TicketEventKind.MERGED, ticket__reference__in=ticked).count() == 3
    listed = {event.data["merged"] for event in events(kept, TicketEventKind.MERGED_IN)}
    assert listed == set(ticked)


def test_bulk_merge_is_all_or_nothing_and_names_what_refused(marie, sophie, paul, problem_types, sign_in):
    kept, first, second = make(marie, problem_types[QUOTA], 3)
    hidden = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=3)[0]
    Ticket.objects.filter(pk=second.pk).update(status=TicketStatus.CLOSED)
    agent = sign_in(Client(), paul)
    closed = agent.post(
        BULK, {"tickets": [first.reference, second.reference], "action": "merge", "into": kept.reference}
    )
    assert closed.status_code == 409
    assert f"Nothing was changed: {second.reference} refused the action" in page(closed)
    into_itself = agent.post(
        BULK, {"tickets": [first.reference, kept.reference], "action": "merge", "into": kept.reference}
    )
    assert into_itself.status_code == 409 and kept.reference in page(into_itself)
    out_of_sight = agent.post(BULK, {"tickets": [first.reference], "action": "merge", "into": hidden.reference})
    assert out_of_sight.status_code == 409 and "No incident you may see has this reference." in page(out_of_sight)
    assert not TicketEvent.objects.exists(), "the first ticket's merge was rolled back"
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()
    no_target = agent.post(BULK, {"tickets": [first.reference], "action": "merge", "into": "soon"})
    assert no_target.status_code == 400 and "Enter the reference of the incident to keep" in page(no_target)
