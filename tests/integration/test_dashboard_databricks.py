"""The Databricks sources with the real databricks-sdk against a fake workspace server."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import pytest

from dashboard import logbuffer
from dashboard.databricks import DatabricksGoldSource, DatabricksStatusSource
from dashboard.state import Poller
from tests.fakes.workspace import TRICKY_NAMES, FakeWorkspace, populate
from workloads import names

pytestmark = pytest.mark.integration
TOKEN = "dapi0123456789abcdef0123456789abcdef"


@pytest.fixture
def isolated_env(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.databrickscfg
    return tmp_path


@pytest.fixture
def workspace(isolated_env):
    ws = FakeWorkspace(page_size=2)
    populate(ws, extra_jobs=7)
    ws.start()
    yield ws
    ws.stop()


def client_for(ws: FakeWorkspace, http_timeout: int = 5, retry_timeout: int = 10):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    return WorkspaceClient(
        config=Config(
            host=ws.url,
            token=TOKEN,
            http_timeout_seconds=http_timeout,
            retry_timeout_seconds=retry_timeout,
        )
    )


@pytest.fixture
def poller(workspace):
    client = client_for(workspace)
    return Poller(
        DatabricksStatusSource(client),
        DatabricksGoldSource(client, "wh-1", "main", "windmill"),
        refresh_seconds=60,
    )


@pytest.fixture
def log_lines():
    buffer = logbuffer.install()
    yield lambda: [line["message"] for line in buffer.lines(500)]


def test_pipelines_and_jobs_across_pages_with_tricky_names(workspace, poller):
    assert poller.refresh(), poller.snapshot.error
    status = poller.snapshot.status
    assert status.filter_path == "server-side filter"
    assert sorted(p["name"] for p in status.pipelines) == sorted(
        [names.PIPELINE_NAME, *TRICKY_NAMES]
    )
    assert not any(p["name"] in ("other team ETL", "wind-mill lookalike") for p in status.pipelines)
    jobs = {job["name"]: job for job in status.jobs}
    assert set(jobs) == {
        names.GENERATOR_JOB,
        names.PIPELINE_REFRESH_JOB,
        names.DISPATCH_JOB,
        TRICKY_NAMES[2],
    }
    # 12 jobs in pages of 2; every run page of a windmill job was followed (4 runs > page size).
    assert workspace.calls["/api/2.2/jobs/list"] == 6
    generator = jobs[names.GENERATOR_JOB]
    assert len(generator["latest_runs"]) == 4
    assert generator["active"] and generator["latest_runs"][0]["life_cycle_state"] == "RUNNING"
    assert generator["link"].endswith(f"/jobs/{generator['job_id']}")
    running = next(p for p in status.pipelines if p["name"] == names.PIPELINE_NAME)
    assert running["active"] and running["link"].endswith(f"/pipelines/{running['pipeline_id']}")
    counts = poller.snapshot.counts("pipelines")
    assert counts == {"total": 4, "active": 1, "idle": 3}


def test_finished_updates_show_when_they_ended_how_long_and_why_they_failed(workspace, poller):
    failed = workspace.add_pipeline(
        "windmill backfill", update_state="FAILED", error="Table gold_x: disk quota exceeded"
    )
    assert poller.refresh(), poller.snapshot.error
    pipelines = {p["name"]: p for p in poller.snapshot.status.pipelines}
    done = pipelines[TRICKY_NAMES[0]]["latest_update"]
    assert done["state"] == "COMPLETED" and done["error"] is None
    assert done["ended_at"] == "2026-01-05T00:01:35.000+00:00" and done["duration_s"] == 95.0
    broken = pipelines["windmill backfill"]["latest_update"]
    assert broken["state"] == "FAILED" and broken["duration_s"] == 95.0
    assert broken["error"] == "Table gold_x: disk quota exceeded"
    running = pipelines[names.PIPELINE_NAME]["latest_update"]
    assert running["ended_at"] is None and running["duration_s"] > 0  # still going
    # A finished update's events are read once: the next refresh makes no such call.
    reads = workspace.calls[f"/api/2.0/pipelines/{failed}/events"]
    assert reads >= 1
    assert poller.refresh()
    assert workspace.calls[f"/api/2.0/pipelines/{failed}/events"] == reads


def test_unreadable_events_leave_the_duration_blank_and_are_read_again(workspace, poller):
    pipeline = workspace.add_pipeline("windmill nightly")
    path = f"/api/2.0/pipelines/{pipeline}/events"
    workspace.fail_on[path] = 403
    assert poller.refresh(), poller.snapshot.error  # the refresh itself succeeds
    nightly = next(p for p in poller.snapshot.status.pipelines if p["name"] == "windmill nightly")
    assert nightly["latest_update"]["state"] == "COMPLETED"
    assert nightly["latest_update"]["duration_s"] is None
    del workspace.fail_on[path]
    assert poller.refresh()
    nightly = next(p for p in poller.snapshot.status.pipelines if p["name"] == "windmill nightly")
    assert nightly["latest_update"]["duration_s"] == 95.0


def test_rejected_like_filter_falls_back_and_logs_the_path_with_timing(
    workspace, poller, log_lines
):
    workspace.reject_filter = True
    assert poller.refresh(), poller.snapshot.error
    assert poller.snapshot.status.filter_path == "fallback"
    assert len(poller.snapshot.status.pipelines) == 4
    fallback = [line for line in log_lines() if line.startswith("pipelines listed via fallback")]
    assert fallback and " ms " in fallback[0]
    workspace.reject_filter = False
    poller.refresh()
    assert poller.snapshot.status.filter_path == "server-side filter"
    assert any(line.startswith("pipelines listed via server-side filter") for line in log_lines())


def test_http_429_is_retried_by_the_sdk(workspace, poller):
    workspace.fail_next = [429]
    assert poller.refresh(), poller.snapshot.error
    assert not poller.snapshot.stale
    # Two pages of pipelines, plus the retry of the throttled first page.
    assert workspace.calls["/api/2.0/pipelines"] == 3


@pytest.mark.parametrize("status", [500, 401])
def test_server_error_or_expired_credentials_keep_last_good_data(workspace, poller, status):
    assert poller.refresh()
    good = poller.snapshot
    workspace.fail_status = status
    assert poller.refresh() is False
    snap = poller.snapshot
    assert snap.stale and snap.stale_since == good.refreshed_at
    assert snap.status is good.status
    assert "injected HTTP" in snap.error
    assert poller.next_delay() < poller.refresh_seconds  # retried sooner, with backoff
    workspace.fail_status = None
    assert poller.refresh() and not poller.snapshot.stale


def test_slow_workspace_times_out_and_goes_stale(workspace, isolated_env):
    client = client_for(workspace, http_timeout=1, retry_timeout=2)
    poller = Poller(
        DatabricksStatusSource(client), DatabricksGoldSource(client, "wh", "main", "windmill")
    )
    workspace.delay = 1.5
    started = time.monotonic()
    assert poller.refresh() is False
    assert time.monotonic() - started < 30
    assert poller.snapshot.stale and poller.snapshot.error
    workspace.delay = 0


def test_gold_through_the_warehouse_with_parameters(workspace, poller):
    assert poller.refresh()
    fleet = poller.snapshot.fleet()
    assert fleet["turbines_reporting"] == 5 and fleet["critical_alerts"] == 1
    statements = [s["statement"] for s in workspace.statements]
    assert any("`main`.`windmill`.gold_turbine_status" in s for s in statements)
    sneaky = "T'; DROP TABLE x; --"
    poller.trend(sneaky)
    last = workspace.statements[-1]
    assert sneaky not in last["statement"]
    assert {"name": "turbine_id", "value": sneaky} in last["parameters"]
    trend = poller.trend("TURBINE_00002")
    assert set(trend["turbine_id"]) == {"TURBINE_00002"}
    assert str(trend["timestamp"].dt.tz) == "UTC"


def test_missing_gold_table_means_no_data_yet(workspace, poller):
    del workspace.tables[names.GOLD_DISPATCH]
    assert poller.refresh()
    assert poller.snapshot.gold[names.GOLD_DISPATCH] is None


def test_token_never_reaches_the_logs(workspace, poller, log_lines):
    logging.getLogger("databricks.sdk").setLevel(logging.DEBUG)
    try:
        workspace.fail_status = 401
        poller.refresh()
        workspace.fail_status = None
        poller.refresh()
    finally:
        logging.getLogger("databricks.sdk").setLevel(logging.WARNING)
    assert log_lines()
    assert not any(TOKEN in line for line in log_lines())


def _run_dashboard(*args, env_home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env["HOME"] = str(env_home)
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_databricks_mode_without_credentials_is_one_clear_error(isolated_env):
    result = _run_dashboard(
        "--workspace", "databricks", "--warehouse-id", "w1", env_home=isolated_env
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs credentials" in lines[0] and "Traceback" not in result.stderr


def test_databricks_mode_without_a_warehouse_is_one_clear_error(isolated_env):
    result = _run_dashboard("--workspace", "databricks", env_home=isolated_env)
    assert result.returncode == 2
    assert "--warehouse-id" in result.stderr and "Traceback" not in result.stderr


# One failing source never hides another --------------------------------------------------------


def test_an_unreadable_table_marks_only_its_part_stale(workspace, poller):
    assert poller.refresh(), poller.snapshot.error
    good = poller.snapshot
    workspace.statement_errors[names.GOLD_DISPATCH] = (
        "[INSUFFICIENT_PERMISSIONS] User does not have SELECT on table gold_dispatch_plan."
    )
    assert poller.refresh() is False
    snap = poller.snapshot
    assert snap.part(names.GOLD_DISPATCH).stale
    assert "INSUFFICIENT_PERMISSIONS" in snap.part(names.GOLD_DISPATCH).error
    assert snap.gold[names.GOLD_DISPATCH] is good.gold[names.GOLD_DISPATCH]  # last good plan
    assert not snap.part(names.GOLD_STATUS).stale and not snap.part("status").stale
    assert snap.counts("pipelines")["total"] == 4 and snap.counts("jobs")["total"] == 4


def test_a_warehouse_that_fails_leaves_the_pipeline_and_job_counts(workspace, poller):
    assert poller.refresh(), poller.snapshot.error
    workspace.fail_on["/api/2.0/sql/statements"] = 403  # no permission on the warehouse
    assert poller.refresh() is False
    snap = poller.snapshot
    assert snap.counts("pipelines") == {"total": 4, "active": 1, "idle": 3}
    assert snap.counts("jobs")["total"] == 4
    assert all(snap.part(table).stale for table in names.DASHBOARD_GOLD_TABLES)
    assert snap.fleet()["turbines_reporting"] == 5  # the last good gold
    # One failed call is enough: the other tables are not tried this refresh.
    assert workspace.calls["/api/2.0/sql/statements"] == len(names.DASHBOARD_GOLD_TABLES) + 1


# Statement execution: typed parameters, polling, cancel ----------------------------------------


def gold_source(workspace, **timing):
    return DatabricksGoldSource(client_for(workspace), "wh-1", "main", "windmill", **timing)


def test_numeric_parameters_are_sent_typed(workspace):
    source = gold_source(workspace)
    trend = source.fetch_trend("TURBINE_00002", hours=30)
    assert set(trend["turbine_id"]) == {"TURBINE_00002"}
    parameters = {p["name"]: p for p in workspace.statements[-1]["parameters"]}
    assert parameters["days"] == {"name": "days", "value": "2", "type": "INT"}
    assert parameters["hours"] == {"name": "hours", "value": "30", "type": "INT"}
    assert "type" not in parameters["turbine_id"]  # untyped: STRING


def test_the_fake_rejects_a_string_where_date_sub_needs_an_int(workspace):
    from dashboard.databricks import StatementError

    sql = f"SELECT * FROM `main`.`windmill`.{names.SILVER} WHERE d >= date_sub(d, :days)"
    with pytest.raises(StatementError, match="DATATYPE_MISMATCH"):
        gold_source(workspace).query(sql, parameters={"days": "1"})


def test_a_statement_pending_past_the_wait_is_polled_until_it_succeeds(workspace):
    # As on a warehouse starting up: 45 s PENDING against the execute call's 30 s wait,
    # with one API second lasting 40 ms here.
    workspace.seconds = 0.04
    workspace.pending_seconds[names.GOLD_STATUS] = 45
    source = gold_source(workspace, wait_timeout_s=30, poll_seconds=0.1, deadline_s=20)
    started = time.monotonic()
    frame = source.query(f"SELECT * FROM {source.prefix}.{names.GOLD_STATUS}")
    assert len(frame) == 5
    assert 1.8 - 0.1 < time.monotonic() - started < 10
    assert workspace.statements[-1]["wait_timeout"] == "30s"
    assert workspace.calls["/api/2.0/sql/statements/stmt-1"] >= 2  # polled
    assert workspace.cancelled == []


def test_a_statement_that_never_finishes_is_cancelled_at_the_deadline(workspace, poller):
    assert poller.refresh(), poller.snapshot.error
    workspace.seconds = 0.01
    workspace.pending_seconds[names.GOLD_FAULTS] = float("inf")
    poller.gold_source = gold_source(workspace, wait_timeout_s=5, poll_seconds=0.1, deadline_s=1)
    started = time.monotonic()
    assert poller.refresh() is False
    assert time.monotonic() - started < 15
    assert len(workspace.cancelled) == 1
    faults = poller.snapshot.part(names.GOLD_FAULTS)
    assert faults.stale and "cancelled" in faults.error
    others = [t for t in names.DASHBOARD_GOLD_TABLES if t != names.GOLD_FAULTS]
    assert not any(poller.snapshot.part(t).stale for t in others)  # that table only


def test_the_wait_must_be_one_the_api_accepts(workspace):
    with pytest.raises(ValueError, match="0 or 5 to 50"):
        gold_source(workspace, wait_timeout_s=3)


# Response shapes and the name filter ------------------------------------------------------------


@pytest.mark.parametrize("case_sensitive", [False, True])
def test_the_pipeline_filter_finds_windmill_whatever_the_servers_case_rules(
    workspace, poller, case_sensitive
):
    workspace.like_case_sensitive = case_sensitive
    assert poller.refresh(), poller.snapshot.error
    status = poller.snapshot.status
    assert status.filter_path == "server-side filter"
    assert sorted(p["name"] for p in status.pipelines) == sorted(
        [names.PIPELINE_NAME, *TRICKY_NAMES]
    )
    assert names.PIPELINE_NAME.startswith("Windmill")  # capital W: the case that mattered


@pytest.mark.parametrize(
    "creation_time",
    ["1767571200000", 1767571200000, "2026-01-05T00:00:00.000Z", "2026-01-05T00:00:00+00:00"],
)
def test_an_updates_creation_time_is_read_in_either_form(workspace, poller, creation_time):
    for pipeline in workspace.pipelines:
        pipeline["latest_updates"][0]["creation_time"] = creation_time
    assert poller.refresh(), poller.snapshot.error
    done = next(p for p in poller.snapshot.status.pipelines if p["name"] == TRICKY_NAMES[0])
    assert done["latest_update"]["started_at"] == "2026-01-05T00:00:00.000+00:00"
    assert done["latest_update"]["duration_s"] == 95.0


def test_the_fakes_responses_are_the_sdks_own_shapes(workspace):
    from databricks.sdk.service import pipelines as pl

    raw = workspace.pipelines[0]
    info = pl.PipelineStateInfo.from_dict(raw)
    assert info.as_dict() == raw  # nothing the SDK would drop or retype
    assert isinstance(info.latest_updates[0].creation_time, str)
