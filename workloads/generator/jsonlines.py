"""The JSON lines of a batch, formatted a whole column at a time with Arrow compute.

Why not Spark's `to_json`: profiling the backfill showed the generator spending most
of its time serialising (Arrow to the JVM, then Jackson row by row) on top of the
physics, so it reached a third of the rate at which Spark alone writes JSON. Here the
Python worker that computed the readings also writes their text: Arrow formats each
number column in C++ (shortest round-trip digits), one element-wise join builds the
lines, and the JVM receives one string per chunk of lines to write as it is.

The text is what Spark's JSON writer wrote before (`ignoreNullFields=false`, ISO
timestamps in UTC with milliseconds and "Z"): every contract column on every line, in
contract order, doubles as Java prints them (a whole number keeps its ".0"), booleans
as true/false, null as null.

Malformed lines (`--bad-record-rate`): a deterministic fraction of readings, picked
by a hash of (seed, turbine, time), is written wrongly in one of BAD_RECORD_KINDS
ways, for testing the pipeline's quarantine.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workloads import contract
from workloads.generator import hashing

# How a malformed line is broken (the value of `bad_kind` is 1 + its index here).
BAD_RECORD_KINDS: tuple[str, ...] = (
    "truncated_json",  # the line is cut in half: not valid JSON
    "wrong_type",  # a numeric field holds a string, e.g. "power_output":"1234.5 units"
    "null_key",  # turbine_id or timestamp is null
    "out_of_range",  # one sensor value outside contract.PHYSICAL_RANGES
    "duplicate",  # the line is written twice (the second copy is the malformed one)
)
# Fields that a wrong_type line turns into strings.
WRONG_TYPE_COLUMNS: tuple[str, ...] = ("power_output", "wind_speed", "gearbox_temperature")
# Sensors an out_of_range line pushes outside their physical range.
OUT_OF_RANGE_COLUMNS: tuple[str, ...] = tuple(
    name for name in contract.SENSOR_COLUMNS if name in contract.PHYSICAL_RANGES
)
_CH_BAD = 9001
_CH_BAD_DETAIL = 9002

DOUBLE_COLUMNS: tuple[str, ...] = tuple(
    name for name, kind in contract.RAW_COLUMNS if kind == "double"
)  # sensors, latitude, longitude
# Whole numbers below this print as digits (Arrow) and get Java's ".0"; no reading comes close.
_PLAIN_DIGITS_LIMIT = 1e15


def bad_record_choice(
    seed: int, turbine_number: np.ndarray, timestamp_ms: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """(kind, detail) per reading: kind 0 = well formed, else 1 + index in BAD_RECORD_KINDS;
    detail picks which field is broken (deterministic for a seed)."""
    base = hashing.reading_hash(seed, turbine_number, timestamp_ms)
    pick = hashing.to_uniform(hashing.derive(base, _CH_BAD))
    detail_hash = hashing.derive(base, _CH_BAD_DETAIL)
    # Each kind takes an equal slice of [0, rate): the pick decides whether and which.
    scaled = np.floor(pick / max(rate, 1e-12) * len(BAD_RECORD_KINDS))
    kind = np.where(pick < rate, 1 + scaled, 0)
    detail = (detail_hash >> np.uint64(32)).astype(np.int64) % 1009
    return np.minimum(kind, len(BAD_RECORD_KINDS)).astype(np.int32), detail.astype(np.int32)


def number_text(values: np.ndarray) -> pa.Array:
    """Doubles as JSON numbers the way Java prints them: shortest digits, "12.0" not "12"."""
    values = np.asarray(values, dtype=np.float64)
    text = pc.cast(pa.array(values), pa.string())
    whole = (np.floor(values) == values) & (np.abs(values) < _PLAIN_DIGITS_LIMIT)
    if whole.any():
        text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
    return text


def timestamp_text(timestamp_ms: np.ndarray) -> pa.Array:
    """Epoch milliseconds as quoted ISO 8601 UTC strings ("2026-01-05T00:00:00.000Z").

    A batch repeats each time once per turbine, so only the distinct times are formatted.
    """
    encoded = pc.dictionary_encode(pa.array(np.asarray(timestamp_ms, dtype=np.int64)))
    distinct = encoded.dictionary.to_numpy().astype("datetime64[ms]")
    iso = np.char.add(np.char.add('"', np.datetime_as_string(distinct, unit="ms")), 'Z"')
    return pa.array(iso, pa.string()).take(encoded.indices)


def _choice_text(values: tuple[str, ...], index: np.ndarray) -> pa.Array:
    """`index` into `values` as quoted JSON strings; an index of -1 is null."""
    table = pa.array([f'"{value}"' for value in values] + ["null"])
    index = np.asarray(index, dtype=np.int64)
    return table.take(pa.array(np.where(index < 0, len(values), index)))


def _turbine_text(turbine_number: np.ndarray) -> pa.Array:
    number = np.asarray(turbine_number, dtype=np.int64)
    table = pa.array(
        [f'"{contract.turbine_id(n)}"' for n in range(1, int(number.max(initial=0)) + 1)]
    )
    return table.take(pa.array(number - 1))


def render(
    readings: Mapping[str, np.ndarray],
    turbine_number: np.ndarray,
    timestamp_ms: np.ndarray,
    *,
    batch_id: str,
    ingestion_ms: int,
    bad_kind: np.ndarray | None = None,
    bad_detail: np.ndarray | None = None,
) -> pa.Array:
    """The JSON line of each reading (a string array, each line ending in a newline).

    `readings` is `physics.simulate`'s output for (turbine_number, timestamp_ms); where
    `bad_kind` (from `bad_record_choice`) is not 0 the line is broken in that way.
    """
    size = len(turbine_number)
    kind = np.zeros(size, np.int32) if bad_kind is None else np.asarray(bad_kind)
    detail = np.zeros(size, np.int32) if bad_detail is None else np.asarray(bad_detail)
    null_key = kind == 1 + BAD_RECORD_KINDS.index("null_key")
    out_of_range = kind == 1 + BAD_RECORD_KINDS.index("out_of_range")
    wrong_type = kind == 1 + BAD_RECORD_KINDS.index("wrong_type")
    null_text = pa.scalar("null")

    def value_text(name: str) -> pa.Array | pa.Scalar:
        if name == "turbine_id":
            text = _turbine_text(turbine_number)
            return _where(null_key & (detail % 2 == 0), null_text, text)
        if name == "timestamp":
            text = timestamp_text(timestamp_ms)
            return _where(null_key & (detail % 2 == 1), null_text, text)
        if name == "fault_code":
            return _choice_text(contract.FAULT_CODES, readings["fault_index"])
        if name == "alert_level":
            return _choice_text(contract.ALERT_LEVELS, readings["alert_index"])
        if name == "maintenance_needed":
            flags = np.asarray(readings["maintenance_needed"], dtype=bool).astype(np.int8)
            return pa.array(["false", "true"]).take(pa.array(flags))
        if name == "batch_id":
            return pa.scalar(f'"{batch_id}"')
        if name == "ingestion_timestamp":
            return pa.scalar(timestamp_text(np.array([ingestion_ms])).to_pylist()[0])
        values = readings[name]
        if name in OUT_OF_RANGE_COLUMNS and out_of_range.any():
            low, high = contract.PHYSICAL_RANGES[name]
            index = OUT_OF_RANGE_COLUMNS.index(name)
            chosen = out_of_range & (detail % len(OUT_OF_RANGE_COLUMNS) == index)
            wild = np.where(detail % 2 == 0, high + (high - low), low - (high - low))
            values = np.where(chosen, wild, values)
        text = number_text(values)
        if name in WRONG_TYPE_COLUMNS:
            index = WRONG_TYPE_COLUMNS.index(name)
            chosen = wrong_type & (detail % len(WRONG_TYPE_COLUMNS) == index)
            text = _where(chosen, pc.binary_join_element_wise('"', text, ' units"', ""), text)
        return text

    pieces: list[pa.Array | pa.Scalar] = []
    for position, name in enumerate(contract.COLUMN_NAMES):
        pieces.append(pa.scalar(("{" if position == 0 else ",") + f'"{name}":'))
        pieces.append(value_text(name))
    pieces.append(pa.scalar("}\n"))
    lines = pc.binary_join_element_wise(*pieces, "")
    if kind.any():
        lines = _break_lines(lines, kind)
    return lines


def _where(mask: np.ndarray, broken, text: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), broken, text) if mask.any() else text


def _break_lines(lines: pa.Array, kind: np.ndarray) -> pa.Array:
    """Cut the truncated_json lines in half and write the duplicate ones twice (few lines)."""
    truncated = np.flatnonzero(kind == 1 + BAD_RECORD_KINDS.index("truncated_json"))
    if truncated.size:
        cut = [line[: (len(line) - 1) // 2] + "\n" for line in lines.take(truncated).to_pylist()]
        mask = np.zeros(len(lines), dtype=bool)
        mask[truncated] = True
        lines = pc.replace_with_mask(lines, pa.array(mask), pa.array(cut, pa.string()))
    copies = np.where(kind == 1 + BAD_RECORD_KINDS.index("duplicate"), 2, 1)
    if (copies > 1).any():
        lines = lines.take(pa.array(np.repeat(np.arange(len(lines)), copies)))
    return lines


def joined(lines: pa.Array) -> pa.Array:
    """The lines as one string (without the last newline), built from their buffer, no copy.

    Spark's text writer ends every value with a newline, so the file gets the lines as
    they are; one value per chunk keeps the JVM's work per reading at nothing.
    """
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    start, end = int(offsets[0]), int(offsets[-1]) - 1 if len(lines) else int(offsets[0])
    data = lines.buffers()[2].slice(start, max(0, end - start))
    bounds = pa.py_buffer(np.array([0, data.size], dtype=np.int32).tobytes())
    return pa.StringArray.from_buffers(1, bounds, data)
