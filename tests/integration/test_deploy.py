"""`windmill deploy` as far as it runs without a workspace: wheel, synth, clear messages."""

from __future__ import annotations

import os
import shutil
import zipfile

import pytest

from infra.artifacts import RUNTIME_REQUIREMENTS, RUNTIME_WHEEL
from infra.config import REPO_ROOT
from tests.conftest import run_windmill

pytestmark = pytest.mark.integration


def _env(tmp_path, *, with_terraform: bool) -> dict[str, str]:
    """No Databricks credentials; terraform on PATH only if asked (a stub that must not run)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    path = [
        str(bin_dir),
        os.path.dirname(shutil.which("node") or "/usr/bin/node"),
        "/usr/bin",
        "/bin",
    ]
    env = {
        "PATH": os.pathsep.join(path),
        "HOME": str(tmp_path),
        "DATABRICKS_CONFIG_FILE": str(tmp_path / "databrickscfg"),
        "WINDMILL_TERRAFORM": "",
    }
    if with_terraform:
        stub = bin_dir / "terraform"
        stub.write_text("#!/bin/sh\necho terraform must not run before sign-in >&2\nexit 99\n")
        stub.chmod(0o755)
    return env


def _scrubbed(monkeypatch) -> None:
    for var in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE", "WINDMILL_ENV"):
        monkeypatch.delenv(var, raising=False)


def test_deploy_builds_the_wheel_synthesizes_then_explains_missing_terraform(tmp_path, monkeypatch):
    _scrubbed(monkeypatch)
    RUNTIME_WHEEL.unlink(missing_ok=True)
    shutil.rmtree(REPO_ROOT / "cdktf.out" / "stacks" / "windmill-dev", ignore_errors=True)
    result = run_windmill(
        "deploy",
        "--profile",
        "demo",
        env=_env(tmp_path, with_terraform=False),
        check=False,
        timeout=240,
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert "built dist/databricks/" in result.stdout
    assert "synthesized cdktf.out/stacks/windmill-dev" in result.stdout
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("windmill deploy: Terraform is not installed")
    assert "Traceback" not in result.stderr
    # the wheel the stack uploads exists and only requires what a runtime lacks
    with zipfile.ZipFile(RUNTIME_WHEEL) as wheel:
        names = wheel.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [
            line.split(":", 1)[1].strip().split("=")[0].split("<")[0].split(">")[0]
            for line in wheel.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    assert "workloads/cli.py" in names
    assert "workloads/pipeline/settings.py" in names
    assert requires and set(requires) <= set(RUNTIME_REQUIREMENTS)
    stack = REPO_ROOT / "cdktf.out" / "stacks" / "windmill-dev" / "cdk.tf.json"
    assert '"profile": "demo"' in stack.read_text()
    assert str(RUNTIME_WHEEL) in stack.read_text()


def test_deploy_and_destroy_explain_a_missing_profile(tmp_path, monkeypatch):
    _scrubbed(monkeypatch)
    env = _env(tmp_path, with_terraform=True)
    (tmp_path / "databrickscfg").write_text("[other]\nhost = https://example.invalid\n")
    result = run_windmill(
        "destroy", "--profile", "demo", "--env", "prod", env=env, check=False, timeout=240
    )
    assert result.returncode == 2, result.stderr[-3000:]
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("windmill destroy: Databricks profile 'demo' is not in ")
    assert "databricks auth login --profile demo" in message
    assert "terraform must not run" not in result.stderr


def test_deploy_requires_a_profile():
    result = run_windmill("deploy", check=False, timeout=60)
    assert result.returncode == 2
    assert "--profile" in result.stderr
