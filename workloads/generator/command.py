"""`windmill generate`: write turbine sensor readings to the landing folder.

On Databricks the generator job runs the wheel's `windmill generate --landing
/Volumes/...` and uses the cluster's active Spark session. Every flag's default is a
`GeneratorConfig` field default (workloads/generator/config.py), declared once.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from workloads import cli_args
from workloads.generator.config import GeneratorConfig, default

DESCRIPTION = """\
Write realistic wind-turbine sensor readings as JSON-lines files, one per batch,
atomically, into $WINDMILL_HOME/landing/raw_sensor_data (or --landing). Without
--backfill-hours it streams (no Spark): every --batch-interval seconds it writes
--records-per-batch readings, rotating through the fleet, stamped start + k x interval,
until --max-iterations or Ctrl-C (which stops after the current batch); a batch written
after the next tick is logged as behind schedule. With --backfill-hours H (dbldatagen on
classic local Spark) it writes H hours of
history, a reading every --reading-interval seconds per turbine, as fast as it can, then stops.
The same --seed and flags (with --start) give the same readings."""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "generate",
        help="write turbine sensor readings to the landing folder (stream or backfill)",
        description=DESCRIPTION,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The generator's flags (numpy and Spark are imported only when it runs)."""
    parser.add_argument(
        "--records-per-batch",
        type=cli_args.positive_int,
        default=default("records_per_batch"),
        help="readings per batch file when streaming",
    )
    parser.add_argument(
        "--batch-interval",
        type=cli_args.non_negative_float,
        default=default("batch_interval"),
        help="seconds between streaming batches",
    )
    parser.add_argument(
        "--max-iterations",
        type=cli_args.positive_int,
        default=default("max_iterations"),
        help="streaming batches to write before stopping",
    )
    parser.add_argument(
        "--turbines",
        type=cli_args.positive_int,
        default=default("turbines"),
        help="fleet size (1-99999)",
    )
    parser.add_argument(
        "--seed",
        type=cli_args.non_negative_int,
        default=default("seed"),
        help="same seed and flags give the same readings",
    )
    parser.add_argument(
        "--start",
        type=cli_args.utc_timestamp,
        default=default("start"),
        help="first reading time, ISO 8601 (default: now when streaming; "
        "now minus --backfill-hours in backfill)",
    )
    parser.add_argument(
        "--backfill-hours",
        type=cli_args.positive_float,
        default=default("backfill_hours"),
        help="write this many hours of history as fast as possible, then stop",
    )
    parser.add_argument(
        "--reading-interval",
        type=cli_args.positive_float,
        default=default("reading_interval"),
        help="seconds between two readings of one turbine in backfill",
    )
    parser.add_argument(
        "--backfill-batch-size",
        type=cli_args.positive_int,
        default=default("backfill_batch_size"),
        help="readings per file in backfill (rounded down to whole fleet readings)",
    )
    parser.add_argument(
        "--bad-record-rate",
        type=cli_args.fraction,
        default=default("bad_record_rate"),
        help="fraction of malformed lines (truncated JSON, wrong types, null keys, "
        "out-of-range values, duplicates) for testing the pipeline",
    )
    parser.add_argument(
        "--landing",
        type=Path,
        default=default("landing"),
        help="landing folder (default: $WINDMILL_HOME/landing/raw_sensor_data; "
        "on Databricks a /Volumes/... path)",
    )
    parser.add_argument(
        "--backfill-engine",
        choices=("auto", "spark", "python"),
        default=default("backfill_engine"),
        help=argparse.SUPPRESS,  # tests compare the two; users keep "auto"
    )
    parser.add_argument(
        "--registry-table",
        default=None,
        metavar="CATALOG.SCHEMA.turbines",
        help="on Databricks: the Unity Catalog turbine registry the fleet is written to "
        "(default: the local registry under $WINDMILL_HOME)",
    )


def config_from_args(args: argparse.Namespace) -> GeneratorConfig:
    return GeneratorConfig(
        records_per_batch=args.records_per_batch,
        batch_interval=args.batch_interval,
        max_iterations=args.max_iterations,
        turbines=args.turbines,
        seed=args.seed,
        start=args.start,
        backfill_hours=args.backfill_hours,
        reading_interval=args.reading_interval,
        backfill_batch_size=args.backfill_batch_size,
        bad_record_rate=args.bad_record_rate,
        landing=args.landing,
        backfill_engine=args.backfill_engine,
    )


def register_fleet(turbines: int, registry_table: str | None) -> None:
    """Write the generated fleet (ids, sites, positions, rated power) into the registry.

    Locally the registry under $WINDMILL_HOME (pyarrow, no engine needed); with
    `registry_table` (Databricks) that Unity Catalog table, through the job's session.
    """
    from workloads import registry
    from workloads.config import ensure_writable, paths

    fleet = registry.generated_fleet(turbines)
    if registry_table:
        from workloads.generator.generate import spark_session

        registry.write_table(spark_session()[0], fleet, registry_table)
    elif not os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        home = paths()
        ensure_writable(home.home)  # an unwritable home is one sentence, as for the generator
        registry.write_local(home, fleet)


def run(args: argparse.Namespace) -> int:
    """Run the generator; 0 when it finished or was stopped cleanly."""
    import logging

    from workloads.config import paths
    from workloads.generator.generate import generate

    register_fleet(args.turbines, getattr(args, "registry_table", None))
    summary = generate(config_from_args(args), paths())
    verb = "stopped after" if summary.stopped else "wrote"
    logging.getLogger("windmill.generator").info(
        "%s %d batch file(s), %d readings", verb, summary.batches, summary.readings
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m workloads.generator.command [FLAGS]`: the same as `windmill generate [FLAGS]`."""
    from workloads import cli

    return cli.main(["generate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
