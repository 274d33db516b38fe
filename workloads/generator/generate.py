"""The generator's main loop: backfill (as fast as possible) or streaming (one batch per tick).

One Spark session per invocation (classic local, or the active Databricks session).
A backfill writes several batch files per Spark job (one partition each, as many as
the session has cores: `writer.write_batches`); a streaming batch is one job writing
one atomic file. Each invocation is a run of the generator job in the run ledger.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
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

    def metrics(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "batches": self.batches,
            "readings": self.readings,
        }


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


def stream_partitions(spark, rows: int) -> int:
    """Spark partitions of a streaming batch: one for small batches, every core for big ones."""
    return 1 if rows < 20_000 else cores(spark)


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


def backfill(
    spark,
    config: GeneratorConfig,
    landing: Path,
    stop: StopOnSignal,
    on_batch: Callable[[Summary], None],
) -> Summary:
    """H hours of history for every turbine, as fast as possible, one file per batch.

    Progress (`on_batch`, the stop signal) is checked between jobs of several batches.
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
    builder = _builder(spark, config)
    jobs = backfill_jobs(steps, steps_per_batch, batches_per_job(spark, config))
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
            lines = builder.backfill_batches(
                start_ms=first_ms,
                interval_ms=config.interval_ms,
                steps=batch_steps,
                batch_ids=batch_ids,
                ingestion_timestamp=datetime.now(UTC),
            )
            file_names = [
                writer.batch_file_name(
                    _from_ms(first_ms + slot * batch_steps * config.interval_ms), batch_id
                )
                for slot, batch_id in enumerate(batch_ids)
            ]
            paths = writer.write_batches(lines, landing, file_names)
            rows = count * batch_steps * n
            summary.batches += count
            summary.readings += rows
            summary.last_file = paths[-1]
            bar.update(rows)
            on_batch(summary)
    return summary


def stream(
    spark,
    config: GeneratorConfig,
    landing: Path,
    stop: StopOnSignal,
    on_batch: Callable[[Summary], None],
) -> Summary:
    """Every --batch-interval seconds, --records-per-batch readings rotating through the fleet."""
    n, per_batch = config.turbines, config.records_per_batch
    clock_start = time.monotonic()
    start_ms = _to_ms(config.start) if config.start is not None else _to_ms(datetime.now(UTC))
    tag = run_tag(config, "stream", start_ms)
    summary = Summary(mode="stream")
    builder = _builder(spark, config)
    partitions = stream_partitions(spark, per_batch)
    log.info(
        "streaming %d readings every %g s (%d turbines, up to %d batches) into %s",
        per_batch,
        config.batch_interval,
        n,
        config.max_iterations,
        landing,
    )
    for index in range(config.max_iterations):
        if stop.stopped:
            summary.stopped = True
            break
        if config.start is not None:  # simulated clock (at least 1 s a batch): deterministic
            batch_ms = start_ms + round(index * max(config.batch_interval, 1.0) * 1000)
        else:
            batch_ms = _to_ms(datetime.now(UTC))
        batch_id = f"{tag}-{index:06d}"
        lines = builder.stream_batch(
            first_reading=index * per_batch,
            batch_ms=batch_ms,
            batch_id=batch_id,
            ingestion_timestamp=datetime.now(UTC),
            rows=per_batch,
            partitions=partitions,
        )
        path = writer.write_batch(
            lines, landing, writer.batch_file_name(_from_ms(batch_ms), batch_id)
        )
        rows = per_batch
        summary.batches += 1
        summary.readings += rows
        summary.last_file = path
        log.info(
            "batch %d: %d readings at %s -> %s",
            index + 1,
            rows,
            _from_ms(batch_ms).isoformat(),
            path.name,
        )
        on_batch(summary)
        if index + 1 < config.max_iterations:
            next_tick = clock_start + (index + 1) * config.batch_interval
            stop.event.wait(max(0.0, next_tick - time.monotonic()))
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
        spark, owned = spark_session()
        try:

            def on_batch(progress: Summary) -> None:
                nonlocal summary
                summary = progress
                ledger.update_run_metrics(run_id, progress.metrics())

            with StopOnSignal(unit="the current batch") as stop:
                runner = backfill if mode == "backfill" else stream
                summary = runner(spark, config, landing, stop, on_batch)
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
