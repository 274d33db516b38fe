"""The project wheel the Databricks jobs and pipeline install.

`windmill deploy` builds the wheel from this checkout, then writes a *runtime* copy
whose metadata only requires what a Databricks runtime lacks. The full wheel pins
pyspark, pandas, the dashboard and CDKTF stacks for local use; pip-installing those
on a cluster would replace the runtime's own Spark, so they are dropped.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from infra.config import REPO_ROOT
from workloads import __version__
from workloads.errors import WindmillError

DIST_NAME = "windmill"
WHEEL_NAME = f"{DIST_NAME}-{__version__}-py3-none-any.whl"
# Where the runtime wheel is written; the stack uploads it from here.
RUNTIME_WHEEL = REPO_ROOT / "dist" / "databricks" / WHEEL_NAME
# Requirements a Databricks job still needs installed (the generator and dispatcher);
# everything else is provided by the runtime or only used locally.
RUNTIME_REQUIREMENTS = ("dbldatagen", "jmespath", "pyparsing", "ortools")


def _requirement_name(line: str) -> str:
    spec = line.split(":", 1)[1].strip()
    for stop in " ;[<>=!~(":
        spec = spec.split(stop, 1)[0]
    return spec.lower().replace("_", "-")


def build_wheel(outdir: Path | None = None) -> Path:
    """Build the project wheel from this checkout, offline (no build isolation)."""
    outdir = outdir or REPO_ROOT / "dist"
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="windmill-wheel-") as tmp:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        cmd += ["--disable-pip-version-check", "--quiet", "--wheel-dir", tmp, str(REPO_ROOT)]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
        built = Path(tmp) / WHEEL_NAME
        if result.returncode != 0 or not built.exists():
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise WindmillError(f"Building the windmill wheel failed ({tail[0]}).")
        target = outdir / WHEEL_NAME
        shutil.copyfile(built, target)
    # pip leaves setuptools' build/ folder behind; it would leak stale files into later builds.
    shutil.rmtree(REPO_ROOT / "build", ignore_errors=True)
    return target


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"


def runtime_wheel(wheel: Path, target: Path = RUNTIME_WHEEL) -> Path:
    """Copy `wheel` to `target`, keeping only RUNTIME_REQUIREMENTS in its metadata."""
    target.parent.mkdir(parents=True, exist_ok=True)
    metadata_name = f"{DIST_NAME}-{__version__}.dist-info/METADATA"
    record_name = f"{DIST_NAME}-{__version__}.dist-info/RECORD"
    with zipfile.ZipFile(wheel) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    lines = members[metadata_name].decode().splitlines()
    kept = [
        line
        for line in lines
        if not line.startswith("Requires-Dist:")
        or (_requirement_name(line) in RUNTIME_REQUIREMENTS and "extra ==" not in line)
    ]
    members[metadata_name] = ("\n".join(kept) + "\n").encode()
    record = []
    for name, data in members.items():
        record.append(f"{name},," if name == record_name else f"{name},{_record_hash(data)}")
    members[record_name] = ("\n".join(record) + "\n").encode()
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    tmp.replace(target)
    return target


def build_runtime_wheel() -> Path:
    """Build the wheel and its runtime copy; return the runtime copy (what gets uploaded)."""
    return runtime_wheel(build_wheel())


if __name__ == "__main__":
    # `python -m infra.artifacts`: build the wheel before a plain `npx cdktf deploy`.
    print(build_runtime_wheel())
