"""`windmill schedule`'s work: plan the days ahead from the gold tables and publish the plan.

- `plan(read, crews, now, ...)`: the problem from the gold tables `read(name)` returns,
  the wind outlook from `winds` (site, timestamp, wind_speed at or before `now`) and an
  optional forecast file; solved with the OR-Tools planner.
- `replan(spark, paths, ...)`: locally, on an open engine session: one run of the
  schedule job in the ledger, a new published version of `gold_maintenance_schedule`.
  A failed read of the gold tables keeps the previous schedule (the run says why).
- `run_schedule(paths, ...)`: the same on the running engine (or a new one).
- `run_in_workspace(catalog, schema, ...)`: the Databricks job (Unity Catalog tables).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from workloads import names, spark_catalog
from workloads.config import Paths, ensure_writable
from workloads.errors import WindmillError
from workloads.schedule import builder, forecast, planner
from workloads.schedule.model import Problem

log = logging.getLogger(__name__)

SCHEDULE_JOB = names.SCHEDULE_JOB
KEPT = "kept the previous schedule"
DEFAULT_DAYS = 3
DEFAULT_MAX_WORK_WIND = 12.0


def plan(
    read,
    crews,
    *,
    now=None,
    days=DEFAULT_DAYS,
    max_work_wind=DEFAULT_MAX_WORK_WIND,
    winds=None,
    wind_forecast: str | Path | None = None,
    seed: int = 0,
    where: str = "",
    time_limit_s: float = planner.DEFAULT_TIME_LIMIT_S,
):
    """The schedule of the gold tables `read` returns; `winds(now, sites)` gives the history."""
    alerts, risk, status, registry = builder.read_gold(read, where)
    moment = now or builder.data_now(alerts, risk) or datetime.now(UTC)
    jobs = builder.jobs_from_gold(alerts, risk, status, registry, moment, days)
    hours = days * 24 + 24
    history = winds(moment, {j.turbine_id: j.site for j in jobs}) if winds and jobs else None
    if history is None or history.empty:
        outlook = forecast.WindForecast(forecast.hour_floor(moment), {}, moment, "none")
    else:
        outlook = forecast.persistence_forecast(history, moment, hours)
    if wind_forecast is not None:
        outlook = forecast.with_file(outlook, forecast.read_forecast_file(wind_forecast), hours)
    problem = Problem(moment, days, crews, tuple(jobs), outlook, max_work_wind)
    return planner.solve(problem, seed=seed, time_limit_s=time_limit_s)


def write_schedule(spark, frame, table: str | None = None, paths: Paths | None = None):
    return spark_catalog.write_outside_table(
        spark, frame, names.GOLD_SCHEDULE, builder.SCHEDULE_SCHEMA, table, paths
    )


def _local_winds(paths: Paths):
    def winds(now, sites):
        return forecast.read_site_winds(paths, now, sites)

    return winds


def replan(spark, paths: Paths, roster_path=None, **options):
    """Plan from this home's gold tables and publish gold_maintenance_schedule (one ledger run)."""
    from workloads import storage
    from workloads.ledger import Ledger

    ledger = Ledger(paths.ledger)
    run_id = ledger.start_run(ledger.ensure_job(SCHEDULE_JOB))
    try:
        crews = builder.load_crews(roster_path)
        try:
            schedule = plan(
                lambda name: storage.read_table(paths, name),
                crews,
                winds=_local_winds(paths),
                where=f"under {paths.warehouse}",
                **options,
            )
        except WindmillError as exc:
            raise WindmillError(f"{KEPT}: {exc}") from None
        except (OSError, ValueError) as exc:
            raise WindmillError(
                f"{KEPT}: the gold tables could not be read ({type(exc).__name__})."
            ) from None
        frame = builder.schedule_rows(schedule)
        version = write_schedule(spark, frame, paths=paths)
    except BaseException as exc:
        ledger.finish_run(run_id, "FAILED", f"{type(exc).__name__}: {exc}"[:1000])
        raise
    metrics = summary(schedule)
    if version is not None:
        metrics.update(rows=version.rows, version=version.number)
    ledger.finish_run(run_id, "SUCCESS", None, metrics=metrics)
    return schedule


def summary(schedule) -> dict:
    planned = sum(len(r.visits) for r in schedule.routes)
    return {
        "jobs": len(schedule.problem.jobs),
        "planned": planned,
        "unplanned": len(schedule.unassigned),
        "cost": round(schedule.cost, 2),
        "days": schedule.problem.days,
        "now": schedule.problem.now.isoformat(),
        "solve_seconds": round(schedule.stats.get("solve_seconds", 0.0), 3),
    }


def run_schedule(paths: Paths, roster_path=None, **options):
    """`windmill schedule` locally: on the running engine (or a new one)."""
    from workloads.engine.attach import open_engine

    builder.load_crews(roster_path)  # a bad roster fails before an engine starts
    if options.get("wind_forecast") is not None:
        forecast.read_forecast_file(options["wind_forecast"])
    ensure_writable(paths.home)
    with open_engine(paths, app_name="windmill-schedule") as spark:
        return replan(spark, paths, roster_path, **options)


def run_in_workspace(catalog: str, schema: str, roster_path=None, spark=None, **options):
    """The Databricks job: Unity Catalog gold tables and silver through the cluster's session."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    crews = builder.load_crews(roster_path)
    spark = spark or SparkSession.builder.getOrCreate()
    prefix = f"{catalog}.{schema}"

    def read(name: str):
        table = f"{prefix}.{name}"
        return spark.table(table).toPandas() if spark.catalog.tableExists(table) else None

    def winds(now, sites):
        table = f"{prefix}.{names.SILVER}"
        if not spark.catalog.tableExists(table):
            return None
        since = now - timedelta(hours=forecast.HISTORY_HOURS)
        frame = (
            spark.table(table)
            .where((F.col("timestamp") <= F.lit(now)) & (F.col("timestamp") > F.lit(since)))
            .where(F.col("turbine_id").isin(list(sites)))
            .select("turbine_id", "timestamp", "wind_speed")
            .toPandas()
        )
        frame["site"] = frame["turbine_id"].map(sites)
        return frame.dropna(subset=["site"])

    schedule = plan(read, crews, winds=winds, where=f"in {prefix}", **options)
    write_schedule(spark, builder.schedule_rows(schedule), f"{prefix}.{names.GOLD_SCHEDULE}")
    return schedule
