"""One batch of an export, mapped to the data contract's columns (Arrow compute, vectorised).

Out: `turbine_id`, `timestamp` (UTC), the mapped columns (numbers times their [scale]),
`latitude`/`longitude` from the registry when the export has none (`batch_id` and
`ingestion_timestamp` are the same for a whole chunk: `landing_metadata`). Sensors the mapping does not name are left out (the pipeline reads
them as null). Time stamps with an offset (`Z`, `+01:00`) keep it; those without are local
time in the mapping's `timezone` (an hour repeated when clocks go back is read as its first
occurrence, an hour skipped when they go forward as the instant after the gap).
A value that does not fit the mapping raises one sentence naming file, line and column.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workloads.contract import RAW_COLUMNS
from workloads.errors import WindmillError
from workloads.ingest.mapping import MAPPABLE, Mapping
from workloads.ingest.readers import where

_OFFSET = r"([Zz]|[+-]\d{2}(:?\d{2})?)$"
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


@dataclass(frozen=True)
class Chunk:
    """Where a batch comes from and what it is stamped with."""

    path: Path
    format: str
    first_row: int  # index of the batch's first row in the file
    batch_id: str
    ingested_at: datetime  # UTC


def numeric_source_columns(mapping: Mapping) -> set[str]:
    """Source columns read as numbers (those mapped to a double contract column)."""
    return {
        source
        for name, source in mapping.columns.items()
        if MAPPABLE[name] == "double" and source not in (mapping.turbine, mapping.timestamp)
    }


def _fail(chunk: Chunk, index: int, column: str, problem: str) -> WindmillError:
    return WindmillError(
        f"{where(chunk.path, chunk.format, chunk.first_row + index, column)}: {problem}."
    )


def _blank_to_null(text):
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _first_unparsed(source, parsed) -> int:
    """Index of the first value present in `source` but null once parsed."""
    import pyarrow.compute as pc

    lost = pc.and_(pc.is_valid(source), pc.is_null(parsed))
    return int(pc.index(lost, True).as_py())


def _local_to_utc(naive, timezone: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    local = pc.assume_timezone(naive, timezone, ambiguous="earliest", nonexistent="latest")
    return local.cast(pa.timestamp("ms", tz="UTC"))


def _iso_timestamps(text, timezone: str, chunk: Chunk, column: str):
    """ISO 8601 strings, each with or without its offset, as UTC instants."""
    import pyarrow as pa
    import pyarrow.compute as pc

    utc = pa.timestamp("ms", tz="UTC")
    has_offset = pc.fill_null(pc.match_substring_regex(text, _OFFSET), False)
    none = pa.scalar(None, pa.string())
    try:
        aware = pc.if_else(has_offset, text, none).cast(utc)
        naive = pc.if_else(has_offset, none, text).cast(pa.timestamp("ms"))
    except pa.ArrowInvalid:
        for index, value in enumerate(text.to_pylist()):
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
            except ValueError:
                raise _fail(
                    chunk,
                    index,
                    column,
                    f"{value!r} is not an ISO 8601 time (set timestamp_format)",
                ) from None
        raise _fail(chunk, 0, column, "a value is not an ISO 8601 time") from None
    return pc.if_else(has_offset, aware, _local_to_utc(naive, timezone))


def timestamps(values, mapping: Mapping, chunk: Chunk):
    """The reading-time column as UTC instants (ms), from text or a Parquet timestamp."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = mapping.timestamp
    utc = pa.timestamp("ms", tz="UTC")
    if pa.types.is_timestamp(values.type):
        if values.type.tz is None:
            return _local_to_utc(values.cast(pa.timestamp("ms")), mapping.timezone)
        return values.cast(utc)
    if pa.types.is_date(values.type):
        return _local_to_utc(values.cast(pa.timestamp("ms")), mapping.timezone)
    text = _blank_to_null(values.cast(pa.string()))
    if not mapping.timestamp_format:
        return _iso_timestamps(text, mapping.timezone, chunk, column)
    parsed = pc.strptime(text, format=mapping.timestamp_format, unit="ms", error_is_null=True)
    if parsed.null_count > text.null_count:
        index = _first_unparsed(text, parsed)
        raise _fail(
            chunk,
            index,
            column,
            f"{text[index].as_py()!r} does not match timestamp_format {mapping.timestamp_format!r}",
        )
    if parsed.type.tz is None:
        return _local_to_utc(parsed, mapping.timezone)
    return parsed.cast(utc)


def numbers(values, chunk: Chunk, column: str, factor: float | None):
    """A numeric column as float64 (times `factor`); non-finite values become null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_floating(values.type) or pa.types.is_integer(values.type)):
        if pa.types.is_decimal(values.type) or pa.types.is_boolean(values.type):
            values = values.cast(pa.float64())
        else:
            text = _blank_to_null(values.cast(pa.string()))
            try:
                values = text.cast(pa.float64())
            except pa.ArrowInvalid:
                for index, value in enumerate(text.to_pylist()):
                    try:
                        float(value) if value is not None else None
                    except ValueError:
                        raise _fail(chunk, index, column, f"{value!r} is not a number") from None
                raise
    values = values.cast(pa.float64())
    if factor is not None and factor != 1.0:
        values = pc.multiply(values, factor)
    finite = pc.fill_null(pc.is_finite(values), False)
    return pc.if_else(finite, values, pa.scalar(None, pa.float64()))


def booleans(values, chunk: Chunk, column: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_boolean(values.type):
        return values
    text = pc.utf8_lower(_blank_to_null(values.cast(pa.string())))
    known = pa.array(list(_BOOLEANS))
    index = pc.index_in(text, value_set=known)
    if pc.sum(pc.and_(pc.is_valid(text), pc.is_null(index))).as_py():
        bad = _first_unparsed(text, index)
        raise _fail(chunk, bad, column, f"{text[bad].as_py()!r} is not true/false")
    return pc.take(pa.array(list(_BOOLEANS.values())), index)


def _lookup(turbines, table: MappingType[str, float]):
    """Per row, the registry's value of its turbine (null when the turbine is not there)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = pa.array(list(table), pa.string())
    values = pa.array(list(table.values()), pa.float64())
    return pc.take(values, pc.index_in(turbines, value_set=keys))


def to_contract(
    batch, mapping: Mapping, chunk: Chunk, positions: MappingType[str, tuple[float, float]]
):
    """The batch as a table of contract columns, in the contract's order."""
    import pyarrow as pa

    def source(name: str):
        return batch.column(batch.schema.get_field_index(name))

    turbines = _blank_to_null(source(mapping.turbine).cast(pa.string()))
    out = {
        "turbine_id": turbines,
        "timestamp": timestamps(source(mapping.timestamp), mapping, chunk),
    }
    for name, column in mapping.columns.items():
        kind = MAPPABLE[name]
        values = source(column)
        if kind == "double":
            out[name] = numbers(values, chunk, column, mapping.scale.get(name))
        elif kind == "boolean":
            out[name] = booleans(values, chunk, column)
        else:
            out[name] = _blank_to_null(values.cast(pa.string()))
    if positions:
        for index, name in enumerate(("latitude", "longitude")):
            if name not in out:
                out[name] = _lookup(turbines, {k: v[index] for k, v in positions.items()})
    ordered = [name for name, _ in RAW_COLUMNS if name in out]
    return pa.table({name: out[name] for name in ordered})


def landing_metadata(chunk: Chunk) -> dict[str, str]:
    """`batch_id` and `ingestion_timestamp`, the same on every row of a chunk (the contract's
    last two columns, appended to each line by `jsonl.encode`)."""
    stamp = chunk.ingested_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"batch_id": chunk.batch_id, "ingestion_timestamp": stamp}
