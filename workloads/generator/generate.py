"""The generator's main loop: backfill (as fast as possible) or streaming (one batch per tick).

A backfill runs one Spark session (classic local, or the active Databricks session)
and writes several batch files per Spark job (one partition each, as many as the
session has cores: `writer.write_batches`). Streaming needs no Spark: each batch is
built and written by this process on its schedule (workloads/generator/stream.py).
Each invocation is a run of the generator job in the run ledger.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workloads import names
from workloads.config import Paths, ensure_writable
from workloads.errors import WindmillError
from workloads.generator import spec, writer
from workloads.generator.config import GeneratorConfig
from workloads.ledger import Ledger
from workloads.signals import StopOnSignal

log = logging.getLogger("windmill.generator")


@dataclass
class Summary:
    mode: str
    batches: int = 0
    readings: int = 0
    stopped: bool = False
    last_file: Path | None = None
    late_batches: int = 0  # streaming: batches written after the next one's tick
    max_lag_seconds: float = 0.0  # streaming: the longest time from a tick to its file

    def metrics(self) -> dict[str, object]:
        metrics: dict[str, object] = {
            "mode": self.mode,
            "batches": self.batches,
            "readings": self.readings,
        }
        if self.mode == "stream":
            metrics["late_batches"] = self.late_batches
            metrics["max_lag_seconds"] = round(self.max_lag_seconds, 3)
        return metrics


def _to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def run_tag(config: GeneratorConfig, mode: str, start_ms: int) -> str:
    """Eight hex digits naming a run: the same seed and flags give the same batch ids."""
    if mode == "backfill":
        shape = (config.interval_ms, config.backfill_batch_size)
    else:
        shape = (config.records_per_batch, config.batch_interval)
    key = "|".join(
        str(part)
        for part in (mode, config.seed, start_ms, config.turbines, *shape, config.bad_record_rate)
    )
    return hashlib.sha1(key.encode()).hexdigest()[:8]


def spark_session():
    """(session, owned): the active session on Databricks, else a classic local one we own."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    if os.environ.get("DATABRICKS_RUNTIME_VERSION"):  # a job on a cluster: its session
        return SparkSession.builder.getOrCreate(), False
    from workloads.spark import classic_session

    # Python workers must run this interpreter (the venv), not whatever `python3` is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    conf = {
        # Bigger Arrow batches: the physics is vectorised, per-batch overhead is not.
        "spark.sql.execution.arrow.maxRecordsPerBatch": "50000",
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    }
    return classic_session("windmill-generator", conf=conf), True


def cores(spark) -> int:
    """Tasks the session runs at once (local: its cores; this machine's where it cannot say)."""
    try:
        return max(1, int(spark.sparkContext.defaultParallelism))
    except Exception:  # a session without a SparkContext (e.g. a shared Databricks cluster)
        return os.cpu_count() or 1


def batches_per_job(spark, config: GeneratorConfig) -> int:
    """Backfill batches written by one Spark job: one per core keeps every core busy."""
    return config.batches_per_job or cores(spark)


def _builder(spark, config: GeneratorConfig) -> spec.BatchBuilder:
    return spec.BatchBuilder(
        spark, seed=config.seed, turbines=config.turbines, bad_record_rate=config.bad_record_rate
    )


def backfill_jobs(steps: int, steps_per_batch: int, per_job: int) -> list[tuple[int, int, int]]:
    """(first batch index, batches, steps per batch) of each job of a backfill of `steps`.

    Full batches go `per_job` to a job; a last, shorter batch is a job of its own (the
    batches of one job are equal slices of it).
    """
    full, rest = divmod(steps, steps_per_batch)
    jobs = [
        (first, min(per_job, full - first), steps_per_batch) for first in range(0, full, per_job)
    ]
    if rest:
        jobs.append((full, 1, rest))
    return jobs


# Backfills up to this many readings are built in this process, not with Spark: a JVM's
# start and a first job (15 s on two cores) would be most of their time. `windmill up`'s
# first slice (the last hour of 100 turbines, 6,000 readings) is one; its page waits on it.
IN_PROCESS_READINGS = 100_000


def backfill_in_process(config: GeneratorConfig) -> bool:
    if config.backfill_engine != "auto":
        return config.backfill_engine == "python"
    return config.backfill_steps() * config.turbines <= IN_PROCESS_READINGS


def _batch_lines_in_process(
    config: GeneratorConfig, first_ms: int, steps: int, batch_id: str, ingestion_ms: int
):
    """One batch's lines built here: the Spark job's row layout (row i is turbine
    i mod n + 1 at time step i div n) through the same recipe (`spec.reading_lines`)."""
    import numpy as np

    row = np.arange(steps * config.turbines, dtype=np.int64)
    number = row % config.turbines + 1
    timestamp_ms = first_ms + (row // config.turbines) * config.interval_ms
    return spec.reading_lines(
        config.seed,
        number,
        timestamp_ms,
        batch_id=batch_id,
        ingestion_ms=ingestion_ms,
        bad_record_rate=config.bad_record_rate,
    )


def backfill(
    spark,
    config: GeneratorConfig,
    landing: Path,
    stop: StopOnSignal,
    on_batch: Callable[[Summary], None],
) -> Summary:
    """H hours of history for every turbine, as fast as possible, one file per batch.

    Progress (`on_batch`, the stop signal) is checked between jobs of several batches.
    With `spark` None the batches are built in this process, one at a time (small
    backfills, see IN_PROCESS_READINGS), into the same files with the same lines.
    """
    from tqdm import tqdm

    steps = config.backfill_steps()
    n = config.turbines
    if config.start is not None:
        start_ms = _to_ms(config.start)
    else:  # end at the last whole reading interval before now
        now_ms = _to_ms(datetime.now(UTC))
        start_ms = (now_ms // config.interval_ms) * config.interval_ms - steps * config.interval_ms
    tag = run_tag(config, "backfill", start_ms)
    steps_per_batch = min(steps, max(1, config.backfill_batch_size // n))
    builder = _builder(spark, config) if spark is not None else None
    per_job = batches_per_job(spark, config) if spark is not None else 1
    jobs = backfill_jobs(steps, steps_per_batch, per_job)
    summary = Summary(mode="backfill")
    log.info(
        "backfill: %d turbines x %d readings (every %g s from %s) into %s",
        n,
        steps,
        config.reading_interval,
        _from_ms(start_ms).isoformat(),
        landing,
    )
    with tqdm(
        total=steps * n,
        unit="readings",
        unit_scale=True,
        file=sys.stderr,
        mininterval=1.0,
        desc="backfill",
    ) as bar:
        for first_index, count, batch_steps in jobs:
            if stop.stopped:
                summary.stopped = True
                break
            indexes = range(first_index, first_index + count)
            batch_ids = [f"{tag}-{index:05d}" for index in indexes]
            first_ms = start_ms + first_index * steps_per_batch * config.interval_ms
            file_names = [
                writer.batch_file_name(
                    _from_ms(first_ms + slot * batch_steps * config.interval_ms), batch_id
                )
                for slot, batch_id in enumerate(batch_ids)
            ]
            if builder is None:  # one batch per job
                lines = _batch_lines_in_process(
                    config, first_ms, batch_steps, batch_ids[0], _to_ms(datetime.now(UTC))
                )
                paths = [writer.write_lines(lines, landing, file_names[0])]
            else:
                lines = builder.backfill_batches(
                    start_ms=first_ms,
                    interval_ms=config.interval_ms,
                    steps=batch_steps,
                    batch_ids=batch_ids,
                    ingestion_timestamp=datetime.now(UTC),
                )
                paths = writer.write_batches(lines, landing, file_names)
            rows = count * batch_steps * n
            summary.batches += count
            summary.readings += rows
            summary.last_file = paths[-1]
            bar.update(rows)
            on_batch(summary)
    return summary


def generate(config: GeneratorConfig, paths: Paths) -> Summary:
    """Run the generator once, recorded as a run of the generator job in the ledger."""
    config.validate()
    ensure_writable(paths.home)
    ledger = Ledger(paths.ledger)
    job_id = ledger.ensure_job(names.GENERATOR_JOB)
    run_id = ledger.start_run(job_id)
    landing = Path(config.landing) if config.landing else paths.landing
    mode = "backfill" if config.backfill_hours is not None else "stream"
    summary = Summary(mode=mode)
    try:
        try:
            ensure_writable(landing, "landing")
        except WindmillError as exc:
            raise WindmillError(
                f"The landing folder {landing} is not writable; make it writable, "
                "set WINDMILL_HOME or choose another with --landing."
            ) from exc
        writer.clean_stale_temporaries(landing)

        def on_batch(progress: Summary) -> None:
            nonlocal summary
            summary = progress
            ledger.update_run_metrics(run_id, progress.metrics())

        with StopOnSignal(unit="the current batch") as stop:
            if mode == "stream":  # no Spark: see workloads/generator/stream.py
                from workloads.generator.stream import stream

                summary = stream(
                    config,
                    landing,
                    stop,
                    on_batch,
                    summary,
                    tag_of=lambda start_ms: run_tag(config, "stream", start_ms),
                )
            elif backfill_in_process(config):
                summary = backfill(None, config, landing, stop, on_batch)
            else:
                spark, owned = spark_session()
                try:
                    summary = backfill(spark, config, landing, stop, on_batch)
                finally:
                    if owned:
                        spark.stop()
    except WindmillError as exc:
        ledger.record_event(names.GENERATOR_JOB, "ERROR", str(exc))
        ledger.finish_run(run_id, "FAILED", str(exc), metrics=summary.metrics())
        raise
    except KeyboardInterrupt:
        ledger.finish_run(run_id, "CANCELED", "interrupted", metrics=summary.metrics())
        raise
    except BaseException as exc:
        message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ledger.record_event(names.GENERATOR_JOB, "ERROR", f"generator failed: {message}")
        ledger.finish_run(run_id, "FAILED", message, metrics=summary.metrics())
        raise
    if summary.stopped:
        ledger.finish_run(run_id, "CANCELED", "stopped by signal", metrics=summary.metrics())
    else:
        ledger.finish_run(run_id, "SUCCESS", metrics=summary.metrics())
    return summary
