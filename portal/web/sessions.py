"""The session store (settings.SESSION_ENGINE): Django's sessions in the database, read with a statement written
once (portal.web.statements) instead of a query the ORM builds for every request. Writing, ending and expiring
sessions are Django's own."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from portal.web.statements import first_row


class SessionStore(DatabaseSessionStore):
    def load(self):
        row = first_row(
            self.model, ("session_data",), ("session_key", "=", self.session_key), ("expire_date", ">", timezone.now())
        )
        if row is None:
            # As Django's: a key that names no live session is forgotten, and a new one is made if anything is saved.
            self._session_key = None
            return {}
        return self.decode(row[0])
