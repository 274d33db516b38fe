"""Run one parameterized statement, for the Delta alert store (delta.py).

`warehouse_runner`: a SQL warehouse through the SDK's statement execution (the App,
and the notifier job when given `--warehouse-id`). `spark_runner`: the job's Spark
session (`spark.sql` with named parameters). Both take the same SQL text and the same
named parameters and return rows as dicts; the warehouse's values are text (its
JSON_ARRAY format), which the store converts where it needs numbers.
"""

from __future__ import annotations

import time
from typing import Any

from workloads.errors import WindmillError

WAITING = ("PENDING", "RUNNING")


def _parameter(name: str, value: Any):
    """str → STRING, int → INT (LIMIT takes no STRING), None → NULL (no value)."""
    from databricks.sdk.service.sql import StatementParameterListItem

    if value is None:
        return StatementParameterListItem(name=name, type="STRING")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"parameter {name}: a str, an int or None, not {type(value).__name__}")
    if isinstance(value, int):
        return StatementParameterListItem(name=name, value=str(value), type="INT")
    return StatementParameterListItem(name=name, value=value, type="STRING")


def warehouse_runner(client, warehouse_id: str, deadline_s: float = 120.0, poll_s: float = 1.0):
    """A `run(sql, params)` on the SQL warehouse `warehouse_id`.

    A statement still running after the call's 30 s wait is polled; one not done after
    `deadline_s` is cancelled. A failed statement raises a WindmillError with the
    warehouse's message (never the parameters' values).
    """
    from databricks.sdk.service.sql import Disposition, Format

    api = client.statement_execution

    def run(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        started = time.monotonic()
        response = api.execute_statement(
            statement=sql,
            warehouse_id=warehouse_id,
            wait_timeout="30s",
            disposition=Disposition.INLINE,
            format=Format.JSON_ARRAY,
            parameters=[_parameter(k, v) for k, v in params.items()] or None,
        )
        while _state(response) in WAITING:
            if time.monotonic() - started > deadline_s:
                api.cancel_execution(response.statement_id)
                raise WindmillError(f"a statement ran over {deadline_s:g} s and was cancelled.")
            time.sleep(poll_s)
            response = api.get_statement(response.statement_id)
        if _state(response) != "SUCCEEDED":
            error = response.status.error if response.status else None
            message = error.message if error and error.message else _state(response)
            raise WindmillError(f"the alert tables: {message}")
        if response.manifest is None or response.manifest.schema is None:
            return []
        columns = [c.name for c in response.manifest.schema.columns or []]
        rows = list(response.result.data_array or []) if response.result else []
        chunk = response.result
        while chunk is not None and chunk.next_chunk_index is not None:
            chunk = api.get_statement_result_chunk_n(response.statement_id, chunk.next_chunk_index)
            rows.extend(chunk.data_array or [])
        return [dict(zip(columns, row, strict=True)) for row in rows]

    return run


def _state(response) -> str | None:
    state = response.status.state if response.status else None
    return None if state is None else state.value


def spark_runner(spark):
    """A `run(sql, params)` on a Spark session (the notifier job's)."""

    def run(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        frame = spark.sql(sql, args=params or None)
        return [row.asDict() for row in frame.collect()]

    return run
