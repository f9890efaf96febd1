"""Log filters: what must never reach a log line, whichever logger wrote it."""

import logging
import re

# A reset link's secret is in its address (portal.identity.views.reset): the development server's access log and
# any error record naming the path would otherwise keep a working link (R23).
RESET_LINK = re.compile(r"(/mot-de-passe-oublie/lien/)[^/\s\"']+")


class MaskResetLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = RESET_LINK.sub(r"\1…", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
