"""What to send now: Alertmanager's firing/resolved, repeat, inhibition, ack and silence.

A pure function of the alerts seen now, the notifications decided before (the store's
memory, keyed by idempotency key), the acks/silences in force and the clock, so every
rule is tested with an injected `now` and a restart decides exactly what a running
notifier would have:

- an open alert never decided before fires once (so open episodes found at a first
  start notify once; an alert that is already closed when first seen never notifies:
  closed history stays quiet);
- a closed alert whose firing was decided gets one resolved;
- a still-open, unacknowledged CRITICAL repeats every `repeat_interval` after its
  firing (repeat n has its own key, so a restart never sends it twice);
- a WARNING of a turbine with an open CRITICAL is inhibited (no firing, no repeat);
- a silenced turbine sends nothing until the silence ends (then the rules apply again).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workloads.alerting.actions import ActionState
from workloads.alerting.model import FIRING, REPEAT_INTERVAL_S, RESOLVED, Alert, iso, parse


@dataclass(frozen=True)
class Decision:
    alert: Alert
    status: str
    repeat: int = 0

    @property
    def key(self) -> str:
        return self.alert.key(self.status, self.repeat)


def evaluate(
    alerts: Iterable[Alert],
    decided: Mapping[str, Mapping[str, Any]],
    state: ActionState,
    now: datetime,
    *,
    critical_turbines: set[str] | None = None,
    repeat_interval_s: float = REPEAT_INTERVAL_S,
) -> list[Decision]:
    """The notifications to decide now, in a stable order.

    `alerts`: the alerts that notify at the chosen level, open (ends_at None) or closed.
    `critical_turbines`: turbines with an open CRITICAL episode (inhibit their WARNINGs);
    default: taken from `alerts`.
    """
    alerts = list(alerts)
    if critical_turbines is None:
        critical_turbines = {
            a.turbine_id for a in alerts if a.ends_at is None and a.severity == "CRITICAL"
        }
    out: list[Decision] = []
    for alert in sorted(alerts, key=lambda a: (a.starts_at, a.fingerprint)):
        if state.is_silenced(alert.turbine_id):
            continue
        fired = decided.get(alert.key(FIRING))
        if alert.ends_at is not None:
            if fired is not None and alert.key(RESOLVED) not in decided:
                out.append(Decision(alert, RESOLVED))
            continue
        inhibited = alert.severity == "WARNING" and alert.turbine_id in critical_turbines
        if inhibited:
            continue
        if fired is None:
            out.append(Decision(alert, FIRING))
            continue
        started = iso(alert.starts_at)
        if alert.severity != "CRITICAL" or state.is_acked(
            alert.turbine_id, alert.fault_code, started
        ):
            continue
        elapsed = (now - parse(fired["decided_at"])).total_seconds()
        repeat = int(elapsed // repeat_interval_s)
        if repeat >= 1 and alert.key(FIRING, repeat) not in decided:
            out.append(Decision(alert, FIRING, repeat))
    return out
