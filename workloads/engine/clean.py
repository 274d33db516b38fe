"""`windmill clean`: what the Databricks "Drop Tables" job does, on the local tables.

- The pipeline's own tables are reset as its full refresh would: tables, files,
  checkpoints and published versions (`runner.reset_tables`).
- The tables written outside the pipeline (`names.OUTSIDE_PIPELINE_TABLES`, e.g.
  `gold_dispatch_plan`) are dropped with their published versions.
- The landing folder is emptied only with `--landing`.

The run ledger stays; with the landing files kept, the next `windmill pipeline run`
rebuilds every pipeline table from them.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from workloads import names, spark_catalog, states, storage
from workloads.config import LOCAL_DATABASE, PIPELINE_DATABASE, Paths, paths
from workloads.errors import WindmillError
from workloads.ledger import Ledger

# Everything the pipeline and the steps after it write.
TABLES: tuple[str, ...] = (*names.PIPELINE_TABLES, *names.OUTSIDE_PIPELINE_TABLES)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "clean",
        help="reset the pipeline's tables and drop the others (keeps landing files and the ledger)",
        description=(
            "Reset every pipeline table (as a full refresh would: data, checkpoints, published "
            "versions) and drop the tables written outside the pipeline (the dispatch plan). "
            "Landing files are kept unless --landing is given; the run ledger is kept, so the "
            "next `windmill pipeline run` rebuilds everything."
        ),
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--landing", action="store_true", help="also delete every landing file (the raw data)"
    )
    parser.set_defaults(func=run)


def _confirm(home: Paths, landing: bool) -> bool:
    if not sys.stdin.isatty():
        raise WindmillError("refusing to drop tables without confirmation; pass --yes.")
    extra = " and every landing file" if landing else ""
    answer = input(f"Drop every pipeline table and checkpoint{extra} under {home.home}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def drop_tables(spark, home: Paths) -> list[str]:
    """Reset the pipeline's tables, drop the outside ones; returns the tables that existed."""
    from workloads.engine import runner

    existing = set()
    for database in (LOCAL_DATABASE, PIPELINE_DATABASE):
        if spark.catalog.databaseExists(database):
            existing |= {t.name for t in spark.catalog.listTables(database)}
    existing |= {t for t in TABLES if storage.current_version(home, t) is not None}
    runner.reset_tables(spark, home)
    for table in names.OUTSIDE_PIPELINE_TABLES:
        spark_catalog.drop_from_catalog(spark, table, LOCAL_DATABASE)
        storage.remove_versions(home, table)
        shutil.rmtree(home.table(table), ignore_errors=True)
    shutil.rmtree(home.pipeline_storage, ignore_errors=True)
    return [t for t in TABLES if t in existing]


def empty_landing(home: Paths) -> int:
    """Delete every file in the landing folder; returns how many."""
    removed = 0
    if home.landing.is_dir():
        for entry in home.landing.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
    return removed


def run(args: argparse.Namespace) -> int:
    from workloads.engine.attach import open_engine

    home = paths()
    ledger = Ledger(home.ledger)
    pipeline_id = ledger.ensure_pipeline(names.PIPELINE_NAME)
    [pipeline] = [p for p in ledger.list_pipelines() if p["pipeline_id"] == pipeline_id]
    if pipeline["state"] == states.RUNNING:
        raise WindmillError(
            "a pipeline update is running; stop it (or `windmill up`) before cleaning."
        )
    landing = getattr(args, "landing", False)
    if not args.yes and not _confirm(home, landing):
        print("Nothing dropped.")
        return 1
    job_id = ledger.ensure_job(names.DROP_TABLES_JOB)
    run_id = ledger.start_run(job_id)
    try:
        with open_engine(home, app_name="windmill-clean") as spark:
            dropped = drop_tables(spark, home)
        files = empty_landing(home) if landing else 0
    except BaseException as exc:
        ledger.finish_run(
            run_id, states.FAILED, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        )
        raise
    metrics = {"tables_dropped": len(dropped), "landing_files_removed": files}
    ledger.finish_run(run_id, states.SUCCESS, metrics=metrics)
    print(
        f"Dropped {len(dropped)} table(s) and the pipeline checkpoints: {', '.join(dropped) or 'none'}."
    )
    if landing:
        print(f"Removed {files} landing file(s).")
    return 0
