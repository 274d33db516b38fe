"""The dispatcher never replaces a plan because of a failed or incomplete read (no JVM)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workloads import names, storage
from workloads.config import Paths
from workloads.dispatch.service import KEPT_PLAN, replan
from workloads.errors import WindmillError
from workloads.ledger import Ledger

pytestmark = pytest.mark.unit


@pytest.fixture
def home(tmp_path) -> Paths:
    paths = Paths(tmp_path / "home")
    plan = storage.new_version_folder(paths, names.GOLD_DISPATCH)
    pq.write_table(pa.table({"task_id": ["TURBINE_00001:GEARBOX_OVERHEAT"]}), plan / "p.parquet")
    storage.publish(paths, names.GOLD_DISPATCH, plan)
    return paths


def last_run(paths: Paths) -> dict:
    [job] = [j for j in Ledger(paths.ledger).list_jobs() if j["name"] == names.DISPATCH_JOB]
    return job["latest_runs"][0]


def test_missing_alerts_keep_the_previous_plan_and_the_run_says_why(home):
    with pytest.raises(WindmillError, match=KEPT_PLAN):
        replan(None, home)  # never reaches the engine: nothing is written
    run = last_run(home)
    assert run["result_state"] == "FAILED"
    assert f"{KEPT_PLAN}: There is no gold_maintenance_alerts table" in run["state_message"]
    assert storage.current_version(home, names.GOLD_DISPATCH).number == 1


def test_an_unreadable_alerts_table_keeps_the_previous_plan(home):
    folder = home.table(names.GOLD_ALERTS)
    folder.mkdir(parents=True)
    (folder / "part-00000.parquet").write_bytes(b"PAR1 damaged")
    storage.publish(home, names.GOLD_ALERTS, folder)
    with pytest.raises(WindmillError, match=KEPT_PLAN):
        replan(None, home)
    run = last_run(home)
    assert run["result_state"] == "FAILED"
    assert "the gold tables could not be read" in run["state_message"]
    assert storage.current_version(home, names.GOLD_DISPATCH).number == 1
    assert len(storage.read_table(home, names.GOLD_DISPATCH)) == 1
