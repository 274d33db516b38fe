"""`windmill sql` over the landing files: the original system's five SQL examples run unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from workloads import contract
from workloads.engine.sql import run_query
from workloads.errors import WindmillError

pytestmark = pytest.mark.integration

START = datetime(2026, 1, 5, tzinfo=UTC)

ORIGINAL_EXAMPLES = {
    "recent readings": "SELECT * FROM raw_sensor_data ORDER BY timestamp DESC LIMIT 100;",
    "fault distribution": """
        SELECT fault_code, alert_level, COUNT(*) as fault_count
        FROM raw_sensor_data
        WHERE fault_code IS NOT NULL
        GROUP BY fault_code, alert_level
        ORDER BY fault_count DESC;""",
    "needs maintenance": """
        SELECT DISTINCT turbine_id, fault_code, alert_level
        FROM raw_sensor_data
        WHERE maintenance_needed = true
        AND alert_level IN ('WARNING', 'CRITICAL')
        ORDER BY alert_level DESC, turbine_id;""",
    "freshness": """
        SELECT
          MAX(timestamp) as latest_sensor_reading,
          MAX(ingestion_timestamp) as latest_ingestion,
          COUNT(*) as total_records
        FROM raw_sensor_data;""",
    "batch statistics": """
        SELECT
          batch_id,
          COUNT(*) as records,
          MIN(timestamp) as batch_start,
          MAX(timestamp) as batch_end
        FROM raw_sensor_data
        GROUP BY batch_id
        ORDER BY batch_start DESC
        LIMIT 10;""",
}


def reading(turbine: int, minute: int, batch: str, **sensors: float) -> dict:
    values = {
        "wind_speed": 9.0,
        "wind_direction": 200.0,
        "rotor_rpm": 13.0,
        "power_output": 1800.0,
        "nacelle_temperature": 28.0,
        "gearbox_temperature": 62.0,
        "generator_temperature": 58.0,
        "vibration_level": 0.6,
        "oil_pressure": 48.0,
        "brake_pressure": 120.0,
        "pitch_angle": 1.0,
        "yaw_angle": 200.0,
        "tower_lean": 0.3,
        **sensors,
    }
    fault_code, alert_level, maintenance = contract.classify(values)
    at = START + timedelta(minutes=minute)
    return {
        "turbine_id": contract.turbine_id(turbine),
        "timestamp": at.isoformat(),
        **values,
        "latitude": 55.0 + turbine / 100,
        "longitude": 8.0,
        "fault_code": fault_code,
        "alert_level": alert_level,
        "maintenance_needed": maintenance,
        "batch_id": batch,
        "ingestion_timestamp": (at + timedelta(seconds=2)).isoformat(),
    }


def write_landing(folder, rows_by_batch: dict[str, list[dict]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for batch, rows in rows_by_batch.items():
        (folder / f"batch-{batch}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture(scope="module")
def landed(engine_paths):
    batches = {
        "b1": [reading(1, 0, "b1"), reading(2, 0, "b1", gearbox_temperature=91.0)],
        "b2": [
            reading(1, 1, "b2", vibration_level=2.6),
            reading(2, 1, "b2", gearbox_temperature=93.0),
            reading(3, 1, "b2", power_output=40.0),
        ],
    }
    write_landing(engine_paths.landing, batches)
    return batches


def test_original_examples_run_unchanged(spark, engine_paths, landed):
    results = {
        name: run_query(spark, engine_paths, q.strip().rstrip(";"))
        for name, q in ORIGINAL_EXAMPLES.items()
    }

    columns, rows = results["recent readings"]
    assert columns == list(contract.COLUMN_NAMES)
    assert len(rows) == 5
    assert rows[0]["timestamp"] >= rows[-1]["timestamp"]

    _, faults = results["fault distribution"]
    assert faults[0] == {
        "fault_code": "GEARBOX_OVERHEAT",
        "alert_level": "CRITICAL",
        "fault_count": 2,
    }
    assert {(r["fault_code"], r["fault_count"]) for r in faults[1:]} == {
        ("HIGH_VIBRATION", 1),
        ("LOW_POWER_OUTPUT", 1),
    }

    _, maintenance = results["needs maintenance"]
    # ORDER BY alert_level DESC sorts the strings: 'WARNING' before 'CRITICAL'.
    assert [(r["turbine_id"], r["fault_code"]) for r in maintenance] == [
        ("TURBINE_00001", "HIGH_VIBRATION"),
        ("TURBINE_00002", "GEARBOX_OVERHEAT"),
    ]

    _, [fresh] = results["freshness"]
    assert fresh["total_records"] == 5
    assert fresh["latest_sensor_reading"] == datetime(2026, 1, 5, 0, 1)

    _, batches = results["batch statistics"]
    assert [(b["batch_id"], b["records"]) for b in batches] == [("b2", 3), ("b1", 2)]


def test_bad_query_is_one_clear_error(spark, engine_paths, landed):
    with pytest.raises(WindmillError, match="TABLE_OR_VIEW_NOT_FOUND.*windmill pipeline run"):
        run_query(spark, engine_paths, "SELECT * FROM no_such_table")
    with pytest.raises(WindmillError, match="query failed"):
        run_query(spark, engine_paths, "SELEC oops")


def test_clean_without_yes_refuses_in_one_sentence(windmill, windmill_home):
    refused = windmill("clean", check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        "windmill clean: refusing to drop tables without confirmation; pass --yes."
    )


def test_run_query_collects_at_most_one_row_more_than_the_limit(spark, engine_paths, landed):
    _, rows = run_query(spark, engine_paths, "SELECT * FROM raw_sensor_data", limit=2)
    assert len(rows) == 3  # one more than the limit: the caller knows the result was cut
    _, rows = run_query(spark, engine_paths, "SELECT * FROM raw_sensor_data", limit=10)
    assert len(rows) == 5


def test_cli_prints_json_and_csv_at_most_limit_rows_and_says_so_on_stderr(windmill, windmill_home):
    # Each `windmill sql` here starts an engine of its own (no engine runs on this home):
    # two calls cover JSON, CSV, a cut result and a whole one.
    rows = [reading(1, 0, "b1", tower_lean=1.8), *(reading(t, 0, "b1") for t in (2, 3))]
    write_landing(windmill_home.landing, {"b1": rows})
    cut = windmill(
        "sql", "--format", "json", "--limit", "2",
        "SELECT turbine_id, fault_code FROM raw_sensor_data ORDER BY turbine_id",
    )  # fmt: skip
    assert json.loads(cut.stdout) == [
        {"turbine_id": "TURBINE_00001", "fault_code": "TOWER_LEAN"},
        {"turbine_id": "TURBINE_00002", "fault_code": None},
    ]
    assert "output cut at 2 rows" in cut.stderr
    # Spark takes the dangling WHERE as an alias: every row matches.
    query = "SELECT turbine_id FROM raw_sensor_data WHERE"
    whole = windmill("sql", "--format", "csv", "--limit", "0", query)
    assert whole.stdout.splitlines()[0] == "turbine_id"
    assert len(whole.stdout.splitlines()) == 4
    assert "cut" not in whole.stderr
