"""The runtime the stacks select runs the wheel: its Python satisfies Requires-Python.

The selection itself is the databricks-sdk's `select_spark_version` (ported from the
same Go code the provider's `databricks_spark_version` data source runs), applied to
the runtimes a workspace lists. The table below is from the Databricks Runtime release
notes ("System environment" of each version), as of December 2026.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, replace

import pytest
from databricks.sdk.mixins.compute import ClustersExt
from databricks.sdk.service.compute import GetSparkVersionsResponse, SparkVersion
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from infra.config import REPO_ROOT, SparkVersionSelection, load_config

pytestmark = pytest.mark.unit

# runtime key -> (name as the spark-versions API lists it, Python of that runtime)
RUNTIMES: dict[str, tuple[str, str]] = {
    "13.3.x-scala2.12": ("13.3 LTS (includes Apache Spark 3.4.1, Scala 2.12)", "3.10.12"),
    "13.3.x-photon-scala2.12": (
        "13.3 LTS Photon (includes Apache Spark 3.4.1, Scala 2.12)",
        "3.10.12",
    ),
    "14.3.x-scala2.12": ("14.3 LTS (includes Apache Spark 3.5.0, Scala 2.12)", "3.10.12"),
    "15.4.x-scala2.12": ("15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)", "3.11.0"),
    "16.4.x-scala2.12": ("16.4 LTS (includes Apache Spark 3.5.2, Scala 2.12)", "3.12.3"),
    "16.4.x-scala2.13": ("16.4 LTS (includes Apache Spark 3.5.2, Scala 2.13)", "3.12.3"),
    "17.2.x-scala2.13": ("17.2 (includes Apache Spark 4.0.0, Scala 2.13)", "3.12.3"),
    "17.3.x-scala2.13": ("17.3 LTS (includes Apache Spark 4.0.0, Scala 2.13)", "3.12.3"),
}


class _Listing(ClustersExt):
    """The SDK's clusters API with a fixed spark-versions listing (no workspace)."""

    def __init__(self) -> None:
        pass

    def spark_versions(self) -> GetSparkVersionsResponse:
        return GetSparkVersionsResponse(
            versions=[SparkVersion(key=key, name=name) for key, (name, _) in RUNTIMES.items()]
        )


def _select(selection: SparkVersionSelection) -> str:
    return _Listing().select_spark_version(**asdict(selection))


def _requires_python() -> SpecifierSet:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return SpecifierSet(project["requires-python"])


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_selected_runtime_is_the_current_lts_and_runs_the_wheels_python(env):
    selection = load_config(env, context={}, environ={}).spark_version
    key = _select(selection)
    assert key == "17.3.x-scala2.13"
    assert Version(RUNTIMES[key][1]) in _requires_python()


def test_the_photon_filter_would_pick_an_end_of_life_runtime_the_wheel_cannot_run_on():
    # the arguments the stacks used before: {photon, long_term_support, latest}
    key = _Listing().select_spark_version(long_term_support=True, photon=True, latest=True)
    assert key == "13.3.x-photon-scala2.12"
    assert Version(RUNTIMES[key][1]) not in _requires_python()


def test_the_sdks_default_scala_would_stop_at_16_4():
    assert _select(replace(SparkVersionSelection(), scala="2.12", spark_version=None)) == (
        "16.4.x-scala2.12"
    )
