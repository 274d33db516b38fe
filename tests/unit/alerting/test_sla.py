"""gold_sla_daily from hand-built episodes and acks (pure pandas)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from tests.unit.alerting.helpers import T0, episode, frame
from workloads.alerting.model import iso
from workloads.alerting.sla import SLA_COLUMNS, sla_daily


def ack(turbine, fault, start, minutes):
    return {
        "action": "ack",
        "turbine_id": turbine,
        "fault_code": fault,
        "episode_started_at": iso(start),
        "at": iso(start + timedelta(minutes=minutes)),
    }


def test_sla_per_day_and_level():
    h = timedelta(hours=1)
    rows = frame(
        episode("T1", start=T0, ended=T0 + 2 * h, energy_lost_kwh=500.0),  # 2 h: within 4 h
        episode("T2", start=T0 + h, ended=T0 + 6 * h),  # 5 h: late
        episode("T3", start=T0 + 2 * h),  # still open
        episode("T4", "YAW_MISALIGNMENT", "WARNING", start=T0, ended=T0 + 13 * h),  # next day
    )
    acks = [ack("T1", "GEARBOX_OVERHEAT", T0, 10), ack("T2", "GEARBOX_OVERHEAT", T0 + h, 30)]
    acks.append(ack("T1", "GEARBOX_OVERHEAT", T0, 50))  # a second ack: the first one counts
    sla = sla_daily(rows, acks)
    assert list(sla.columns) == list(SLA_COLUMNS)
    by = {(r["day"], r["alert_level"]): r for r in sla.to_dict(orient="records")}
    crit = by[(date(2026, 3, 1), "CRITICAL")]
    assert (crit["episodes_opened"], crit["episodes_closed"]) == (3, 2)
    assert crit["ack_p50_minutes"] == pytest.approx(20.0)
    assert crit["ack_p90_minutes"] == pytest.approx(28.0)
    assert crit["close_p50_minutes"] == pytest.approx(210.0)
    assert crit["closed_within_deadline"] == pytest.approx(0.5)
    assert crit["energy_lost_mwh"] == pytest.approx((500 + 120 + 120) / 1000)
    opened = by[(date(2026, 3, 1), "WARNING")]
    closed = by[(date(2026, 3, 2), "WARNING")]
    assert (opened["episodes_opened"], opened["episodes_closed"]) == (1, 0)
    assert pd.isna(opened["closed_within_deadline"]) and pd.isna(opened["ack_p50_minutes"])
    assert (closed["episodes_opened"], closed["episodes_closed"]) == (0, 1)
    assert closed["closed_within_deadline"] == 1.0  # 13 h within WARNING's 24 h


def test_no_episodes_no_rows():
    assert sla_daily(None, []).empty
