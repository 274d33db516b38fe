"""Run the medallion pipeline on the local Spark Declarative Pipelines engine.

Library API (used by `windmill pipeline run`, the supervisor and the dispatcher):

- `run_update(spark, paths, *, full_refresh=False, cause="API_CALL", overrides=None)
  -> UpdateResult`: one update on an engine session (`workloads.spark.engine_session`),
  recorded in the run ledger.
- `run_continuous(paths, interval=5.0, after_update=None, stop_event=None, *,
  overrides=None, full_refresh=False) -> int`: keep one warm engine, run an update whenever
  new landing files arrive, call `after_update(spark, result)` after each completed update,
  compact the streaming tables' small files every COMPACT_EVERY_UPDATES updates.
  SIGINT/SIGTERM/SIGHUP (or `stop_event.set()`) stops after the current update.

Every update goes to the ledger (`Ledger(paths.ledger)`, pipeline `PIPELINE_NAME`):
RUNNING, then COMPLETED, FAILED (with the error) or CANCELED, with rows read and
written per table and the duration.

The pipeline writes its own database (`PIPELINE_DATABASE`), where each update rewrites
the materialized views in place. Readers never look there: as each view's flow completes,
its new files become an immutable published version, and after the update, before the
next one starts, `windmill.<view>` is pointed at it (`workloads.engine.publish`,
`workloads.storage`). The dataset files are registered once per engine session and run
by every update (`workloads.engine.graph`). Each update logs where its time went and keeps
it in its metrics (`phases`, `workloads.pipeline.progress`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from workloads import spark_catalog, states, storage
from workloads.config import LOCAL_DATABASE, PIPELINE_DATABASE, Paths, ensure_writable
from workloads.engine import graph, publish
from workloads.ledger import Ledger
from workloads.names import (
    BRONZE,
    GOLD_EPISODES,
    GOLD_SEGMENTS,
    MATERIALIZED_VIEWS,
    PIPELINE_NAME,
    PIPELINE_TABLES,
    SILVER,
)
from workloads.pipeline import progress
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
    phases: dict[str, Any] = field(default_factory=dict)  # where the time went (seconds)

    @property
    def ok(self) -> bool:
        return self.state == states.COMPLETED

    def refreshed(self, table: str) -> bool:
        """Whether this update ran `table` (an update of one lane runs only some tables)."""
        lane = self.metrics.get("refreshed")
        return not lane or table in lane


class UpdateFailed(Exception):
    """The engine reported a failed flow or run."""


# Spec ------------------------------------------------------------------------------------------


def pipeline_spec(
    paths: Paths,
    overrides: Mapping[str, object] | None = None,
    database: str = PIPELINE_DATABASE,
    datasets: Sequence[str] | None = None,
):
    """The local pipeline spec: the pipeline's own database, storage under `$WINDMILL_HOME`.

    `datasets`: only these dataset files (default all); they must read no other pipeline
    table (the alert path reads only itself, see ALERT_GRAPH).
    """
    from pyspark.pipelines.cli import LibrariesGlob, PipelineSpec

    configuration = pipeline_settings.pipeline_configuration(
        str(paths.landing), **dict(overrides or {})
    )
    files = [Path(f).name for f in pipeline_settings.DATASET_FILES]
    if datasets is not None:
        files = [name for name in files if Path(name).stem in datasets]
    libraries = [LibrariesGlob(include=name) for name in files]
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


def _run_graph(
    spark,
    spec,
    phases: dict[str, Any] | None = None,
    on_completed: Callable[[str], None] | None = None,
    origin: float | None = None,
    refresh: Sequence[str] = (),
) -> list[str]:
    """Register the dataset files as one dataflow graph and run one update; returns its events.

    The engine runs each flow once its upstream flows finished (bronze, then silver and
    quarantine, then the gold views), so a landing file reaches gold in one update. It
    knows a flow's upstream only if the flow's query still names the pipeline table when
    the graph is resolved: over Spark Connect, `DataFrame.withColumn` and `withWatermark`
    analyze their input at once, which turns an existing table into a plain catalog read
    and silently drops the dependency. The transforms therefore use `select("*", ...)`
    and a SQL WATERMARK clause instead.

    `phases` (if given) receives where the time went (`workloads.pipeline.progress`), each
    flow's completion counted from `origin` (epoch seconds; default: the run's start).
    `on_completed(dataset)` runs as each flow's completion event arrives, while the rest of
    the update still runs (the engine streams its events as they happen). `refresh`: the
    tables this update runs (empty: all); the others keep their data and are read as
    they are.
    """
    from pyspark.pipelines.spark_connect_pipeline import start_run

    started = time.monotonic()
    graph_id = graph.register_graph(spark, spec)
    registered = time.monotonic()
    origin = time.time() if origin is None else origin
    events = start_run(
        spark,
        graph_id,
        full_refresh=[],
        full_refresh_all=False,
        refresh=list(refresh),
        dry=False,
        storage=spec.storage,
    )
    messages: list[str] = []
    timed: list[tuple[float, str]] = []
    failures: list[str] = []
    try:
        for result in events:
            if "pipeline_event_result" not in result:
                continue
            event = result["pipeline_event_result"].event
            message = event.message
            messages.append(message)
            timed.append((event.timestamp.ToMicroseconds() / 1e6, message))
            log.debug("engine: %s", message)
            if "FAILED" in message or "has failed" in message:
                failures.append(message)
            elif on_completed is not None and (done := progress.completed_flow(message)):
                on_completed(done)
    finally:
        graph.drop_graph(spark, graph_id)
    if phases is not None:
        phases["register"] = round(registered - started, 3)
        phases["run"] = round(time.monotonic() - registered, 3)
        phases["flows"] = progress.flow_phases(progress.flow_spans(timed), origin)
    if failures:
        raise UpdateFailed(failures[-1])
    log.debug("graph ran in %.2f s", time.monotonic() - started)
    return messages


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


def ingested_files(paths: Paths, database: str = PIPELINE_DATABASE) -> set[str]:
    """Names of the landing files the bronze stream has taken (its file source's log).

    A file that landed while an update was starting may already be in that update: it is
    then not "new" for the next one, which would otherwise run for nothing. The log is
    the stream's own record (compacted every few batches, like the file sink's).
    """
    source_log = (
        paths.pipeline_storage / "_checkpoints" / "spark_catalog" / database / BRONZE / BRONZE
    )
    names: set[str] = set()
    for uri in storage.logged_paths(source_log / "0" / "sources" / "0"):
        names.add(unquote(urlparse(uri).path).rsplit("/", 1)[-1])
    return names


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
    refresh: Sequence[str] | None = None,
) -> UpdateResult:
    """Run one pipeline update on `spark` (an engine session) and record it in the ledger.

    `refresh`: the tables to update (default: all; see `next_lane`); the other views keep
    their published version.

    The pipeline writes its own database `database`; a completed update is then published
    to `publish_database`, where readers find it (`publish.publish_update`). Never raises
    for a failed update: the result (and the ledger) say FAILED with the error, and readers
    keep the previous version of every view whose own flow did not complete (as on
    Databricks, a view whose flow completed keeps its new version). KeyboardInterrupt marks
    the update CANCELED and propagates.
    """
    ensure_writable(paths.pipeline_storage)
    paths.landing.mkdir(parents=True, exist_ok=True)
    ledger = ledger or Ledger(paths.ledger)
    pipeline_id = ledger.ensure_pipeline(PIPELINE_NAME)
    files = landing_files(paths)
    update_id = ledger.start_update(pipeline_id, cause=cause, full_refresh=full_refresh)
    started, origin = time.monotonic(), time.time()
    phases: dict[str, Any] = {}
    try:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
        dirs = storage.table_dirs(spark, database)
        before = storage.snapshot(dirs)
        # The alert path reads only its own tables: its graph is just those four files, so
        # the engine registers and resolves four flows, not every dataset.
        alone = refresh is not None and tuple(refresh) == ALERT_PATH
        spec = pipeline_spec(paths, overrides, database, ALERT_GRAPH if alone else None)
        if full_refresh:
            reset_tables(spark, paths, database, publish_database)
            before = storage.snapshot(dirs)
        phases["prepare"] = round(time.monotonic() - started, 3)
        publisher = publish.ViewPublisher(paths, dirs, origin)
        try:
            events = _run_graph(
                spark,
                spec,
                phases,
                on_completed=publisher,
                origin=origin,
                refresh=refresh or (),
            )
        except Exception:
            publish.catalog_follows(spark, publisher, database, publish_database)
            raise
        phases["published"] = publisher.at
        published = publish.publish_update(
            spark,
            paths,
            dirs,
            database,
            publish_database,
            phases,
            publisher.published,
            views=[v for v in MATERIALIZED_VIEWS if not refresh or v in refresh],
        )
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
        metrics = storage.update_metrics(dirs, before, full_refresh, published, refresh)
    except Exception as exc:  # metrics are informative; never fail a good update on them
        log.warning("could not compute update metrics: %s", _one_line(exc))
        metrics = {}
    metrics["duration_s"] = round(duration, 3)
    metrics["landing_files"] = len(files)
    metrics["phases"] = phases
    if refresh:
        metrics["refreshed"] = list(refresh)
    log.info("update phases: %s", progress.describe(phases))
    ledger.finish_update(update_id, states.COMPLETED, metrics=metrics)
    return UpdateResult(
        update_id,
        states.COMPLETED,
        duration,
        full_refresh,
        metrics=metrics,
        landing_files=len(files),
        events=events,
        phases=phases,
    )


# Lanes of the continuous engine. A CRITICAL reading reaches the notifier through
# gold_fault_episodes; the fewer flows an update runs, the sooner it ends and the sooner
# the next landing file is taken. So while landing files wait, an update runs only the
# alert path: bronze, silver and the episodes, in a graph of the four dataset files the
# episodes read (ALERT_GRAPH; they read no other table). gold_fault_segments is in that
# graph but not refreshed: it only ever writes segments older than the lateness window,
# and the episodes view reads whatever silver no written segment holds yet, so a segments
# table one update behind changes no episode. The other tables (segments, quarantine,
# status, open alerts, hourly, summary) follow in an update of their own as soon as no
# file waits, and at the latest every REST_MAX_LAG_S (then with the alert path in one
# full update).
ALERT_GRAPH = (BRONZE, SILVER, GOLD_SEGMENTS, GOLD_EPISODES)
ALERT_PATH = (BRONZE, SILVER, GOLD_EPISODES)
REST = tuple(t for t in PIPELINE_TABLES if t not in ALERT_PATH)
REST_MAX_LAG_S = 30.0
# Every this many updates that refreshed the streaming tables' readers (full or rest
# updates, never between an alert-path update and its file), and only while no landing
# file waits, the engine merges its streaming tables' small files
# (`workloads.engine.compaction`): between updates, as that module requires.
COMPACT_EVERY_UPDATES = 10
# The Spark Connect server keeps state per client session that grows with every update
# (the plans of the session's queries: ~10 MB an update, seen in the JVM's class
# histograms; the status store's limits change nothing). In the engine's 1 GiB heap the
# JVM was in full GCs most of the time after ~50 updates: alert-path updates went from
# 4 s to 12 s, a full one to 21 s. A new session every SESSION_UPDATES updates, the old
# one released, keeps the live heap flat (after 20 updates 168 MB instead of 355 MB).
SESSION_UPDATES = 10


def lane_name(refreshed) -> str:
    """What an update that refreshed `refreshed` (its lane; empty: every table) is called in
    logs and benchmarks."""
    lane = tuple(refreshed or ())
    return "alert path" if lane == ALERT_PATH else "rest" if lane else "all"


def next_lane(files_waiting: bool, rest_pending: bool, rest_lag_s: float) -> tuple[str, ...] | None:
    """What the continuous engine's next update refreshes: ALERT_PATH, REST, () for every
    table, or None (nothing to do). `rest_pending`: an alert-path update ran since the rest
    was last refreshed, `rest_lag_s` seconds ago."""
    if files_waiting:
        return () if rest_pending and rest_lag_s >= REST_MAX_LAG_S else ALERT_PATH
    return REST if rest_pending else None


def compact_between_updates(spark, paths: Paths) -> None:
    """Merge the streaming tables' small files now (no update runs); never raises."""
    from workloads.engine import compaction

    started = time.monotonic()
    try:  # each table's outcome is logged by compact_table
        compaction.compact_tables(paths, storage.table_dirs(spark, PIPELINE_DATABASE))
    except Exception as exc:  # the old listings are intact; the next round tries again
        log.warning("compaction failed: %s", _one_line(exc))
        return
    log.info("compaction round in %.1f s", time.monotonic() - started)


def renew_session(spark, port: int):
    """A new Connect session on the engine at `port`, the old one released (the engine and
    its tables are untouched). On any error the old session is kept."""
    from workloads.spark import connect_to_engine, stop_remote_session

    try:
        fresh = connect_to_engine(port, new=True)
        fresh.sql("SELECT 1").collect()
    except Exception as exc:
        log.warning("could not open a new engine session, keeping the old: %s", _one_line(exc))
        return spark
    stop_remote_session(spark)
    return fresh


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
            rest_since: float | None = None  # when the rest first fell behind the alert path
            since_compaction = 0  # full or rest updates since the last compaction
            while not stop.is_set():
                current = landing_files(paths)
                if seen is None:  # the first update: every table
                    lane: tuple[str, ...] | None = ()
                else:
                    lag = 0.0 if rest_since is None else time.monotonic() - rest_since
                    lane = next_lane(bool(current - seen), rest_since is not None, lag)
                if lane is not None:
                    began = time.monotonic()
                    result = run_update(
                        spark,
                        paths,
                        full_refresh=full_refresh and updates == 0,
                        cause=cause if updates == 0 else "NEW_DATA",
                        overrides=overrides,
                        refresh=lane,
                    )
                    updates += 1
                    if updates % SESSION_UPDATES == 0:
                        spark = renew_session(spark, port)
                    log.info(
                        "update %s %s in %.1f s (%s)",
                        result.update_id[:8],
                        result.state,
                        result.duration_s,
                        lane_name(lane),
                    )
                    if result.ok:
                        if lane != REST:
                            seen = current | ingested_files(paths)
                        if lane == ALERT_PATH:
                            rest_since = began if rest_since is None else rest_since
                        else:
                            rest_since = None
                        if after_update is not None:
                            try:
                                after_update(spark, result)
                            except Exception as exc:
                                log.error("after-update step failed: %s", _one_line(exc))
                        if lane != ALERT_PATH:
                            since_compaction += 1
                        if landing_files(paths) - seen or rest_since is not None:
                            continue  # more to do at once: new files, or the rest to catch up
                        if since_compaction >= COMPACT_EVERY_UPDATES:
                            compact_between_updates(spark, paths)
                            since_compaction = 0
                    elif seen is None:
                        seen = set()
                stop.wait(interval)
    finally:
        spark.stop()
    return updates
