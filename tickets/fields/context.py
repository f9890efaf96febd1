import datetime
from dataclasses import dataclass, field

from portal.web.user_agent import Detected


@dataclass(frozen=True)
class FillContext:
    """What the form may fill in by itself: the account, the browser's User-Agent, the time and zone, and the
    error messages the knowledge base knows (for the error field's list)."""

    user: object
    detected: Detected = field(default_factory=Detected)
    now: datetime.datetime | None = None
    time_zone: str = ""
    known_errors: tuple[str, ...] = ()
