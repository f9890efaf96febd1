"""Time counted in business hours: the opening hours of a week and the days the helpdesk is closed.

``BusinessClock`` answers the two questions SLAs ask: what instant is ``minutes`` of business time after a moment
(``add``), and how much business time lies between two moments (``minutes_between``, negative when the second is
before the first). Hours are local wall-clock times in the portal's time zone, so a day of 8:00–17:30 stays that
across the summer-time change. ``AROUND_THE_CLOCK`` counts every minute (a security queue on call at night).

Plain data and arithmetic: no database, so the list page and the job share one clock per queue
(tickets.sla.clocks).
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings

# A target of a few weeks at most; a week with no opening hour at all is refused before it gets here.
MAX_DAYS = 3660

Interval = tuple[datetime.time, datetime.time]


@dataclass(frozen=True)
class BusinessClock:
    # weekday (Monday 0) -> the day's opening intervals, sorted; an empty mapping means around the clock.
    hours: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    closed: frozenset[datetime.date] = frozenset()
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))

    @property
    def around_the_clock(self) -> bool:
        return not self.hours

    def add(self, start: datetime.datetime, minutes: float) -> datetime.datetime:
        """The instant ``minutes`` of business time after ``start`` (``start`` itself for 0 or less)."""
        if self.around_the_clock:
            return start + datetime.timedelta(minutes=max(minutes, 0))
        left = datetime.timedelta(minutes=max(minutes, 0))
        for opens, closes in self._intervals_from(start):
            begin = max(opens, start)
            if begin >= closes:
                continue
            if begin + left <= closes:
                return begin + left
            left -= closes - begin
        raise ValueError("no business hours within ten years")

    def minutes_between(self, start: datetime.datetime, end: datetime.datetime) -> float:
        """Business minutes from ``start`` to ``end``; negative when ``end`` comes first."""
        if end < start:
            return -self.minutes_between(end, start)
        if self.around_the_clock:
            return (end - start).total_seconds() / 60
        total = datetime.timedelta()
        for opens, closes in self._intervals_from(start):
            if opens >= end:
                break
            begin, finish = max(opens, start), min(closes, end)
            if finish > begin:
                total += finish - begin
        return total.total_seconds() / 60

    def is_open(self, moment: datetime.datetime) -> bool:
        if self.around_the_clock:
            return True
        local = moment.astimezone(self.zone)
        if local.date() in self.closed:
            return False
        return any(opens <= local.time() < closes for opens, closes in self.hours.get(local.weekday(), ()))

    def _intervals_from(self, start: datetime.datetime) -> Iterable[tuple[datetime.datetime, datetime.datetime]]:
        """The opening intervals, as aware instants, from the local day of ``start`` on."""
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            if day not in self.closed:
                for opens, closes in self.hours.get(day.weekday(), ()):
                    yield (
                        datetime.datetime.combine(day, opens, tzinfo=self.zone),
                        datetime.datetime.combine(day, closes, tzinfo=self.zone),
                    )
            day += datetime.timedelta(days=1)


AROUND_THE_CLOCK = BusinessClock()


def public_holidays(region: str, years: Iterable[int]) -> frozenset[datetime.date]:
    """The French public holidays of ``years``: metropolitan France for "", else a subdivision the ``holidays``
    library knows ("6AE" Alsace and "57" Moselle add Good Friday and 26 December; overseas departments their own)."""
    import holidays

    return frozenset(holidays.France(years=list(years), subdiv=region or None))
