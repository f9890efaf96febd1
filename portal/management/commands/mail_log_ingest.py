"""Read a mail server's log (Dovecot 2.3/2.4, Postfix SASL, JSON lines) and store its authentication events.

    manage.py mail_log_ingest --server imap-01 /var/log/mail.log     # from where the last run stopped
    manage.py mail_log_ingest --server imap-01 - < events.jsonl        # standard input, read whole

A file is read from the offset where the previous run stopped (a LogCursor row: inode and offset). When the file
was rotated (another inode, or shorter than the offset), the rest of the old file is read first if it is still
beside it (``mail.log.1``), then the new one from its start. Only complete lines are read: a line being written is
left for the next run. Each batch of events and the cursor's move commit together, so a run killed midway resumes
exactly after the last stored batch; events already stored are recognised by their id (docs/mail-servers.md).

A line that looks like an authentication event but cannot be read is reported on standard error with its number
and skipped (``--strict``: the run stops there, nothing of that batch is stored).
"""

import sys
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from portal.identity.mail_events import MAX_BATCH, check_time, mail_events_ingest
from portal.identity.mail_logs import Correlator, LineError, parse_line
from portal.models import LogCursor, MailServer


@dataclass
class Tally:
    lines: int = 0
    events: int = 0
    stored: int = 0
    errors: int = 0

    def __str__(self):
        return (
            f"{self.lines} lines read, {self.events} authentication events, {self.stored} stored, "
            f"{self.events - self.stored} already known, {self.errors} unreadable"
        )


class Command(BaseCommand):
    help = "Store the authentication events of a mail log (Dovecot, Postfix, JSON lines), from where it stopped."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the log file, or - for standard input")
        parser.add_argument("--server", required=True, help="the mail server's name (manage.py mail_server add)")
        parser.add_argument("--strict", action="store_true", help="stop at the first unreadable line")

    def handle(self, *args, path, server, strict, **options):
        mail_server = MailServer.objects.usable().filter(name=server).first()
        if mail_server is None:
            raise CommandError(f"No active mail server is named {server!r} (manage.py mail_server list).")
        self.server, self.strict, self.tally = mail_server, strict, Tally()
        self.correlator = Correlator()
        if path == "-":
            self._read(sys.stdin.buffer, cursor=None, start=0)
        else:
            self._read_file(Path(path))
        self.stdout.write(str(self.tally))

    def _read_file(self, path: Path) -> None:
        try:
            stat = path.stat()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        cursor, _ = LogCursor.objects.get_or_create(path=str(path.resolve()))
        self.correlator = Correlator.resumed(cursor.correlation)
        if cursor.inode and cursor.inode != stat.st_ino:
            rotated = _rotated(path, cursor.inode)
            if rotated is not None:
                with rotated.open("rb") as stream:
                    self._read(stream, cursor=None, start=cursor.offset)
            cursor.offset = 0
        elif stat.st_size < cursor.offset:
            cursor.offset = 0  # truncated in place (copytruncate)
        cursor.inode = stat.st_ino
        with path.open("rb") as stream:
            self._read(stream, cursor=cursor, start=cursor.offset)

    def _read(self, stream, *, cursor: LogCursor | None, start: int) -> None:
        """Lines from ``start``, stored a batch at a time; the cursor (if any) moves with each batch."""
        if start:
            stream.seek(start)
        offset, batch = start, []
        now = timezone.now()
        for raw in stream:
            if not raw.endswith(b"\n"):
                break  # being written: the next run reads it whole
            offset += len(raw)
            self.tally.lines += 1
            batch.extend(self._records(raw.decode("utf-8", errors="replace"), now))
            if len(batch) >= MAX_BATCH:
                # What the correlator holds is stored with the batch: the cursor moves past its lines.
                self._store(batch + self.correlator.flush(), cursor, offset)
                self.stderr.write(f"… {self.tally}")
                batch, now = [], timezone.now()
        self._store(batch + self.correlator.flush(), cursor, offset)

    def _records(self, line: str, now) -> list:
        try:
            record = parse_line(line, now=now)
            if record is None:
                return []
            check_time(record, now=now)
        except LineError as error:
            self.tally.errors += 1
            self.stderr.write(f"line {self.tally.lines}: {error}")
            if self.strict:
                raise CommandError(
                    f"Stopped at line {self.tally.lines} (--strict); that batch was not stored."
                ) from error
            return []
        return self.correlator.feed(record)

    def _store(self, records: list, cursor: LogCursor | None, offset: int) -> None:
        with transaction.atomic():
            if records:
                result = mail_events_ingest(server=self.server, records=records)
                self.tally.events += result.received
                self.tally.stored += result.stored
            if cursor is not None:
                cursor.offset = offset
                cursor.correlation = self.correlator.state()
                cursor.save()


def _rotated(path: Path, inode: int) -> Path | None:
    """The rotated copy of ``path`` that has the inode the cursor knew (``mail.log.1``), if it is still there."""
    for candidate in path.parent.glob(f"{path.name}.*"):
        try:
            if candidate.stat().st_ino == inode and not candidate.name.endswith((".gz", ".bz2", ".xz", ".zst")):
                return candidate
        except OSError:
            continue
    return None
