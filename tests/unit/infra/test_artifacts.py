"""The runtime wheel keeps only the requirements a Databricks runtime lacks."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile

import pytest

from infra.artifacts import DIST_NAME, RUNTIME_REQUIREMENTS, runtime_wheel
from workloads import __version__

pytestmark = pytest.mark.unit

INFO = f"{DIST_NAME}-{__version__}.dist-info"
METADATA = f"""Metadata-Version: 2.4
Name: windmill
Version: {__version__}
Requires-Dist: pyspark[connect,pipelines]==4.3.*
Requires-Dist: dbldatagen==0.4.0.post1
Requires-Dist: pandas<3,>=2.2
Requires-Dist: ortools<10,>=9.12
Requires-Dist: pytest<10,>=8; extra == "dev"
Provides-Extra: dev
"""


def _fake_wheel(path):
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("workloads/__init__.py", "x = 1\n")
        wheel.writestr(f"{INFO}/METADATA", METADATA)
        wheel.writestr(f"{INFO}/RECORD", "")
    return path


def test_runtime_wheel_drops_runtime_provided_requirements(tmp_path):
    target = runtime_wheel(_fake_wheel(tmp_path / "full.whl"), tmp_path / "out" / "w.whl")
    with zipfile.ZipFile(target) as wheel:
        metadata = wheel.read(f"{INFO}/METADATA").decode()
        record = wheel.read(f"{INFO}/RECORD").decode()
        members = {name: wheel.read(name) for name in wheel.namelist()}
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requires == [
        "Requires-Dist: dbldatagen==0.4.0.post1",
        "Requires-Dist: ortools<10,>=9.12",
    ]
    assert "dbldatagen" in RUNTIME_REQUIREMENTS
    assert members["workloads/__init__.py"] == b"x = 1\n"
    # RECORD matches the rewritten files (pip verifies it on install)
    for name, digest, size in csv.reader(io.StringIO(record)):
        if name.endswith("RECORD"):
            continue
        data = members[name]
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={expected}"
        assert int(size) == len(data)
