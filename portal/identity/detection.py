"""Detection of attacks on many accounts at once, run by a periodic Celery job (R5, R36).

The request path already enforces every limit (portal/identity/lockout.py). This job only looks at the sign-in events of
the last ``GUICHET_DETECTION_WINDOW`` and reacts to patterns no single request shows:

- *spraying from a network*: failures from one /24 (or IPv6 /64) against many different identifiers, with almost
  no success among them. The network must solve the bot challenge for an hour (R7); the security team is told.
- *a wave*: failures against very many identifiers overall, or from one browser signature across networks (a
  botnet rotates addresses, rarely its user agent). Everybody must solve the challenge for an hour.
- *mass lockout*: many accounts suspended in the window. One alert to the security team per window, whatever the
  number of runs (the job runs every minute and may run twice).

Autonomous-system grouping would need an ASN database the project does not ship; the /24 and user-agent groupings
cover the same ground for the sources we see.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.identity.challenge import network_of
from portal.identity.events import record_event
from portal.models import ChallengeMode, EventKind, SecurityEvent


@dataclass
class _Tally:
    failed_identifiers: set = field(default_factory=set)
    networks: set = field(default_factory=set)
    failures: int = 0
    successes: int = 0

    def spraying(self, identifiers: int) -> bool:
        total = self.failures + self.successes
        return (
            len(self.failed_identifiers) >= identifiers
            and self.failures / total >= settings.GUICHET_SPRAY_FAILURE_RATIO
        )


@dataclass
class Findings:
    spraying_networks: list[str] = field(default_factory=list)
    wave: bool = False
    mass_lockout: bool = False
    events: int = 0  # sign-in events read

    def report(self) -> dict:
        """What the periodic job returns and records (portal.web.jobs): the events read, the reactions (a network
        challenged, the global challenge, an alert), and the findings themselves."""
        actions = len(self.spraying_networks) + self.wave + self.mass_lockout
        return {
            "spraying_networks": self.spraying_networks,
            "wave": self.wave,
            "mass_lockout": self.mass_lockout,
            "items": self.events,
            "actions": actions,
        }


def detect_credential_attacks(now: datetime | None = None) -> Findings:
    now = now or timezone.now()
    since = now - settings.GUICHET_DETECTION_WINDOW
    by_network: dict[str, _Tally] = defaultdict(_Tally)
    by_agent: dict[str, _Tally] = defaultdict(_Tally)
    overall = _Tally()
    locked = set()
    rows = SecurityEvent.objects.filter(
        created_at__gte=since, kind__in=[EventKind.LOGIN_FAIL, EventKind.LOGIN_SUCCESS, EventKind.LOGIN_LOCK]
    ).values_list("kind", "ip", "user_agent", "submitted_identifier")
    events = 0
    for kind, ip, user_agent, identifier in rows.iterator(chunk_size=2000):
        events += 1
        identifier = identifier.casefold()
        if kind == EventKind.LOGIN_LOCK:
            locked.add(identifier)
            continue
        network = network_of(ip) if ip else "unknown"
        for tally in (by_network[network], by_agent[user_agent], overall):
            tally.networks.add(network)
            if kind == EventKind.LOGIN_FAIL:
                tally.failures += 1
                tally.failed_identifiers.add(identifier)
            else:
                tally.successes += 1

    findings = Findings(events=events)
    threshold = settings.GUICHET_SPRAY_IDENTIFIERS
    for network, tally in by_network.items():
        if network != "unknown" and tally.spraying(threshold) and _challenge(network, now, tally, "spraying"):
            findings.spraying_networks.append(network)
    agent_wave = any(
        tally.spraying(threshold * 5) and len(tally.networks) >= 3 for agent, tally in by_agent.items() if agent
    )
    if len(overall.failed_identifiers) >= settings.GUICHET_SPRAY_WAVE_IDENTIFIERS or agent_wave:
        findings.wave = _challenge(ChallengeMode.GLOBAL, now, overall, "wave")
    if len(locked) >= settings.GUICHET_MASS_LOCKOUT_ALERT:
        findings.mass_lockout = _alert_mass_lockout(now, since, len(locked))
    return findings


def _challenge(network: str, now: datetime, tally: _Tally, reason: str) -> bool:
    """Switch challenge mode on (or keep it on) for the network; True, with an alert, only when it was off."""
    until = now + settings.GUICHET_CHALLENGE_MODE_DURATION
    with transaction.atomic():
        active = ChallengeMode.objects.select_for_update().filter(network=network, active_until__gt=now).first()
        if active is not None:
            ChallengeMode.objects.filter(pk=active.pk).update(active_until=until)
            return False
        ChallengeMode.objects.create(network=network, reason=reason, active_until=until)
        record_event(
            EventKind.SPRAY_DETECTED,
            data={
                "network": network or "*",
                "reason": reason,
                "identifiers": len(tally.failed_identifiers),
                "failures": tally.failures,
                "successes": tally.successes,
            },
            notify=True,
        )
    return True


def _alert_mass_lockout(now: datetime, since: datetime, count: int) -> bool:
    with transaction.atomic():
        # Serialises concurrent runs of the job, so two of them cannot both decide no alert exists yet.
        ChallengeMode.objects.select_for_update().filter(network=ChallengeMode.GLOBAL).exists()
        if SecurityEvent.objects.filter(kind=EventKind.MASS_LOCKOUT, created_at__gte=since).exists():
            return False
        record_event(EventKind.MASS_LOCKOUT, data={"accounts": count}, notify=True)
    return True
