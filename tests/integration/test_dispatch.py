"""The no-instance path: gold_maintenance_alerts -> solve -> windmill.gold_dispatch_plan."""

import pandas as pd
import pytest

from workloads import storage
from workloads.config import Paths
from workloads.ledger import Ledger
from workloads.names import DISPATCH_JOB

pytestmark = pytest.mark.integration


def alerts_frame() -> pd.DataFrame:
    opened = pd.Timestamp("2026-01-05T06:00:00Z")
    return pd.DataFrame(
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
    )


def test_replan_writes_the_plan_table_and_records_the_run(spark, tmp_path):
    from workloads.dispatch.service import replan

    # The alerts live in a tmp home (read with pyarrow); the plan goes to the shared engine.
    home = Paths(tmp_path / "home")
    folder = home.table("gold_maintenance_alerts")
    folder.mkdir(parents=True)
    alerts_frame().to_parquet(folder / "part-00000.parquet")
    storage.publish(home, "gold_maintenance_alerts", folder)

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


def test_workspace_mode_reads_and_writes_catalog_tables(spark):
    """The Databricks job's path (`--catalog/--schema`), on the local catalog."""
    from workloads.dispatch.service import run_in_workspace

    spark.sql("CREATE DATABASE IF NOT EXISTS dispatch_workspace")
    spark.createDataFrame(alerts_frame()).write.mode("overwrite").saveAsTable(
        "spark_catalog.dispatch_workspace.gold_maintenance_alerts"
    )
    plan = run_in_workspace("spark_catalog", "dispatch_workspace")

    rows = spark.table("spark_catalog.dispatch_workspace.gold_dispatch_plan").toPandas()
    assert len(rows) == 4 and plan.routed == 4
    assert set(rows["task_id"]) == {
        "TURBINE_00001:GEARBOX_OVERHEAT",
        "TURBINE_00005:TOWER_LEAN",
        "TURBINE_00002:HIGH_VIBRATION",
        "TURBINE_00009:GENERATOR_OVERHEAT",
    }
    spark.sql("DROP TABLE spark_catalog.dispatch_workspace.gold_maintenance_alerts")
    from workloads.errors import WindmillError

    with pytest.raises(WindmillError, match="no gold_maintenance_alerts table in spark_catalog"):
        run_in_workspace("spark_catalog", "dispatch_workspace")
