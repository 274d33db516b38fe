"""The real generator (`windmill generate` in a subprocess: backfills on classic local Spark,
streaming in the generator's own process) and its files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import FIXED_START, REPO, run_windmill
from workloads import contract, names
from workloads.config import Paths
from workloads.generator import fleet, jsonlines, physics
from workloads.ledger import Ledger

pytestmark = pytest.mark.integration

SEED = "7"
TURBINES = 20
HOURS = "3"
BACKFILL = (
    "generate", "--backfill-hours", HOURS, "--turbines", str(TURBINES), "--seed", SEED,
    "--start", FIXED_START, "--reading-interval", "60", "--backfill-batch-size", "1000",
    "--backfill-engine", "spark",  # dbldatagen; small backfills are otherwise built in-process
)  # fmt: skip
READINGS = 3 * 60 * TURBINES  # 3600: 4 batch files (50 time steps of the fleet each)
STRING_OR_NULL = {
    "turbine_id",
    "timestamp",
    "fault_code",
    "alert_level",
    "batch_id",
    "ingestion_timestamp",
}


def _home_env(home: Path) -> dict[str, str]:
    return {"WINDMILL_HOME": str(home)}


def _lines(landing: Path) -> list[str]:
    lines = []
    for path in sorted(landing.glob("batch-*.jsonl")):
        lines.extend(path.read_text().splitlines())
    return lines


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def backfill_home(tmp_path_factory) -> Paths:
    home = tmp_path_factory.mktemp("generator-backfill")
    run_windmill(*BACKFILL, env=_home_env(home))
    return Paths(home)


@pytest.fixture(scope="module")
def backfill_rows(backfill_home) -> list[dict]:
    return [json.loads(line) for line in _lines(backfill_home.landing)]


def test_backfill_writes_one_complete_file_per_batch(backfill_home, backfill_rows):
    entries = sorted(p.name for p in backfill_home.landing.iterdir())
    assert len(entries) == 4 and all(
        name.startswith("batch-20260105T") and name.endswith(".jsonl") for name in entries
    )  # no temporary (hidden) files left
    assert len(backfill_rows) == READINGS
    assert len({(r["turbine_id"], r["timestamp"]) for r in backfill_rows}) == READINGS
    assert {r["turbine_id"] for r in backfill_rows} == {
        contract.turbine_id(n) for n in range(1, 21)
    }
    assert min(r["timestamp"] for r in backfill_rows) == "2026-01-05T00:00:00.000Z"
    assert max(r["timestamp"] for r in backfill_rows) == "2026-01-05T02:59:00.000Z"
    assert len({r["batch_id"] for r in backfill_rows}) == 4
    # Several batches share a Spark job: each file still holds exactly its own batch.
    for path in sorted(backfill_home.landing.glob("batch-*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert {r["batch_id"] for r in rows} == {path.stem.split("-", 2)[2]}
        first = datetime.fromisoformat(rows[0]["timestamp"].replace("Z", "+00:00"))
        assert path.name.startswith(f"batch-{first:%Y%m%dT%H%M%S}Z-")
        assert len(rows) == (1000 if path.name < entries[-1] else READINGS % 1000)


def test_lines_have_exactly_the_contract_columns_and_types(backfill_rows):
    for row in backfill_rows:
        assert tuple(row) == contract.COLUMN_NAMES
        for name, kind in contract.RAW_COLUMNS:
            value = row[name]
            if kind == "double":
                assert isinstance(value, float | int) and not isinstance(value, bool), name
            elif kind == "boolean":
                assert isinstance(value, bool)
            elif kind == "timestamp":
                assert value.endswith("Z") and datetime.fromisoformat(value.replace("Z", "+00:00"))
            elif name != "fault_code":
                assert isinstance(value, str) and value
        assert row["fault_code"] is None or row["fault_code"] in contract.FAULT_CODES


def test_fault_rules_hold_on_every_row(backfill_rows):
    for row in backfill_rows:
        code, level, needed = contract.classify(row)
        assert (row["fault_code"], row["alert_level"], row["maintenance_needed"]) == (
            code,
            level,
            needed,
        )


def test_rows_equal_the_pure_model_so_long_run_shares_carry_over(backfill_rows):
    number = np.array([int(r["turbine_id"][-5:]) for r in backfill_rows])
    ts = np.array([_ms(r["timestamp"]) for r in backfill_rows])
    model = physics.simulate(int(SEED), number, ts)
    for name in contract.SENSOR_COLUMNS + ("latitude", "longitude"):
        assert np.array_equal(
            np.array([r[name] for r in backfill_rows], dtype=float), model[name]
        ), name
    codes = [contract.FAULT_CODES[i] if i >= 0 else None for i in model["fault_index"]]
    assert codes == [r["fault_code"] for r in backfill_rows]
    # The same model over a year gives the original system's shares (see the unit tests).
    shares = fleet.fault_shares(int(SEED), turbines=40, hours=24 * 300, interval_ms=3_600_000)
    for code, target in physics.TARGET_SHARES.items():
        assert target * 0.7 <= shares[code] <= target * 1.3, (code, shares[code])


def test_backfill_is_recorded_in_the_ledger(backfill_home):
    ledger = Ledger(backfill_home.ledger)
    job = next(j for j in ledger.list_jobs() if j["name"] == names.GENERATOR_JOB)
    run = job["latest_runs"][0]
    assert run["result_state"] == "SUCCESS" and run["life_cycle_state"] == "TERMINATED"
    assert run["metrics"]["batches"] == 4 and run["metrics"]["readings"] == READINGS


def test_original_readme_queries_run_on_the_landing_files(spark, backfill_home):
    frame = spark.read.schema(contract.raw_schema()).json(str(backfill_home.landing))
    frame.createOrReplaceTempView("raw_sensor_data")
    queries = [
        "SELECT * FROM raw_sensor_data ORDER BY timestamp DESC LIMIT 100",
        """SELECT fault_code, alert_level, COUNT(*) as fault_count FROM raw_sensor_data
           WHERE fault_code IS NOT NULL GROUP BY fault_code, alert_level ORDER BY fault_count DESC""",
        """SELECT DISTINCT turbine_id, fault_code, alert_level FROM raw_sensor_data
           WHERE maintenance_needed = true AND alert_level IN ('WARNING', 'CRITICAL')
           ORDER BY alert_level DESC, turbine_id""",
        """SELECT MAX(timestamp) as latest_sensor_reading, MAX(ingestion_timestamp) as latest_ingestion,
           COUNT(*) as total_records FROM raw_sensor_data""",
        """SELECT batch_id, COUNT(*) as records, MIN(timestamp) as batch_start, MAX(timestamp) as batch_end
           FROM raw_sensor_data GROUP BY batch_id ORDER BY batch_start DESC LIMIT 10""",
    ]
    results = [spark.sql(query).collect() for query in queries]
    assert len(results[0]) == 100
    assert results[3][0]["total_records"] == READINGS
    assert [row["records"] for row in results[4]] == [1000, 1000, 1000, 600][::-1]
    assert (
        spark.sql("SELECT COUNT(*) AS n FROM raw_sensor_data WHERE turbine_id IS NULL").first()["n"]
        == 0
    )


def _popen(args: list[str], home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workloads.cli", *args],
        cwd=REPO,
        env={**os.environ, "WINDMILL_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the Spark JVM goes with it
    )


def _wait_for(predicate, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the generator")
        time.sleep(0.05)


def test_streaming_with_bad_records_stops_cleanly_on_sigterm(tmp_path):
    home = Paths(tmp_path)
    home.landing.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = home.landing / f".tmp-{int(dead.stdout)}-batch-old.jsonl"
    stale.write_text('{"turbine_id": "TURB')
    process = _popen(
        ["generate", "--records-per-batch", "500", "--batch-interval", "0.5", "--turbines", "30",
         "--seed", SEED, "--start", FIXED_START, "--bad-record-rate", "0.2"],
        tmp_path,
    )  # fmt: skip
    try:
        _wait_for(lambda: len(list(home.landing.glob("batch-*.jsonl"))) >= 3)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert not stale.exists()  # a dead generator's temporary file is cleaned at start
    assert not [p for p in home.landing.iterdir() if p.name.startswith(".")]
    files = sorted(home.landing.glob("batch-*.jsonl"))
    assert stderr.count("INFO windmill.generator: batch ") == len(files) >= 3
    run = Ledger(home.ledger).list_jobs()[0]["latest_runs"][0]
    assert run["result_state"] == "CANCELED" and run["metrics"]["batches"] == len(files)

    lines = _lines(home.landing)
    readings = 500 * len(files)
    kinds = {kind: 0 for kind in jsonlines.BAD_RECORD_KINDS}
    seen: set[str] = set()
    good = []
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            kinds["truncated_json"] += 1
            continue
        if line in seen:
            kinds["duplicate"] += 1
            continue
        seen.add(line)
        if row["turbine_id"] is None or row["timestamp"] is None:
            kinds["null_key"] += 1
        elif any(isinstance(row[name], str) for name in jsonlines.WRONG_TYPE_COLUMNS):
            kinds["wrong_type"] += 1
        elif any(
            not low <= row[name] <= high for name, (low, high) in contract.PHYSICAL_RANGES.items()
        ):
            kinds["out_of_range"] += 1
        else:
            good.append(row)
    # The mix is exactly the one the seed picks.
    # Streaming with --start: batch b is stamped start + b s (at least 1 s a batch); a turbine
    # read twice in one batch is 1 ms apart.
    index = np.arange(readings)
    number = index % 30 + 1
    ts = _ms(FIXED_START) + (index // 500) * 1000 + (index % 500) // 30
    expected, _ = jsonlines.bad_record_choice(int(SEED), number, ts, 0.2)
    for index, kind in enumerate(jsonlines.BAD_RECORD_KINDS):
        assert kinds[kind] == int(np.count_nonzero(expected == index + 1)) > 0, kind
    assert len(lines) == readings + kinds["duplicate"]
    assert 0.15 < sum(kinds.values()) / len(lines) < 0.25
    for row in good:  # well-formed lines still follow the fault rules
        assert (
            row["fault_code"],
            row["alert_level"],
            row["maintenance_needed"],
        ) == contract.classify(row)


def test_streaming_at_10000_turbines_stamps_its_schedule(tmp_path):
    """The real clock (no --start), the issue-15 shape at a 1 s interval: batch k's readings
    carry the run's start + k s (the fleet rotation, one reading per turbine), whatever
    the machine's load; the run records how far behind it ever was."""
    rows = 10_000
    result = run_windmill(
        "generate", "--records-per-batch", str(rows), "--batch-interval", "1", "--turbines",
        str(rows), "--max-iterations", "3", "--seed", SEED, env=_home_env(tmp_path),
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    files = sorted(Paths(tmp_path).landing.glob("batch-*.jsonl"))
    assert len(files) == 3
    first = None
    for k, path in enumerate(files):
        rows_of = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(rows_of) == rows
        assert [r["turbine_id"] for r in rows_of] == [
            contract.turbine_id(n) for n in range(1, rows + 1)
        ]
        stamps = {_ms(r["timestamp"]) for r in rows_of}
        assert len(stamps) == 1
        first = stamps.pop() if first is None else first
        assert _ms(rows_of[0]["timestamp"]) == first + k * 1000
    run = Ledger(Paths(tmp_path).ledger).list_jobs()[0]["latest_runs"][0]
    assert run["result_state"] == "SUCCESS" and run["metrics"]["batches"] == 3
    assert run["metrics"]["late_batches"] >= 0 and run["metrics"]["max_lag_seconds"] >= 0


def _strip_ingestion(line: str) -> str:
    return line.split('"ingestion_timestamp"')[0]


def test_killed_run_leaves_no_partial_file_and_same_flags_give_same_data(backfill_home, tmp_path):
    """kill -9 while a batch is being written (a temporary exists after the first file),
    with the fixture's flags: visible files are whole and byte-identical to the fixture's
    (apart from ingestion_timestamp)."""
    home = Paths(tmp_path)
    process = _popen(list(BACKFILL), tmp_path)
    try:
        _wait_for(
            lambda: len(list(home.landing.glob("batch-*.jsonl"))) >= 1 or process.poll() is not None
        )
        _wait_for(lambda: process.poll() is not None or any(
            p.name.startswith(".tmp-") for p in home.landing.iterdir()))  # fmt: skip
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
    files = sorted(home.landing.glob("batch-*.jsonl"))
    assert files
    hidden = [p.name for p in home.landing.iterdir() if not p.name.startswith("batch-")]
    assert all(name.startswith(".tmp-") for name in hidden)
    for path in files:
        lines = path.read_text().splitlines()
        assert len(lines) in (1000, READINGS % 1000)
        json.loads(lines[-1])
        reference = (backfill_home.landing / path.name).read_text().splitlines()
        assert [_strip_ingestion(x) for x in lines] == [_strip_ingestion(x) for x in reference]
    # The next start removes the dead generator's temporaries (see the streaming test).


def test_a_backfill_built_in_process_writes_the_spark_backfills_files(backfill_home, tmp_path):
    """Small backfills skip the JVM (`windmill up`'s first hour): same file names, same
    lines in the same order as dbldatagen's, apart from ingestion_timestamp, bad records
    included."""
    flags = [*BACKFILL[: BACKFILL.index("--backfill-engine")], "--backfill-engine", "python"]
    run_windmill(*flags, env=_home_env(tmp_path))
    here = sorted(p.name for p in Paths(tmp_path).landing.glob("batch-*.jsonl"))
    assert here == sorted(p.name for p in backfill_home.landing.glob("batch-*.jsonl"))
    for name in here:
        ours = (Paths(tmp_path).landing / name).read_text().splitlines()
        theirs = (backfill_home.landing / name).read_text().splitlines()
        assert [_strip_ingestion(x) for x in ours] == [_strip_ingestion(x) for x in theirs]
    bad = [*flags, "--bad-record-rate", "0.2"]
    run_windmill(*bad, env=_home_env(tmp_path / "bad-python"))
    run_windmill(*bad[:-4], "--backfill-engine", "spark", "--bad-record-rate", "0.2",
                 env=_home_env(tmp_path / "bad-spark"))  # fmt: skip
    python_lines, spark_lines = (
        [_strip_ingestion(x) for x in _lines(Paths(tmp_path / kind).landing)]
        for kind in ("bad-python", "bad-spark")
    )
    assert python_lines == spark_lines and len(python_lines) > READINGS  # duplicates too


def test_unwritable_home_or_landing_is_one_clear_sentence(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_windmill("generate", "--max-iterations", "1", check=False,
                          env={"WINDMILL_HOME": str(blocker / "home")})  # fmt: skip
    assert result.returncode == 2
    assert "not writable" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    home = tmp_path / "home"
    result = run_windmill("generate", "--max-iterations", "1", "--landing", str(blocker / "landing"),
                          check=False, env={"WINDMILL_HOME": str(home)})  # fmt: skip
    assert result.returncode == 2 and "landing folder" in result.stderr
    assert "Traceback" not in result.stderr
    ledger = Ledger(Paths(home).ledger)
    run = ledger.list_jobs()[0]["latest_runs"][0]
    assert run["result_state"] == "FAILED" and "landing folder" in run["state_message"]
    assert any("landing folder" in event["message"] for event in ledger.recent_events())
