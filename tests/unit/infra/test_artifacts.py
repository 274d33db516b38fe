"""The runtime wheel requires only the base dependencies a Databricks runtime lacks."""

from __future__ import annotations

import tomllib

import pytest

from infra.artifacts import (
    PYPROJECT,
    RUNTIME_REQUIREMENTS,
    requirement_name,
    runtime_requirements,
    staged_pyproject,
)
from workloads.errors import WindmillError

pytestmark = pytest.mark.unit

PYPROJECT_TEXT = """[project]
name = "windmill"
dependencies = [
    "pyspark[connect,pipelines]==4.3.*",
    "dbldatagen==0.4.0.post1",
    "jmespath>=1.0,<2",        # imported by dbldatagen
    "pyparsing>=3.0,<4",
    "pandas>=2.2,<3",
    "ortools>=9.12,<10",
]

[project.optional-dependencies]
dev = [
    "pytest>=8,<10",
]

[project.scripts]
windmill = "workloads.cli:main"
"""


def test_runtime_requirements_are_the_base_dependencies_the_runtime_lacks(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(PYPROJECT_TEXT)
    assert runtime_requirements(pyproject) == [
        "dbldatagen==0.4.0.post1",
        "jmespath>=1.0,<2",
        "pyparsing>=3.0,<4",
        "ortools>=9.12,<10",
    ]
    assert "dbldatagen" in RUNTIME_REQUIREMENTS
    pyproject.write_text(PYPROJECT_TEXT.replace('"ortools>=9.12,<10",\n', ""))
    with pytest.raises(WindmillError, match="lack ortools"):
        runtime_requirements(pyproject)


def test_the_staged_pyproject_lists_only_those_and_no_extras():
    staged = tomllib.loads(staged_pyproject(PYPROJECT_TEXT, ["dbldatagen==0.4.0.post1"]))
    assert staged["project"]["dependencies"] == ["dbldatagen==0.4.0.post1"]
    assert "optional-dependencies" not in staged["project"]
    assert staged["project"]["scripts"] == {"windmill": "workloads.cli:main"}


def test_the_real_pyproject_declares_every_runtime_requirement():
    kept = runtime_requirements(PYPROJECT)
    assert sorted(requirement_name(r) for r in kept) == sorted(RUNTIME_REQUIREMENTS)
    assert not any(requirement_name(r) == "pyspark" for r in kept)
    staged = tomllib.loads(staged_pyproject(PYPROJECT.read_text(), kept))
    assert staged["project"]["dependencies"] == kept
    assert staged["tool"] == tomllib.loads(PYPROJECT.read_text())["tool"]


def test_requirement_names_are_normalized():
    assert requirement_name("PyYAML>=6,<7") == "pyyaml"
    assert requirement_name("databricks_sdk>=0.60") == "databricks-sdk"
    assert requirement_name("pyspark[connect]==4.3.*") == "pyspark"
