"""`windmill deploy|destroy --profile P [--env dev|prod|large]`: provision a workspace end to end.

deploy: check Terraform and the profile → build the wheel → synthesize → Terraform
apply (workspace stack) → create the landing folder → start the generator and the
pipeline's first update → create the dispatch plan table if missing → Terraform apply
(grants stack) → deploy the dashboard to the App →
create/update the Genie space → print the URLs.
destroy: remove the Genie space and the App's source, then Terraform destroy both stacks.

Run as `python -m infra.deploy ...` (the `windmill` command execs exactly that).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from infra.config import ENVIRONMENTS, REPO_ROOT, load_config
from workloads.errors import WindmillError

OUTDIR = REPO_ROOT / "cdktf.out"
TERRAFORM_ENV = "WINDMILL_TERRAFORM"  # path of the terraform binary, if not on PATH
USER_ERROR = f"{WindmillError.__module__}.{WindmillError.__qualname__}: "


def say(message: str) -> None:
    print(f"windmill: {message}", flush=True)


def build_wheel() -> Path:
    from infra.artifacts import build_runtime_wheel

    wheel = build_runtime_wheel()
    say(f"built {wheel.relative_to(REPO_ROOT)}")
    return wheel


def synthesize(env: str, profile: str | None) -> Path:
    """Run the CDKTF app for `env` in a child process; return the stacks folder."""
    child_env = dict(os.environ, WINDMILL_ENV=env)
    if profile:
        child_env["WINDMILL_PROFILE"] = profile
    child_env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    result = subprocess.run(
        [sys.executable, "-m", "infra.main"],
        cwd=REPO_ROOT,
        env=child_env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else "no output"
        if last.startswith(USER_ERROR):  # already a sentence saying what to do
            raise WindmillError(last.removeprefix(USER_ERROR))
        raise WindmillError(f"Synthesizing the stacks failed: {last}.")
    stacks = OUTDIR / "stacks"
    say(f"synthesized {stacks.relative_to(REPO_ROOT)}/windmill-{env} (and -access)")
    return stacks


def terraform_binary() -> str:
    """The terraform executable, or a WindmillError saying how to get it."""
    binary = os.environ.get(TERRAFORM_ENV) or shutil.which("terraform")
    if not binary or not Path(binary).exists():
        raise WindmillError(
            "Terraform is not installed: install Terraform 1.5 or newer "
            "(https://developer.hashicorp.com/terraform/install), put it on PATH "
            f"(or set {TERRAFORM_ENV}), then rerun."
        )
    return binary


class Terraform:
    """Terraform in one synthesized stack folder."""

    def __init__(self, binary: str, stack_dir: Path) -> None:
        self.binary = binary
        self.stack_dir = stack_dir

    def run(self, *args: str, capture: bool = False) -> str:
        cmd = [self.binary, f"-chdir={self.stack_dir}", *args]
        result = subprocess.run(cmd, capture_output=capture, text=True)
        if result.returncode != 0:
            raise WindmillError(
                f"`terraform {args[0]}` failed in {self.stack_dir.name} (see the output above); "
                "fix the cause and rerun."
            )
        return result.stdout if capture else ""

    def apply(self) -> None:
        self.run("init", "-input=false", "-upgrade")
        self.run("apply", "-input=false", "-auto-approve")

    def destroy(self) -> None:
        self.run("init", "-input=false", "-upgrade")
        self.run("destroy", "-input=false", "-auto-approve")

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json", capture=True) or "{}")
        return {name: item["value"] for name, item in raw.items()}


def urls(outputs: dict[str, Any], genie_space_id: str | None = None) -> dict[str, str]:
    """Links to everything deployed, from the workspace stack's outputs."""
    host = str(outputs["workspace_url"]).rstrip("/")
    if not host.startswith("http"):
        host = f"https://{host}"
    links = {
        "dashboard (App)": str(outputs["app_url"]),
        "pipeline": f"{host}/pipelines/{outputs['pipeline_id']}",
        "generator job": f"{host}/jobs/{outputs['generator_job_id']}",
        "pipeline refresh job": f"{host}/jobs/{outputs['pipeline_refresh_job_id']}",
        "Drop Tables job": f"{host}/jobs/{outputs['drop_tables_job_id']}",
        "dispatch job": f"{host}/jobs/{outputs['dispatch_job_id']}",
        "SQL warehouse": f"{host}/sql/warehouses/{outputs['warehouse_id']}",
    }
    if outputs.get("notebooks_path"):  # the analysis and agent-interaction notebooks
        links["notebooks"] = f"{host}/#workspace{outputs['notebooks_path']}"
    if genie_space_id:
        links["Genie space"] = f"{host}/genie/rooms/{genie_space_id}"
    return links


def deploy(env: str, profile: str) -> int:
    from infra import workspace

    config = load_config(env, environ={**os.environ, "WINDMILL_PROFILE": profile})
    # What the user must provide is checked first, before minutes of building.
    binary = terraform_binary()
    client = workspace.workspace_client(profile)
    build_wheel()
    stacks = synthesize(env, profile)
    main_stack = Terraform(binary, stacks / config.stack_name)
    say(f"applying {config.stack_name}")
    main_stack.apply()
    outputs = main_stack.outputs()
    # The update reads the landing folder, which the generator creates only minutes later.
    workspace.create_landing_folder(client, str(outputs["landing_path"]))
    say(f"landing folder {outputs['landing_path']} is ready")
    run_id = workspace.start_generator(client, int(outputs["generator_job_id"]))
    say("generator job started" if run_id else "generator job already running")
    # The pipeline reads the registry and the access stack grants SELECT on these; the
    # generator, dispatch and scoring jobs fill them.
    workspace.create_read_tables(
        client, str(outputs["warehouse_id"]), str(outputs["catalog"]), str(outputs["schema"])
    )
    say("running the pipeline's first update (creates the gold tables)")
    workspace.run_first_update(client, str(outputs["pipeline_id"]))
    say(f"applying {config.access_stack_name} (App read access to the dashboard's tables)")
    Terraform(binary, stacks / config.access_stack_name).apply()
    say("deploying the dashboard to the App")
    workspace.deploy_app(client, str(outputs["app_name"]), str(outputs["app_source_path"]), outputs)
    space_id = workspace.ensure_genie_space(
        client, str(outputs["warehouse_id"]), str(outputs["catalog"]), str(outputs["schema"])
    )
    say("deployed:")
    for name, link in urls(outputs, space_id).items():
        print(f"  {name:22} {link}")
    return 0


def destroy(env: str, profile: str) -> int:
    from infra import workspace

    config = load_config(env, environ={**os.environ, "WINDMILL_PROFILE": profile})
    binary = terraform_binary()
    client = workspace.workspace_client(profile)
    # Terraform reads the wheel's checksum even to destroy, so it must exist.
    build_wheel()
    stacks = synthesize(env, profile)
    main_stack = Terraform(binary, stacks / config.stack_name)
    workspace.remove_genie_space(client)
    try:
        source_path = str(main_stack.outputs().get("app_source_path", ""))
    except WindmillError:
        source_path = ""
    if source_path:
        with contextlib.suppress(Exception):  # already gone
            client.workspace.delete(source_path, recursive=True)
    say(f"destroying {config.access_stack_name} and {config.stack_name}")
    Terraform(binary, stacks / config.access_stack_name).destroy()
    main_stack.destroy()
    say("destroyed")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="windmill",
        description="Provision (deploy) or tear down (destroy) windmill on a Databricks workspace.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="{deploy,destroy}")
    helps = {
        "deploy": "build the wheel, synthesize, apply with Terraform, deploy the App and the "
        "Genie space, and print the URLs",
        "destroy": "remove the Genie space and the App's source, then destroy both stacks",
    }
    for action, text in helps.items():
        sub = actions.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        sub.add_argument(
            "--profile",
            required=True,
            help="Databricks config profile (~/.databrickscfg or $DATABRICKS_CONFIG_FILE)",
        )
        sub.add_argument("--env", choices=ENVIRONMENTS, default="dev", help="environment (dev)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.action == "deploy":
            return deploy(args.env, args.profile)
        return destroy(args.env, args.profile)
    except WindmillError as exc:
        print(f"windmill {args.action}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"windmill {args.action}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
