"""The portal's Celery tasks. Each one loads by id or calls one service: the work is in the service, which tests call
directly; periodic ones (portal/site/schedule.py) also leave a JobRun row (portal.web.jobs.periodic_job)."""

from celery import shared_task
from celery.signals import worker_ready

from portal.identity import (
    account_checks,
    detection,
    helpdesk_reset,
    lockout,
    mail_lockout,
    notifications,
    reset,
    session_registry,
)
from portal.models import PasswordResetRequest, RecoveryRequest, SecurityEvent
from portal.site import health
from portal.web import jobs, outbox
from portal.web.jobs import periodic_job


@shared_task
@periodic_job
def record_worker_heartbeat() -> None:
    """Write the time a worker last ran a task; idempotent, the newest write wins."""
    health.record_worker_heartbeat()


@shared_task
@periodic_job
def purge_expired_sessions() -> int:
    """Delete session rows past their expiry and dead entries of the session lists; idempotent."""
    return session_registry.sessions_purge_expired()


@worker_ready.connect
def _heartbeat_on_start(**kwargs) -> None:
    # A worker that just started is alive before beat's first 30-second tick.
    health.record_worker_heartbeat()


@shared_task
def send_security_notification(event_id: int) -> None:
    """E-mail the person about a security event (portal/identity/notifications.py); idempotent (the outbox)."""
    notifications.deliver_event_notification(event_id)


@shared_task
@periodic_job
def deliver_pending_notifications() -> int:
    """Send security e-mails whose task never ran (broker down, worker lost); idempotent through the outbox claim."""
    return outbox.sweep(SecurityEvent, notifications.deliver_event_notification)


@shared_task
@periodic_job
def purge_stale_lockouts() -> int:
    """Forget sign-in counters with no recent activity and no lock in force; idempotent."""
    return lockout.purge_stale()


@shared_task
@periodic_job
def detect_credential_attacks() -> dict:
    """Look for spraying and mass lockouts in the last minutes (portal/identity/detection.py); idempotent: a second
    run in the same window raises no second alert."""
    return detection.detect_credential_attacks().report()


@shared_task
@periodic_job
def lift_expired_locks() -> int:
    """Timed sign-in locks past their end lifted, each with its event (portal/identity/lockout.py); idempotent."""
    return lockout.expired_locks_lift()


@shared_task
@periodic_job
def count_mail_failures() -> dict:
    """Apply the lock tiers to the mail events stored since the last run (portal/identity/mail_lockout.py); safe to
    run twice or at once: the watermark moves with each batch's work."""
    return mail_lockout.mail_lockout_scan()


@shared_task
@periodic_job
def check_accounts() -> dict:
    """The password-reset checks (portal/identity/account_checks.py): expired access passes forgotten, repeated
    reset requests flagged, reminders, failures after a reset turned into a case; each idempotent."""
    results = [
        {"items": account_checks.access_passes_purge(), "actions": 0},
        account_checks.repeated_resets_flag(),
        account_checks.failures_after_reset_check(),
    ]
    return {key: sum(result[key] for result in results) for key in ("items", "actions")}


@shared_task
@periodic_job
def send_account_reminders() -> dict:
    """Once a day: passwords reaching the policy's age, second-factor grace periods ending (account_checks)."""
    results = [account_checks.password_age_remind(), account_checks.mfa_grace_remind()]
    return {key: sum(result[key] for result in results) for key in ("items", "actions")}


@shared_task
@periodic_job
def purge_job_runs() -> int:
    """Forget the record of periodic runs older than 30 days; idempotent."""
    return jobs.job_runs_purge()


@shared_task
def send_password_reset(request_id: int) -> None:
    """Handle one "I forgot my password" form: by its id, never a token (R19, R23); idempotent (the outbox)."""
    reset.reset_mail_deliver(request_id)


@shared_task
@periodic_job
def deliver_pending_password_resets() -> int:
    """Reset requests whose task never ran; those older than a link's lifetime are settled without an e-mail."""
    return outbox.sweep(PasswordResetRequest, reset.reset_mail_deliver)


@shared_task
@periodic_job
def purge_password_resets() -> int:
    """Forget reset requests and spent links after a day; idempotent."""
    return reset.resets_purge()


@shared_task
def handle_recovery_request(request_id: int) -> None:
    """Handle one "reset my second factor" form from the lost-phone page, by its id; idempotent (the outbox)."""
    helpdesk_reset.recovery_request_handle(request_id)


@shared_task
@periodic_job
def deliver_pending_recovery_requests() -> int:
    """Second-factor reset requests whose task never ran (broker down, worker lost); idempotent."""
    return outbox.sweep(RecoveryRequest, helpdesk_reset.recovery_request_handle)


@shared_task
@periodic_job
def purge_recovery_requests() -> int:
    """Forget second-factor reset forms after 30 days (the case keeps what matters); idempotent."""
    return helpdesk_reset.recovery_requests_purge()
