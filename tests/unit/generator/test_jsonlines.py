"""The generator's JSON lines, formatted by Arrow (no JVM): Java's number text, the contract
columns in order, malformed lines of every kind, one value per chunk."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from workloads import contract
from workloads.generator import fleet, jsonlines, physics

pytestmark = pytest.mark.unit

START_MS = 1_767_571_200_000  # 2026-01-05T00:00:00Z
INGESTED_MS = START_MS + 123


def _readings(turbines: int = 20, steps: int = 60):
    number, ts = fleet.fleet_times(START_MS, steps, 60_000, turbines)
    return physics.simulate(7, number, ts), number, ts


def test_numbers_print_as_java_does():
    values = np.array([0.0, 12.0, -0.0, 1234.5, 0.001, -4.270937, 55.68, 150.0, -0.09])
    text = jsonlines.number_text(values).to_pylist()
    assert text == [
        "0.0",
        "12.0",
        "-0.0",
        "1234.5",
        "0.001",
        "-4.270937",
        "55.68",
        "150.0",
        "-0.09",
    ]
    assert [float(t) for t in text] == values.tolist()


def test_timestamps_are_iso_utc_with_milliseconds():
    text = jsonlines.timestamp_text(np.array([START_MS, START_MS + 60_123, START_MS]))
    assert text.to_pylist() == [
        '"2026-01-05T00:00:00.000Z"', '"2026-01-05T00:01:00.123Z"', '"2026-01-05T00:00:00.000Z"'
    ]  # fmt: skip


def test_lines_carry_every_contract_column_and_equal_the_model():
    readings, number, ts = _readings()
    lines = jsonlines.render(readings, number, ts, batch_id="abcd-00000", ingestion_ms=INGESTED_MS)
    rows = [json.loads(line) for line in lines.to_pylist()]
    assert all(line.endswith("}\n") for line in lines.to_pylist())
    assert len(rows) == len(number)
    for index, row in enumerate(rows):
        assert tuple(row) == contract.COLUMN_NAMES
        assert row["turbine_id"] == contract.turbine_id(int(number[index]))
        assert row["batch_id"] == "abcd-00000"
        assert row["ingestion_timestamp"] == "2026-01-05T00:00:00.123Z"
        assert (row["fault_code"], row["alert_level"], row["maintenance_needed"]) == (
            contract.classify(row)
        )
    for name in jsonlines.DOUBLE_COLUMNS:
        assert np.array_equal([row[name] for row in rows], readings[name]), name


def test_every_malformed_kind_is_written_as_the_seed_picks():
    readings, number, ts = _readings(turbines=30, steps=100)
    kind, detail = jsonlines.bad_record_choice(7, number, ts, 0.2)
    lines = jsonlines.render(readings, number, ts, batch_id="b", ingestion_ms=INGESTED_MS,
                             bad_kind=kind, bad_detail=detail).to_pylist()  # fmt: skip
    duplicates = int(np.count_nonzero(kind == 1 + jsonlines.BAD_RECORD_KINDS.index("duplicate")))
    assert len(lines) == len(number) + duplicates > len(number)
    found = dict.fromkeys(jsonlines.BAD_RECORD_KINDS, 0)
    previous = None
    for line in lines:
        if line == previous:
            found["duplicate"] += 1
            continue
        previous = line
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            found["truncated_json"] += 1
            continue
        if row["turbine_id"] is None or row["timestamp"] is None:
            found["null_key"] += 1
        elif any(isinstance(row[name], str) for name in jsonlines.WRONG_TYPE_COLUMNS):
            assert any(str(row[name]).endswith(" units") for name in jsonlines.WRONG_TYPE_COLUMNS)
            found["wrong_type"] += 1
        elif any(not low <= row[name] <= high for name, (low, high) in
                 contract.PHYSICAL_RANGES.items()):  # fmt: skip
            found["out_of_range"] += 1
    for index, name in enumerate(jsonlines.BAD_RECORD_KINDS):
        assert found[name] == int(np.count_nonzero(kind == index + 1)) > 0, name


def test_joined_is_one_value_holding_the_lines_without_the_last_newline():
    lines = pa.array(['{"a":1}\n', '{"a":2}\n', '{"a":3}\n']).slice(1)
    value = jsonlines.joined(lines)
    assert value.to_pylist() == ['{"a":2}\n{"a":3}']
