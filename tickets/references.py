"""Human references for incidents: INC-2026-000123, unique under any concurrency, on PostgreSQL and SQLite.

The year's counter row is incremented with a single UPDATE inside the filing transaction: the row stays locked
until that transaction ends, so parallel filings take numbers one after the other and a rolled-back filing gives
its number back. The row of a new year is created on first use; two filings racing to create it both end up
incrementing it (the loser's INSERT fails inside a savepoint and it retries the UPDATE).
"""

from django.db import IntegrityError, transaction
from django.db.models import F

from tickets.models import ReferenceCounter

PREFIX = "INC"


def format_reference(year: int, number: int) -> str:
    return f"{PREFIX}-{year:04d}-{number:06d}"


def next_reference(year: int) -> str:
    """The next reference of ``year``. Must run inside the transaction that saves the ticket."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_reference() must run inside the ticket's transaction")
    for _attempt in range(3):
        if ReferenceCounter.objects.filter(year=year).update(last=F("last") + 1):
            number = ReferenceCounter.objects.values_list("last", flat=True).get(year=year)
            return format_reference(year, number)
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(year=year, last=1)
            return format_reference(year, 1)
        except IntegrityError:
            continue  # another filing created the year's row first: increment it
    raise RuntimeError(f"could not allocate a reference for {year}")
