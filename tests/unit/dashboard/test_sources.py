"""Local sources: the ledger and the Parquet table folders (no JVM)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from dashboard.sources import GOLD_TABLES, LocalGoldSource, LocalStatusSource
from tests.fakes.gold_tables import write_all, write_gold, write_ledger, write_silver
from workloads import names
from workloads.config import Paths
from workloads.ledger import Ledger

pytestmark = pytest.mark.unit


@pytest.fixture
def home(tmp_path) -> Paths:
    return Paths(tmp_path / "home")


def test_missing_tables_mean_no_data_yet(home):
    gold = LocalGoldSource(home).fetch_gold()
    assert set(gold) == set(GOLD_TABLES)
    assert all(frame is None for frame in gold.values())
    assert LocalGoldSource(home).fetch_trend("TURBINE_00001") is None


def test_gold_tables_are_read_with_their_contract_columns(home):
    write_gold(home)
    gold = LocalGoldSource(home).fetch_gold()
    status = gold[names.GOLD_STATUS]
    assert len(status) == 5  # Spark's _SUCCESS, _spark_metadata and .crc files are skipped
    assert str(status["timestamp"].dt.tz) == "UTC"
    assert list(gold[names.GOLD_ALERTS]["alert_level"]) == ["CRITICAL", "WARNING"]
    plan = gold[names.GOLD_DISPATCH]
    assert plan["stop"].dropna().tolist() == [1, 2]
    assert plan["crew_id"].isna().sum() == 1  # the task no crew could take


def test_plan_missing_while_gold_exists(home):
    write_gold(home, with_plan=False)
    gold = LocalGoldSource(home).fetch_gold()
    assert gold[names.GOLD_DISPATCH] is None and gold[names.GOLD_STATUS] is not None


def test_a_file_vanishing_mid_read_is_retried(home, monkeypatch):
    write_gold(home)
    source = LocalGoldSource(home, retry_delay=0)
    real = ds.dataset
    failures = iter([FileNotFoundError("part-00000 vanished")])

    def flaky(*args, **kwargs):
        for exc in failures:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(ds, "dataset", flaky)
    assert len(source.read_table(names.GOLD_STATUS)) == 5


def test_a_table_that_keeps_failing_raises_after_the_retries(home, monkeypatch):
    write_gold(home)
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise pa.ArrowInvalid("half-written file")

    monkeypatch.setattr(ds, "dataset", broken)
    with pytest.raises(pa.ArrowInvalid):
        LocalGoldSource(home, attempts=3, retry_delay=0).read_table(names.GOLD_STATUS)
    assert len(calls) == 3


def test_trend_reads_only_recent_partitions_of_one_turbine(home):
    write_silver(home, days=3)
    # An unreadable file in the oldest partition proves pruning: it is never opened.
    oldest = sorted(home.table(names.SILVER).glob("reading_date=*"))[0]
    (oldest / "part-99999-broken.parquet").write_bytes(b"not parquet")
    trend = LocalGoldSource(home).fetch_trend("TURBINE_00003", hours=24)
    assert set(trend["turbine_id"]) == {"TURBINE_00003"}
    assert trend["timestamp"].is_monotonic_increasing
    span = trend["timestamp"].max() - trend["timestamp"].min()
    assert span.total_seconds() == 24 * 3600
    assert list(trend.columns)[:2] == ["turbine_id", "timestamp"]


def test_trend_ignores_files_the_streaming_commit_log_does_not_list(home):
    write_silver(home, days=1)
    [partition] = home.table(names.SILVER).glob("reading_date=*")
    orphan = partition / "part-00001-killed-batch.parquet"
    pq.write_table(pa.Table.from_pylist([{"turbine_id": "TURBINE_00003"}]), orphan)
    trend = LocalGoldSource(home).fetch_trend("TURBINE_00003", hours=24)
    assert len(trend) > 0
    assert trend["timestamp"].notna().all()  # the orphan (no timestamp) was never read


def test_local_status_shows_pipeline_updates_jobs_and_events(home):
    write_ledger(home)
    ledger = Ledger(home.ledger)
    running = ledger.start_run(ledger.ensure_job(names.PIPELINE_REFRESH_JOB))
    assert running
    status = LocalStatusSource(home).fetch_status()
    assert status.filter_path == "local ledger"
    (pipeline,) = status.pipelines
    assert pipeline["name"] == names.PIPELINE_NAME and pipeline["state"] == "IDLE"
    assert pipeline["latest_update"]["state"] == "COMPLETED"
    assert pipeline["latest_update"]["rows"] == 1234
    assert pipeline["latest_update"]["duration_s"] is not None
    by_name = {job["name"]: job for job in status.jobs}
    assert (
        by_name[names.GENERATOR_JOB]["state"] == "SUCCESS"
        and not by_name[names.GENERATOR_JOB]["active"]
    )
    assert by_name[names.PIPELINE_REFRESH_JOB]["active"]
    assert any("disk full" in e["message"] and e["level"] == "ERROR" for e in status.events)


def test_fleet_kpis_from_fixture_tables(home):
    from dashboard.state import Poller

    write_all(home)
    poller = Poller(LocalStatusSource(home), LocalGoldSource(home))
    assert poller.refresh()
    fleet = poller.snapshot.fleet()
    assert fleet["turbines_reporting"] == 5
    assert fleet["power_now_mw"] == 5.0  # 1500 + 0 + 1200 + 50 + 2250.5 kW
    assert fleet["energy_today_mwh"] == 65.0  # 13 hours of 2026-01-05 at 5 MWh
    assert (fleet["critical_alerts"], fleet["warning_alerts"]) == (1, 1)


def test_an_unreadable_table_is_returned_as_its_error_and_the_others_are_read(home, monkeypatch):
    write_gold(home)
    source = LocalGoldSource(home)
    real = source.read_table

    def read(table, *args, **kwargs):
        if table == names.GOLD_FAULTS:
            raise pa.ArrowInvalid("half-written file")
        return real(table, *args, **kwargs)

    monkeypatch.setattr(source, "read_table", read)
    gold = source.fetch_gold()
    assert isinstance(gold[names.GOLD_FAULTS], pa.ArrowInvalid)
    assert len(gold[names.GOLD_STATUS]) == 5 and len(gold[names.GOLD_DISPATCH]) == 3
