from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run of a periodic job (portal/site/schedule.py), written by ``portal.web.jobs.periodic_job``.

    So that the helpdesk can answer "did the e-mails go out, did the purge run, since when does it fail?" without a
    shell on the worker. A run a worker lost midway keeps no ``finished_at``. Kept 30 days (``job_runs_purge``).
    """

    name = models.CharField(_("job"), max_length=200, db_index=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    items = models.PositiveIntegerField(_("items processed"), default=0)
    actions = models.PositiveIntegerField(_("actions taken"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")

    def __str__(self):
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at is not None else None


class JobCursor(models.Model):
    """How far a periodic job has read an append-only table (its watermark), so that each run reads only what came
    after the previous one instead of the whole history. Moved in the same transaction as the work done on what it
    passes over: a run killed midway leaves it where the last committed batch ended."""

    name = models.CharField(_("job"), max_length=100, unique=True)
    position = models.BigIntegerField(_("position"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("job cursor")
        verbose_name_plural = _("job cursors")

    def __str__(self):
        return f"{self.name} @ {self.position}"


class LogCursor(models.Model):
    """Where ``manage.py mail_log_ingest`` stopped in a log file: the file's inode and the byte offset after the
    last line read. A different inode, or a file shorter than the offset, is a rotated log: read from the start."""

    path = models.CharField(_("file"), max_length=500, unique=True)
    inode = models.BigIntegerField(default=0)
    offset = models.BigIntegerField(default=0)
    # What the line correlator remembers between runs (portal.identity.mail_logs.Correlator.state).
    correlation = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("log cursor")
        verbose_name_plural = _("log cursors")

    def __str__(self):
        return f"{self.path} @ {self.offset}"
