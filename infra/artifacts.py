"""The project wheel the Databricks jobs and pipeline install.

`windmill deploy` builds it from this checkout with setuptools, so its metadata is
generated, never edited. Its requirements are the base dependencies of pyproject.toml a
Databricks runtime lacks (RUNTIME_REQUIREMENTS: the generator's and the dispatcher's),
with the version bounds written there; the rest (pyspark, pandas, pyarrow, the
dashboard's packages) the runtime provides or only the local system uses, and
pip-installing pyspark on a cluster would replace the runtime's own Spark. The wheel is
built from a staged copy of the project whose pyproject.toml lists exactly those
requirements and no extras.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from infra.config import REPO_ROOT
from workloads import __version__
from workloads.errors import WindmillError

DIST_NAME = "windmill"
WHEEL_NAME = f"{DIST_NAME}-{__version__}-py3-none-any.whl"
# Where the runtime wheel is written; the stack uploads it from here.
RUNTIME_WHEEL = REPO_ROOT / "dist" / "databricks" / WHEEL_NAME
PYPROJECT = REPO_ROOT / "pyproject.toml"
# Base dependencies a Databricks job still needs installed (the generator and dispatcher);
# everything else is provided by the runtime or only used locally.
RUNTIME_REQUIREMENTS = ("dbldatagen", "jmespath", "pyparsing", "ortools")
# What the staged copy holds: the build configuration and the packages it finds.
_STAGED = ("pyproject.toml", "README.md", "workloads", "dashboard", "infra")
_DEPENDENCIES = re.compile(r"^dependencies = \[\n.*?^\]\n", re.M | re.S)
_EXTRAS = re.compile(r"^\[project\.optional-dependencies\]\n.*?(?=^\[)", re.M | re.S)


def requirement_name(requirement: str) -> str:
    """The normalized project name of a requirement line ("dbldatagen==0.4" -> "dbldatagen")."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise WindmillError(f"{requirement!r} in pyproject.toml is not a requirement.")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The base dependencies named in RUNTIME_REQUIREMENTS, as pyproject.toml writes them."""
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    kept = [d for d in dependencies if requirement_name(d) in RUNTIME_REQUIREMENTS]
    missing = set(RUNTIME_REQUIREMENTS) - {requirement_name(d) for d in kept}
    if missing:
        raise WindmillError(
            f"pyproject.toml's dependencies lack {', '.join(sorted(missing))}, which the "
            "Databricks jobs need; declare them there."
        )
    return kept


def staged_pyproject(text: str, requirements: list[str]) -> str:
    """`text` (a pyproject.toml) with `requirements` as its only dependencies and no extras."""
    block = "dependencies = [\n" + "".join(f'    "{r}",\n' for r in requirements) + "]\n"
    staged, replaced = _DEPENDENCIES.subn(lambda _: block, text, count=1)
    if replaced != 1:
        raise WindmillError("pyproject.toml has no `dependencies = [` block to build from.")
    return _EXTRAS.sub("", staged)


def build_wheel(target: Path = RUNTIME_WHEEL, pyproject: Path = PYPROJECT) -> Path:
    """Build the runtime wheel from a staged copy of this checkout, offline (no build
    isolation: setuptools comes from the `deploy` extra)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="windmill-wheel-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        for name in _STAGED:
            source = REPO_ROOT / name
            if source.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
                shutil.copytree(source, project / name, ignore=ignore)
            else:
                shutil.copyfile(source, project / name)
        (project / "pyproject.toml").write_text(
            staged_pyproject(pyproject.read_text(), runtime_requirements(pyproject))
        )
        wheels = Path(tmp) / "wheels"
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        cmd += ["--disable-pip-version-check", "--quiet", "--wheel-dir", str(wheels), str(project)]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=project)
        built = wheels / WHEEL_NAME
        if result.returncode != 0 or not built.exists():
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise WindmillError(
                f"Building the windmill wheel failed ({tail[0]}); "
                "`pip install -c constraints.txt -e '.[deploy]'` provides what it needs."
            )
        tmp_target = target.with_suffix(".tmp")
        shutil.copyfile(built, tmp_target)
        tmp_target.replace(target)
    return target


def build_runtime_wheel() -> Path:
    """Build the runtime wheel (what the stack uploads); return its path."""
    return build_wheel()


if __name__ == "__main__":
    # `python -m infra.artifacts`: build the wheel before a plain `npx cdktf deploy`.
    print(build_runtime_wheel())
