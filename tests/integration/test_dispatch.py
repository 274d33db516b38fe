"""The no-instance path: gold_maintenance_alerts -> solve -> windmill.gold_dispatch_plan."""

import pandas as pd
import pytest

from workloads.config import Paths
from workloads.ledger import Ledger
from workloads.names import DISPATCH_JOB

pytestmark = pytest.mark.integration


def test_replan_writes_the_plan_table_and_records_the_run(spark, tmp_path):
    from workloads.dispatch.command import replan

    # The alerts live in a tmp home (read with pyarrow); the plan goes to the shared engine.
    home = Paths(tmp_path / "home")
    folder = home.table("gold_maintenance_alerts")
    folder.mkdir(parents=True)
    opened = pd.Timestamp("2026-01-05T06:00:00Z")
    pd.DataFrame(
        {
            "turbine_id": ["TURBINE_00001", "TURBINE_00005", "TURBINE_00002", "TURBINE_00009"],
            "fault_code": [
                "GEARBOX_OVERHEAT",
                "TOWER_LEAN",
                "HIGH_VIBRATION",
                "GENERATOR_OVERHEAT",
            ],
            "alert_level": ["CRITICAL", "CRITICAL", "WARNING", "CRITICAL"],
            "opened_at": [opened] * 4,
            "last_seen_at": [opened + pd.Timedelta(hours=2)] * 4,
            "readings": [3, 5, 2, 7],
            "latitude": [55.68, 55.686, 32.45, 55.692],
            "longitude": [-4.27, -4.27, -100.53, -4.261],
            "maintenance_needed": [True] * 4,
        }
    ).to_parquet(folder / "part-00000.parquet")

    plan = replan(spark, home)

    rows = spark.table("windmill.gold_dispatch_plan").toPandas()
    assert sorted(rows["task_id"]) == sorted(
        [
            "TURBINE_00001:GEARBOX_OVERHEAT",
            "TURBINE_00005:TOWER_LEAN",
            "TURBINE_00002:HIGH_VIBRATION",
            "TURBINE_00009:GENERATOR_OVERHEAT",
        ]
    )
    routed = rows[rows["crew_id"].notna()].sort_values(["crew_id", "stop"])
    assert len(routed) == plan.routed == 4
    assert routed["plan_cost"].iloc[0] == pytest.approx(plan.cost)
    for crew_id, stops in routed.groupby("crew_id"):
        assert list(stops["stop"]) == list(range(1, len(stops) + 1)), crew_id
    assert (routed["start"] >= routed["arrival"]).all()
    assert (routed["deadline"] == pd.Timestamp("2026-01-05T10:00:00")).sum() >= 3

    job = next(j for j in Ledger(home.ledger).list_jobs() if j["name"] == DISPATCH_JOB)
    run = job["latest_runs"][0]
    assert run["result_state"] == "SUCCESS"
    assert run["metrics"]["tasks"] == 4 and run["metrics"]["routed"] == 4
    assert run["metrics"]["cost"] == pytest.approx(plan.cost, abs=1e-4)
