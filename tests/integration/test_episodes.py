"""Fault episodes (`gold.fault_episodes`) and the open work built on them, on hand-made rows.

Integration tier: the shared local Spark engine. Silver frames are built directly from
readings (`tests.helpers.reading`/`faulty`), so these tests depend only on gold.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.helpers import BASE, faulty, reading
from workloads.contract import RAW_COLUMNS
from workloads.generator import physics
from workloads.pipeline import gold

pytestmark = pytest.mark.integration

T0 = BASE.replace(tzinfo=None)  # 2026-01-05T00:00 UTC, as Spark returns it (session in UTC)
SILVER_DDL = ", ".join([*(f"{name} {kind}" for name, kind in RAW_COLUMNS), "reading_date date"])


def silver(spark, rows: list[dict]):
    """A silver frame of readings (ISO strings parsed as the pipeline would)."""
    records = []
    for row in rows:
        values = dict(row)
        for key in ("timestamp", "ingestion_timestamp"):
            values[key] = datetime.fromisoformat(values[key].replace("Z", "+00:00")).replace(
                tzinfo=None
            )
        values["reading_date"] = values["timestamp"].date()
        records.append(tuple(values[name] for name, _ in RAW_COLUMNS) + (values["reading_date"],))
    return spark.createDataFrame(records, SILVER_DDL)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def episodes_of(spark, rows, gap=30.0, as_of=None):
    frame = gold.fault_episodes(silver(spark, rows), gap, as_of)
    return sorted(
        (
            r.turbine_id[-1],
            r.fault_code,
            r.alert_level,
            r.started_at,
            r.last_seen_at,
            r.ended_at,
            r.readings,
        )
        for r in frame.collect()
    )


def test_gap_just_under_and_just_over_the_setting(spark):
    rows = [
        faulty(1, 0, "HIGH_VIBRATION"),
        *(reading(1, m) for m in (10, 20)),
        faulty(1, 30, "HIGH_VIBRATION"),  # 30 min after: the same episode
        faulty(2, 0, "HIGH_VIBRATION"),
        *(reading(2, m) for m in (10, 20)),
        faulty(2, 31, "HIGH_VIBRATION"),  # 31 min after: a new one
    ]
    assert episodes_of(spark, rows) == [
        ("1", "HIGH_VIBRATION", "WARNING", at(0), at(30), None, 2),
        ("2", "HIGH_VIBRATION", "WARNING", at(0), at(0), at(0), 1),
        ("2", "HIGH_VIBRATION", "WARNING", at(31), at(31), None, 1),
    ]


def test_an_episode_ends_only_once_its_turbine_reports_past_the_gap(spark):
    rows = [
        faulty(1, 0, "TOWER_LEAN"),
        reading(1, 30),  # 30 min of data time without the fault: still open
        faulty(2, 0, "TOWER_LEAN"),
        reading(2, 31),  # more than 30: ended, at its last reading
        faulty(3, 0, "TOWER_LEAN"),  # a silent turbine stays open
    ]
    got = {(t, ended) for t, *_, ended, _n in episodes_of(spark, rows)}
    assert got == {("1", None), ("2", at(0)), ("3", None)}
    # A shorter gap setting ends the first one too.
    assert {ended for *_, ended, _n in episodes_of(spark, rows[:2], gap=10.0)} == {at(0)}


def test_a_fault_changing_level_gives_one_episode_per_fault(spark):
    """The most severe fault is reported on each reading: vibration masked by an overheat
    for a few minutes is still one vibration episode."""
    rows = [
        *(faulty(1, m, "HIGH_VIBRATION") for m in (0, 1, 2)),
        *(faulty(1, m, "GEARBOX_OVERHEAT") for m in (3, 4, 5)),
        faulty(1, 6, "HIGH_VIBRATION"),
        *(reading(1, m) for m in range(7, 60, 10)),
    ]
    assert episodes_of(spark, rows) == [
        ("1", "GEARBOX_OVERHEAT", "CRITICAL", at(3), at(5), at(5), 3),
        ("1", "HIGH_VIBRATION", "WARNING", at(0), at(6), at(6), 4),
    ]


def test_as_of_leaves_out_later_readings(spark):
    rows = [faulty(1, 0, "TOWER_LEAN"), faulty(1, 5, "TOWER_LEAN"), reading(1, 40)]
    assert episodes_of(spark, rows, as_of=at(5).isoformat() + "Z") == [
        ("1", "TOWER_LEAN", "CRITICAL", at(0), at(5), None, 2)
    ]


def test_peak_is_the_most_extreme_value_and_energy_follows_the_power_curve(spark):
    rows = [
        faulty(1, 0, "LOW_OIL_PRESSURE", oil_pressure=20.0, power_output=500.0),
        faulty(1, 1, "LOW_OIL_PRESSURE", oil_pressure=12.0, power_output=500.0),
        faulty(1, 2, "LOW_OIL_PRESSURE", oil_pressure=18.0, power_output=500.0),
        reading(1, 3),
        *(
            faulty(2, m, "GEARBOX_OVERHEAT", gearbox_temperature=81.0 + m, power_output=1000.0)
            for m in (0, 1)
        ),
    ]
    episode = {r.turbine_id: r for r in gold.fault_episodes(silver(spark, rows), 30.0).collect()}
    expected_kw = float(physics.power_curve([9.0])[0][0])  # the readings' wind: 9 m/s
    oil, gearbox = episode["TURBINE_00001"], episode["TURBINE_00002"]
    assert oil.peak_value == 12.0  # lowest oil pressure
    assert gearbox.peak_value == 82.0  # hottest gearbox
    # Three readings a minute apart, each 500 kW short of the curve... minus 500 made.
    # Three readings a minute apart, each short of the curve by expected - 500 kW.
    assert oil.energy_lost_kwh == pytest.approx(3 * (expected_kw - 500.0) / 60)
    # The turbine's latest reading has no next one: it stands for the mean spacing (1 min).
    assert gearbox.energy_lost_kwh == pytest.approx(2 * (expected_kw - 1000.0) / 60)


def test_expected_power_matches_the_generator_curve(spark):
    winds = [0.0, 2.9, 3.0, 5.5, 9.0, 11.99, 12.0, 20.0, 24.9, 25.0, 40.0]
    frame = spark.createDataFrame([(w,) for w in winds], "wind double")
    got = [r.kw for r in frame.select(gold.expected_power_kw(frame.wind).alias("kw")).collect()]
    assert got == pytest.approx(list(physics.power_curve(winds)[0]))


AS_OF = "2026-01-06T12:00:00Z"


def test_open_work_keeps_the_true_start_of_an_episode_older_than_the_window(spark):
    """A fault open for 30 hours, seen every 20 minutes: opened_at is its first reading,
    not the start of the 24 h window; ended and INFO episodes are not open work."""
    long_fault = [faulty(1, m, "GENERATOR_OVERHEAT") for m in range(0, 36 * 60 + 1, 20)]
    rows = [
        *long_fault,  # 2026-01-05T00:00 .. 2026-01-06T12:00
        faulty(2, 35 * 60, "LOW_OIL_PRESSURE"),
        reading(2, 35 * 60 + 31),  # ended
        faulty(3, 35 * 60, "LOW_POWER_OUTPUT"),  # INFO
    ]
    frame = silver(spark, rows)
    alerts = gold.maintenance_alerts(frame, gold.as_of_column(AS_OF), 24).collect()
    assert [(a.turbine_id, a.fault_code, a.opened_at, a.readings) for a in alerts] == [
        ("TURBINE_00001", "GENERATOR_OVERHEAT", at(0), len(long_fault))
    ]
    assert [
        (f.name, f.dataType.simpleString())
        for f in gold.maintenance_alerts(frame, gold.as_of_column(AS_OF), 24).schema
    ] == list(gold.ALERT_SCHEMA)


def test_episodes_and_segments_have_their_declared_schemas(spark):
    frame = silver(spark, [faulty(1, 0, "TOWER_LEAN"), reading(2, 0)])
    segments = gold.fault_segments(frame)
    assert [(f.name, f.dataType.simpleString()) for f in segments.schema] == list(
        gold.SEGMENT_SCHEMA
    )
    episodes = gold.episodes_from_segments(segments, 30.0)
    assert [(f.name, f.dataType.simpleString()) for f in episodes.schema] == list(
        gold.EPISODE_SCHEMA
    )
