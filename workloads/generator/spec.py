"""Batches of readings as a Spark DataFrame of JSON text, built on dbldatagen.

dbldatagen lays out the rows of a job (which turbine, at which time step) from a
global reading index, so a batch is a slice of an endless, deterministic sequence.
The sensor values come from the pure model in `physics` and their text from `jsonlines`,
both in the Python worker (`mapInArrow`, vectorised over Arrow batches), so they do
not depend on how readings are split into batches or partitions; the JVM only writes
the text it gets back (one string per chunk of lines).

A backfill job holds several batches, one Spark partition each, so both cores work
and every partition is one batch file (`writer.write_batches`); a job costs fixed
scheduling and commit time, which a job per file paid twenty times per backfill.

A streaming batch is small (thousands of lines every few seconds) and must be on time:
it skips Spark altogether (`stream_layout` + `reading_lines` in the generator's own
process, `writer.write_lines`), so a batch costs the physics and one file write, with
no job to schedule and no JVM to start (see workloads/generator/stream.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import numpy as np

from workloads.generator import jsonlines, physics

_LINES_DDL = "value string"


def _render_function(seed: int, bad_record_rate: float, batch_ids: Sequence[str], ingestion_ms):
    """The mapInArrow function: skeleton rows in, the text of their JSON lines out."""

    def render(chunks: Iterator) -> Iterator:
        import signal

        import pyarrow as pa

        # Ctrl-C in a terminal reaches the whole process group, Spark's Python workers
        # included; the generator's driver decides when to stop (after the job).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for chunk in chunks:
            number = chunk.column("turbine_number").to_numpy().astype(np.int64)
            ts = chunk.column("timestamp_ms").to_numpy()
            slot = chunk.column("batch_slot").to_numpy()
            # A chunk lies in one partition, which is one batch; split anyway if it is not.
            edges = [0, *(np.flatnonzero(np.diff(slot)) + 1).tolist(), len(slot)]
            for first, last in zip(edges[:-1], edges[1:], strict=True):
                if first == last:
                    continue
                text = reading_lines(
                    seed,
                    number[first:last],
                    ts[first:last],
                    batch_id=batch_ids[int(slot[first])],
                    ingestion_ms=ingestion_ms,
                    bad_record_rate=bad_record_rate,
                )
                yield pa.RecordBatch.from_arrays([jsonlines.joined(text)], names=["value"])

    return render


def reading_lines(
    seed: int,
    turbine_number: np.ndarray,
    timestamp_ms: np.ndarray,
    *,
    batch_id: str,
    ingestion_ms: int,
    bad_record_rate: float = 0.0,
):
    """The JSON lines (an Arrow string array) of these readings: the physics, then the
    text, with the seed's malformed lines. The one recipe of a line, wherever it runs
    (a backfill's Spark worker, the streaming generator's own process)."""
    kind = detail = None
    if bad_record_rate > 0:
        kind, detail = jsonlines.bad_record_choice(
            seed, turbine_number, timestamp_ms, bad_record_rate
        )
    return jsonlines.render(
        physics.simulate(seed, turbine_number, timestamp_ms),
        turbine_number,
        timestamp_ms,
        batch_id=batch_id,
        ingestion_ms=ingestion_ms,
        bad_kind=kind,
        bad_detail=detail,
    )


def stream_layout(
    first_reading: int, rows: int, turbines: int, batch_ms: int
) -> tuple[np.ndarray, np.ndarray]:
    """(turbine numbers, timestamps ms) of a streaming batch: the next `rows` readings of
    the fleet rotation from reading `first_reading` on, all stamped `batch_ms` (a turbine
    read twice in one batch, when the batch is larger than the fleet, 1 ms later)."""
    index = np.arange(rows, dtype=np.int64)
    number = (first_reading + index) % turbines + 1
    return number, batch_ms + index // turbines


def reading_spec(spark, *, rows: int, turbines: int, partitions: int, seed: int):
    """The dbldatagen spec of one job's rows, laid out step-major over the fleet.

    Row `id` (0-based within the job) is turbine `id % turbines + 1` at time step
    `id div turbines`. Each job places it in time (and, when streaming, rotates it
    through the fleet) with literal offsets, so the hot loop does not rebuild the spec.
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


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class BatchBuilder:
    """Turns slices of the reading sequence into DataFrames of JSON text (column `value`)."""

    def __init__(self, spark, *, seed: int, turbines: int, bad_record_rate: float = 0.0) -> None:
        self.spark = spark
        self.seed = seed
        self.turbines = turbines
        self.bad_record_rate = bad_record_rate
        self._skeletons: dict[tuple[int, int], object] = {}

    def skeleton(self, rows: int, partitions: int):
        """The built dbldatagen rows of a job shape (a run has at most a few shapes)."""
        key = (rows, partitions)
        if key not in self._skeletons:
            self._skeletons[key] = reading_spec(
                self.spark, rows=rows, turbines=self.turbines, partitions=partitions, seed=self.seed
            ).build()
        return self._skeletons[key]

    def backfill_batches(
        self,
        *,
        start_ms: int,
        interval_ms: int,
        steps: int,
        batch_ids: Sequence[str],
        ingestion_timestamp: datetime,
    ):
        """len(batch_ids) batches of `steps` fleet readings each, one partition per batch,
        from `start_ms` on, one reading every `interval_ms` per turbine."""
        from pyspark.sql import functions as F

        rows = self.skeleton(steps * self.turbines * len(batch_ids), len(batch_ids))
        timestamp_ms = F.lit(start_ms) + F.col("step") * F.lit(interval_ms)
        slot = (F.col("step") / F.lit(steps)).cast("int")  # spark.range splits evenly
        return self._lines(
            rows, F.col("turbine_number"), timestamp_ms, slot, batch_ids, ingestion_timestamp
        )

    def _lines(self, rows, turbine_number, timestamp_ms, slot, batch_ids, ingestion_timestamp):
        placed = rows.select(
            turbine_number.alias("turbine_number"),
            timestamp_ms.cast("long").alias("timestamp_ms"),
            slot.cast("int").alias("batch_slot"),
        )
        render = _render_function(
            self.seed, self.bad_record_rate, list(batch_ids), _epoch_ms(ingestion_timestamp)
        )
        return placed.mapInArrow(render, _LINES_DDL)
