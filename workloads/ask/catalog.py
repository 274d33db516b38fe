"""The tables `windmill ask` may read, and their columns with Spark SQL types.

Every name comes from the pipeline's declared schemas (workloads.pipeline.gold,
the data contract) and the dispatcher's plan schema, never a hand-written copy.
"""

from __future__ import annotations

from collections.abc import Mapping

from workloads import names
from workloads.contract import RAW_COLUMNS
from workloads.dispatch.builder import PLAN_SCHEMA
from workloads.pipeline import gold


def _plan_columns() -> tuple[tuple[str, str], ...]:
    return tuple(tuple(part.split()[:2]) for part in PLAN_SCHEMA.split(","))  # type: ignore[misc]


# (table -> ((column, Spark SQL type), ...)). Silver carries the whole reading and its
# partition column; the gold tables their declared schemas; the plan the dispatcher's.
TABLES: Mapping[str, tuple[tuple[str, str], ...]] = {
    names.SILVER: (*RAW_COLUMNS, ("reading_date", "date")),
    names.GOLD_STATUS: gold.STATUS_SCHEMA,
    names.GOLD_ALERTS: gold.ALERT_SCHEMA,
    names.GOLD_HOURLY: gold.HOURLY_SCHEMA,
    names.GOLD_FAULTS: gold.FAULT_SUMMARY_SCHEMA,
    names.GOLD_DISPATCH: _plan_columns(),
}
COLUMNS: Mapping[str, frozenset[str]] = {
    table: frozenset(name for name, _ in schema) for table, schema in TABLES.items()
}
# Hive-style partition columns (folders `reading_date=YYYY-MM-DD`), not stored in the files.
PARTITION_COLUMNS: Mapping[str, tuple[str, ...]] = {names.SILVER: ("reading_date",)}
