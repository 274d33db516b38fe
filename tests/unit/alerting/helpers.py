"""Hand-built episode frames (the gold_fault_episodes contract) and a recording channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from workloads.alerting.channels import Channel, DeliveryError
from workloads.alerting.sources import EPISODE_COLUMNS

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def episode(turbine, fault="GEARBOX_OVERHEAT", level="CRITICAL", start=T0, ended=None, **extra):
    return {
        "turbine_id": turbine,
        "fault_code": fault,
        "alert_level": level,
        "started_at": start,
        "last_seen_at": ended or start,
        "ended_at": ended,
        "readings": 3,
        "peak_value": 91.5,
        "energy_lost_kwh": 120.0,
        **extra,
    }


def frame(*rows) -> pd.DataFrame:
    out = pd.DataFrame(list(rows), columns=list(EPISODE_COLUMNS))
    for column in ("started_at", "last_seen_at", "ended_at"):
        out[column] = pd.to_datetime(out[column], utc=True)
    return out


class Recorder(Channel):
    """A channel that keeps what it was sent; `fail` makes the next tries fail."""

    def __init__(self, url: str = "http://127.0.0.1:1/hook") -> None:
        super().__init__(url)
        self.messages: list[dict] = []
        self.fail = 0

    def send(self, payload, idempotency_key):
        if self.fail:
            self.fail -= 1
            raise DeliveryError("HTTP 500 from the receiver")
        self.messages.append(payload)

    def alerts(self):
        return [a for m in self.messages for a in m["alerts"]]


def later(seconds: float, base: datetime = T0) -> datetime:
    return base + timedelta(seconds=seconds)
