"""`windmill dispatch`: plan repair-crew routes.

- `windmill dispatch --instance FILE.json [--time-limit S]` solves one instance and prints
  the plan as JSON (nothing else is read or written).
- `windmill dispatch [--roster FILE]` builds the instance from the gold tables and a crew
  roster (default: the shipped example), writes `gold_dispatch_plan` and records the run in
  the ledger. `replan(spark, paths)` does the same on an open engine session: the
  supervisor calls it after each pipeline update.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

from workloads.cli_args import non_negative_int, positive_float, utc_timestamp
from workloads.errors import WindmillError

log = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT_S = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dispatch",
        help="plan repair-crew routes (OR-Tools) from open alerts, or from an instance file",
        description="Decide which repair crew goes to which turbine, in what order. With "
        "--instance, solve that JSON instance and print the plan; without, plan from the "
        "gold tables and a crew roster and write windmill.gold_dispatch_plan.",
    )
    parser.add_argument(
        "--instance",
        type=Path,
        metavar="FILE",
        help='a JSON instance {"now", "crews", "tasks"}: print its plan as JSON',
    )
    parser.add_argument(
        "--roster",
        type=Path,
        metavar="FILE",
        help='crew roster JSON ({"crews": [...]}) for planning from the gold tables '
        "(default: the shipped example roster)",
    )
    parser.add_argument(
        "--time-limit",
        type=positive_float,
        default=DEFAULT_TIME_LIMIT_S,
        metavar="S",
        help=f"safety limit on the search in seconds (default {DEFAULT_TIME_LIMIT_S:g}); the "
        "search normally stops earlier, deterministically",
    )
    parser.add_argument("--seed", type=non_negative_int, default=0, help="search seed (default 0)")
    parser.add_argument(
        "--now",
        type=utc_timestamp,
        metavar="TIME",
        help="plan as of this ISO time (gold tables only; default: the latest alert reading)",
    )
    parser.add_argument(
        "--catalog",
        type=identifier,
        help="on Databricks: plan from CATALOG.SCHEMA's gold tables with the cluster's Spark "
        "session and write CATALOG.SCHEMA.gold_dispatch_plan (needs --schema)",
    )
    parser.add_argument("--schema", type=identifier, help="on Databricks: see --catalog")
    parser.set_defaults(func=run)


def identifier(text: str) -> str:
    """A Unity Catalog name part: letters, digits and underscores only (never interpolated raw)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise argparse.ArgumentTypeError(f"expected letters, digits and underscores, got {text!r}")
    return text


def run(args: argparse.Namespace) -> int:
    if (args.catalog is None) != (args.schema is None):
        raise WindmillError("--catalog and --schema go together; pass both or neither.")
    if args.catalog is not None:
        plan = run_in_workspace(
            args.catalog,
            args.schema,
            args.roster,
            now=args.now,
            time_limit_s=args.time_limit,
            seed=args.seed,
        )
        print(
            f"Planned {plan.routed} tasks (cost {plan.cost:.2f}); wrote "
            f"{args.catalog}.{args.schema}.gold_dispatch_plan."
        )
        return 0
    if args.instance is not None:
        from workloads.dispatch import parse_instance, solve
        from workloads.dispatch.builder import read_json

        instance = parse_instance(read_json(args.instance, "instance"))
        plan = solve(instance, time_limit_s=args.time_limit, seed=args.seed)
        print(json.dumps(plan.to_json(), indent=2))
        return 0

    from workloads.config import paths as home_paths

    plan = run_dispatch(
        home_paths(), args.roster, now=args.now, time_limit_s=args.time_limit, seed=args.seed
    )
    tasks = plan.routed + len(plan.unassigned)
    busy = sum(1 for r in plan.routes if r.stops)
    print(
        f"Planned {plan.routed} of {tasks} tasks for {busy} of {len(plan.routes)} crews"
        f" (cost {plan.cost:.2f}, {plan.km:.1f} km); wrote windmill.gold_dispatch_plan."
    )
    return 0


def run_dispatch(paths, roster_path=None, *, now=None, time_limit_s=DEFAULT_TIME_LIMIT_S, seed=0):
    """Plan from the gold tables on the running engine (or a new one) and write the plan."""
    from workloads.config import ensure_writable
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
    from workloads.names import GOLD_DISPATCH

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
    paths,
    roster_path: str | Path | None = None,
    *,
    now: datetime | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    seed: int = 0,
):
    """Re-plan from the gold tables with an open engine session; writes gold_dispatch_plan.

    Each call is a run of the dispatch job in the ledger (metrics: tasks, routed, cost).
    Returns the Plan.
    """
    from workloads.dispatch import solve
    from workloads.dispatch.builder import instance_from_gold, load_roster, plan_rows
    from workloads.ledger import Ledger
    from workloads.names import DISPATCH_JOB

    ledger = Ledger(paths.ledger)
    run_id = ledger.start_run(ledger.ensure_job(DISPATCH_JOB))
    try:
        crews = load_roster(roster_path)
        instance = instance_from_gold(paths, crews, now)
        plan = solve(instance, time_limit_s=time_limit_s, seed=seed)
        write_plan(spark, plan_rows(instance, plan, datetime.now(UTC)))
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
    ledger.finish_run(run_id, "SUCCESS", None, metrics=metrics)
    log.info(
        "dispatch: %d of %d tasks routed, cost %.2f", plan.routed, len(instance.tasks), plan.cost
    )
    return plan


def write_plan(spark, frame, table: str | None = None) -> None:
    """Overwrite `table` (default windmill.gold_dispatch_plan) with `frame` (pandas, PLAN_COLUMNS)."""
    from workloads.config import LOCAL_DATABASE
    from workloads.dispatch.builder import PLAN_SCHEMA
    from workloads.names import GOLD_DISPATCH

    if table is None:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {LOCAL_DATABASE}")
        table = f"{LOCAL_DATABASE}.{GOLD_DISPATCH}"
    frame = frame.astype(object).where(frame.notna(), None)
    records = [tuple(row) for row in frame.itertuples(index=False, name=None)]
    spark.createDataFrame(records, schema=PLAN_SCHEMA).write.mode("overwrite").saveAsTable(table)
