"""Jobs from the gold tables, the roster's shifts, and the schedule table's rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import pandas as pd
import pytest

from tests.unit.schedule.conftest import crew, problem
from workloads.errors import WindmillError
from workloads.schedule import planner
from workloads.schedule.builder import SCHEDULE_COLUMNS, jobs_from_gold, load_crews, schedule_rows

NOW = datetime(2026, 1, 5, 8, tzinfo=UTC)


def gold():
    alerts = pd.DataFrame(
        {
            "turbine_id": ["TURBINE_00001"],
            "fault_code": ["GEARBOX_OVERHEAT"],
            "alert_level": ["CRITICAL"],
            "opened_at": [pd.Timestamp("2026-01-05T06:00:00Z")],
            "latitude": [55.68],
            "longitude": [-4.27],
        }
    )
    signals = json.dumps(
        [{"feature": "generator_temperature_max_6h", "value": 80.0, "contribution": 1.2}]
    )
    risk = pd.DataFrame(
        {
            "turbine_id": ["TURBINE_00001", "TURBINE_00005", "TURBINE_00009", "TURBINE_00013"],
            "risk": [0.9, 0.6, 0.3, 0.1],
            "threshold": [0.5] * 4,
            "horizon_hours": [24.0] * 4,
            "top_signals": [signals] * 4,
            "in_fault": [True, False, False, False],
            "latitude": [55.68, 55.686, 55.692, 55.698],
            "longitude": [-4.27, -4.261, -4.252, -4.243],
        }
    )
    registry = pd.DataFrame({"turbine_id": ["TURBINE_00009"], "site": ["Whitelee North"]})
    return alerts, risk, registry


def test_jobs_from_alerts_and_risk_at_the_models_threshold():
    alerts, risk, registry = gold()
    jobs = {j.task_id: j for j in jobs_from_gold(alerts, risk, None, registry, NOW, 3)}
    assert set(jobs) == {
        "TURBINE_00001:GEARBOX_OVERHEAT",
        "TURBINE_00005:PREDICTIVE",
        "TURBINE_00009:INSPECTION",
    }
    repair = jobs["TURBINE_00001:GEARBOX_OVERHEAT"]
    assert (repair.kind, repair.site, repair.deadline) == (
        "repair",
        "Whitelee",
        datetime(2026, 1, 5, 10, tzinfo=UTC),
    )
    predictive = jobs["TURBINE_00005:PREDICTIVE"]
    assert (predictive.kind, predictive.fault_code, predictive.skill) == (
        "predictive",
        "GENERATOR_OVERHEAT",
        "electrical",
    )
    inspection = jobs["TURBINE_00009:INSPECTION"]
    assert inspection.optional and inspection.site == "Whitelee North"  # the registry's site wins


def test_the_roster_gives_local_shifts_and_days_off(tmp_path):
    crews = load_crews()  # the shipped example: shift_hours 10 from 07:00, the site's zone
    assert crews[0].timezone == "Europe/London" and (crews[0].shift_start, crews[0].shift_end) == (
        time(7),
        time(17),
    )
    path = tmp_path / "roster.json"
    record = {
        "crew_id": "A",
        "latitude": 32.44,
        "longitude": -100.54,
        "skills": ["mechanical"],
        "shift_hours": 8,
        "speed_kmh": 60,
        "shift_start": "06:30",
        "days_off": ["sat", "Sunday"],
    }
    path.write_text(json.dumps({"crews": [record]}))
    (a,) = load_crews(path)
    assert (a.site, a.timezone, a.shift_end, a.days_off) == (
        "Roscoe",
        "America/Chicago",
        time(14, 30),
        frozenset({5, 6}),
    )
    path.write_text(json.dumps({"crews": [{**record, "days_off": ["someday"]}]}))
    with pytest.raises(WindmillError, match="days_off"):
        load_crews(path)


def test_schedule_rows_have_the_contract_columns_and_say_why_a_job_waits():
    from tests.unit.schedule.conftest import BASE, job

    p = problem([crew("C1")], [job("A", *BASE, hours=9.0), job("B", *BASE, hours=9.5)], days=1)
    rows = schedule_rows(planner.solve(p))
    assert tuple(rows.columns) == SCHEDULE_COLUMNS
    planned, waiting = rows[rows["crew_id"].notna()], rows[rows["crew_id"].isna()]
    assert len(planned) == 1 and len(waiting) == 1
    assert planned["stop_order"].iloc[0] == 1 and str(planned["day"].iloc[0]) == "2026-03-27"
    assert waiting["reason"].iloc[0].startswith("not planned: ")
