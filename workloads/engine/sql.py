"""`windmill sql "QUERY"`: Spark SQL over the local tables.

Queries go through the local engine: the running one if a pipeline update (or any
other command) owns the metastore, else a new one for this command. So a query
never waits for an update and never fights it for the metastore lock.

`raw_sensor_data` is a view over the landing files with the contract schema, so
the original system's SQL examples run unchanged (without the catalog prefix).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from workloads import contract, names
from workloads.cli_args import non_negative_int
from workloads.config import LOCAL_DATABASE, Paths, paths
from workloads.errors import WindmillError

FORMATS = ("table", "json", "csv")
DEFAULT_LIMIT = 1000  # rows printed unless --limit says otherwise
# Tables resolve to published, immutable versions (workloads.storage), so a query never
# meets a half-written table; a long-lived session whose cached file listing names a
# version pruned since then refreshes its tables and retries.
RETRIES = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="run Spark SQL against the local tables and print the result",
        description=(
            "Run one Spark SQL statement against the local tables (raw_sensor_data, bronze, silver, "
            "quarantine, gold) and print the result. Works while a pipeline update runs."
        ),
    )
    parser.add_argument("query", help='the statement, e.g. "SELECT * FROM gold_turbine_status"')
    parser.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--limit",
        type=non_negative_int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"print at most N rows (default {DEFAULT_LIMIT}; 0: all). When more rows match, "
        "the output is cut and a note goes to stderr, so JSON and CSV output stay parseable",
    )
    parser.set_defaults(func=run)


def register_raw_view(spark, home: Paths) -> None:
    """`raw_sensor_data`: a view over the landing files (empty if there are none yet)."""
    landing = home.landing
    has_files = landing.is_dir() and any(p.suffix == ".jsonl" for p in landing.iterdir())
    if has_files:
        frame = (
            spark.read.schema(contract.raw_schema())
            .option("mode", "PERMISSIVE")
            .option("pathGlobFilter", "*.jsonl")
            .json(str(landing))
        )
    else:
        frame = spark.createDataFrame([], contract.raw_schema())
    frame.createOrReplaceTempView(names.RAW_TABLE)


def _is_retryable(exc: Exception) -> bool:
    text = str(exc)
    return "FILE_NOT_EXIST" in text or "FileNotFoundException" in text


def _user_error(exc: Exception) -> WindmillError:
    """One clear sentence out of a Spark analysis or parse error."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "TABLE_OR_VIEW_NOT_FOUND" in text:
        first += " (pipeline tables appear after `windmill pipeline run`)"
    return WindmillError(f"query failed: {first}")


def run_query(
    spark, home: Paths, query: str, limit: int | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows (as dicts) of `query`, on the engine session `spark`.

    With `limit`, at most `limit + 1` rows are collected: one more than asked for, so
    the caller can tell that the result was cut.
    """
    from pyspark.errors import PySparkException

    spark.sql(f"USE {LOCAL_DATABASE}")
    register_raw_view(spark, home)
    for attempt in range(RETRIES):
        try:
            frame = spark.sql(query)
            rows = (frame if limit is None else frame.limit(limit + 1)).collect()
            return list(frame.columns), [row.asDict(recursive=True) for row in rows]
        except PySparkException as exc:
            if attempt + 1 < RETRIES and _is_retryable(exc):
                time.sleep(0.5 * (attempt + 1))
                for table in spark.catalog.listTables(LOCAL_DATABASE):
                    if not table.isTemporary:
                        spark.sql(f"REFRESH TABLE {LOCAL_DATABASE}.{table.name}")
                continue
            raise _user_error(exc) from None
    raise AssertionError("unreachable")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    value = _jsonable(value)
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def render(columns: list[str], rows: list[dict[str, Any]], fmt: str, *, cut: bool = False) -> str:
    """The result as an aligned table, a JSON array of row objects, or CSV.

    `cut` (the rows are the first of more) shows only in the table's row count line.
    """
    if fmt == "json":
        return json.dumps([{c: _jsonable(row.get(c)) for c in columns} for row in rows], indent=1)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
        return out.getvalue().rstrip("\n")
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [
        line,
        "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |",
        line,
    ]
    out += [
        "| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    count = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    out += [line, f"(first {count}; more rows match)" if cut else f"({count})"]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from workloads.engine.attach import open_engine

    home = paths()
    query = args.query.strip().rstrip(";").strip()
    if not query:
        raise WindmillError("the query is empty; pass a SQL statement in quotes.")
    limit = args.limit or None
    with open_engine(home, app_name="windmill-sql") as spark:
        columns, rows = run_query(spark, home, query, limit=limit)
    cut = limit is not None and len(rows) > limit
    if cut:
        rows = rows[:limit]
    print(render(columns, rows, args.format, cut=cut))
    if cut:
        print(
            f"windmill sql: output cut at {limit} rows (--limit); more rows match. "
            "Pass --limit N (0: all) or narrow the query.",
            file=sys.stderr,
        )
    return 0
