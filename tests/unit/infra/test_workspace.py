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


def test_genie_space_reads_gold_maintenance_alerts():
    space = json.loads(workspace.genie_space("users", "alice"))
    assert space["version"] == 2
    (table,) = space["data_sources"]["tables"]
    assert table["identifier"] == f"users.alice.{GOLD_ALERTS}"
    ids = [q["id"] for q in space["config"]["sample_questions"]]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)
    assert workspace.genie_space("users", "alice") == workspace.genie_space("users", "alice")


def test_urls_point_into_the_workspace():
    links = urls(OUTPUTS, "g-1")
    assert links["dashboard (App)"] == "https://app.example.invalid"
    assert links["pipeline"] == "https://example.invalid/pipelines/p-1"
    assert links["generator job"] == "https://example.invalid/jobs/1"
    assert links["Genie space"] == "https://example.invalid/genie/rooms/g-1"
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


def test_the_landing_folder_and_the_plan_table(plane):
    client = _client(plane)
    workspace.create_landing_folder(client, "/Volumes/c/s/landing/raw_sensor_data")
    assert plane.folders == {"/Volumes/c/s/landing/raw_sensor_data"}
    workspace.create_dispatch_plan_table(client, "w-1", "users", "al`ice")
    (statement,) = plane.statements
    sql = statement["statement"]
    assert sql.startswith("CREATE TABLE IF NOT EXISTS `users`.`al``ice`.`gold_dispatch_plan` (")
    assert "turbine_id" in sql
