"""One status builder: `windmill status` and the dashboard's sources return the same entries."""

from __future__ import annotations

import pytest

from dashboard.sources import LocalStatusSource
from tests.fakes.gold_tables import write_ledger
from workloads import names, states
from workloads.config import Paths
from workloads.errors import WindmillError
from workloads.ledger import Ledger
from workloads.platform_status import counts, job_entry, pipeline_entry
from workloads.supervisor.status import summary

pytestmark = pytest.mark.unit


def test_windmill_status_and_the_dashboard_build_the_same_entries(tmp_path):
    home = Paths(tmp_path / "home")
    write_ledger(home)
    ledger = Ledger(home.ledger)
    ledger.start_run(ledger.ensure_job(names.DISPATCH_JOB))
    dashboard = LocalStatusSource(home).fetch_status()
    status = summary(home)
    assert status["pipeline_list"] == dashboard.pipelines
    # windmill status lists the latest run of each job, the dashboard the latest five.
    assert [{**j, "latest_runs": j["latest_runs"][:1]} for j in dashboard.jobs] == status[
        "job_list"
    ]
    assert status["jobs"] == counts(dashboard.jobs) and status["jobs"]["active"] == 1


def test_active_follows_the_state_vocabulary():
    running = {"state": states.RUNNING}
    assert pipeline_entry("p", "n", states.IDLE, running, None)["active"]
    assert not pipeline_entry("p", "n", states.IDLE, {"state": states.COMPLETED}, None)["active"]
    assert pipeline_entry("p", "n", states.RECOVERING, None, None)["active"]
    assert job_entry(1, "j", [], None)["state"] == states.NEVER_RUN
    run = {"life_cycle_state": states.TERMINATED, "result_state": states.CANCELED}
    assert job_entry(1, "j", [run], None)["state"] == states.CANCELED


def test_status_outside_a_project_says_where_it_looked(tmp_path):
    missing = Paths(tmp_path / "no-such-home")
    with pytest.raises(WindmillError, match="No windmill home at .*set WINDMILL_HOME"):
        summary(missing)
    assert not missing.home.exists()  # status never creates a home
    missing.home.mkdir()
    assert summary(missing)["pipelines"] == {"total": 0, "active": 0, "idle": 0}
