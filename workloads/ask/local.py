"""Run a validated Spark SQL statement locally: transpiled to DuckDB over the tables'
committed files.

The files come only from `workloads.storage` (the streaming tables' commit logs and the
published versions of every other table), so a question asked while the pipeline runs
reads a consistent snapshot. No JVM starts: DuckDB reads the Parquet files in-process.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlglot

from workloads import storage
from workloads.ask.catalog import PARTITION_COLUMNS, TABLES
from workloads.ask.guard import DIALECT, validate
from workloads.config import Paths
from workloads.errors import WindmillError

DUCK_TYPES = {
    "string": "VARCHAR",
    "double": "DOUBLE",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(paths: Paths):
    """An in-memory DuckDB with one view per known table over its committed files (an
    empty typed view for a table that does not exist yet); UTC session time zone."""
    import duckdb

    db = duckdb.connect(":memory:")
    db.execute("SET TimeZone = 'UTC'")
    for table, schema in TABLES.items():
        db.execute(f"CREATE VIEW {_quote(table)} AS {_view_sql(paths, table, schema)}")
    return db


def _view_sql(paths: Paths, table: str, schema) -> str:
    found = storage.table_files(paths, table)
    files = found[1] if found is not None else []
    if not files:
        typed = ", ".join(
            f"CAST(NULL AS {DUCK_TYPES[kind]}) AS {_quote(name)}" for name, kind in schema
        )
        return f"SELECT {typed} WHERE false"
    listing = "[" + ", ".join(_literal(str(f)) for f in files) + "]"
    base = found[0] if found is not None else None
    # Partition columns come from `column=value` folders when the files are laid out so
    # (the pipeline's silver); a file that stores the column itself is read as it is.
    partitions = tuple(
        column
        for column in PARTITION_COLUMNS.get(table, ())
        if base is not None
        and all(f.relative_to(base).parts[0].startswith(f"{column}=") for f in files)
    )
    options = ", union_by_name = true"
    if partitions:
        hive = ", ".join(
            f"{_literal(c)}: {_literal(DUCK_TYPES[dict(schema)[c]])}" for c in partitions
        )
        options += f", hive_partitioning = true, hive_types = {{{hive}}}"
    present = _file_columns(files) | set(partitions)
    columns = ", ".join(
        f"CAST({_quote(name) if name in present else 'NULL'} AS {DUCK_TYPES[kind]}) AS {_quote(name)}"
        for name, kind in schema
    )
    return f"SELECT {columns} FROM read_parquet({listing}{options})"


def _file_columns(files) -> set[str]:
    """Columns stored in the table's files (a column no file has reads as NULL)."""
    import pyarrow.parquet as pq

    names: set[str] = set()
    for file in files:
        try:
            names.update(pq.read_schema(file).names)
        except (OSError, ValueError):
            continue
    return names


def to_duckdb(sql: str) -> str:
    """The validated Spark SQL statement in DuckDB's dialect."""
    tree = validate(sql)
    return tree.sql(dialect="duckdb")


def jsonable(value: Any) -> Any:
    """A result value as JSON: timestamps ISO 8601 in UTC, dates ISO, decimals as floats."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def run_sql(db, sql: str) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of a Spark SQL statement after it passed `guard.validate`."""
    import duckdb

    statement = to_duckdb(sql)
    try:
        cursor = db.execute(statement)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WindmillError(f"The query failed locally ({first}).") from None
    columns = [d[0] for d in cursor.description]
    rows = [[jsonable(v) for v in row] for row in cursor.fetchall()]
    return columns, rows


def transpile(sql: str) -> str:
    """Spark SQL -> DuckDB without validation (for display and tests)."""
    return sqlglot.transpile(sql, read=DIALECT, write="duckdb")[0]
