"""The medallion pipeline on the real Spark Declarative Pipelines engine (shared session).

Each test gets its own database, landing folder, checkpoints and ledger, so tests do
not see each other's tables.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.helpers import faulty, line, reading, write_landing
from workloads.config import Paths
from workloads.engine import runner
from workloads.ledger import Ledger
from workloads.names import (
    BRONZE,
    GOLD_ALERTS,
    GOLD_STATUS,
    PIPELINE_NAME,
    PIPELINE_TABLES,
    QUARANTINE,
    SILVER,
)
from workloads.pipeline import rules

pytestmark = pytest.mark.integration
# Gold windows end here, so the fixed 2026-01-05 readings are "recent".
SETTINGS = {"as_of": "2026-01-05T12:00:00Z"}


@pytest.fixture
def pipeline_home(tmp_path) -> tuple[Paths, str]:
    return Paths(tmp_path / "home"), f"pipeline_{uuid.uuid4().hex[:8]}"


def update(spark, paths: Paths, database: str, **kwargs) -> runner.UpdateResult:
    return runner.run_update(spark, paths, database=database, overrides=SETTINGS, **kwargs)


def rows(spark, database: str, table: str) -> list:
    return spark.read.table(f"{database}.{table}").collect()


def assert_layers_ran_in_order(events: list[str], database: str) -> None:
    """Each flow started only after its upstream flows completed (one update, one graph)."""

    def at(table: str, state: str) -> int:
        text = f"Flow spark_catalog.{database}.{table} {state}"
        return next(i for i, message in enumerate(events) if message.startswith(text))

    for table in (SILVER, QUARANTINE):
        assert at(BRONZE, "has COMPLETED") < at(table, "is RUNNING"), events
    for table in PIPELINE_TABLES[3:]:  # the gold views
        assert at(SILVER, "has COMPLETED") < at(table, "is RUNNING"), events


def landing_lines(paths: Paths) -> list[str]:
    lines: list[str] = []
    for file in sorted(paths.landing.glob("[!.]*.jsonl")):
        lines += file.read_text().splitlines()
    return lines


def test_update_keeps_every_line_and_bad_input_never_stops_it(spark, pipeline_home):
    paths, db = pipeline_home
    good = [line(reading(t, m)) for t in (1, 2, 3) for m in range(4)]
    good += [line(faulty(2, 10, "GEARBOX_OVERHEAT")), line(faulty(2, 11, "HIGH_VIBRATION"))]
    write_landing(paths.landing, "batch-001.jsonl", [*good, good[0]])  # one duplicate
    write_landing(paths.landing, "garbage.jsonl", "\x00\x01 not json at all\n{{{{\n")
    write_landing(paths.landing, "empty.jsonl", "")
    changed = reading(4, 0)
    changed["windspeed_ms"] = changed.pop("wind_speed")
    write_landing(paths.landing, "changed-schema.jsonl", [json.dumps(changed)])
    huge = "x" * (10 * 1024 * 1024)
    write_landing(paths.landing, "huge-line.jsonl", [huge, line(reading(5, 0))])
    write_landing(paths.landing, ".in-progress.jsonl.tmp", ["never read: temporary name"])

    result = update(spark, paths, db)
    assert result.ok, result.error

    bronze = rows(spark, db, BRONZE)
    assert sorted(r.raw for r in bronze) == sorted(landing_lines(paths))
    silver = rows(spark, db, SILVER)
    quarantine = rows(spark, db, QUARANTINE)
    assert len(silver) + len(quarantine) == len(bronze) - 1  # the one duplicate
    assert len({(r.turbine_id, r.timestamp) for r in silver}) == len(silver)
    reasons = {r.raw[:20]: r.rejection_reasons for r in quarantine}
    assert reasons["{{{{"] == [rules.UNPARSEABLE]
    # A sensor the line does not carry is not measured (null), not a rejection (issue 21).
    assert [r.wind_speed for r in silver if r.turbine_id == "TURBINE_00004"] == [None]
    assert [len(r.raw) for r in quarantine if r.raw.startswith("xxx")] == [len(huge)]
    assert all(r.source_file.endswith(".jsonl") for r in quarantine)

    status = {r.turbine_id: r for r in rows(spark, db, GOLD_STATUS)}
    assert set(status) == {f"TURBINE_0000{n}" for n in (1, 2, 3, 4, 5)}
    assert status["TURBINE_00002"].fault_code == "HIGH_VIBRATION"
    alerts = {(r.turbine_id, r.fault_code) for r in rows(spark, db, GOLD_ALERTS)}
    assert alerts == {("TURBINE_00002", "GEARBOX_OVERHEAT"), ("TURBINE_00002", "HIGH_VIBRATION")}

    ledger = Ledger(paths.ledger)
    (pipeline,) = ledger.list_pipelines()
    assert (pipeline["name"], pipeline["state"]) == (PIPELINE_NAME, "IDLE")
    latest = pipeline["latest_update"]
    assert latest["state"] == "COMPLETED" and latest["duration_ms"] > 0
    tables = latest["metrics"]["tables"]
    assert set(tables) == set(PIPELINE_TABLES)
    assert tables[BRONZE]["rows_written"] == len(bronze)
    assert tables[SILVER] == {"rows_read": len(bronze), "rows_written": len(silver)}

    # Incremental: only the new file is read; a late copy of a known reading is dropped.
    write_landing(paths.landing, "batch-002.jsonl", [line(reading(1, 30)), good[1]])
    second = update(spark, paths, db)
    assert second.ok, second.error
    # Tables exist now: the engine still orders the layers, so the file reaches gold at once.
    assert_layers_ran_in_order(second.events, db)
    assert second.metrics["tables"][BRONZE]["rows_written"] == 2
    assert second.metrics["tables"][SILVER]["rows_written"] == 1
    assert len(rows(spark, db, BRONZE)) == len(bronze) + 2
    assert len(rows(spark, db, SILVER)) == len(silver) + 1
    status = {r.turbine_id: r for r in rows(spark, db, GOLD_STATUS)}
    assert status["TURBINE_00001"].timestamp.minute == 30


def test_failed_update_is_recorded_and_the_next_one_recovers(spark, pipeline_home):
    paths, db = pipeline_home
    write_landing(paths.landing, "batch-001.jsonl", [line(reading(1, 0)), line(reading(2, 0))])
    ledger = Ledger(paths.ledger)

    failed = runner.run_update(
        spark, paths, database=db, overrides={**SETTINGS, "landing_format": "csv"}
    )
    assert failed.state == "FAILED"
    (pipeline,) = ledger.list_pipelines()
    assert pipeline["state"] == "FAILED"
    assert pipeline["latest_update"]["state"] == "FAILED"
    assert "landing_format" in pipeline["latest_update"]["error"]

    recovered = update(spark, paths, db)
    assert recovered.ok, recovered.error
    (pipeline,) = ledger.list_pipelines()
    assert (pipeline["state"], pipeline["latest_update"]["state"]) == ("IDLE", "COMPLETED")
    assert len(rows(spark, db, SILVER)) == 2

    # A full refresh recomputes from the landing files: nothing doubles.
    write_landing(paths.landing, "batch-002.jsonl", [line(reading(3, 0))])
    refreshed = update(spark, paths, db, full_refresh=True)
    assert refreshed.ok, refreshed.error
    assert len(rows(spark, db, BRONZE)) == 3
    assert len(rows(spark, db, SILVER)) == 3
    assert ledger.list_updates(pipeline["pipeline_id"], limit=1)[0]["full_refresh"] is True


def test_gold_alerts_table_is_documented_for_genie(spark, pipeline_home):
    paths, db = pipeline_home
    write_landing(paths.landing, "batch-001.jsonl", [line(faulty(1, 0, "TOWER_LEAN"))])
    assert update(spark, paths, db).ok
    columns = {c.name: c.description for c in spark.catalog.listColumns(f"{db}.{GOLD_ALERTS}")}
    assert list(columns) == [
        "turbine_id",
        "fault_code",
        "alert_level",
        "opened_at",
        "last_seen_at",
        "readings",
        "latitude",
        "longitude",
        "maintenance_needed",
    ]
    assert all(columns.values())
    comment = spark.sql(f"DESCRIBE TABLE EXTENDED {db}.{GOLD_ALERTS}").collect()
    assert any(r.col_name == "Comment" and "maintenance" in r.data_type for r in comment)
    assert Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:")).is_dir()


def fault_history(turbines: int = 5, minutes: int = 240, seed: int = 7) -> list[dict]:
    """Minute readings with faults of every kind in runs of 1-20 minutes, 5-45 minutes apart
    (so gaps fall on both sides of the 30-minute setting); turbine 1 in one long fault."""
    import random

    rng = random.Random(seed)
    codes = ["GEARBOX_OVERHEAT", "HIGH_VIBRATION", "LOW_OIL_PRESSURE", "LOW_POWER_OUTPUT"]
    rows = []
    for turbine in range(1, turbines + 1):
        fault_at: dict[int, str] = {}
        if turbine == 1:
            fault_at = {m: "TOWER_LEAN" for m in range(20, minutes)}
        else:
            minute = rng.randrange(0, 30)
            while minute < minutes:
                code, length = rng.choice(codes), rng.randrange(1, 21)
                fault_at.update({m: code for m in range(minute, min(minute + length, minutes))})
                minute += length + rng.randrange(5, 46)
        for minute in range(minutes):
            code = fault_at.get(minute)
            rows.append(faulty(turbine, minute, code) if code else reading(turbine, minute))
    return rows


def minute_of(row: dict) -> int:
    return int(row["timestamp"][11:13]) * 60 + int(row["timestamp"][14:16])


def test_episodes_kept_incrementally_equal_the_batch_oracle(spark, pipeline_home):
    """Two updates of a generated history: gold_fault_episodes (written segments plus the
    unwritten tail) equals gold.fault_episodes over all of silver, and the open fault's
    opened_at stays its true start, hours before the alert window, across updates."""
    from pyspark.testing import assertDataFrameEqual

    from workloads.names import GOLD_EPISODES, GOLD_SEGMENTS
    from workloads.pipeline import gold

    paths, db = pipeline_home
    settings = {
        "as_of": "latest",
        "alert_window_hours": 1,
        "episode_lateness_hours": 0.5,  # the second update writes the first's segments
    }
    history = sorted(fault_history(), key=lambda r: r["timestamp"])
    opened = []
    for part, start in enumerate((0, 120)):
        chunk = [r for r in history if start <= minute_of(r) < start + 120]
        write_landing(paths.landing, f"batch-{part:03d}.jsonl", [line(r) for r in chunk])
        result = runner.run_update(spark, paths, database=db, overrides=settings)
        assert result.ok, result.error
        alerts = {(r.turbine_id, r.fault_code): r for r in rows(spark, db, GOLD_ALERTS)}
        opened.append(alerts["TURBINE_00001", "TOWER_LEAN"].opened_at)
    assert [(t.hour, t.minute) for t in opened] == [(0, 20), (0, 20)]
    assert spark.read.table(f"{db}.{GOLD_SEGMENTS}").count() > 0  # not all from the tail
    kept = spark.read.table(f"{db}.{GOLD_EPISODES}")
    oracle = gold.fault_episodes(spark.read.table(f"{db}.{SILVER}"), 30.0)
    assert kept.count() > 20
    assertDataFrameEqual(kept, oracle, rtol=1e-9)


def test_the_alert_path_alone_reaches_episodes_and_the_rest_follows(spark, pipeline_home):
    """The continuous engine's lanes: an update of the alert path alone (a graph of its four
    dataset files, the segments not refreshed) takes a new CRITICAL reading to
    gold_fault_episodes and publishes it; the rest (segments, quarantine, status,
    alerts…) keep their version until their own update."""
    from workloads import storage
    from workloads.names import GOLD_EPISODES, GOLD_SEGMENTS

    paths, db = pipeline_home
    write_landing(paths.landing, "batch-001.jsonl", [line(reading(1, 0))])
    assert update(spark, paths, db).ok
    status_version = storage.current_version(paths, GOLD_STATUS).number

    write_landing(paths.landing, "batch-002.jsonl", [line(faulty(2, 5, "GEARBOX_OVERHEAT")), "{"])
    fast = update(spark, paths, db, refresh=runner.ALERT_PATH)
    assert fast.ok, fast.error
    assert [e for e in fast.events if "silver_quarantine" in e] == []  # not in its graph
    episodes = storage.read_table(paths, GOLD_EPISODES)
    assert set(episodes["turbine_id"]) == {"TURBINE_00002"}
    assert GOLD_EPISODES in fast.phases["published"]
    assert storage.current_version(paths, GOLD_STATUS).number == status_version
    tables = fast.metrics["tables"]
    assert tables[SILVER]["rows_written"] == 1 and tables[QUARANTINE]["refreshed"] is False
    assert tables[GOLD_SEGMENTS]["refreshed"] is False
    assert len(rows(spark, db, QUARANTINE)) == 0

    rest = update(spark, paths, db, refresh=runner.REST)
    assert rest.ok, rest.error
    assert len(rows(spark, db, QUARANTINE)) == 1  # the broken line, once
    status = {r.turbine_id: r for r in rows(spark, db, GOLD_STATUS)}
    assert status["TURBINE_00002"].fault_code == "GEARBOX_OVERHEAT"
    assert rest.metrics["tables"][BRONZE]["refreshed"] is False
    assert "refreshed" not in rest.metrics["tables"][GOLD_SEGMENTS]  # it ran


def test_a_renewed_session_goes_on_with_the_same_engine_and_tables(spark, pipeline_home):
    """The continuous engine's periodic new session (`runner.renew_session`): the old one is
    released, the next update on the new one continues the same streams, and the test
    process's own session on that engine keeps working."""
    from workloads.spark import connect_to_engine, stop_remote_session

    paths, db = pipeline_home
    port = int(spark.conf.get("spark.connect.grpc.binding.port"))
    first = connect_to_engine(port, new=True)
    write_landing(paths.landing, "batch-001.jsonl", [line(reading(1, 0))])
    assert update(first, paths, db).ok
    second = runner.renew_session(first, port)
    assert second is not first and first.is_stopped
    write_landing(paths.landing, "batch-002.jsonl", [line(reading(2, 1))])
    try:
        result = update(second, paths, db)
        assert result.ok, result.error
        assert result.metrics["tables"][SILVER]["rows_written"] == 1  # the stream went on
        assert len(rows(second, db, SILVER)) == 2
    finally:
        stop_remote_session(second)
    assert spark.sql("SELECT 1 AS one").collect()[0].one == 1
