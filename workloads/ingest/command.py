"""`windmill ingest FILE... --mapping MAPPING.toml [--landing PATH]`: an operator's SCADA
exports into the landing folder, mapped to the data contract, and its turbines into the
registry. Then `windmill pipeline run` takes them like generated readings.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from workloads import cli_args

DESCRIPTION = """\
Read SCADA exports (CSV with any delimiter, or Parquet; streamed, never loaded whole), map
them to the data contract with MAPPING.toml (see the README, "windmill ingest") and write
JSON-lines landing files as the generator does: atomically, one per chunk of rows, named
after the export and the chunk, so a rerun adds nothing twice. The [assets] file's
turbines go into the turbine registry (`turbines`). Prints the command that refreshes gold
as of the data's own end."""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "ingest",
        help="map SCADA exports (CSV/Parquet) to landing files and their turbines to the registry",
        description=DESCRIPTION,
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="export files")
    parser.add_argument(
        "--mapping", type=Path, required=True, metavar="MAPPING.toml", help="the mapping file"
    )
    parser.add_argument(
        "--landing",
        type=Path,
        default=None,
        help="landing folder (default: $WINDMILL_HOME/landing/raw_sensor_data; "
        "on Databricks a /Volumes/... path)",
    )
    parser.add_argument(
        "--chunk-rows",
        type=cli_args.positive_int,
        default=None,
        help="source rows per landing file (default 100000)",
    )
    parser.add_argument(
        "--registry-table",
        default=None,
        metavar="CATALOG.SCHEMA.turbines",
        help="on Databricks: the Unity Catalog registry table (default: the local registry)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)
    return parser


def next_step(summary, landing: Path, default_landing: Path) -> str:
    """The command that runs the pipeline over what was ingested, gold as of the data's end."""
    command = "windmill pipeline run --set as_of=latest"
    if landing.resolve() != default_landing.resolve():
        command += f" --set landing_path={landing}"
    return command


def run(args: argparse.Namespace) -> int:
    from workloads.config import paths as home_paths
    from workloads.ingest import mapping
    from workloads.ingest import run as ingest_run

    paths = home_paths()
    rules = mapping.load(args.mapping)
    target = args.landing or paths.landing
    spark = None
    if args.registry_table:
        from workloads.generator.generate import spark_session

        spark, _owned = spark_session()
    summary = ingest_run.ingest(
        list(args.files),
        rules,
        target,
        paths,
        chunk_rows=args.chunk_rows or ingest_run.CHUNK_ROWS,
        show_progress=not args.no_progress,
        registry_table=args.registry_table,
        spark=spark,
    )
    span = (
        f"from {summary.first_reading:%Y-%m-%d %H:%M} to {summary.last_reading:%Y-%m-%d %H:%M} UTC"
        if summary.first_reading
        else "with no reading time"
    )
    print(
        f"Ingested {summary.rows:,} rows of {summary.files} file(s) {span}: "
        f"{summary.chunks_written} landing file(s) written, {summary.chunks_skipped} already "
        f"there, into {target}; {summary.registered} turbine(s) registered."
    )
    if summary.unregistered_rows:
        print(
            f"{summary.unregistered_rows:,} rows name a turbine that is not in the registry: "
            "the pipeline quarantines them as invalid_turbine_id (add them to [assets])."
        )
    print(f"Next: {next_step(summary, target, paths.landing)}")
    return 0
