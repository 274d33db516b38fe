"""`windmill schedule`'s path through the engine: gold tables -> plan -> gold_maintenance_schedule."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.integration.test_dispatch import alerts_frame
from workloads import storage
from workloads.config import Paths
from workloads.ledger import Ledger
from workloads.schedule.builder import SCHEDULE_COLUMNS

pytestmark = pytest.mark.integration


def publish(home: Paths, name: str, frame: pd.DataFrame) -> None:
    folder = home.table(name)
    folder.mkdir(parents=True)
    frame.to_parquet(folder / "part-00000.parquet")
    storage.publish(home, name, folder)


def test_replan_writes_the_schedule_table_and_records_the_run(spark, tmp_path):
    from workloads.schedule.service import SCHEDULE_JOB, replan

    home = Paths(tmp_path / "home")
    publish(home, "gold_maintenance_alerts", alerts_frame())
    risk = pd.DataFrame(
        {
            "turbine_id": ["TURBINE_00013"],
            "as_of": [pd.Timestamp("2026-01-05T08:00:00Z")],
            "risk": [0.8],
            "horizon_hours": [24.0],
            "top_signals": [json.dumps([{"feature": "oil_pressure_min_6h"}])],
            "model_version": ["1"],
            "threshold": [0.5],
            "in_fault": [False],
            "latitude": [55.70],
            "longitude": [-4.25],
        }
    )
    publish(home, "gold_turbine_risk", risk)
    hours = pd.date_range("2026-01-05T00:00:00Z", periods=96, freq="1h")
    wind = np.where((hours.hour >= 8) & (hours.hour < 11) & (hours.day == 5), 18.0, 7.0)
    forecast = tmp_path / "wind.csv"
    pd.DataFrame(
        [
            {"site": s, "time": t.isoformat(), "wind_speed": w}
            for s in ("Whitelee", "Roscoe")
            for t, w in zip(hours, wind, strict=True)
        ]
    ).to_csv(forecast, index=False)

    schedule = replan(spark, home, days=3, wind_forecast=forecast)

    rows = spark.table("windmill.gold_maintenance_schedule").toPandas()
    assert tuple(rows.columns) == SCHEDULE_COLUMNS
    planned = rows[rows["crew_id"].notna()]
    assert set(rows["task"]) == {
        "TURBINE_00001:GEARBOX_OVERHEAT",
        "TURBINE_00005:TOWER_LEAN",
        "TURBINE_00002:HIGH_VIBRATION",
        "TURBINE_00009:GENERATOR_OVERHEAT",
        "TURBINE_00013:PREDICTIVE",
    }
    assert len(planned) == sum(len(r.visits) for r in schedule.routes) >= 4
    assert set(planned["kind"]) <= {"repair", "predictive", "opportunistic", "inspection"}
    whitelee = planned[planned["site"] == "Whitelee"]
    starts = pd.to_datetime(whitelee["window_start"], utc=True)
    ends = pd.to_datetime(whitelee["window_end"], utc=True)
    storm = (pd.Timestamp("2026-01-05T08:00:00Z"), pd.Timestamp("2026-01-05T11:00:00Z"))
    assert not ((starts < storm[1]) & (ends > storm[0])).any()  # no tower work in the gale
    run = next(j for j in Ledger(home.ledger).list_jobs() if j["name"] == SCHEDULE_JOB)[
        "latest_runs"
    ][0]
    assert run["result_state"] == "SUCCESS" and run["metrics"]["jobs"] == 5


def test_the_dispatch_job_writes_the_plan_and_the_schedule_in_the_catalog(spark, capsys):
    """The Databricks dispatch job (`windmill dispatch --catalog C --schema S
    --schedule-days 3`) on the local catalog: both tables, silver winds through Spark."""
    import argparse

    from workloads.dispatch import command

    spark.sql("CREATE DATABASE IF NOT EXISTS schedule_workspace")
    spark.createDataFrame(alerts_frame()).write.mode("overwrite").saveAsTable(
        "spark_catalog.schedule_workspace.gold_maintenance_alerts"
    )
    stamps = pd.date_range("2026-01-04T08:00:00Z", "2026-01-05T08:00:00Z", freq="10min")
    silver = pd.DataFrame(
        [
            {"turbine_id": t, "timestamp": s, "wind_speed": 6.0}
            for t in ("TURBINE_00001", "TURBINE_00002")
            for s in stamps
        ]
    )
    spark.createDataFrame(silver).write.mode("overwrite").saveAsTable(
        "spark_catalog.schedule_workspace.silver_sensor_data"
    )
    root = argparse.ArgumentParser()
    command.register(root.add_subparsers())
    args = root.parse_args(
        [
            "dispatch",
            "--catalog",
            "spark_catalog",
            "--schema",
            "schedule_workspace",
            "--schedule-days",
            "3",
        ]
    )
    assert args.func(args) == 0
    assert "gold_maintenance_schedule" in capsys.readouterr().out
    plan = spark.table("spark_catalog.schedule_workspace.gold_dispatch_plan").toPandas()
    schedule = spark.table("spark_catalog.schedule_workspace.gold_maintenance_schedule").toPandas()
    assert len(plan) == 4 and set(schedule["task"]) == set(plan["task_id"])
    assert schedule["crew_id"].notna().sum() >= 3  # calm Whitelee and Roscoe winds: planned
    for table in (
        "gold_maintenance_alerts",
        "silver_sensor_data",
        "gold_dispatch_plan",
        "gold_maintenance_schedule",
    ):
        spark.sql(f"DROP TABLE spark_catalog.schedule_workspace.{table}")
