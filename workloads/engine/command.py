"""`windmill pipeline run [--full-refresh] [--continuous [--interval S]] [--set KEY=VALUE]`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from workloads.cli_args import positive_float

log = logging.getLogger(__name__)


def _setting(text: str) -> tuple[str, str]:
    from workloads.pipeline.settings import DEFAULTS

    key, sep, value = text.partition("=")
    key = key.strip().removeprefix("windmill.")
    if not sep or key not in DEFAULTS:
        known = ", ".join(sorted(DEFAULTS))
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with KEY one of: {known}")
    return key, value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pipeline",
        help="run the medallion pipeline (bronze, silver, gold) on the local engine",
        description="Run the medallion pipeline with Spark Declarative Pipelines on a local "
        "Spark Connect engine; tables persist under $WINDMILL_HOME.",
    )
    actions = parser.add_subparsers(dest="pipeline_command", metavar="ACTION")
    run_parser = actions.add_parser(
        "run",
        help="perform an update (incremental unless --full-refresh)",
        description="Perform one incremental update, or keep updating with --continuous. "
        "Every update is recorded in the run ledger.",
    )
    run_parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop every table's data and checkpoints, recompute from the landing files",
    )
    run_parser.add_argument(
        "--continuous",
        action="store_true",
        help="keep one warm engine and update whenever new landing files arrive (Ctrl-C stops "
        "after the current update)",
    )
    run_parser.add_argument(
        "--interval",
        type=positive_float,
        default=2.0,
        metavar="S",
        help="seconds between checks for new landing files in --continuous mode (default 2)",
    )
    run_parser.add_argument(
        "--set",
        dest="settings",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a pipeline setting (windmill.KEY), e.g. --set dedup_window_hours=12",
    )
    # `windmill up` starts the engine while the backfill runs; the first update waits for
    # the backfill's completion marker (not part of the documented interface).
    run_parser.add_argument("--start-after", type=Path, default=None, help=argparse.SUPPRESS)
    run_parser.set_defaults(func=run)
    parser.set_defaults(func=lambda args: (parser.print_help(), 1)[1])


def run(args: argparse.Namespace) -> int:
    from workloads.config import paths as home_paths
    from workloads.engine import runner

    paths = home_paths()
    overrides = dict(args.settings)
    if args.continuous:
        if args.full_refresh:
            log.info("the first update is a full refresh")
        updates = runner.run_continuous(
            paths,
            args.interval,
            overrides=overrides,
            full_refresh=args.full_refresh,
            start_after=args.start_after,
        )
        print(f"pipeline stopped after {updates} update(s)")
        return 0
    result = runner.run_once(paths, full_refresh=args.full_refresh, overrides=overrides)
    if not result.ok:
        print(f"windmill pipeline run: update {result.state}: {result.error}", file=sys.stderr)
        return 1
    tables = result.metrics.get("tables", {})
    summary = ", ".join(f"{name} +{t.get('rows_written', 0)}" for name, t in tables.items())
    print(f"update {result.update_id} COMPLETED in {result.duration_s:.1f} s")
    if summary:
        print(f"rows written: {summary}")
    log.debug("metrics: %s", json.dumps(result.metrics))
    return 0
