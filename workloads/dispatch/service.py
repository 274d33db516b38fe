"""The dispatcher's service functions: plan from the gold tables and publish the plan.

- `run_dispatch(paths, roster)`: on the running engine (or a new one), `replan` once.
- `replan(spark, paths, roster)`: read the gold tables' committed versions, solve, publish
  a new version of `gold_dispatch_plan`; one run of the dispatch job in the ledger. A read
  that fails or is incomplete never replaces the plan: the previous version stays and
  the run records why.
- `run_in_workspace(catalog, schema, roster)`: the Databricks job (Unity Catalog tables).
- `write_plan(spark, frame, table=None)` (through `spark_catalog.write_outside_table`): locally a new published version (never an
  in-place overwrite); with a table name, an overwrite of that (Delta) table.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from workloads import spark_catalog
from workloads.config import Paths, ensure_writable
from workloads.dispatch.solver import DEFAULT_TIME_LIMIT_S
from workloads.errors import WindmillError
from workloads.names import DISPATCH_JOB, GOLD_DISPATCH

log = logging.getLogger(__name__)

KEPT_PLAN = "kept the previous plan"


def run_dispatch(
    paths: Paths,
    roster_path: str | Path | None = None,
    *,
    now: datetime | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    seed: int = 0,
):
    """Plan from the gold tables on the running engine (or a new one) and publish the plan."""
    from workloads.dispatch.builder import load_roster
    from workloads.engine.attach import open_engine

    load_roster(roster_path)  # a bad roster fails before an engine starts
    ensure_writable(paths.home)
    with open_engine(paths, app_name="windmill-dispatch") as spark:
        return replan(spark, paths, roster_path, now=now, time_limit_s=time_limit_s, seed=seed)


def run_in_workspace(
    catalog: str,
    schema: str,
    roster_path: str | Path | None = None,
    *,
    now: datetime | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    seed: int = 0,
):
    """The dispatch job on Databricks: Unity Catalog gold tables through the cluster's session.

    The workspace records the job's runs itself, so no local ledger is written.
    """
    from pyspark.sql import SparkSession

    from workloads.dispatch import solve
    from workloads.dispatch.builder import instance_from_tables, load_roster, plan_rows

    crews = load_roster(roster_path)
    spark = SparkSession.builder.getOrCreate()
    prefix = f"{catalog}.{schema}"

    def read(name: str):
        table = f"{prefix}.{name}"
        return spark.table(table).toPandas() if spark.catalog.tableExists(table) else None

    instance = instance_from_tables(read, crews, now, where=f"in {prefix}")
    plan = solve(instance, time_limit_s=time_limit_s, seed=seed)
    write_plan(spark, plan_rows(instance, plan, datetime.now(UTC)), f"{prefix}.{GOLD_DISPATCH}")
    return plan


def replan(
    spark,
    paths: Paths,
    roster_path: str | Path | None = None,
    *,
    now: datetime | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    seed: int = 0,
):
    """Re-plan from the gold tables with an open engine session; publishes gold_dispatch_plan.

    Each call is a run of the dispatch job in the ledger (metrics: tasks, routed, cost, the
    plan's rows and version). When the gold tables cannot be read completely the run
    FAILS with "kept the previous plan: <why>" and the published plan stays as it was.
    Returns the Plan.
    """
    from workloads.dispatch import solve
    from workloads.dispatch.builder import instance_from_gold, load_roster, plan_rows
    from workloads.ledger import Ledger

    ledger = Ledger(paths.ledger)
    run_id = ledger.start_run(ledger.ensure_job(DISPATCH_JOB))
    try:
        crews = load_roster(roster_path)
        try:
            instance = instance_from_gold(paths, crews, now)
        except WindmillError as exc:
            raise WindmillError(f"{KEPT_PLAN}: {exc}") from None
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise WindmillError(
                f"{KEPT_PLAN}: the gold tables could not be read"
                f" ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})."
            ) from None
        plan = solve(instance, time_limit_s=time_limit_s, seed=seed)
        version = write_plan(spark, plan_rows(instance, plan, datetime.now(UTC)), paths=paths)
    except BaseException as exc:
        ledger.finish_run(run_id, "FAILED", f"{type(exc).__name__}: {exc}"[:1000])
        raise
    metrics = {
        "tasks": len(instance.tasks),
        "routed": plan.routed,
        "cost": round(plan.cost, 4),
        "km": round(plan.km, 3),
        "crews": len(crews),
        "now": instance.now.isoformat(),
    }
    if version is not None:
        metrics.update(rows=version.rows, version=version.number)
    ledger.finish_run(run_id, "SUCCESS", None, metrics=metrics)
    log.info(
        "dispatch: %d of %d tasks routed, cost %.2f", plan.routed, len(instance.tasks), plan.cost
    )
    return plan


def write_plan(spark, frame, table: str | None = None, paths: Paths | None = None):
    """Write the plan (pandas, PLAN_COLUMNS): see `spark_catalog.write_outside_table`."""
    from workloads.dispatch.builder import PLAN_SCHEMA

    return spark_catalog.write_outside_table(spark, frame, GOLD_DISPATCH, PLAN_SCHEMA, table, paths)
