"""`windmill dispatch`: plan repair-crew routes (the CLI; the work is in `dispatch.service`).

- `windmill dispatch --instance FILE.json [--time-limit S]` solves one instance and prints
  the plan as JSON (nothing else is read or written).
- `windmill dispatch [--roster FILE]` builds the instance from the gold tables and a crew
  roster (default: the shipped example), publishes a new version of `gold_dispatch_plan`
  and records the run in the ledger (`service.run_dispatch`). Under `windmill up` the
  supervisor runs this command after pipeline updates.
- `--catalog/--schema`: the Databricks job (`service.run_in_workspace`).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from workloads.cli_args import non_negative_int, positive_float, utc_timestamp
from workloads.dispatch.solver import DEFAULT_TIME_LIMIT_S
from workloads.errors import WindmillError


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
    parser.add_argument(
        "--schedule-days",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="also re-plan the multi-day schedule over N days (gold_maintenance_schedule, "
        "as `windmill schedule --days N`; the Databricks dispatch job writes both); default 0: off",
    )
    parser.set_defaults(func=run)


def identifier(text: str) -> str:
    """A Unity Catalog name part: letters, digits and underscores only (never interpolated raw)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise argparse.ArgumentTypeError(f"expected letters, digits and underscores, got {text!r}")
    return text


def run(args: argparse.Namespace) -> int:
    if (args.catalog is None) != (args.schema is None):
        raise WindmillError("--catalog and --schema go together; pass both or neither.")
    from workloads.dispatch import service

    if args.catalog is not None:
        plan = service.run_in_workspace(
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
        if args.schedule_days:
            from workloads.schedule import service as schedule_service

            schedule = schedule_service.run_in_workspace(
                args.catalog,
                args.schema,
                args.roster,
                days=args.schedule_days,
                now=args.now,
                seed=args.seed,
            )
            facts = schedule_service.summary(schedule)
            print(
                f"Scheduled {facts['planned']} of {facts['jobs']} jobs over {args.schedule_days}"
                f" days; wrote {args.catalog}.{args.schema}.gold_maintenance_schedule."
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

    plan = service.run_dispatch(
        home_paths(), args.roster, now=args.now, time_limit_s=args.time_limit, seed=args.seed
    )
    tasks = plan.routed + len(plan.unassigned)
    busy = sum(1 for r in plan.routes if r.stops)
    print(
        f"Planned {plan.routed} of {tasks} tasks for {busy} of {len(plan.routes)} crews"
        f" (cost {plan.cost:.2f}, {plan.km:.1f} km); wrote windmill.gold_dispatch_plan."
    )
    if args.schedule_days:
        from workloads.schedule import service as schedule_service

        schedule = schedule_service.run_schedule(
            home_paths(), args.roster, days=args.schedule_days, now=args.now, seed=args.seed
        )
        facts = schedule_service.summary(schedule)
        print(
            f"Scheduled {facts['planned']} of {facts['jobs']} jobs over {args.schedule_days}"
            f" days; wrote windmill.gold_maintenance_schedule."
        )
    return 0
