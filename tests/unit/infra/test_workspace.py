"""SDK-side deploy helpers that need no workspace: profiles, app.yaml, Genie, URLs."""

from __future__ import annotations

import json

import pytest
import yaml

from infra import workspace
from infra.deploy import urls
from tests.unit.infra.fake_control_plane import FakeControlPlane
from workloads.errors import WindmillError
from workloads.names import GOLD_ALERTS

pytestmark = pytest.mark.unit

OUTPUTS = {
    "workspace_url": "https://example.invalid",
    "app_url": "https://app.example.invalid",
    "pipeline_id": "p-1",
    "generator_job_id": 1,
    "pipeline_refresh_job_id": 2,
    "drop_tables_job_id": 3,
    "dispatch_job_id": 4,
    "warehouse_id": "w-1",
    "catalog": "users",
    "schema": "alice",
}


def test_profiles_are_read_from_the_config_file(tmp_path, monkeypatch):
    config = tmp_path / "databrickscfg"
    config.write_text("[DEFAULT]\nhost = x\n\n[work]\nhost = y\n")
    assert workspace.profiles(config) == {"DEFAULT", "work"}
    assert workspace.profiles(tmp_path / "absent") == set()
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "absent"))
    with pytest.raises(WindmillError, match="profile 'work' is not in .*databricks auth login"):
        workspace.workspace_client("work")


def test_app_yaml_carries_the_deployment_env(tmp_path):
    source = tmp_path / "app.yaml"
    source.write_text(
        yaml.safe_dump(
            {
                "command": ["python", "-m", "dashboard"],
                "env": [{"name": "WINDMILL_SCHEMA", "value": "mine"}],
            }
        )
    )
    spec = yaml.safe_load(workspace.app_yaml(OUTPUTS, source))
    assert spec["command"] == ["python", "-m", "dashboard"]
    env = {e["name"]: e for e in spec["env"]}
    assert env["WINDMILL_SCHEMA"] == {"name": "WINDMILL_SCHEMA", "value": "alice"}  # deployed
    assert env["WINDMILL_CATALOG"]["value"] == "users"
    assert env["DATABRICKS_WAREHOUSE_ID"] == {
        "name": "DATABRICKS_WAREHOUSE_ID",
        "valueFrom": "sql-warehouse",
    }
    fallback = yaml.safe_load(workspace.app_yaml(OUTPUTS, tmp_path / "none.yaml"))
    assert fallback["command"][:3] == ["python", "-m", "dashboard"]


def test_app_sources_and_requirements():
    files = dict(workspace.app_source_files())
    assert "workloads/__init__.py" in files
    assert "dashboard/__init__.py" in files
    assert "dashboard/components/chart_card.js" in files  # the page's JS components
    assert all("__pycache__" not in name for name in files)
    requirements = workspace.app_requirements()
    assert any(r.startswith("panel==") for r in requirements)
    assert any(r.startswith("databricks-sdk==") for r in requirements)
    assert any(r.startswith("matplotlib==") for r in requirements)  # the chart pictures
    assert not any(r.startswith("pyspark") for r in requirements)


QUESTIONS = [
    {
        "question": "Which turbines have open CRITICAL alerts?",
        "sql": ("SELECT turbine_id FROM gold_maintenance_alerts WHERE alert_level = 'CRITICAL'"),
    },
    {
        "question": "which turbines are critical",
        "sql": ("SELECT turbine_id FROM gold_maintenance_alerts WHERE alert_level = 'CRITICAL'"),
    },
    {
        "question": "Energy yesterday?",
        "sql": (
            "WITH h AS (SELECT * FROM gold_fleet_hourly) SELECT SUM(energy_mwh) AS energy FROM h"
        ),
    },
    {
        "question": "Who visits TURBINE_00042?",
        "sql": (
            "SELECT p.crew FROM gold_dispatch_plan AS p JOIN silver_sensor_data AS s "
            "ON p.turbine_id = s.turbine_id"
        ),
    },
]


def test_genie_space_reads_gold_maintenance_alerts():
    space = json.loads(workspace.genie_space("users", "alice", QUESTIONS[:1]))
    assert space["version"] == 2
    (table,) = space["data_sources"]["tables"]
    assert table["identifier"] == f"users.alice.{GOLD_ALERTS}"
    ids = [q["id"] for q in space["config"]["sample_questions"]]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)
    assert workspace.genie_space("users", "alice") == workspace.genie_space("users", "alice")


def test_genie_space_holds_the_questions_as_samples_and_benchmarks_over_their_tables():
    space = json.loads(workspace.genie_space("users", "al-ice", QUESTIONS))
    tables = [t["identifier"] for t in space["data_sources"]["tables"]]
    assert tables == [
        "users.al-ice.gold_dispatch_plan",
        "users.al-ice.gold_fleet_hourly",
        "users.al-ice.gold_maintenance_alerts",
        "users.al-ice.silver_sensor_data",
    ]  # sorted; the CTE `h` is not a table
    samples = space["config"]["sample_questions"]
    assert sorted(q["question"][0] for q in samples) == sorted(q["question"] for q in QUESTIONS)
    benchmarks = space["benchmarks"]["questions"]
    answers = {b["question"][0]: b["answer"] for b in benchmarks}
    assert set(answers) == {q["question"] for q in QUESTIONS} - {"Explain the route of CREW_01"}
    ((answer,),) = [answers["Energy yesterday?"]]
    assert answer["format"] == "SQL"
    (sql,) = answer["content"]
    assert "FROM users.`al-ice`.gold_fleet_hourly)" in sql and sql.endswith("FROM h")
    # two questions share one SQL: one example teaches it
    examples = space["instructions"]["example_question_sqls"]
    assert len(examples) == 3
    assert [e["question"][0] for e in examples].count("which turbines are critical") == 0
    # ids: 32 hex, unique across samples, benchmarks and instructions, sorted in each list
    lists = [samples, benchmarks, examples, space["instructions"]["text_instructions"]]
    ids = [item["id"] for items in lists for item in items]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert all([i["id"] for i in items] == sorted(i["id"] for i in items) for items in lists)


def test_genie_space_loads_the_whole_question_set():
    questions = workspace.load_questions()
    assert len(questions) >= 60
    space = json.loads(workspace.genie_space("users", "alice"))
    sampled = {s["question"][0] for s in space["config"]["sample_questions"]}
    assert sampled == {q["question"] for q in questions}
    benchmarked = {b["question"][0] for b in space["benchmarks"]["questions"]}
    assert benchmarked == {q["question"] for q in questions if q["sql"]}
    assert len(benchmarked) >= 50
    assert len(space["instructions"]["example_question_sqls"]) <= workspace.MAX_EXAMPLES
    assert len(space["data_sources"]["tables"]) > 1


def test_urls_point_into_the_workspace():
    links = urls(OUTPUTS, "g-1")
    assert links["dashboard (App)"] == "https://app.example.invalid"
    assert links["pipeline"] == "https://example.invalid/pipelines/p-1"
    assert links["generator job"] == "https://example.invalid/jobs/1"
    assert links["Genie space"] == "https://example.invalid/genie/rooms/g-1"
    assert "notebooks" not in links
    folder = "/Users/a@example.org/.windmill/dev/notebooks"
    with_notebooks = urls({**OUTPUTS, "notebooks_path": folder})
    assert with_notebooks["notebooks"] == f"https://example.invalid/#workspace{folder}"
    bare = urls({**OUTPUTS, "workspace_url": "example.invalid"})
    assert bare["SQL warehouse"] == "https://example.invalid/sql/warehouses/w-1"


def test_the_dashboards_app_yaml_gets_the_deployed_schema():
    spec = yaml.safe_load(workspace.app_yaml(OUTPUTS))
    names = [e["name"] for e in spec["env"]]
    assert len(names) == len(set(names))
    env = {e["name"]: e for e in spec["env"]}
    assert env["WINDMILL_CATALOG"]["value"] == "users"
    assert env["WINDMILL_SCHEMA"]["value"] == "alice"
    assert env["DATABRICKS_WAREHOUSE_ID"]["valueFrom"] == "sql-warehouse"


@pytest.fixture
def plane():
    plane = FakeControlPlane().start()
    yield plane
    plane.stop()


def _client(plane: FakeControlPlane):
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=plane.url, token="fake", auth_type="pat")


def test_a_statement_still_running_after_the_wait_is_polled_until_it_succeeds(plane):
    plane.statement_states = ["PENDING", "RUNNING", "RUNNING", "SUCCEEDED"]
    workspace.run_statement(_client(plane), "w-1", "SELECT 1", poll_s=0.01)
    (statement,) = plane.statements
    assert statement["statement"] == "SELECT 1"
    assert statement["on_wait_timeout"] == "CONTINUE"
    polls = [p for m, p in plane.calls if m == "GET" and p.startswith("/api/2.0/sql/")]
    assert polls == ["/api/2.0/sql/statements/s-1"] * 3
    assert plane.canceled == []


def test_a_statement_that_never_finishes_is_canceled(plane):
    plane.statement_states = ["PENDING"]
    with pytest.raises(WindmillError, match="did not finish within 0 s"):
        workspace.run_statement(_client(plane), "w-1", "SELECT 1", timeout_s=0, poll_s=0.01)
    assert plane.canceled == ["s-1"]


def test_a_failed_statement_is_one_sentence(plane):
    plane.statement_states = ["FAILED"]
    with pytest.raises(WindmillError, match=r"failed \(no such catalog\)\.$"):
        workspace.run_statement(_client(plane), "w-1", "SELECT 1", poll_s=0.01)


def test_the_landing_folder_and_the_tables_the_app_reads(plane):
    client = _client(plane)
    workspace.create_landing_folder(client, "/Volumes/c/s/landing/raw_sensor_data")
    assert plane.folders == {"/Volumes/c/s/landing/raw_sensor_data"}
    workspace.create_read_tables(client, "w-1", "users", "al`ice")
    plan, risk, turbines, *alert_tables = (s["statement"] for s in plane.statements)
    assert [sql.split("(")[0].rsplit(".", 1)[1].strip() for sql in alert_tables] == [
        "`alert_outbox`",
        "`alert_deliveries`",
        "`alert_actions`",
    ]
    assert plan.startswith("CREATE TABLE IF NOT EXISTS `users`.`al``ice`.`gold_dispatch_plan` (")
    assert risk.startswith("CREATE TABLE IF NOT EXISTS `users`.`al``ice`.`gold_turbine_risk` (")
    assert turbines.startswith("CREATE TABLE IF NOT EXISTS `users`.`al``ice`.`turbines` (")
    assert all("turbine_id" in sql for sql in (plan, risk, turbines))
