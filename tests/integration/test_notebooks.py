"""The Databricks notebooks run start to end off Databricks: `databricks.sdk.runtime`
(spark, dbutils, display) is replaced by a stand-in whose `spark.sql` transpiles the
notebook's Spark SQL to DuckDB over the fake gold tables, and the agent notebook's Genie
calls go to the fake workspace through the real SDK."""

from __future__ import annotations

import glob
import os
import re
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
import sqlglot

from infra.code import NOTEBOOKS
from tests.fakes.gold_tables import write_all
from tests.fakes.workspace import FakeWorkspace, GenieReply
from workloads.ask import local
from workloads.config import Paths
from workloads.names import GENIE_SPACE_TITLE

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
USER = "alice.smith@example.org"


class _Result:
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def first(self) -> list:
        return self.frame.iloc[0].tolist()

    def toPandas(self) -> pd.DataFrame:  # noqa: N802 - Spark's name
        return self.frame


class _Spark:
    """`spark.sql` on DuckDB: the deployment's `catalog`.`schema`. prefix dropped."""

    def __init__(self, db) -> None:
        self.db = db
        self.statements: list[str] = []

    def sql(self, statement: str) -> _Result:
        self.statements.append(statement)
        if statement.strip() == "SELECT current_user()":
            return _Result(pd.DataFrame({"user": [USER]}))
        bare = re.sub(r"`users`\.`alice_smith`\.`(\w+)`", r"\1", statement)
        return _Result(
            self.db.execute(sqlglot.transpile(bare, read="spark", write="duckdb")[0]).df()
        )


class _Widgets:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def text(self, name: str, default: str) -> None:
        self.values.setdefault(name, default)

    def get(self, name: str) -> str:
        return self.values[name]


@pytest.fixture
def runtime(tmp_path, monkeypatch):
    home = Paths(tmp_path / "home")
    write_all(home)
    db = local.connect(home)
    shown: list = []
    module = types.ModuleType("databricks.sdk.runtime")
    module.spark = _Spark(db)
    module.dbutils = types.SimpleNamespace(widgets=_Widgets())
    module.display = shown.append
    monkeypatch.setitem(sys.modules, "databricks.sdk.runtime", module)
    yield module, shown
    db.close()


def run_notebook(name: str) -> None:
    (source,) = [n for n in NOTEBOOKS if n.stem == name]
    exec(compile(source.read_text(), str(source), "exec"), {"__name__": "notebook"})


def test_the_analysis_notebook_runs_its_five_examples_and_draws_the_gold_charts(runtime):
    import matplotlib

    matplotlib.use("Agg")
    module, shown = runtime
    run_notebook("fleet_analysis")
    assert module.dbutils.widgets.values == {"catalog": "users", "schema": "alice_smith"}
    frames = [s.frame for s in shown if isinstance(s, _Result)]
    figures = [s for s in shown if not isinstance(s, _Result)]
    assert len(frames) == 6 and len(figures) == 1  # five examples, the turbine status
    recent, faults, maintenance, freshness, batches, status = frames
    assert len(recent) <= 100 and "batch_id" in recent.columns
    assert list(faults.columns) == ["fault_code", "alert_level", "fault_count"]
    assert set(maintenance["alert_level"]) <= {"WARNING", "CRITICAL"}
    assert list(freshness.columns) == ["latest_sensor_reading", "latest_ingestion", "total_records"]
    assert list(batches.columns) == ["batch_id", "records", "batch_start", "batch_end"]
    assert len(status) == 5  # the fake fleet's five turbines
    assert len(figures[0].axes) == 4


def test_the_agent_notebook_holds_a_genie_conversation_and_lists_the_tools(
    runtime, monkeypatch, tmp_path
):
    module, shown = runtime
    ws = FakeWorkspace()
    ws.add_genie_space(GENIE_SPACE_TITLE)
    rows = pd.DataFrame({"turbine_id": ["TURBINE_00042"], "alert_level": ["CRITICAL"]})
    quick = ("SUBMITTED", "COMPLETED")
    ws.genie_replies += [
        GenieReply(statuses=quick, text="One turbine is critical.", sql="SELECT 1", frame=rows),
        GenieReply(statuses=quick, text="TURBINE_00042.", sql="SELECT 2", frame=rows),
    ]
    ws.start()
    try:
        for key in [k for k in list(os.environ) if k.startswith("DATABRICKS_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.setenv("DATABRICKS_HOST", ws.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", "dapi0123456789abcdef")
        # The notebook imports the project from the deployed wheel; here, from the checkout.
        monkeypatch.setattr(glob, "glob", lambda pattern: [str(REPO)])
        monkeypatch.setattr(sys, "path", list(sys.path))
        run_notebook("agent_interaction")
    finally:
        ws.stop()
    assert ws.conversations == {"c-1": ["m-1", "m-2"]}
    asked = [ws.messages[m]["content"] for m in ws.conversations["c-1"]]
    assert asked == [
        module.dbutils.widgets.get("question"),
        module.dbutils.widgets.get("follow_up"),
    ]
    answers, _, tools, plan = shown[0], shown[1], shown[2], shown[3]
    assert answers.values.tolist() == [["TURBINE_00042", "CRITICAL"]]
    assert list(tools["full_name"]) == [
        "users.alice_smith.crew_route",
        "users.alice_smith.pipeline_health",
    ]
    assert plan.frame.columns[1] == "crew_id"
    assert module.spark.statements[-1].endswith("ORDER BY crew_id, stop")
