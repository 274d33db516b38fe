"""The suite's own scheduling (tests/conftest.py): under `make test`'s xdist options, each
test file runs whole on one worker, and the WHOLE_STACK files share one worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.unit

# A test that writes which worker ran it.
RECORD = """
import json, os

def record(path, name):
    with open(os.environ["RECORD_TO"], "a") as out:
        out.write(json.dumps([path, name, os.environ["PYTEST_XDIST_WORKER"]]) + "\\n")
"""

# The repository's conftest under another module name (the scratch tree has a `tests`
# folder of its own), its hooks re-exported to pytest.
CONFTEST = f"""
import importlib.util

spec = importlib.util.spec_from_file_location("repo_conftest", {str(REPO / "tests/conftest.py")!r})
repo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(repo)
pytest_xdist_make_scheduler = repo.pytest_xdist_make_scheduler
pytest_collection_modifyitems = repo.pytest_collection_modifyitems
"""


def test_each_file_and_the_whole_stack_pair_run_on_one_worker(tmp_path):
    files = [
        "tests/integration/test_fault_tolerance.py",  # WHOLE_STACK, with the next one
        "tests/integration/test_snapshot_reads.py",
        "tests/unit/test_a.py",
        "tests/unit/test_b.py",
        "tests/unit/test_c.py",
    ]
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "record.py").write_text(RECORD)
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "import time\nfrom record import record\n"
            + "".join(
                f"def test_{n}():\n    time.sleep(0.05)\n    record(__file__, {n})\n\n"
                for n in range(4)
            )
        )
    sink = tmp_path / "ran.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib"]
        + ["-n", "2", "--dist", "loadscope", "--no-loadscope-reorder", "-o", "addopts="]
        + ["--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, "RECORD_TO": str(sink), "PYTHONPATH": f"{tmp_path}:{REPO}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    workers: dict[str, set[str]] = defaultdict(set)
    ran = [json.loads(line) for line in sink.read_text().splitlines()]
    for path, _name, worker in ran:
        workers[os.path.relpath(path, tmp_path)].add(worker)
    assert len(ran) == 4 * len(files)
    assert all(len(w) == 1 for w in workers.values()), dict(workers)
    assert workers[files[0]] == workers[files[1]]
    assert len(set().union(*workers.values())) == 2  # and the work was shared
