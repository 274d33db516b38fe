"""Mapping an export's batch to the contract: time zones, numbers, JSON lines (no JVM)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from workloads.errors import WindmillError
from workloads.ingest import convert, jsonl
from workloads.ingest.mapping import Mapping

pytestmark = pytest.mark.unit

CHUNK = convert.Chunk(Path("export.csv"), "csv", 0, "abc-000000", datetime(2026, 1, 1, tzinfo=UTC))


def rules(**changes) -> Mapping:
    values = {"path": Path("m.toml"), "format": "csv", "timestamp": "t", "turbine": "id"}
    values["timezone"] = "Europe/Paris"
    values["columns"] = {"power_output": "P", "wind_direction": "Wa"}
    return Mapping(**{**values, **changes})


def utc(values, mapping: Mapping) -> list[str]:
    parsed = convert.timestamps(pa.array(values), mapping, CHUNK)
    return [None if v is None else v.strftime("%Y-%m-%d %H:%M") for v in parsed.to_pylist()]


def test_offsets_are_kept_across_the_spring_change():
    got = utc(
        ["2017-03-26T01:50:00+01:00", "2017-03-26T03:00:00+02:00", "2017-03-26T01:00:00Z"], rules()
    )
    assert got == ["2017-03-26 00:50", "2017-03-26 01:00", "2017-03-26 01:00"]


def test_local_times_without_offset_use_the_mapping_timezone():
    got = utc(
        ["2017-03-26T01:50:00", "2017-03-26 03:00:00", "2017-10-29T02:30:00", "", None], rules()
    )
    # Autumn's repeated 02:30 is read as its first occurrence (summer time, +02:00).
    assert got == ["2017-03-26 00:50", "2017-03-26 01:00", "2017-10-29 00:30", None, None]
    assert utc(["2017-03-26T01:50:00"], rules(timezone="UTC")) == ["2017-03-26 01:50"]


def test_strptime_formats_with_and_without_offset():
    assert utc(["26/03/2017 01:50"], rules(timestamp_format="%d/%m/%Y %H:%M")) == [
        "2017-03-26 00:50"
    ]
    with_zone = rules(timestamp_format="%d/%m/%Y %H:%M %z")
    assert utc(["26/03/2017 01:50 +0000"], with_zone) == ["2017-03-26 01:50"]
    with pytest.raises(WindmillError) as caught:
        utc(["26/03/2017 01:50", "yesterday"], rules(timestamp_format="%d/%m/%Y %H:%M"))
    assert str(caught.value) == (
        "export.csv, line 3, column 't': 'yesterday' does not match timestamp_format "
        "'%d/%m/%Y %H:%M'."
    )


def test_a_bad_iso_time_names_its_line():
    with pytest.raises(
        WindmillError, match=r"export.csv, line 4, column 't': 'soon' is not an ISO"
    ):
        utc(["2017-03-26T01:50:00+01:00", "2017-03-26T01:50:00", "soon"], rules())


def test_parquet_timestamps_naive_are_local_aware_are_kept():
    naive = pa.array([datetime(2017, 3, 26, 1, 50)], pa.timestamp("us"))
    aware = pa.array([datetime(2017, 3, 26, 1, 50, tzinfo=UTC)], pa.timestamp("us", tz="UTC"))
    assert utc(naive, rules()) == ["2017-03-26 00:50"]
    assert utc(aware, rules()) == ["2017-03-26 01:50"]


def test_numbers_scale_and_non_finite_values_become_null():
    got = convert.numbers(
        pa.array([1.5, float("nan"), float("inf"), None, -2.0]), CHUNK, "P", 1000.0
    )
    assert got.to_pylist() == [1500.0, None, None, None, -2000.0]
    text = convert.numbers(pa.array([" 12.5", "", None, "3"]), CHUNK, "P", None)
    assert text.to_pylist() == [12.5, None, None, 3.0]
    with pytest.raises(
        WindmillError, match=r"^export.csv, line 3, column 'P': '12,5' is not a number\.$"
    ):
        convert.numbers(pa.array(["1", "12,5"]), CHUNK, "P", None)


def test_to_contract_orders_columns_and_fills_positions():
    batch = pa.record_batch(
        {
            "id": ["R80711", "R99999", None],
            "t": ["2017-01-01T00:00:00Z"] * 3,
            "P": [100.0, None, 5.0],
            "Wa": [360.0, 10.0, None],
        }
    )
    table = convert.to_contract(batch, rules(), CHUNK, {"R80711": (47.5, 5.6)})
    assert table.column_names == [
        "turbine_id",
        "timestamp",
        "wind_direction",
        "power_output",
        "latitude",
        "longitude",
    ]
    rows = table.to_pylist()
    assert rows[0]["latitude"] == 47.5 and rows[1]["latitude"] is None
    assert rows[0]["wind_direction"] == 360.0  # the pipeline stores it as 0
    assert rows[2]["turbine_id"] is None  # the pipeline quarantines it: missing:turbine_id
    assert convert.landing_metadata(CHUNK) == {
        "batch_id": "abc-000000",
        "ingestion_timestamp": "2026-01-01T00:00:00.000Z",
    }


def test_json_lines_round_trip():
    table = pa.table(
        {
            "turbine_id": ["R1", 'odd "name" \\ here', None],
            "timestamp": pa.array(
                [datetime(2017, 1, 1, 0, 0, 1, 250000, tzinfo=UTC)] * 3,
                pa.timestamp("ms", tz="UTC"),
            ),
            "power_output": [1.5, 1e-7, None],
            "maintenance_needed": [True, False, None],
        }
    )
    lines = bytes(jsonl.encode(table)).decode().splitlines()
    assert [json.loads(text) for text in lines] == [
        {
            "turbine_id": "R1",
            "timestamp": "2017-01-01T00:00:01.250Z",
            "power_output": 1.5,
            "maintenance_needed": True,
        },
        {
            "turbine_id": 'odd "name" \\ here',
            "timestamp": "2017-01-01T00:00:01.250Z",
            "power_output": 1e-7,
            "maintenance_needed": False,
        },
        {
            "turbine_id": None,
            "timestamp": "2017-01-01T00:00:01.250Z",
            "power_output": None,
            "maintenance_needed": None,
        },
    ]
    assert bytes(jsonl.encode(table.slice(1, 1))).count(b"\n") == 1
    tail = json.loads(bytes(jsonl.encode(table.slice(0, 1), {"batch_id": "b-1"})))
    assert list(tail)[-1] == "batch_id" and tail["batch_id"] == "b-1"
