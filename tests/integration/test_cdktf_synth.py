"""The real CDKTF CLI (`npx cdktf synth`, pinned in package.json) synthesizes every stack."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from infra.config import REPO_ROOT
from workloads import names

pytestmark = pytest.mark.integration

CLI = REPO_ROOT / "node_modules" / ".bin" / "cdktf"


@pytest.mark.skipif(shutil.which("npx") is None, reason="Node.js (npx) is not installed")
def test_npx_cdktf_synth_produces_all_stacks(tmp_path):
    assert CLI.exists(), "run `make setup` (npm ci) to install the pinned cdktf-cli"
    out = tmp_path / "cdktf.out"
    env = {
        **os.environ,
        "CHECKPOINT_DISABLE": "1",
        "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
    }
    env.pop("WINDMILL_ENV", None)
    result = subprocess.run(
        ["npx", "--no-install", "cdktf", "synth", "--output", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["stacks"]) == {
        "windmill-dev",
        "windmill-dev-access",
        "windmill-prod",
        "windmill-prod-access",
    }
    dev = json.loads((out / "stacks" / "windmill-dev" / "cdk.tf.json").read_text())
    assert dev["terraform"]["required_providers"]["databricks"]["version"].startswith("1.99.")
    (pipeline,) = dev["resource"]["databricks_pipeline"].values()
    assert pipeline["name"] == names.PIPELINE_NAME
    assert pipeline["development"] is True
    (app,) = dev["resource"]["databricks_app"].values()
    assert app["name"] == names.APP_NAME
    job_names = {job["name"] for job in dev["resource"]["databricks_job"].values()}
    assert job_names == {
        names.GENERATOR_JOB,
        names.PIPELINE_REFRESH_JOB,
        names.DROP_TABLES_JOB,
        names.DISPATCH_JOB,
    }
    assert set(dev["output"]) >= {"app_url", "pipeline_id", "warehouse_id", "generator_job_id"}
    prod = json.loads((out / "stacks" / "windmill-prod" / "cdk.tf.json").read_text())
    (prod_pipeline,) = prod["resource"]["databricks_pipeline"].values()
    assert prod_pipeline["development"] is False
    access = json.loads((out / "stacks" / "windmill-dev-access" / "cdk.tf.json").read_text())
    # USE CATALOG, USE SCHEMA and SELECT on each table the dashboard reads
    assert len(access["resource"]["databricks_grant"]) == 2 + len(names.DASHBOARD_TABLES)
