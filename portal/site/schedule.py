"""Every periodic job of the portal, in one place.

Each entry names a task and how often it runs; the task itself must be idempotent (it may run twice, or late).
``tests/portal/test_periodic_jobs.py`` runs every entry of this table, so a job added here is tested by being added.
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Proves to /health/ that beat schedules and a worker consumes.
    "worker-heartbeat": {
        "task": "portal.tasks.record_worker_heartbeat",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Expired sessions otherwise pile up in the session table. Daily at 03:17 (https://crontab.guru/#17_3_*_*_*).
    "purge-expired-sessions": {
        "task": "portal.tasks.purge_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
    # Security e-mails whose task was lost (broker down when the event was recorded, worker killed): R26, R36.
    "deliver-pending-notifications": {
        "task": "portal.tasks.deliver_pending_notifications",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Incident e-mails (filed, replied, status changed) whose task was lost, as above.
    "deliver-pending-ticket-notifications": {
        "task": "tickets.tasks.deliver_pending_ticket_notifications",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Major-incident e-mails to the people who said "I'm affected too", whose task was lost, as above.
    "deliver-pending-major-incident-notices": {
        "task": "tickets.tasks.deliver_pending_major_incident_notices",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Simultaneous reports of one outage become a proposed major incident (tickets/correlation.py). Every minute,
    # so agents see a proposal while the wave is still arriving.
    "correlate-reports": {
        "task": "tickets.tasks.correlate_reports",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # "I forgot my password" requests whose task was lost, as above (R19).
    "deliver-pending-password-resets": {
        "task": "portal.tasks.deliver_pending_password_resets",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Reset requests and spent links kept a day. Hourly at :47 (https://crontab.guru/#47_*_*_*_*).
    "purge-password-resets": {
        "task": "portal.tasks.purge_password_resets",
        "schedule": crontab(minute=47),
    },
    # "Reset my second factor" requests whose task was lost, as above (R38).
    "deliver-pending-recovery-requests": {
        "task": "portal.tasks.deliver_pending_recovery_requests",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Those forms kept 30 days. Daily at 03:53 (https://crontab.guru/#53_3_*_*_*).
    "purge-recovery-requests": {
        "task": "portal.tasks.purge_recovery_requests",
        "schedule": crontab(minute=53, hour=3),
    },
    # Sign-in counters of identifiers nobody tried for two days. Hourly at :41 (https://crontab.guru/#41_*_*_*_*).
    "purge-stale-lockouts": {
        "task": "portal.tasks.purge_stale_lockouts",
        "schedule": crontab(minute=41),
    },
    # Spraying and mass-lockout detection over the last 10 minutes, switching the bot challenge on (R5, R7, R36).
    "detect-credential-attacks": {
        "task": "portal.tasks.detect_credential_attacks",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Timed sign-in locks past their end, lifted with an event each (the person's history says when it ended).
    "lift-expired-locks": {
        "task": "portal.tasks.lift_expired_locks",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Mail servers' log events (portal.identity.mail_lockout): locks, per-address counts, stale mail apps. Every 30
    # seconds, so a lock from a log lands about as soon as one from the policy endpoint.
    "count-mail-failures": {
        "task": "portal.tasks.count_mail_failures",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # The password-reset checks (portal.identity.account_checks). Every 5 minutes: a case for failures after a
    # reset should reach the helpdesk before the person calls.
    "check-accounts": {
        "task": "portal.tasks.check_accounts",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Reminders (password age, second-factor grace). Daily at 08:05, when people read their mail
    # (https://crontab.guru/#5_8_*_*_*).
    "send-account-reminders": {
        "task": "portal.tasks.send_account_reminders",
        "schedule": crontab(minute=5, hour=8),
    },
    # SLA clocks: tickets at risk or breached, escalated (tickets.sla).
    # The queue cards' counts (tickets.worklist.queue_counts_refresh): a quarter of a second at a million tickets,
    # counted here rather than by a page.
    "refresh-queue-counts": {
        "task": "tickets.tasks.refresh_queue_counts",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    "check-sla": {
        "task": "tickets.tasks.check_sla",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # The record of periodic runs (portal.web.jobs) kept 30 days. Daily at 03:29 (https://crontab.guru/#29_3_*_*_*).
    "purge-job-runs": {
        "task": "portal.tasks.purge_job_runs",
        "schedule": crontab(minute=29, hour=3),
    },
}
