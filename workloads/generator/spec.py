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
from workloads.generator import hashing, physics

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
    ["turbine_number int", "timestamp_ms long"]
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
    base = hashing.reading_hash(seed, turbine_number, timestamp_ms)
    pick = hashing.to_uniform(hashing.derive(base, _CH_BAD))
    detail_hash = hashing.derive(base, _CH_BAD_DETAIL)
    # Each kind takes an equal slice of [0, rate): the pick decides whether and which.
    scaled = np.floor(pick / max(rate, 1e-12) * len(BAD_RECORD_KINDS))
    kind = np.where(pick < rate, 1 + scaled, 0)
    detail = (detail_hash >> np.uint64(32)).astype(np.int64) % 1009
    return np.minimum(kind, len(BAD_RECORD_KINDS)).astype(np.int32), detail.astype(np.int32)


def _physics_columns(seed: int, bad_record_rate: float):
    """The mapInPandas function: skeleton rows in, sensor readings out."""

    def apply(frames: Iterator) -> Iterator:
        import signal

        import pandas as pd

        # Ctrl-C in a terminal reaches the whole process group, Spark's Python workers
        # included; the generator's driver decides when to stop (after the batch).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for frame in frames:
            number = frame["turbine_number"].to_numpy(dtype=np.int64)
            ts = frame["timestamp_ms"].to_numpy(dtype=np.int64)
            readings = physics.simulate(seed, number, ts)
            out = {"turbine_number": frame["turbine_number"], "timestamp_ms": frame["timestamp_ms"]}
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


def reading_spec(spark, *, rows: int, turbines: int, partitions: int, seed: int):
    """The dbldatagen spec of one batch's rows, laid out step-major over the fleet.

    Row `id` (0-based within the batch) is turbine `id % turbines + 1` at time step
    `id div turbines`. Built once per invocation; each batch places it in time (and,
    when streaming, rotates it through the fleet) with literal offsets, so the hot loop
    does not rebuild the spec.
    """
    import dbldatagen as dg

    return (
        dg.DataGenerator(
            spark, name="windmill_readings", rows=rows, partitions=partitions, randomSeed=seed
        )
        .withIdOutput()
        .withColumn(
            "turbine_number", "int", expr=f"cast(id % {turbines} as int) + 1", baseColumn="id"
        )
        .withColumn("step", "long", expr=f"id div {turbines}", baseColumn="id")
    )


class BatchBuilder:
    """Turns a slice of the reading sequence into a DataFrame of JSON lines (column `value`)."""

    def __init__(
        self,
        spark,
        *,
        seed: int,
        turbines: int,
        rows: int,
        partitions: int,
        bad_record_rate: float = 0.0,
    ) -> None:
        self.seed = seed
        self.turbines = turbines
        self.rows = rows
        self.bad_record_rate = bad_record_rate
        self.skeleton = reading_spec(
            spark, rows=rows, turbines=turbines, partitions=partitions, seed=seed
        ).build()

    def backfill_batch(
        self, *, start_ms: int, interval_ms: int, steps: int, batch_id: str, ingestion_timestamp
    ):
        """`steps` fleet readings starting at `start_ms`, one every `interval_ms` per turbine."""
        from pyspark.sql import functions as F

        rows = self.skeleton
        if steps * self.turbines < self.rows:
            rows = rows.where(F.col("step") < steps)
        timestamp_ms = F.lit(start_ms) + F.col("step") * F.lit(interval_ms)
        return self._lines(rows, F.col("turbine_number"), timestamp_ms, batch_id,
                           ingestion_timestamp)  # fmt: skip

    def stream_batch(
        self, *, first_reading: int, batch_ms: int, batch_id: str, ingestion_timestamp
    ):
        """The next readings of the fleet rotation, all stamped `batch_ms` (a turbine read
        twice in one batch, when the batch is larger than the fleet, 1 ms later)."""
        from pyspark.sql import functions as F

        position = F.col("id") + F.lit(first_reading)
        turbine_number = (position % F.lit(self.turbines) + 1).cast("int")
        timestamp_ms = F.lit(batch_ms) + F.col("step")
        return self._lines(self.skeleton, turbine_number, timestamp_ms, batch_id,
                           ingestion_timestamp)  # fmt: skip

    def _lines(self, rows, turbine_number, timestamp_ms, batch_id: str, ingestion_timestamp):

        placed = rows.select(
            turbine_number.alias("turbine_number"), timestamp_ms.cast("long").alias("timestamp_ms")
        )
        readings = placed.mapInPandas(
            _physics_columns(self.seed, self.bad_record_rate), _PHYSICS_DDL
        )
        return to_lines(readings, batch_id, ingestion_timestamp, self.bad_record_rate)


def to_lines(readings, batch_id: str, ingestion_timestamp, bad_record_rate: float):
    """JSON lines (column `value`) of physics readings, with the requested malformed ones."""
    from pyspark.sql import functions as F

    codes = F.array(*[F.lit(code) for code in contract.FAULT_CODES])
    levels = F.array(*[F.lit(level) for level in contract.ALERT_LEVELS])
    kind = F.col("bad_kind")
    null_key = kind == 1 + BAD_RECORD_KINDS.index("null_key")
    out_of_range = kind == 1 + BAD_RECORD_KINDS.index("out_of_range")
    turbine_id = F.concat(F.lit("TURBINE_"), F.lpad(F.col("turbine_number").cast("string"), 5, "0"))

    def column(name: str):
        if name == "turbine_id":
            if bad_record_rate <= 0:
                return turbine_id
            return F.when(null_key & (F.col("bad_detail") % 2 == 0), F.lit(None)).otherwise(
                turbine_id
            )
        if name == "timestamp":
            timestamp = F.timestamp_millis(F.col("timestamp_ms"))
            if bad_record_rate <= 0:
                return timestamp
            return F.when(null_key & (F.col("bad_detail") % 2 == 1), F.lit(None)).otherwise(
                timestamp
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
