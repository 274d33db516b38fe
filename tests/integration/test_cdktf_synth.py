"""The real CDKTF CLI (`npx cdktf synth`, pinned in package.json) synthesizes every stack,
and `python -m infra.main` synthesizes the same stacks with CDKTF and with CDK Terrain."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

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
        names.NOTIFIER_JOB,
        names.MODEL_TRAIN_JOB,
        names.MODEL_SCORE_JOB,
    }
    assert set(dev["output"]) >= {"app_url", "pipeline_id", "warehouse_id", "generator_job_id"}
    prod = json.loads((out / "stacks" / "windmill-prod" / "cdk.tf.json").read_text())
    (prod_pipeline,) = prod["resource"]["databricks_pipeline"].values()
    assert prod_pipeline["development"] is False
    access = json.loads((out / "stacks" / "windmill-dev-access" / "cdk.tf.json").read_text())
    # USE CATALOG, USE SCHEMA and SELECT on each table the dashboard reads
    # catalog + schema, each table the dashboard reads, and the alert desk's outbox + actions
    assert len(access["resource"]["databricks_grant"]) == 2 + len(names.DASHBOARD_TABLES) + 2


def _synth_with(cdk: str, out) -> dict[str, dict]:
    """`python -m infra.main` (as `windmill deploy` runs it) with WINDMILL_CDK=cdk; the
    synthesized stacks by name, without CDK metadata."""
    env = {**os.environ, "WINDMILL_CDK": cdk, "CDKTF_OUTDIR": str(out)}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "18,20"
    env.pop("WINDMILL_ENV", None)
    result = subprocess.run(
        [sys.executable, "-m", "infra.main"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "//"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return {
        stack.name: strip(json.loads((stack / "cdk.tf.json").read_text()))
        for stack in sorted((out / "stacks").iterdir())
    }


@pytest.mark.skipif(
    importlib.util.find_spec("cdktn") is None,
    reason="CDK Terrain is not installed: pip install -c constraints.txt -e '.[cdktn]' "
    "(make test does)",
)
def test_cdktf_and_cdk_terrain_synthesize_the_same_stacks(tmp_path):
    cdktf = _synth_with("cdktf", tmp_path / "cdktf")
    cdktn = _synth_with("cdktn", tmp_path / "cdktn")
    assert (
        set(cdktf)
        == set(cdktn)
        == {
            "windmill-dev",
            "windmill-dev-access",
            "windmill-prod",
            "windmill-prod-access",
        }
    )
    for name in cdktf:
        old, new = cdktf[name], cdktn[name]
        # the prebuilt bindings pin different provider versions; all else is the same
        old_provider = old["terraform"]["required_providers"].pop("databricks")
        new_provider = new["terraform"]["required_providers"].pop("databricks")
        assert old_provider["version"].startswith("1.99.")
        assert int(new_provider["version"].split(".")[1]) > 99
        assert old == new, name
    assert cdktn["windmill-dev"]["resource"]["databricks_job"]


def test_an_unknown_cdk_is_one_sentence():
    env = {**os.environ, "WINDMILL_CDK": "pulumi"}
    result = subprocess.run(
        [sys.executable, "-c", "import infra.cdk"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "WINDMILL_CDK='pulumi' is not a CDK; use one of: cdktf, cdktn." in result.stderr
