"""A vendor-style SCADA export through `windmill ingest` and the real pipeline engine.

The export comes from the generator's physics (workloads/ingest/sample.py): vendor column
names, 10-minute means, Paris time stamps with their offsets across the March
daylight-saving change, empty rows, blank lines, duplicated rows, sensors never measured,
negative power, 360 degree directions, turbines named R80711… with 2050 kW rated power.
One small update (about 900 rows) on the shared engine; the silver transforms on hand-made
tolerant rows run as batch frames.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pandas as pd
import pytest

from tests.helpers import INGESTED, line, reading
from workloads import contract, registry
from workloads.config import Paths
from workloads.engine import runner
from workloads.ingest import mapping, sample
from workloads.ingest import run as ingest_run
from workloads.names import BRONZE, GOLD_HOURLY, QUARANTINE, SILVER
from workloads.pipeline import transforms

pytestmark = pytest.mark.integration

TURBINES, STEPS = 3, 300  # 50 hours of 10-minute means


def _bronze(spark, lines: list[str]):
    rows = [(text, "file:/landing/a.jsonl", INGESTED.replace(tzinfo=None)) for text in lines]
    return spark.createDataFrame(rows, "raw string, source_file string, ingested_at timestamp")


def _registry(spark, rows: list[tuple]):
    return spark.createDataFrame(rows, registry.spark_schema())


def _vendor(**values) -> str:
    """A reading as a vendor export maps it: no fault fields, some sensors never measured."""
    row = reading(1, 0, **values)
    row["turbine_id"] = values.get("turbine_id", "R80711")
    for name in (*contract.FAULT_FIELDS, "vibration_level", "oil_pressure", "tower_lean"):
        row.pop(name, None)
    return json.dumps({k: v for k, v in row.items() if v is not None or k in values})


def test_tolerant_contract_on_vendor_rows(spark):
    """Registry ids valid, nulls kept, fault fields derived with the rated power, 360 -> 0."""
    known = _registry(spark, [("R80711", "La Haute Borne", 47.54, 5.58, 2050.0, None)])
    lines = [
        _vendor(),  # healthy
        _vendor(timestamp="2026-01-05T00:10:00Z", power_output=-3.5),  # parked: consumption
        _vendor(timestamp="2026-01-05T00:20:00Z", wind_direction=360.0, yaw_angle=360.0),
        # The low-power threshold at 2050 kW is 100 x 2050/3000 = 68.3 kW.
        _vendor(timestamp="2026-01-05T00:30:00Z", power_output=80.0),  # NORMAL here
        _vendor(timestamp="2026-01-05T00:40:00Z", power_output=60.0),  # LOW_POWER_OUTPUT
        _vendor(timestamp="2026-01-05T00:50:00Z", gearbox_temperature=95.0),  # CRITICAL
        _vendor(timestamp="2026-01-05T01:00:00Z", rotor_rpm=None, power_output=10.0),  # null rpm
        _vendor(timestamp="2026-01-05T01:10:00Z", power_output=2800.0),  # above 2050 x 4/3
        _vendor(timestamp="2026-01-05T01:20:00Z", turbine_id="R99999"),  # not registered
        _vendor(timestamp="2026-01-05T01:30:00Z", wind_direction=361.0),
        json.dumps({"turbine_id": "R80711"}),  # no time: still rejected
        line(reading(2, 0)),  # a generated reading: unchanged
    ]
    frame = _bronze(spark, lines)
    checked = transforms.validate(frame, None, 10.0, registry=known)
    reasons = [sorted(r.rejection_reasons) for r in checked.select("rejection_reasons").collect()]
    assert reasons == [
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        ["out_of_range:power_output"],
        ["invalid_turbine_id"],
        ["out_of_range:wind_direction"],
        ["missing:timestamp"],
        [],
    ]
    silver = transforms.silver_readings(frame, streaming=False, registry=known)
    got = {(r.turbine_id, r.timestamp.strftime("%H:%M")): r for r in silver.collect()}
    assert len(got) == 8
    healthy = got[("R80711", "00:00")]
    assert (healthy.fault_code, healthy.alert_level, healthy.maintenance_needed) == (
        None,
        "NORMAL",
        False,
    )
    assert healthy.vibration_level is None and healthy.oil_pressure is None
    assert got[("R80711", "00:10")].power_output == -3.5
    assert got[("R80711", "00:20")].wind_direction == 0.0
    assert got[("R80711", "00:20")].yaw_angle == 0.0
    assert got[("R80711", "00:30")].alert_level == "NORMAL"
    assert got[("R80711", "00:40")].fault_code == "LOW_POWER_OUTPUT"
    assert got[("R80711", "00:50")].fault_code == "GEARBOX_OVERHEAT"
    assert got[("R80711", "00:50")].maintenance_needed is True
    assert got[("R80711", "01:00")].alert_level == "NORMAL"  # a null never makes a fault
    assert (healthy.latitude, healthy.longitude) == (55.001, 8.001)  # the reading's own
    generated = got[("TURBINE_00002", "00:00")]
    assert generated.alert_level == "NORMAL" and generated.latitude == 55.002


def test_registry_position_fills_a_reading_without_one(spark):
    known = _registry(spark, [("R80711", "La Haute Borne", 47.54, 5.58, 2050.0, None)])
    row = json.loads(_vendor())
    row.pop("latitude"), row.pop("longitude")
    silver = transforms.silver_readings(
        _bronze(spark, [json.dumps(row)]), streaming=False, registry=known
    )
    first = silver.first()
    assert (first.latitude, first.longitude) == (47.54, 5.58)


def _source_lines(path) -> int:
    with open(path, encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1  # the header


@pytest.fixture(scope="module")
def ingested(spark, engine_paths, tmp_path_factory) -> dict:
    """The sample export through `ingest` and one pipeline update; the tables as pandas."""
    folder = tmp_path_factory.mktemp("ingest")
    export, _assets, mapping_file = sample.write(
        folder / "export", TURBINES, sample.dst_start(), STEPS, fmt="csv", delimiter=";"
    )
    paths = Paths(folder / "home")
    database = f"ingest_{uuid.uuid4().hex[:8]}"
    # The pipeline reads the registry of its engine's home (the shared engine's here).
    summary = ingest_run.ingest(
        [export], mapping.load(mapping_file), paths.landing, engine_paths, show_progress=False
    )
    as_of = (summary.last_reading + timedelta(minutes=10)).isoformat()
    settings = {"as_of": as_of, "hourly_window_hours": 72}
    result = runner.run_update(spark, paths, database=database, overrides=settings)
    assert result.ok, result.error
    tables = {
        name: spark.read.table(f"{database}.{name}").toPandas()
        for name in (BRONZE, SILVER, QUARANTINE, GOLD_HOURLY)
    }
    return {"summary": summary, "lines": _source_lines(export), **tables}


def test_every_line_of_the_export_is_accounted_for(ingested):
    """Bronze has every line; silver + quarantine + duplicates account for all of them."""
    bronze, silver, quarantine = ingested[BRONZE], ingested[SILVER], ingested[QUARANTINE]
    lines = ingested["lines"]
    assert ingested["summary"].rows == lines and ingested["summary"].unregistered_rows == 0
    assert len(bronze) == lines
    frame, _ = sample.export(TURBINES, sample.dst_start(), STEPS)
    duplicates = int(frame.duplicated(["Wind_turbine_name", "Date_time"]).sum())
    assert len(silver) + len(quarantine) + duplicates == len(bronze)
    assert len(silver) == TURBINES * STEPS  # every reading, once, across the DST change
    assert len(quarantine) == sample.blank_lines()
    expected_reasons = {"missing:turbine_id", "missing:timestamp"}
    assert all(set(r) == expected_reasons for r in quarantine.rejection_reasons)


def test_silver_derives_faults_at_the_registry_rated_power(ingested):
    silver = ingested[SILVER]
    expected = [
        contract.classify(row, rated_power_kw=sample.RATED_POWER_KW)[1]
        for row in silver.astype(object).where(silver.notna(), None).to_dict("records")
    ]
    assert list(silver.alert_level) == expected
    assert silver.vibration_level.isna().all()  # never measured
    assert (silver.power_output < 0).any()  # consumption is valid
    assert set(silver.latitude.round(3)) == {47.54, 47.544, 47.548}  # from the assets file
    assert silver.wind_direction.max() < 360.0


def test_hourly_energy_is_each_reading_over_its_interval(ingested):
    silver, hourly = ingested[SILVER], ingested[GOLD_HOURLY].set_index("hour").sort_index()
    readings = silver.assign(hour=silver.timestamp.dt.floor("h"))
    energy = readings.groupby("hour").power_output.sum() * (10 / 60) / 1000.0  # 10-minute means
    common = hourly.index.intersection(energy.index)
    assert len(common) >= 48
    pd.testing.assert_series_equal(
        hourly.loc[common, "energy_mwh"], energy.loc[common], check_names=False, rtol=1e-6
    )
