"""The readings of one batch as a Spark DataFrame of JSON lines, built on dbldatagen.

dbldatagen lays out the rows of a batch (which turbine, at what time, its id)
from a global reading index, so a batch is a slice `[first_id, first_id + rows)` of
an endless, deterministic sequence. The sensor values come from the pure model in
`physics` (applied with `mapInPandas`, vectorised over Arrow batches), so they do
not depend on how readings are split into batches or partitions.

Malformed lines (`--bad-record-rate`): a deterministic fraction of readings, picked
by a hash of (seed, turbine, time), is written wrongly in one of BAD_RECORD_KINDS
ways, for testing the pipeline's quarantine.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from workloads import contract
from workloads.generator import physics

# How a malformed line is broken (the value of `bad_kind` is 1 + its index here).
BAD_RECORD_KINDS: tuple[str, ...] = (
    "truncated_json",  # the line is cut in half: not valid JSON
    "wrong_type",  # a numeric field holds a string, e.g. "power_output":"1234.5 kW"
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

JSON_OPTIONS = {
    "ignoreNullFields": "false",  # every line carries every contract column
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",  # ISO 8601, UTC ("Z")
}

_DOUBLE_COLUMNS = tuple(
    name for name, kind in contract.RAW_COLUMNS if kind == "double"
)  # sensors, latitude, longitude
_PHYSICS_DDL = ", ".join(
    ["turbine_id string", "timestamp_ms long"]
    + [f"{name} double" for name in _DOUBLE_COLUMNS]
    + [
        "fault_index int",
        "alert_index int",
        "maintenance_needed boolean",
        "bad_kind int",
        "bad_detail int",
    ]
)


def bad_record_choice(
    seed: int, turbine_number: np.ndarray, timestamp_ms: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """(kind, detail) per reading: kind 0 = well formed, else 1 + index in BAD_RECORD_KINDS;
    detail picks which field is broken (deterministic for a seed)."""
    base = physics.reading_hash(seed, turbine_number, timestamp_ms)
    pick = physics.to_uniform(physics.derive(base, _CH_BAD))
    detail_hash = physics.derive(base, _CH_BAD_DETAIL)
    # Each kind takes an equal slice of [0, rate): the pick decides whether and which.
    kind = np.where(pick < rate, 1 + np.floor(pick / rate * len(BAD_RECORD_KINDS)), 0)
    detail = (detail_hash >> np.uint64(32)).astype(np.int64) % 1009
    return np.minimum(kind, len(BAD_RECORD_KINDS)).astype(np.int32), detail.astype(np.int32)


def _physics_columns(seed: int, bad_record_rate: float):
    """The mapInPandas function: skeleton rows in, sensor readings out."""

    def apply(frames: Iterator) -> Iterator:
        import pandas as pd

        for frame in frames:
            number = frame["turbine_number"].to_numpy(dtype=np.int64)
            ts = frame["timestamp_ms"].to_numpy(dtype=np.int64)
            readings = physics.simulate(seed, number, ts)
            out = {"turbine_id": frame["turbine_id"], "timestamp_ms": frame["timestamp_ms"]}
            for name in _DOUBLE_COLUMNS:
                out[name] = readings[name]
            out["fault_index"] = readings["fault_index"].astype(np.int32)
            out["alert_index"] = readings["alert_index"].astype(np.int32)
            out["maintenance_needed"] = readings["maintenance_needed"]
            if bad_record_rate > 0:
                kind, detail = bad_record_choice(seed, number, ts, bad_record_rate)
            else:
                kind = detail = np.zeros(len(number), dtype=np.int32)
            out["bad_kind"] = kind
            out["bad_detail"] = detail
            yield pd.DataFrame(out, index=frame.index)

    return apply


def reading_spec(
    spark,
    *,
    rows: int,
    first_id: int,
    turbines: int,
    timestamp_ms_expr: str,
    partitions: int,
    seed: int,
):
    """The dbldatagen spec of a batch's rows: turbine and time per global reading index `id`."""
    import dbldatagen as dg

    return (
        dg.DataGenerator(
            spark,
            name="windmill_readings",
            rows=rows,
            startingId=first_id,
            partitions=partitions,
            randomSeed=seed,
        )
        .withColumn(
            "turbine_number", "int", expr=f"cast(id % {turbines} as int) + 1", baseColumn="id"
        )
        .withColumn("timestamp_ms", "long", expr=timestamp_ms_expr, baseColumn="id")
        .withColumn("turbine_id", "string", format="TURBINE_%05d", baseColumn="turbine_number")
    )


def batch_lines(
    spark,
    *,
    seed: int,
    turbines: int,
    rows: int,
    first_id: int,
    timestamp_ms_expr: str,
    partitions: int,
    batch_id: str,
    ingestion_timestamp,
    bad_record_rate: float = 0.0,
):
    """A DataFrame with one string column `value`: the batch's JSON lines, in reading order."""
    from pyspark.sql import functions as F

    skeleton = reading_spec(
        spark,
        rows=rows,
        first_id=first_id,
        turbines=turbines,
        timestamp_ms_expr=timestamp_ms_expr,
        partitions=partitions,
        seed=seed,
    ).build()
    readings = skeleton.select("turbine_id", "turbine_number", "timestamp_ms").mapInPandas(
        _physics_columns(seed, bad_record_rate), _PHYSICS_DDL
    )
    codes = F.array(*[F.lit(code) for code in contract.FAULT_CODES])
    levels = F.array(*[F.lit(level) for level in contract.ALERT_LEVELS])
    kind = F.col("bad_kind")
    null_key = kind == 1 + BAD_RECORD_KINDS.index("null_key")
    out_of_range = kind == 1 + BAD_RECORD_KINDS.index("out_of_range")

    def column(name: str):
        if name == "turbine_id":
            return F.when(null_key & (F.col("bad_detail") % 2 == 0), F.lit(None)).otherwise(
                F.col(name)
            )
        if name == "timestamp":
            return F.when(null_key & (F.col("bad_detail") % 2 == 1), F.lit(None)).otherwise(
                F.timestamp_millis(F.col("timestamp_ms"))
            )
        if name == "fault_code":
            return F.when(F.col("fault_index") >= 0, F.element_at(codes, F.col("fault_index") + 1))
        if name == "alert_level":
            return F.element_at(levels, F.col("alert_index") + 1)
        if name == "batch_id":
            return F.lit(batch_id)
        if name == "ingestion_timestamp":
            return F.lit(ingestion_timestamp).cast("timestamp")
        if name in OUT_OF_RANGE_COLUMNS and bad_record_rate > 0:
            low, high = contract.PHYSICAL_RANGES[name]
            index = OUT_OF_RANGE_COLUMNS.index(name)
            chosen = out_of_range & (F.col("bad_detail") % len(OUT_OF_RANGE_COLUMNS) == index)
            wild = F.when(F.col("bad_detail") % 2 == 0, high + (high - low)).otherwise(
                low - (high - low)
            )
            return F.when(chosen, wild).otherwise(F.col(name))
        return F.col(name)

    record = F.struct(*[column(name).alias(name) for name in contract.COLUMN_NAMES])
    lines = readings.select(
        F.to_json(record, JSON_OPTIONS).alias("value"), "bad_kind", "bad_detail"
    )
    if bad_record_rate <= 0:
        return lines.select("value")

    value = F.col("value")
    truncated = F.expr("substring(value, 1, cast(length(value) / 2 as int))")
    wrong_type = value
    for index, name in enumerate(WRONG_TYPE_COLUMNS):
        wrong_type = F.when(
            F.col("bad_detail") % len(WRONG_TYPE_COLUMNS) == index,
            F.regexp_replace(value, f'"{name}":([-0-9.E]+)', f'"{name}":"$1 units"'),
        ).otherwise(wrong_type)
    broken = (
        F.when(kind == 1 + BAD_RECORD_KINDS.index("truncated_json"), truncated)
        .when(kind == 1 + BAD_RECORD_KINDS.index("wrong_type"), wrong_type)
        .otherwise(value)
    )
    copies = F.when(kind == 1 + BAD_RECORD_KINDS.index("duplicate"), 2).otherwise(1)
    return lines.select(F.explode(F.array_repeat(broken, copies)).alias("value"))
