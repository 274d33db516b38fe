"""Instances from gold rows, the plan table's rows, the roster, and the shipped examples."""

import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from tests.unit.dispatch.checks import check_plan
from workloads import storage
from workloads.dispatch import parse_instance, solve
from workloads.dispatch.builder import (
    PLAN_COLUMNS,
    TASK_HOURS,
    data_now,
    instance_from_gold,
    load_roster,
    plan_rows,
    tasks_from_gold,
)
from workloads.dispatch.model import SKILL_BY_FAULT, haversine_km
from workloads.errors import WindmillError

pytestmark = pytest.mark.unit

OPENED = pd.Timestamp("2026-01-05T06:00:00Z")
SEEN = pd.Timestamp("2026-01-05T07:30:00Z")


def _alerts():
    return pd.DataFrame(
        {
            "turbine_id": ["TURBINE_00001", "TURBINE_00002", "TURBINE_00005"],
            "fault_code": ["GEARBOX_OVERHEAT", "LOW_OIL_PRESSURE", "TOWER_LEAN"],
            "alert_level": ["CRITICAL", "WARNING", "CRITICAL"],
            "opened_at": [OPENED, OPENED, OPENED],
            "last_seen_at": [SEEN, SEEN - pd.Timedelta(hours=1), SEEN],
            "readings": [4, 2, 9],
            "latitude": [55.68, 32.45, 55.686],
            "longitude": [-4.27, -100.53, -4.27],
            "maintenance_needed": [True, True, True],
        }
    )


def test_tasks_from_alerts():
    tasks = tasks_from_gold(_alerts())
    assert [t.task_id for t in tasks] == [
        "TURBINE_00001:GEARBOX_OVERHEAT",
        "TURBINE_00002:LOW_OIL_PRESSURE",
        "TURBINE_00005:TOWER_LEAN",
    ]
    first = tasks[0]
    assert first.opened_at == OPENED.to_pydatetime()
    assert first.deadline == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert first.duration_hours == TASK_HOURS["GEARBOX_OVERHEAT"]
    assert [t.skill for t in tasks] == ["mechanical", "mechanical", "structural"]
    assert data_now(_alerts()) == SEEN.to_pydatetime()
    assert all(2.0 <= hours <= 6.0 for hours in TASK_HOURS.values())
    assert set(TASK_HOURS) == set(SKILL_BY_FAULT)


def test_high_risk_turbines_without_alert_become_inspections():
    risk = pd.DataFrame(
        {"turbine_id": ["TURBINE_00001", "TURBINE_00003", "TURBINE_00004"], "risk": [0.9, 0.8, 0.2]}
    )
    status = pd.DataFrame(
        {
            "turbine_id": ["TURBINE_00003", "TURBINE_00004"],
            "latitude": [37.73, 37.736],
            "longitude": [-121.65, -121.65],
        }
    )
    now = datetime(2026, 1, 5, 8, tzinfo=UTC)
    tasks = {t.task_id: t for t in tasks_from_gold(_alerts(), risk, status, now)}
    assert tasks["TURBINE_00001:GEARBOX_OVERHEAT"].risk == 0.9
    inspection = tasks["TURBINE_00003:INSPECTION"]
    assert (inspection.alert_level, inspection.skill, inspection.opened_at) == (
        "INFO",
        "mechanical",
        now,
    )
    assert "TURBINE_00004:INSPECTION" not in tasks  # low risk
    assert "TURBINE_00001:INSPECTION" not in tasks  # already has an alert


def test_inspections_use_the_models_threshold_and_registry_positions():
    """The risk table's own `threshold` decides (not the fixed 0.7); a turbine missing
    from gold_turbine_status takes its position from the `turbines` registry."""
    risk = pd.DataFrame(
        {
            "turbine_id": ["TURBINE_00003", "TURBINE_00004", "TURBINE_00006"],
            "risk": [0.5, 0.35, 0.45],
            "threshold": [0.4, 0.4, 0.4],
        }
    )
    status = pd.DataFrame(
        {
            "turbine_id": ["TURBINE_00003", "TURBINE_00004"],
            "latitude": [37.73, 37.736],
            "longitude": [-121.65, -121.65],
        }
    )
    registry = pd.DataFrame(
        {
            "turbine_id": ["TURBINE_00006"],
            "site": ["Altamont Pass"],
            "latitude": [37.74],
            "longitude": [-121.64],
        }
    )
    now = datetime(2026, 1, 5, 8, tzinfo=UTC)
    tasks = {t.task_id: t for t in tasks_from_gold(None, risk, status, now, registry)}
    assert set(tasks) == {"TURBINE_00003:INSPECTION", "TURBINE_00006:INSPECTION"}
    assert (tasks["TURBINE_00006:INSPECTION"].latitude, tasks["TURBINE_00006:INSPECTION"].risk) == (
        37.74,
        0.45,
    )


def test_instance_from_gold_reads_the_parquet_table(tmp_path):
    from workloads.config import Paths

    paths = Paths(tmp_path)
    with pytest.raises(WindmillError, match="no gold_maintenance_alerts table"):
        instance_from_gold(paths, load_roster())
    folder = paths.table("gold_maintenance_alerts")
    folder.mkdir(parents=True)
    _alerts().to_parquet(folder / "part-00000.parquet")
    # Written in place, the table is not seen until it is published (as the engine does).
    with pytest.raises(WindmillError, match="no gold_maintenance_alerts table"):
        instance_from_gold(paths, load_roster())
    storage.publish(paths, "gold_maintenance_alerts", folder)
    instance = instance_from_gold(paths, load_roster())
    assert instance.now == SEEN.to_pydatetime()
    assert len(instance.tasks) == 3
    plan = solve(instance)
    frame = plan_rows(instance, plan, datetime(2026, 1, 5, 8, tzinfo=UTC))
    assert tuple(frame.columns) == PLAN_COLUMNS
    assert len(frame) == 3  # every task: a stop or an unassigned row
    routed = frame[frame["crew_id"].notna()]
    assert len(routed) == plan.routed >= 2
    assert (routed["stop"] >= 1).all()
    assert frame["plan_cost"].eq(plan.cost).all()
    assert str(frame["arrival"].dtype) == "datetime64[ns, UTC]"


def test_roster_errors_name_the_file_and_field(tmp_path):
    bad = tmp_path / "roster.json"
    bad.write_text(json.dumps({"crews": [{"crew_id": "X", "latitude": 0, "longitude": 0}]}))
    with pytest.raises(WindmillError, match=r"crews\[0\]\.skills is missing"):
        load_roster(bad)
    bad.write_text("{not json")
    with pytest.raises(WindmillError, match="not valid JSON"):
        load_roster(bad)
    with pytest.raises(WindmillError, match="does not exist"):
        load_roster(tmp_path / "missing.json")


def test_example_roster_bases_are_near_the_generator_sites():
    from workloads.generator.physics import SITES

    crews = load_roster()
    assert len(crews) >= len(SITES)
    for site in SITES:
        near = [
            c
            for c in crews
            if haversine_km(c.latitude, c.longitude, site.latitude, site.longitude) < 10
        ]
        assert near, f"no crew based near {site.name}"
        assert set().union(*(c.skills for c in near)) == {"mechanical", "electrical", "structural"}


def test_example_instance_solves_to_a_feasible_plan(example_document):
    plan = solve(parse_instance(example_document))
    assert plan.routed >= 6
    check_plan(example_document, plan.to_json())
