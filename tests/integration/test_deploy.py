"""`windmill deploy|destroy` without a workspace: clear messages for what is missing, and
the whole deploy with Terraform and the control plane simulated (wheel and synth real)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import zipfile

import pytest
import yaml
from packaging.requirements import Requirement

from infra.artifacts import RUNTIME_REQUIREMENTS, RUNTIME_WHEEL, runtime_requirements
from infra.config import REPO_ROOT
from infra.workspace import load_questions
from tests.helpers import run_windmill
from tests.unit.infra.fake_control_plane import FakeControlPlane, fake_terraform
from workloads.names import APP_NAME

pytestmark = pytest.mark.integration

SOURCE = "/Users/alice@example.org/.windmill/dev/app"
LANDING = "/Volumes/users/alice_example_org/landing/raw_sensor_data"


def _env(tmp_path, *, terraform: str = "") -> dict[str, str]:
    """No Databricks credentials; terraform only where given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    node = os.path.dirname(shutil.which("node") or "/usr/bin/node")
    return {
        "PATH": os.pathsep.join([str(bin_dir), node, "/usr/bin", "/bin"]),
        "HOME": str(tmp_path),
        "DATABRICKS_CONFIG_FILE": str(tmp_path / "databrickscfg"),
        "WINDMILL_TERRAFORM": terraform,
    }


@pytest.fixture(autouse=True)
def _no_databricks_environment(monkeypatch):
    for var in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE", "WINDMILL_ENV"):
        monkeypatch.delenv(var, raising=False)


def _last_line(result) -> str:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.stderr.strip().splitlines()[-1]


def test_deploy_explains_missing_terraform_before_building(tmp_path):
    result = run_windmill("deploy", "--profile", "demo", env=_env(tmp_path), check=False)
    assert result.returncode == 2
    assert _last_line(result).startswith(
        "windmill deploy: Terraform is not installed: install Terraform 1.5 or newer"
    )
    assert "built" not in result.stdout


def test_destroy_explains_a_missing_profile(tmp_path):
    terraform, log = fake_terraform(tmp_path, {})
    (tmp_path / "databrickscfg").write_text("[other]\nhost = https://example.invalid\n")
    env = _env(tmp_path, terraform=str(terraform))
    result = run_windmill("destroy", "--profile", "demo", "--env", "prod", env=env, check=False)
    assert result.returncode == 2
    message = _last_line(result)
    assert message.startswith("windmill destroy: Databricks profile 'demo' is not in ")
    assert "databricks auth login --profile demo" in message
    assert not log.exists()  # terraform never ran


def test_deploy_explains_credentials_that_do_not_sign_in(tmp_path):
    terraform, log = fake_terraform(tmp_path, {})
    plane = FakeControlPlane().start()
    plane.reject_credentials = True
    try:
        (tmp_path / "databrickscfg").write_text(f"[demo]\nhost = {plane.url}\ntoken = expired\n")
        env = _env(tmp_path, terraform=str(terraform))
        result = run_windmill("deploy", "--profile", "demo", env=env, check=False, timeout=120)
    finally:
        plane.stop()
    assert result.returncode == 2
    message = _last_line(result)
    assert message.startswith(
        "windmill deploy: Could not sign in to Databricks with profile 'demo'"
    )
    assert "databricks auth login --profile demo" in message
    assert not log.exists()


def test_deploy_requires_a_profile():
    result = run_windmill("deploy", check=False, timeout=60)
    assert result.returncode == 2
    assert "--profile" in result.stderr


@pytest.mark.slow
def test_deploy_end_to_end_with_terraform_and_control_plane_simulated(tmp_path):
    RUNTIME_WHEEL.unlink(missing_ok=True)
    stack_file = REPO_ROOT / "cdktf.out" / "stacks" / "windmill-dev" / "cdk.tf.json"
    stack_file.unlink(missing_ok=True)
    plane = FakeControlPlane().start()
    try:
        outputs = {
            "workspace_url": plane.url,
            "app_name": APP_NAME,
            "app_url": f"{plane.url}/apps/{APP_NAME}",
            "app_source_path": SOURCE,
            "pipeline_id": "p-1",
            "generator_job_id": "11",
            "pipeline_refresh_job_id": "12",
            "drop_tables_job_id": "13",
            "dispatch_job_id": "14",
            "warehouse_id": "w-1",
            "catalog": "users",
            "schema": "alice_example_org",
            "landing_path": LANDING,
        }
        terraform, log = fake_terraform(tmp_path, outputs, notify=plane.url)
        # a throw-away profile pointing at the local fake (no real credential)
        (tmp_path / "databrickscfg").write_text(f"[demo]\nhost = {plane.url}\ntoken = fake\n")
        env = _env(tmp_path, terraform=str(terraform))
        result = run_windmill("deploy", "--profile", "demo", env=env, check=False, timeout=240)
    finally:
        plane.stop()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    # the wheel the stack uploads: built, only requiring what a Databricks runtime lacks
    assert "built dist/databricks/" in result.stdout
    with zipfile.ZipFile(RUNTIME_WHEEL) as wheel:
        members = wheel.namelist()
        metadata = next(n for n in members if n.endswith(".dist-info/METADATA"))
        requires = [
            line.split(":", 1)[1].strip().split("=")[0].split("<")[0].split(">")[0]
            for line in wheel.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    assert {"workloads/cli.py", "workloads/pipeline/settings.py"} <= set(members)
    assert requires and set(requires) <= set(RUNTIME_REQUIREMENTS)
    # generated by setuptools from the base dependencies: same names and bounds, no extras
    with zipfile.ZipFile(RUNTIME_WHEEL) as wheel:
        info = wheel.read(metadata).decode()
        record = wheel.read(metadata.replace("METADATA", "RECORD")).decode()
        contents = {name: wheel.read(name) for name in wheel.namelist()}
    built = {
        Requirement(line.split(":", 1)[1]).name: Requirement(line.split(":", 1)[1]).specifier
        for line in info.splitlines()
        if line.startswith("Requires-Dist:")
    }
    declared = {Requirement(r).name: Requirement(r).specifier for r in runtime_requirements()}
    assert built == declared
    assert "Provides-Extra" not in info
    # RECORD matches the files (pip verifies it on install)
    for name, digest, size in csv.reader(io.StringIO(record)):
        if name.endswith("RECORD"):
            continue
        data = contents[name]
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={expected}", len(data)), name

    # synthesized for this environment and profile, then applied in order
    assert "synthesized cdktf.out/stacks/windmill-dev" in result.stdout
    synthesized = stack_file.read_text()
    assert '"profile": "demo"' in synthesized
    assert str(RUNTIME_WHEEL) in synthesized
    assert log.read_text().splitlines() == [
        "windmill-dev init -input=false -upgrade",
        "windmill-dev apply -input=false -auto-approve",
        "windmill-dev output -json",
        "windmill-dev-access init -input=false -upgrade",
        "windmill-dev-access apply -input=false -auto-approve",
    ]

    # SDK steps: landing folder, generator started, first pipeline update, the empty
    # dispatch plan table, App deployed, Genie space
    assert plane.run_now == [11]
    assert plane.updates == ["p-1"]
    assert LANDING in plane.folders
    steps = [
        (method, path)
        for method, path in plane.calls
        if path.startswith(("/fake-terraform/", "/api/2.0/fs/", "/api/2.0/sql/statements"))
        or path.endswith("/updates")
        or path == "/api/2.2/jobs/run-now"
    ]
    assert steps == [
        ("GET", "/fake-terraform/windmill-dev/init"),
        ("GET", "/fake-terraform/windmill-dev/apply"),
        ("GET", "/fake-terraform/windmill-dev/output"),
        ("PUT", f"/api/2.0/fs/directories{LANDING}"),  # before the generator and the update
        ("POST", "/api/2.2/jobs/run-now"),
        # the tables the App reads, before the pipeline (it reads the registry) and the grants
        *[("POST", "/api/2.0/sql/statements")] * 6,
        ("POST", "/api/2.0/pipelines/p-1/updates"),
        ("GET", "/fake-terraform/windmill-dev-access/init"),
        ("GET", "/fake-terraform/windmill-dev-access/apply"),
    ]
    created = [s["statement"] for s in plane.statements]
    assert all(s["warehouse_id"] == "w-1" for s in plane.statements)
    assert [sql.split("(")[0].rsplit(".", 1)[1].strip() for sql in created] == [
        "`gold_dispatch_plan`",
        "`gold_turbine_risk`",
        "`turbines`",
        "`alert_outbox`",
        "`alert_deliveries`",
        "`alert_actions`",
    ]
    uploaded = {path.removeprefix(SOURCE + "/") for path in plane.files}
    assert {
        "app.yaml",
        "requirements.txt",
        "dashboard/__main__.py",
        "workloads/names.py",
    } <= uploaded
    app_env = {e["name"]: e for e in yaml.safe_load(plane.files[f"{SOURCE}/app.yaml"])["env"]}
    assert app_env["WINDMILL_SCHEMA"]["value"] == "alice_example_org"
    assert app_env["DATABRICKS_WAREHOUSE_ID"]["valueFrom"] == "sql-warehouse"
    assert plane.deployments == [{"source_code_path": SOURCE}]
    (space,) = plane.spaces.values()
    assert space["warehouse_id"] == "w-1"
    serialized = json.loads(space["serialized_space"])
    tables = [t["identifier"] for t in serialized["data_sources"]["tables"]]
    assert "users.alice_example_org.gold_maintenance_alerts" in tables
    assert all(t.startswith("users.alice_example_org.") for t in tables)
    # the whole question set as sample questions; those with SQL as benchmarks too
    questions = load_questions()
    assert len(questions) >= 60
    assert {s["question"][0] for s in serialized["config"]["sample_questions"]} == {
        q["question"] for q in questions
    }
    assert {b["question"][0] for b in serialized["benchmarks"]["questions"]} == {
        q["question"] for q in questions if q["sql"]
    }

    # the URLs
    for link in (
        f"{plane.url}/apps/{APP_NAME}",
        f"{plane.url}/pipelines/p-1",
        f"{plane.url}/jobs/11",
        f"{plane.url}/sql/warehouses/w-1",
        f"{plane.url}/genie/rooms/{space['space_id']}",
    ):
        assert link in result.stdout


def test_deploy_explains_an_unknown_cdk(tmp_path):
    terraform, log = fake_terraform(tmp_path, {})
    plane = FakeControlPlane().start()
    try:
        (tmp_path / "databrickscfg").write_text(f"[demo]\nhost = {plane.url}\ntoken = fake\n")
        env = {**_env(tmp_path, terraform=str(terraform)), "WINDMILL_CDK": "pulumi"}
        result = run_windmill("deploy", "--profile", "demo", env=env, check=False, timeout=240)
    finally:
        plane.stop()
    assert result.returncode == 2
    assert _last_line(result) == (
        "windmill deploy: WINDMILL_CDK='pulumi' is not a CDK; use one of: cdktf, cdktn."
    )
    assert not log.exists()  # nothing applied
