"""The notifier's vocabulary, declared once: alerts, their keys, levels and defaults."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from workloads.contract import SEVERITY
from workloads.dispatch.model import DEADLINE_HOURS  # noqa: F401 (re-exported: SLA deadlines)

FIRING = "firing"
RESOLVED = "resolved"
STATUSES = (FIRING, RESOLVED)

# Alertmanager's defaults where the issue does not set its own.
GROUP_WAIT_S = 5.0
GROUP_INTERVAL_S = 5 * 60.0  # after a group's message, its next one waits this long
REPEAT_INTERVAL_S = 4 * 3600.0
DEFAULT_LEVEL = "CRITICAL"
NOTIFY_LEVELS = ("CRITICAL", "WARNING")  # INFO never notifies

# Kinds of alert: a turbine's fault episode, or a failed pipeline update / job run.
EPISODE = "episode"
PIPELINE_FAILED = "PipelineUpdateFailed"
JOB_FAILED = "JobRunFailed"


def iso(moment: datetime) -> str:
    """One text form of an instant (UTC ISO 8601), for keys and the store."""
    return moment.astimezone(UTC).isoformat()


def parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def level_notifies(level: str, notify_level: str) -> bool:
    """Whether an alert of `level` notifies when the threshold is `notify_level`."""
    if level not in SEVERITY or level in ("INFO", "NORMAL"):
        return False
    return SEVERITY[level] >= SEVERITY[notify_level]


@dataclass(frozen=True)
class Alert:
    """One alert instance: a fingerprint (what) and a start (which occurrence).

    For a fault episode the fingerprint is (turbine_id, fault_code) and the start the
    episode's `started_at`; for a failed run it is the job or pipeline and the failure.
    """

    alertname: str
    turbine_id: str | None
    fault_code: str
    severity: str  # CRITICAL | WARNING (Alertmanager label values are lower case)
    site: str
    starts_at: datetime
    ends_at: datetime | None = None  # set once resolved
    summary: str = ""
    source: str | None = None  # the job or pipeline of a failed run (no turbine)
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """Stable 16-hex id of (turbine_id or source, fault_code), as Alertmanager shows it."""
        subject = self.turbine_id or self.source or self.alertname
        return hashlib.sha256(f"{subject}\x1f{self.fault_code}".encode()).hexdigest()[:16]

    @property
    def group(self) -> str:
        """Alerts of one site and level go out together (Alertmanager's group_by)."""
        return f"{self.site}|{self.severity}"

    def key(self, status: str, repeat: int = 0) -> str:
        """Idempotency key: (fingerprint, start, status), plus the repeat number if any."""
        base = f"{self.fingerprint}|{iso(self.starts_at)}|{status}"
        return f"{base}|repeat-{repeat}" if repeat else base

    def labels(self) -> dict[str, str]:
        labels = {
            "alertname": self.alertname,
            "fault_code": self.fault_code,
            "severity": self.severity.lower(),
            "site": self.site,
        }
        if self.turbine_id is not None:
            labels["turbine_id"] = self.turbine_id
        if self.source is not None:
            labels["source"] = self.source
        return labels
