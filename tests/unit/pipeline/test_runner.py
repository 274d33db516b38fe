"""Runner helpers that need no engine: commit logs, landing listing, the spec."""

import json
import threading
import time

import pytest

from workloads import names, storage
from workloads.config import LOCAL_DATABASE, PIPELINE_DATABASE, Paths
from workloads.engine import runner
from workloads.names import PIPELINE_TABLES
from workloads.pipeline.settings import DATASET_FILES, transformations_dir

pytestmark = pytest.mark.unit


def write_log(folder, batch: str, entries: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["v1", *(json.dumps(e) for e in entries)]
    (folder / batch).write_text("\n".join(lines) + "\n")


def test_committed_files_follow_the_compacted_log_and_ignore_orphans(tmp_path):
    log = tmp_path / "table" / "_spark_metadata"
    write_log(log, "8", [{"path": "file:///t/old.parquet", "action": "add"}])
    write_log(log, "9.compact", [{"path": f"file:///t/{n}.parquet", "action": "add"} for n in "ab"])
    write_log(log, "10", [{"path": "file:///t/c.parquet", "action": "add"}])
    (tmp_path / "table" / "orphan-of-a-killed-batch.parquet").write_bytes(b"")
    assert storage.committed_files(tmp_path / "table") == {
        "file:///t/a.parquet",
        "file:///t/b.parquet",
        "file:///t/c.parquet",
    }
    assert storage.committed_files(tmp_path / "missing") == set()


def test_landing_listing_skips_temporary_files(tmp_path):
    paths = Paths(tmp_path)
    paths.landing.mkdir(parents=True)
    for name in ("a.jsonl", ".b.jsonl.tmp", "_c.jsonl", "notes.txt"):
        (paths.landing / name).write_text("")
    assert runner.landing_files(paths) == {"a.jsonl"}
    assert runner.landing_files(paths) - {"a.jsonl"} == set()
    assert runner.landing_files(Paths(tmp_path / "none")) == set()


def test_spec_puts_storage_under_home_and_lists_every_dataset(tmp_path):
    spec = runner.pipeline_spec(Paths(tmp_path), {"dedup_window_hours": 6})
    assert spec.storage.startswith("file:///") and spec.storage.endswith("/pipeline")
    # The pipeline writes its own database; readers use "windmill" (published versions).
    assert spec.database == PIPELINE_DATABASE == "windmill_pipeline"
    assert LOCAL_DATABASE == "windmill"
    assert spec.configuration["windmill.landing_path"].endswith("landing/raw_sensor_data")
    assert spec.configuration["windmill.dedup_window_hours"] == "6"
    assert len(spec.libraries) == len(DATASET_FILES)
    listed = [lib.include.removesuffix(".py") for lib in spec.libraries]
    # Every dataset file, the pipeline's tables first in medallion order, then any others.
    assert set(listed) == {path.stem for path in transformations_dir().glob("[!_]*.py")}
    known = [name for name in listed if name in PIPELINE_TABLES]
    assert listed[: len(known)] == known == [t for t in PIPELINE_TABLES if t in listed]
    assert listed[:3] == ["bronze_sensor_data", "silver_sensor_data", "silver_quarantine"]


def test_ingested_files_are_the_bronze_streams_source_log(tmp_path):
    paths = Paths(tmp_path)
    source_log = (
        (paths.pipeline_storage / "_checkpoints" / "spark_catalog" / PIPELINE_DATABASE)
        / "bronze_sensor_data"
        / "bronze_sensor_data"
        / "0"
        / "sources"
        / "0"
    )
    landing = paths.landing.resolve().as_uri()
    write_log(source_log, "9.compact", [{"path": f"{landing}/a%20b.jsonl", "batchId": 9}])
    write_log(source_log, "10", [{"path": f"{landing}/c.jsonl", "batchId": 10}])
    assert runner.ingested_files(paths) == {"a b.jsonl", "c.jsonl"}
    assert runner.ingested_files(Paths(tmp_path / "fresh")) == set()


def _fake_engine(monkeypatch, paths, on_update):
    """run_continuous without a JVM: each "update" calls on_update(n) and completes."""
    calls: list[float] = []

    class Spark:
        def stop(self):
            pass

    def run_update(spark, paths_, **kwargs):
        calls.append(time.monotonic())
        on_update(len(calls))
        return runner.UpdateResult(f"u{len(calls)}", "COMPLETED", 0.0)

    monkeypatch.setattr(runner, "start_engine", lambda p: (Spark(), 1))
    monkeypatch.setattr(runner, "run_update", run_update)
    monkeypatch.setattr(runner, "renew_session", lambda spark, port: spark)
    return calls


def test_files_landing_during_an_update_start_the_next_one_without_waiting(tmp_path, monkeypatch):
    paths = Paths(tmp_path)
    paths.landing.mkdir(parents=True)
    (paths.landing / "a.jsonl").write_text("")
    stop = threading.Event()

    def on_update(n):
        if n == 1:  # a file lands while the first update runs
            (paths.landing / "b.jsonl").write_text("")
        else:
            stop.set()

    calls = _fake_engine(monkeypatch, paths, on_update)
    began = time.monotonic()
    assert runner.run_continuous(paths, interval=30.0, stop_event=stop) == 2
    assert time.monotonic() - began < 10  # not the 30 s interval
    assert len(calls) == 2


def test_a_file_the_update_already_took_does_not_start_another(tmp_path, monkeypatch):
    paths = Paths(tmp_path)
    paths.landing.mkdir(parents=True)
    (paths.landing / "a.jsonl").write_text("")
    monkeypatch.setattr(runner, "ingested_files", lambda p: {"a.jsonl", "b.jsonl"})
    stop = threading.Event()

    def on_update(n):
        (paths.landing / "b.jsonl").write_text("")  # landed, and taken by this update
        threading.Timer(0.5, stop.set).start()

    calls = _fake_engine(monkeypatch, paths, on_update)
    assert runner.run_continuous(paths, interval=0.05, stop_event=stop) == 1
    assert len(calls) == 1


def test_waiting_files_take_the_alert_path_and_the_rest_follows_when_none_wait():
    lane = runner.next_lane
    assert lane(files_waiting=True, rest_pending=False, rest_lag_s=0) == runner.ALERT_PATH
    assert lane(files_waiting=True, rest_pending=True, rest_lag_s=5) == runner.ALERT_PATH
    assert lane(files_waiting=False, rest_pending=True, rest_lag_s=5) == runner.REST
    assert lane(files_waiting=False, rest_pending=False, rest_lag_s=0) is None
    # The rest never falls further behind than REST_MAX_LAG_S: then one update does all.
    assert lane(files_waiting=True, rest_pending=True, rest_lag_s=runner.REST_MAX_LAG_S) == ()
    assert set(runner.ALERT_PATH) | set(runner.REST) == set(PIPELINE_TABLES)
    assert runner.ALERT_PATH[-1] == "gold_fault_episodes"


def test_after_an_alert_path_update_the_rest_runs_at_once(tmp_path, monkeypatch):
    paths = Paths(tmp_path)
    paths.landing.mkdir(parents=True)
    (paths.landing / "a.jsonl").write_text("")
    monkeypatch.setattr(runner, "ingested_files", lambda p: set())
    lanes: list = []
    stop = threading.Event()

    def run_update(spark, paths_, **kwargs):
        lanes.append(kwargs["refresh"])
        if len(lanes) == 1:
            (paths.landing / "b.jsonl").write_text("")
        if len(lanes) == 3:
            stop.set()
        return runner.UpdateResult(f"u{len(lanes)}", "COMPLETED", 0.0)

    _fake_engine(monkeypatch, paths, lambda n: None)
    monkeypatch.setattr(runner, "run_update", run_update)
    began = time.monotonic()
    assert runner.run_continuous(paths, interval=30.0, stop_event=stop) == 3
    assert time.monotonic() - began < 10
    assert lanes == [(), runner.ALERT_PATH, runner.REST]


def test_the_alert_path_is_a_graph_of_its_own_files(tmp_path):
    spec = runner.pipeline_spec(Paths(tmp_path), datasets=runner.ALERT_GRAPH)
    listed = [lib.include.removesuffix(".py") for lib in spec.libraries]
    assert listed == list(runner.ALERT_GRAPH)
    # It refreshes all but the segments, which only write what is older than the lateness
    # window and follow with the rest.
    assert set(runner.ALERT_GRAPH) - set(runner.ALERT_PATH) == {"gold_fault_segments"}


def test_compaction_runs_between_updates_every_few_full_or_rest_updates(tmp_path, monkeypatch):
    """Every COMPACT_EVERY_UPDATES full or rest updates, once no landing file waits: never
    after an alert-path update (its rest is due at once) and never while files wait."""
    paths = Paths(tmp_path)
    paths.landing.mkdir(parents=True)
    (paths.landing / "a.jsonl").write_text("")
    monkeypatch.setattr(runner, "ingested_files", lambda p: set())
    monkeypatch.setattr(runner, "COMPACT_EVERY_UPDATES", 2)
    events: list = []
    stop = threading.Event()

    def run_update(spark, paths_, **kwargs):
        events.append(kwargs["refresh"])
        if len(events) in (1, 3):  # a file lands during the 1st and the 3rd update
            (paths.landing / f"f{len(events)}.jsonl").write_text("")
        return runner.UpdateResult(f"u{len(events)}", "COMPLETED", 0.0)

    def compact(spark, paths_):
        events.append("compact")
        stop.set()

    _fake_engine(monkeypatch, paths, lambda n: None)
    monkeypatch.setattr(runner, "run_update", run_update)
    monkeypatch.setattr(runner, "compact_between_updates", compact)
    began = time.monotonic()
    runner.run_continuous(paths, interval=0.01, stop_event=stop)
    assert time.monotonic() - began < 10
    alert, rest = runner.ALERT_PATH, runner.REST
    # 1 full (a file lands), 2 alert path, 3 rest (a file lands: no compaction while it
    # waits), 4 alert path, 5 rest, then compaction (3 full/rest updates, none waiting).
    assert events == [(), alert, rest, alert, rest, "compact"]


def test_the_engine_session_is_renewed_every_few_updates(tmp_path, monkeypatch):
    """Every SESSION_UPDATES updates the loop goes on with a new session (the server's
    per-session state grows with every update), and later updates and hooks get it."""
    paths = Paths(tmp_path)
    paths.landing.mkdir(parents=True)
    monkeypatch.setattr(runner, "ingested_files", lambda p: set())
    monkeypatch.setattr(runner, "SESSION_UPDATES", 3)
    used: list = []
    stop = threading.Event()

    def run_update(spark, paths_, **kwargs):
        used.append(spark)
        (paths.landing / f"f{len(used)}.jsonl").write_text("")  # always more to do
        if len(used) == 7:
            stop.set()
        return runner.UpdateResult(f"u{len(used)}", "COMPLETED", 0.0)

    _fake_engine(monkeypatch, paths, lambda n: None)
    monkeypatch.setattr(runner, "run_update", run_update)
    renewed: list = []

    class Session:
        def __init__(self, name):
            self.name = name

        def stop(self):
            pass

        def __eq__(self, other):
            return getattr(other, "name", other) == self.name

    def renew(spark, port):
        renewed.append((spark, port))
        return Session(f"session {len(renewed) + 1}")

    monkeypatch.setattr(runner, "renew_session", renew)
    hooks: list = []
    runner.run_continuous(
        paths, interval=0.01, stop_event=stop, after_update=lambda s, r: hooks.append(s)
    )
    assert [port for _spark, port in renewed] == [1, 1]  # after updates 3 and 6
    assert used[3:6] == ["session 2"] * 3 and used[6] == "session 3"
    assert hooks[2] == "session 2"  # the hook after the renewing update gets the new one


def test_an_update_says_which_tables_it_refreshed():
    whole = runner.UpdateResult("u1", "COMPLETED", 1.0, metrics={})
    alert = runner.UpdateResult(
        "u2", "COMPLETED", 1.0, metrics={"refreshed": list(runner.ALERT_PATH)}
    )
    assert whole.refreshed(names.GOLD_STATUS) and whole.refreshed(names.SILVER)
    assert alert.refreshed(names.SILVER) and not alert.refreshed(names.GOLD_STATUS)
