"""The pure medallion transforms and quarantine rules, on hand-made rows.

Integration tier: they run on the shared local Spark engine (a JVM, Spark Connect).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from pyspark.testing import assertDataFrameEqual

from tests.helpers import INGESTED, faulty, line, reading
from workloads.pipeline import gold, rules, transforms

pytestmark = pytest.mark.integration

INGESTED_NAIVE = INGESTED.replace(tzinfo=None)
AS_OF = "2026-01-05T12:00:00Z"


def bronze(spark, lines: list[str]):
    rows = [(text, "file:/landing/a.jsonl", INGESTED_NAIVE) for text in lines]
    return spark.createDataFrame(rows, "raw string, source_file string, ingested_at timestamp")


def reasons_of(spark, lines: list[str]) -> list[list[str]]:
    checked = transforms.validate(bronze(spark, lines), None, 10.0)
    return [sorted(r.rejection_reasons) for r in checked.select("rejection_reasons").collect()]


def test_valid_reading_has_no_reasons(spark):
    assert reasons_of(spark, [line(reading(1, 0)), line(faulty(2, 0, "TOWER_LEAN"))]) == [[], []]


RULE_CASES = [
    ("not json {", [rules.UNPARSEABLE]),
    ("", [rules.UNPARSEABLE]),
    ("null", [rules.UNPARSEABLE]),
    ("[1, 2]", [rules.UNPARSEABLE]),
    (line(reading(1, 0, turbine_id=None)), ["missing:turbine_id"]),
    (line(reading(1, 0, wind_speed="fast")), ["wrong_type:wind_speed"]),
    (line(reading(1, 0, timestamp="yesterday")), ["wrong_type:timestamp"]),
    (line(reading(1, 0, turbine_id="WT-1")), [rules.INVALID_TURBINE_ID]),
    (line(reading(1, 0, wind_direction=360.0)), []),  # north, stored as 0 (issue 21)
    (line(reading(1, 0, wind_direction=360.5)), ["out_of_range:wind_direction"]),
    (line(reading(1, 0, latitude=91.0)), ["out_of_range:latitude"]),
    (
        line(reading(1, 0, fault_code="ALIENS")),
        [rules.INCONSISTENT_FAULT, rules.UNKNOWN_FAULT_CODE],
    ),
    (
        line(reading(1, 0, alert_level="PANIC")),
        [rules.INCONSISTENT_FAULT, rules.UNKNOWN_ALERT_LEVEL],
    ),
    (
        line(
            reading(
                1,
                0,
                fault_code="GEARBOX_OVERHEAT",
                alert_level="CRITICAL",
                maintenance_needed=True,
            )
        ),
        [rules.INCONSISTENT_FAULT],
    ),
    (
        line(faulty(1, 0, "HIGH_VIBRATION", maintenance_needed=False)),
        [rules.INCONSISTENT_FAULT],
    ),
]


def test_each_rule_names_what_is_wrong(spark):
    """All cases in one frame: one Spark job instead of one per case."""
    got = reasons_of(spark, [text for text, _ in RULE_CASES])
    assert got == [sorted(expected) for _, expected in RULE_CASES]


def retyped(column: str, value) -> dict:
    """A valid reading with one value replaced as written (no re-classification)."""
    return {**reading(1, 0), column: value}


# A value of the wrong JSON type is wrong_type, whatever a lenient cast would make of it.
STRICT_TYPE_CASES = [
    (retyped("maintenance_needed", "yes"), ["wrong_type:maintenance_needed"]),
    (retyped("maintenance_needed", "false"), ["wrong_type:maintenance_needed"]),
    (retyped("maintenance_needed", 0), ["wrong_type:maintenance_needed"]),
    (retyped("wind_speed", "9.0"), ["wrong_type:wind_speed"]),
    (retyped("power_output", "1234.5 units"), ["wrong_type:power_output"]),  # the generator's
    (retyped("oil_pressure", True), ["wrong_type:oil_pressure"]),
    (retyped("vibration_level", [1.0]), ["wrong_type:vibration_level"]),
    (retyped("batch_id", 7), ["wrong_type:batch_id"]),
    (retyped("timestamp", 2026), ["wrong_type:timestamp"]),
    (retyped("ingestion_timestamp", 1767225600), ["wrong_type:ingestion_timestamp"]),
    (retyped("wind_speed", 9), []),  # a JSON integer is a number
]


def test_values_must_have_the_contract_json_type(spark):
    got = reasons_of(spark, [line(row) for row, _ in STRICT_TYPE_CASES])
    assert got == [sorted(expected) for _, expected in STRICT_TYPE_CASES]


def test_good_values_are_unchanged_by_strict_parsing(spark):
    row = {**reading(1, 0), "wind_speed": 9, "power_output": 1234.567891234, "tower_lean": 0.1}
    parsed = transforms.parse_lines(bronze(spark, [line(row)])).first()
    assert parsed.wind_speed == 9.0
    assert parsed.power_output == 1234.567891234
    assert parsed.tower_lean == 0.1
    assert parsed.maintenance_needed is False
    assert parsed.turbine_id == "TURBINE_00001" and parsed.batch_id == "batch-0001"
    assert parsed.timestamp == datetime(2026, 1, 5, 0, 0)
    assert parsed.fault_code is None


def test_a_sensor_the_line_lacks_is_not_measured_not_a_rejection(spark):
    """Issue 21: only turbine_id and timestamp are required; an absent sensor is null."""
    row = reading(1, 0)
    row["windspeed_ms"] = row.pop("wind_speed")
    assert reasons_of(spark, [json.dumps(row)]) == [[]]


def test_future_timestamp_beyond_tolerance(spark):
    soon = reading(1, 0, timestamp="2026-01-06T00:05:00Z")  # ingested 2026-01-06T00:00
    late = reading(1, 0, timestamp="2026-01-06T00:30:00Z")
    assert reasons_of(spark, [line(soon), line(late)]) == [[], [rules.FUTURE_TIMESTAMP]]


def test_thresholds_come_from_configuration(spark):
    # 85 degrees is a gearbox overheat by default, not with a threshold of 90.
    text = line(faulty(1, 0, "GEARBOX_OVERHEAT", gearbox_temperature=85.0))
    checked = transforms.validate(bronze(spark, [text]), {"GEARBOX_OVERHEAT": 90.0}, 10.0)
    assert checked.first().rejection_reasons == [rules.INCONSISTENT_FAULT]


def test_silver_and_quarantine_partition_bronze_and_silver_drops_duplicates(spark):
    good = [line(reading(t, m)) for t in (1, 2) for m in range(3)]
    bad = ["garbage", line(reading(3, 0, oil_pressure=-5.0))]
    frame = bronze(spark, [*good, good[0], *bad])
    silver = transforms.silver_readings(frame, streaming=False)
    quarantine = transforms.quarantined_rows(frame)
    assert silver.count() == 6
    assert quarantine.count() == 2
    assert set(silver.columns) == set(transforms.SILVER_COLUMNS)
    assert list(quarantine.columns) == list(transforms.QUARANTINE_COLUMNS)
    assert {r.raw for r in quarantine.collect()} == set(bad)
    first = silver.filter("turbine_id = 'TURBINE_00001'").orderBy("timestamp").first()
    assert first.timestamp == datetime(2026, 1, 5, 0, 0)
    assert str(first.reading_date) == "2026-01-05"


def silver_of(spark, rows):
    return transforms.silver_readings(bronze(spark, [line(r) for r in rows]), streaming=False)


def test_turbine_status_is_latest_reading_per_turbine_in_window(spark):
    rows = [reading(1, 0), faulty(1, 5, "LOW_OIL_PRESSURE"), reading(2, 1)]
    rows.append(reading(3, 0, timestamp="2025-12-01T00:00:00Z"))  # outside the 24 h window
    status = gold.turbine_status(silver_of(spark, rows), gold.as_of_column(AS_OF), 24)
    assert list(status.columns) == list(gold.STATUS_COLUMNS)
    got = {r.turbine_id: (r.timestamp.minute, r.fault_code) for r in status.collect()}
    assert got == {"TURBINE_00001": (5, "LOW_OIL_PRESSURE"), "TURBINE_00002": (1, None)}


def test_maintenance_alerts_are_the_open_warning_and_critical_episodes(spark):
    """Episodes end after 30 minutes of data without the fault (tests/integration/
    test_episodes.py has the boundaries); a healthy reading a minute later does not."""
    rows = [
        reading(1, 0),
        faulty(1, 1, "HIGH_VIBRATION"),
        reading(1, 2),  # a minute without it: the same episode
        faulty(1, 3, "HIGH_VIBRATION"),
        faulty(1, 4, "GEARBOX_OVERHEAT"),
        faulty(1, 5, "HIGH_VIBRATION"),
        faulty(2, 0, "LOW_OIL_PRESSURE"),
        reading(2, 31),  # 31 minutes without it: ended
        faulty(3, 0, "LOW_POWER_OUTPUT"),  # INFO: not maintenance work
    ]
    alerts = gold.maintenance_alerts(silver_of(spark, rows), gold.as_of_column(AS_OF), 24)
    expected = spark.createDataFrame(
        [
            (
                "TURBINE_00001",
                "GEARBOX_OVERHEAT",
                "CRITICAL",
                datetime(2026, 1, 5, 0, 4),
                datetime(2026, 1, 5, 0, 4),
                1,
                55.001,
                8.001,
                True,
            ),
            (
                "TURBINE_00001",
                "HIGH_VIBRATION",
                "WARNING",
                datetime(2026, 1, 5, 0, 1),
                datetime(2026, 1, 5, 0, 5),
                3,
                55.001,
                8.001,
                True,
            ),
        ],
        "turbine_id string, fault_code string, alert_level string, opened_at timestamp, "
        "last_seen_at timestamp, readings long, latitude double, longitude double, "
        "maintenance_needed boolean",
    )
    assertDataFrameEqual(alerts, expected)


def test_fleet_hourly_energy_availability_and_levels(spark):
    rows = [
        reading(1, 0, power_output=1000.0),
        reading(1, 30, power_output=2000.0),
        faulty(2, 10, "GEARBOX_OVERHEAT", power_output=600.0),
        reading(2, 70, power_output=0.0, rotor_rpm=0.0),  # next hour, not producing
    ]
    hourly = gold.fleet_hourly(silver_of(spark, rows), gold.as_of_column(AS_OF), 24)
    assert list(hourly.columns) == list(gold.HOURLY_COLUMNS)
    first, second = hourly.orderBy("hour").collect()
    assert (first.turbines_reporting, first.readings) == (2, 3)
    assert first.mean_power_kw == pytest.approx(1200.0)
    # Readings 30 and 60 minutes apart stand for at most 15 minutes each.
    assert first.energy_mwh == pytest.approx((1000.0 + 2000.0 + 600.0) * 0.25 / 1000)
    assert first.availability == pytest.approx(2 / 3)  # the CRITICAL reading is unavailable
    assert (first.normal_readings, first.critical_readings) == (2, 1)
    assert (second.readings, second.availability, second.energy_mwh) == (1, 0.0, 0.0)


def test_fleet_hourly_energy_is_readings_times_their_interval(spark):
    """Energy equals a pandas computation of the same rule on irregular readings: each
    reading's time to its turbine's next one, capped at twice the turbine's median
    interval and 15 minutes; the latest reading stands for the median."""
    import pandas as pd

    minutes = {1: [0, 1, 2, 3, 5, 6, 20, 21, 59, 61, 62], 2: [0, 10, 20, 30, 40, 50, 60, 70]}
    rows = [
        reading(t, m, power_output=100.0 + 37.0 * m + 500.0 * t)
        for t, ms in minutes.items()
        for m in ms
    ]
    frame = pd.DataFrame(
        [(r["turbine_id"], pd.Timestamp(r["timestamp"]), r["power_output"]) for r in rows],
        columns=["turbine", "ts", "kw"],
    ).sort_values(["turbine", "ts"])
    parts = []
    for _, group in frame.groupby("turbine"):
        to_next = (group["ts"].shift(-1) - group["ts"]).dt.total_seconds()
        median = to_next.median()
        cap = min(2 * median, 900.0)
        interval = to_next.clip(upper=cap).fillna(min(median, cap))
        parts.append(group.assign(kwh=group["kw"] * interval / 3600.0))
    expected = pd.concat(parts).groupby(pd.concat(parts)["ts"].dt.floor("h"))["kwh"].sum()

    hourly = gold.fleet_hourly(silver_of(spark, rows), gold.as_of_column(AS_OF), 24)
    got = {r.hour.hour: r.energy_mwh for r in hourly.collect()}
    assert got == pytest.approx({ts.hour: kwh / 1000.0 for ts, kwh in expected.items()})


def test_fault_summary_counts_by_code_and_level(spark):
    rows = [faulty(1, 0, "TOWER_LEAN"), faulty(1, 1, "TOWER_LEAN"), faulty(2, 0, "TOWER_LEAN")]
    rows += [faulty(3, 0, "LOW_POWER_OUTPUT"), reading(4, 0)]
    summary = gold.fault_summary(silver_of(spark, rows), gold.as_of_column(AS_OF), 24)
    expected = spark.createDataFrame(
        [
            (
                "LOW_POWER_OUTPUT",
                "INFO",
                1,
                1,
                datetime(2026, 1, 5, 0, 0),
                datetime(2026, 1, 5, 0, 0),
            ),
            (
                "TOWER_LEAN",
                "CRITICAL",
                3,
                2,
                datetime(2026, 1, 5, 0, 0),
                datetime(2026, 1, 5, 0, 1),
            ),
        ],
        "fault_code string, alert_level string, fault_count long, turbines long, "
        "first_seen timestamp, last_seen timestamp",
    )
    assertDataFrameEqual(summary, expected)


def test_each_gold_transform_returns_its_declared_schema(spark):
    """The declared schemas are what readers and the test fakes rely on."""
    silver = silver_of(spark, [reading(1, 0), faulty(2, 0, "TOWER_LEAN")])
    as_of = gold.as_of_column(AS_OF)
    for transform, schema in (
        (gold.turbine_status, gold.STATUS_SCHEMA),
        (gold.maintenance_alerts, gold.ALERT_SCHEMA),
        (gold.fleet_hourly, gold.HOURLY_SCHEMA),
        (gold.fault_summary, gold.FAULT_SUMMARY_SCHEMA),
    ):
        got = [(f.name, f.dataType.simpleString()) for f in transform(silver, as_of, 24).schema]
        assert got == list(schema), transform.__name__
