"""What the workspace reads of its catalogue on every request, kept in each web process (portal.web.kept).

Every queue view reads the agent's queues, the problem types, the colleagues a ticket may go to and the agent's saved
views, writes the filter form and the bulk form from them, and counts each row's SLA time in its queue's business
hours: at a million tickets that was a third of the page's time, for rows that change a few times a month. They are
kept per agent, the two forms' markup per agent, language and filters, the calendars once, and the names of the
people the rows show per person, until a queue, a membership, a problem type, a saved view, a calendar, its hours or
a person's name, role or account changes (``catalogue_changed`` and ``person_changed``, connected in
``TicketsConfig.ready``).
"""

from portal.web.kept import Generation

CATALOGUE = Generation("tickets:desk:catalogue")
# Per agent: their queues, the problem types, their colleagues and their saved views (a few KB).
LISTS = CATALOGUE.store(5000)
# The filter and bulk forms' markup (about 10 KB each), per agent, language and filters.
FORMS = CATALOGUE.store(2000)
# The queue view's page without its rows, counts, next-page link and CSRF token (about 15 KB), per agent, language
# and query.
PAGES = CATALOGUE.store(1000)
# The business hours and holidays of each queue's calendar, read by every page that shows SLA countdowns.
CLOCK_ROWS = CATALOGUE.store(1)
# The people the rows name (requesters and assignees): user id -> the user with their username and display name.
PEOPLE = CATALOGUE.store(20000)

# What the workspace shows or decides from a person's row; a save of other fields only (the last sign-in, the
# password) leaves the kept parts alone.
PERSON_FIELDS = frozenset({"username", "display_name", "role", "is_active", "is_superuser"})


def catalogue_changed(sender=None, *, using=None, **kwargs) -> None:
    """Receiver of post_save and post_delete of Queue, QueueMembership, ProblemType, SavedView, BusinessCalendar and
    BusinessHours: every kept list, form and clock is stale, now and once committed."""
    CATALOGUE.changed(using=using)


def person_changed(sender=None, *, using=None, update_fields=None, **kwargs) -> None:
    """Receiver of the user model's post_save and post_delete: likewise, unless the save wrote none of
    PERSON_FIELDS."""
    if update_fields is None or PERSON_FIELDS & set(update_fields):
        CATALOGUE.changed(using=using)
