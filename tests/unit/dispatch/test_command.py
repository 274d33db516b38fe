"""`windmill dispatch --instance` as a user runs it (subprocess)."""

import json

import pytest

from tests.helpers import run_windmill
from tests.unit.dispatch.checks import check_plan
from workloads.dispatch.builder import example_path

pytestmark = pytest.mark.unit


def test_dispatch_prints_the_plan_of_the_shipped_example():
    result = run_windmill("dispatch", "--instance", str(example_path("instance.json")))
    plan = json.loads(result.stdout)
    document = json.loads(example_path("instance.json").read_text())
    check_plan(document, plan)
    assert [r["crew_id"] for r in plan["routes"]] == [c["crew_id"] for c in document["crews"]]
    # Same plan again (deterministic), whatever the time limit.
    again = run_windmill(
        "dispatch", "--instance", str(example_path("instance.json")), "--time-limit", "60"
    )
    assert json.loads(again.stdout) == plan


def test_a_bad_instance_is_one_clear_error(tmp_path):
    document = json.loads(example_path("instance.json").read_text())
    document["tasks"][3]["duration_hours"] = -2
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    result = run_windmill("dispatch", "--instance", str(path), check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "windmill dispatch: tasks[3].duration_hours must be >= 0, got -2.0."
    )
    assert result.stdout == ""
    missing = run_windmill("dispatch", "--instance", str(tmp_path / "nope.json"), check=False)
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


def test_a_binary_instance_or_roster_file_is_one_sentence_exit_2(tmp_path):
    binary = tmp_path / "instance.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary")
    result = run_windmill("dispatch", "--instance", str(binary), check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"windmill dispatch: The instance file {binary} is not UTF-8 text (a binary file?);"
        " pass a JSON file."
    )
    roster = run_windmill("dispatch", "--roster", str(binary), check=False)
    assert roster.returncode == 2
    assert "The roster file" in roster.stderr and "Traceback" not in roster.stderr
