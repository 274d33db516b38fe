"""`windmill clean`: drop every pipeline table and checkpoint (the original "Drop Tables" job).

Landing files and the run ledger stay: the next `windmill pipeline run` rebuilds
every table from landing.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from workloads import names
from workloads.config import LOCAL_DATABASE, Paths, paths
from workloads.errors import WindmillError
from workloads.ledger import Ledger

# Everything the pipeline and the steps after it write.
TABLES: tuple[str, ...] = (*names.PIPELINE_TABLES, names.GOLD_RISK, names.GOLD_DISPATCH)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "clean",
        help="drop every pipeline table and checkpoint (keeps landing files and the ledger)",
        description=(
            "Drop every pipeline table and streaming checkpoint. Landing files and the run "
            "ledger are kept, so the next `windmill pipeline run` rebuilds everything."
        ),
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(func=run)


def _confirm(home: Paths) -> bool:
    if not sys.stdin.isatty():
        raise WindmillError("refusing to drop tables without confirmation; pass --yes.")
    answer = input(f"Drop every pipeline table and checkpoint under {home.home}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def drop_tables(spark, home: Paths) -> list[str]:
    """Drop the tables from the metastore and remove their folders and checkpoints."""
    dropped = []
    existing = {t.name for t in spark.catalog.listTables(LOCAL_DATABASE)}
    for table in TABLES:
        if table in existing:
            spark.sql(f"DROP TABLE IF EXISTS {LOCAL_DATABASE}.{table}")
            dropped.append(table)
        shutil.rmtree(home.table(table), ignore_errors=True)
    shutil.rmtree(home.pipeline_storage, ignore_errors=True)
    return dropped


def run(args: argparse.Namespace) -> int:
    from workloads.engine.attach import open_engine

    home = paths()
    ledger = Ledger(home.ledger)
    pipeline_id = ledger.ensure_pipeline(names.PIPELINE_NAME)
    [pipeline] = [p for p in ledger.list_pipelines() if p["pipeline_id"] == pipeline_id]
    if pipeline["state"] == "RUNNING":
        raise WindmillError(
            "a pipeline update is running; stop it (or `windmill up`) before cleaning."
        )
    if not args.yes and not _confirm(home):
        print("Nothing dropped.")
        return 1
    job_id = ledger.ensure_job(names.DROP_TABLES_JOB)
    run_id = ledger.start_run(job_id)
    try:
        with open_engine(home, app_name="windmill-clean") as spark:
            dropped = drop_tables(spark, home)
    except BaseException as exc:
        ledger.finish_run(
            run_id, "FAILED", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        )
        raise
    ledger.finish_run(run_id, "SUCCESS", metrics={"tables_dropped": len(dropped)})
    print(
        f"Dropped {len(dropped)} table(s) and the pipeline checkpoints: {', '.join(dropped) or 'none'}."
    )
    return 0
