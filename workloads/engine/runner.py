"""Run the medallion pipeline on the local Spark Declarative Pipelines engine.

Library API (used by `windmill pipeline run`, the supervisor and the dispatcher):

- `run_update(spark, paths, *, full_refresh=False, cause="API_CALL", overrides=None)
  -> UpdateResult`: one update on an engine session (`workloads.spark.engine_session`),
  recorded in the run ledger.
- `run_continuous(paths, interval=5.0, after_update=None, stop_event=None, *,
  overrides=None, full_refresh=False) -> int`: keep one warm engine, run an update whenever
  new landing files arrive, call `after_update(spark, result)` after each completed update.
  SIGINT/SIGTERM/SIGHUP (or `stop_event.set()`) stops after the current update.

Every update goes to the ledger (`Ledger(paths.ledger)`, pipeline `PIPELINE_NAME`):
RUNNING, then COMPLETED, FAILED (with the error) or CANCELED, with rows read and
written per table and the duration.

The pipeline writes its own database (`PIPELINE_DATABASE`), where each update rewrites
the materialized views in place. Readers never look there: after a completed update,
before the next one starts, `publish_update` makes each view's new files an immutable
published version and points `windmill.<view>` at it (`workloads.storage`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workloads import spark_catalog, states, storage
from workloads.config import LOCAL_DATABASE, PIPELINE_DATABASE, Paths, ensure_writable
from workloads.ledger import Ledger
from workloads.names import MATERIALIZED_VIEWS, PIPELINE_NAME, STREAMING_TABLES
from workloads.pipeline import settings as pipeline_settings
from workloads.signals import StopOnSignal

log = logging.getLogger(__name__)

START_AFTER_POLL_S = 0.25  # how often a waiting engine looks for its start file


@dataclass
class UpdateResult:
    """What one update did. `state` is COMPLETED, FAILED or CANCELED (Databricks names)."""

    update_id: str
    state: str
    duration_s: float
    full_refresh: bool = False
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    landing_files: int = 0
    events: list[str] = field(default_factory=list)  # the engine's event messages, in order

    @property
    def ok(self) -> bool:
        return self.state == states.COMPLETED


class UpdateFailed(Exception):
    """The engine reported a failed flow or run."""


# Spec ------------------------------------------------------------------------------------------


def pipeline_spec(
    paths: Paths,
    overrides: Mapping[str, object] | None = None,
    database: str = PIPELINE_DATABASE,
):
    """The local pipeline spec: the pipeline's own database, storage under `$WINDMILL_HOME`."""
    from pyspark.pipelines.cli import LibrariesGlob, PipelineSpec

    configuration = pipeline_settings.pipeline_configuration(
        str(paths.landing), **dict(overrides or {})
    )
    libraries = [LibrariesGlob(include=Path(f).name) for f in pipeline_settings.DATASET_FILES]
    return PipelineSpec(
        name=PIPELINE_NAME,
        storage=paths.pipeline_storage.resolve().as_uri(),
        catalog=None,
        database=database,
        configuration=configuration,
        libraries=libraries,
    )


def reset_tables(
    spark,
    paths: Paths,
    database: str = PIPELINE_DATABASE,
    publish_database: str = LOCAL_DATABASE,
) -> None:
    """Drop every pipeline table, its files, checkpoints and published versions (what a full
    refresh starts from, and what `windmill clean` resets).

    The engine's own full refresh truncates a streaming table's files but keeps its
    file-sink log, so the restarted stream's first batches are skipped as "already
    committed" and rows go missing; starting from nothing avoids that.
    """
    import shutil

    for name, folder in storage.table_dirs(spark, database).items():
        spark_catalog.drop_from_catalog(spark, name, publish_database)
        spark.sql(f"DROP TABLE IF EXISTS {database}.{name}")
        shutil.rmtree(folder, ignore_errors=True)
        storage.remove_versions(paths, name)
    checkpoints = paths.pipeline_storage / "_checkpoints" / "spark_catalog" / database
    shutil.rmtree(checkpoints, ignore_errors=True)


def _run_graph(spark, spec) -> list[str]:
    """Register the dataset files as one dataflow graph and run one update; returns its events.

    The engine runs each flow once its upstream flows finished (bronze, then silver and
    quarantine, then the gold views), so a landing file reaches gold in one update. It
    knows a flow's upstream only if the flow's query still names the pipeline table when
    the graph is resolved: over Spark Connect, `DataFrame.withColumn` and `withWatermark`
    analyze their input at once, which turns an existing table into a plain catalog read
    and silently drops the dependency. The transforms therefore use `select("*", ...)`
    and a SQL WATERMARK clause instead.
    """
    from pyspark.pipelines.cli import register_definitions
    from pyspark.pipelines.spark_connect_graph_element_registry import (
        SparkConnectGraphElementRegistry,
    )
    from pyspark.pipelines.spark_connect_pipeline import create_dataflow_graph, start_run

    started = time.monotonic()
    # Definitions read the configuration from the session's conf at registration time; a
    # warm engine already holds it from the previous update, so only changes are sent, and
    # the definitions are handed the resulting conf rather than each fetching it.
    current = spark.conf.getAll
    for key, value in spec.configuration.items():
        if current.get(key) != value:
            spark.conf.set(key, value)
    graph_id = create_dataflow_graph(
        spark,
        default_catalog=spec.catalog,
        default_database=spec.database,
        sql_conf=spec.configuration,
    )
    registry = SparkConnectGraphElementRegistry(spark, graph_id)
    chatter = io.StringIO()  # the engine prints a line per file it loads
    with (
        contextlib.redirect_stdout(chatter),
        pipeline_settings.known_conf({**current, **spec.configuration}),
    ):
        register_definitions(
            pipeline_settings.transformations_dir() / "pipeline.yml",
            registry,
            spec,
            spark,
            graph_id,
        )
    log.debug("registered in %.2f s: %s", time.monotonic() - started, chatter.getvalue().strip())
    events = start_run(
        spark,
        graph_id,
        full_refresh=[],
        full_refresh_all=False,
        refresh=[],
        dry=False,
        storage=spec.storage,
    )
    messages: list[str] = []
    failures: list[str] = []
    for result in events:
        if "pipeline_event_result" not in result:
            continue
        message = result["pipeline_event_result"].event.message
        messages.append(message)
        log.debug("engine: %s", message)
        if "FAILED" in message or "has failed" in message:
            failures.append(message)
    if failures:
        raise UpdateFailed(failures[-1])
    log.debug("graph ran in %.2f s", time.monotonic() - started)
    return messages


# Publishing ------------------------------------------------------------------------------------


def publish_update(
    spark,
    paths: Paths,
    dirs: Mapping[str, Path],
    database: str = PIPELINE_DATABASE,
    publish_database: str = LOCAL_DATABASE,
) -> dict[str, storage.Version]:
    """After a completed update (and before the next starts): what readers see next.

    Each materialized view's files become a new published version (hard links), and
    `publish_database.<view>` is pointed at it; each streaming table is a view over the
    pipeline's (its commit log is already consistent). See `workloads.storage`.

    Every version is published (its pointer written: what the dashboard and the other file
    readers see) before the metastore is touched: the pointers take milliseconds, the
    metastore's updates seconds (a first start creates seven tables and views), and the
    page need not wait for those. Each table still switches at once for either kind of
    reader; a Spark reader just sees the new version a moment after a file reader.
    """
    started = time.monotonic()
    published = {name: storage.publish(paths, name, dirs[name]) for name in MATERIALIZED_VIEWS}
    pointers_ms = (time.monotonic() - started) * 1000
    existing = spark_catalog.catalog_types(spark, publish_database)  # one metastore call, not seven
    for name, version in published.items():
        spark_catalog.publish_in_catalog(
            spark,
            version,
            publish_database,
            schema=lambda name=name: spark.table(f"{database}.{name}").schema,
            existing=existing.get(name),
        )
    for name in STREAMING_TABLES:
        spark_catalog.expose_streaming_table(
            spark, name, database, publish_database, existing=existing.get(name)
        )
    log.info(
        "published %s in %.0f ms (files %.0f ms, then the metastore)",
        ", ".join(f"{v.table} v{v.number} ({v.rows} rows)" for v in published.values()),
        (time.monotonic() - started) * 1000,
        pointers_ms,
    )
    return published


# Updates ---------------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    return f"{type(exc).__name__}: {first}"[:2000]


def close_stale_updates(ledger: Ledger, pipeline_id: str) -> int:
    """Mark updates left RUNNING by a process that died (kill -9) as FAILED."""
    closed = 0
    for update in ledger.list_updates(pipeline_id, limit=50):
        if update["state"] not in states.TERMINAL_UPDATE_STATES:
            ledger.finish_update(
                update["update_id"],
                states.FAILED,
                error="the engine process ended during the update",
            )
            closed += 1
    return closed


def landing_files(paths: Paths) -> set[str]:
    """Names of finished landing files (temporary names start with ".")."""
    try:
        with os.scandir(paths.landing) as entries:
            return {
                e.name
                for e in entries
                if e.is_file() and not e.name.startswith((".", "_")) and e.name.endswith(".jsonl")
            }
    except (FileNotFoundError, NotADirectoryError):
        return set()  # no landing folder yet, or something else stands in its place


def run_update(
    spark,
    paths: Paths,
    *,
    full_refresh: bool = False,
    cause: str = "API_CALL",
    overrides: Mapping[str, object] | None = None,
    ledger: Ledger | None = None,
    database: str = PIPELINE_DATABASE,
    publish_database: str = LOCAL_DATABASE,
) -> UpdateResult:
    """Run one pipeline update on `spark` (an engine session) and record it in the ledger.

    The pipeline writes its own database `database`; a completed update is then published
    to `publish_database`, where readers find it (`publish_update`). Never raises for a
    failed update: the result (and the ledger) say FAILED with the error, and readers keep
    the previous versions. KeyboardInterrupt marks the update CANCELED and propagates.
    """
    ensure_writable(paths.pipeline_storage)
    paths.landing.mkdir(parents=True, exist_ok=True)
    ledger = ledger or Ledger(paths.ledger)
    pipeline_id = ledger.ensure_pipeline(PIPELINE_NAME)
    files = landing_files(paths)
    update_id = ledger.start_update(pipeline_id, cause=cause, full_refresh=full_refresh)
    started = time.monotonic()
    try:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
        dirs = storage.table_dirs(spark, database)
        before = storage.snapshot(dirs)
        spec = pipeline_spec(paths, overrides, database)
        if full_refresh:
            reset_tables(spark, paths, database, publish_database)
            before = storage.snapshot(dirs)
        events = _run_graph(spark, spec)
        published = publish_update(spark, paths, dirs, database, publish_database)
    except KeyboardInterrupt:
        duration = time.monotonic() - started
        ledger.finish_update(update_id, states.CANCELED, error="interrupted")
        raise
    except Exception as exc:  # a failed update is recorded, not raised
        duration = time.monotonic() - started
        error = _one_line(exc)
        log.error("pipeline update failed: %s", error)
        ledger.finish_update(update_id, states.FAILED, error=error)
        return UpdateResult(update_id, states.FAILED, duration, full_refresh, error=error)
    duration = time.monotonic() - started
    try:
        metrics = storage.update_metrics(dirs, before, full_refresh, published)
    except Exception as exc:  # metrics are informative; never fail a good update on them
        log.warning("could not compute update metrics: %s", _one_line(exc))
        metrics = {}
    metrics["duration_s"] = round(duration, 3)
    metrics["landing_files"] = len(files)
    ledger.finish_update(update_id, states.COMPLETED, metrics=metrics)
    return UpdateResult(
        update_id,
        states.COMPLETED,
        duration,
        full_refresh,
        metrics=metrics,
        landing_files=len(files),
        events=events,
    )


def start_engine(paths: Paths):
    """An engine session on this home, stale ledger updates closed. Returns (spark, port)."""
    from workloads.spark import engine_session

    ensure_writable(paths.home)
    spark, port = engine_session(paths, app_name="windmill-pipeline")
    ledger = Ledger(paths.ledger)
    close_stale_updates(ledger, ledger.ensure_pipeline(PIPELINE_NAME))
    return spark, port


def run_once(
    paths: Paths,
    *,
    full_refresh: bool = False,
    cause: str = "USER_ACTION",
    overrides: Mapping[str, object] | None = None,
) -> UpdateResult:
    """Start an engine, run one update, stop. Ctrl-C stops after the update."""
    from workloads.engine.attach import advertise

    spark, port = start_engine(paths)
    stop = threading.Event()
    try:
        with advertise(paths, port), StopOnSignal(stop, unit="the current update"):
            return run_update(
                spark, paths, full_refresh=full_refresh, cause=cause, overrides=overrides
            )
    finally:
        spark.stop()


def run_continuous(
    paths: Paths,
    interval: float = 5.0,
    after_update: Callable[[Any, UpdateResult], None] | None = None,
    stop_event: threading.Event | None = None,
    *,
    overrides: Mapping[str, object] | None = None,
    full_refresh: bool = False,
    cause: str = "USER_ACTION",
    start_after: Path | None = None,
) -> int:
    """Keep one warm engine; run an update whenever new landing files arrive.

    The first update runs at once (with `full_refresh` if asked), or, with `start_after`,
    as soon as that file exists: the engine starts while the history is still being
    written (`windmill up`'s backfill marks its end with a file), and the history then
    goes through in one bounded update instead of a file at a time. After every
    completed update `after_update(spark, result)` runs (its errors are logged, not
    fatal). Returns the number of updates run when `stop_event` is set or on
    SIGINT/SIGTERM/SIGHUP, always after the current update finishes.
    """
    from workloads.engine.attach import advertise

    stop = stop_event or threading.Event()
    spark, port = start_engine(paths)
    updates = 0
    seen: set[str] | None = None
    try:
        with advertise(paths, port), StopOnSignal(stop, unit="the current update"):
            if start_after is not None and not start_after.exists():
                log.info("engine ready; the first update waits for %s", start_after.name)
                while not start_after.exists() and not stop.wait(START_AFTER_POLL_S):
                    pass
            while not stop.is_set():
                current = landing_files(paths)
                if seen is None or current - seen:
                    result = run_update(
                        spark,
                        paths,
                        full_refresh=full_refresh and updates == 0,
                        cause=cause if updates == 0 else "NEW_DATA",
                        overrides=overrides,
                    )
                    updates += 1
                    log.info(
                        "update %s %s in %.1f s",
                        result.update_id[:8],
                        result.state,
                        result.duration_s,
                    )
                    if result.ok:
                        seen = current
                        if after_update is not None:
                            try:
                                after_update(spark, result)
                            except Exception as exc:
                                log.error("after-update step failed: %s", _one_line(exc))
                    elif seen is None:
                        seen = set()
                stop.wait(interval)
    finally:
        spark.stop()
    return updates
