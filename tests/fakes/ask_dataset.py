"""A small fixed fleet for `windmill ask`: silver with every contract column, the gold
tables derived from it, a dispatch plan and a run ledger, laid out as workloads.storage
expects (silver with its commit log, every other table a published version).

12 turbines (three per site, dealt to sites in turn as the generator does, at the
generator's positions), a reading every 20 minutes from 2026-01-05 00:00 to
2026-01-07 12:00 UTC (a Wednesday, so "this week", "yesterday" and "today" differ), and
fixed fault episodes. Fixed seed and instants: the same bytes every run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tests.fakes import gold_tables
from workloads import contract, names, storage
from workloads.config import Paths
from workloads.dispatch import builder
from workloads.generator import physics
from workloads.pipeline import gold

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
STEP = timedelta(minutes=20)
TURBINES = 12
SEED = 20
# (turbine number, fault, level, first reading, last reading or None = still open at NOW)
EPISODES = (
    (2, "GEARBOX_OVERHEAT", "CRITICAL", datetime(2026, 1, 7, 6, 0, tzinfo=UTC), None),
    (7, "HIGH_VIBRATION", "WARNING", datetime(2026, 1, 7, 10, 0, tzinfo=UTC), None),
    (4, "LOW_OIL_PRESSURE", "WARNING", datetime(2026, 1, 6, 8, 0, tzinfo=UTC), None),
    (9, "TOWER_LEAN", "CRITICAL", datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
     datetime(2026, 1, 5, 20, 0, tzinfo=UTC)),
    (11, "GENERATOR_OVERHEAT", "CRITICAL", datetime(2026, 1, 6, 2, 0, tzinfo=UTC),
     datetime(2026, 1, 6, 9, 0, tzinfo=UTC)),
    (6, "LOW_POWER_OUTPUT", "INFO", datetime(2026, 1, 7, 8, 0, tzinfo=UTC), None),
    (12, "GEARBOX_OVERHEAT", "CRITICAL", datetime(2026, 1, 7, 11, 0, tzinfo=UTC), None),
    (5, "HIGH_VIBRATION", "WARNING", datetime(2026, 1, 6, 12, 0, tzinfo=UTC),
     datetime(2026, 1, 6, 18, 0, tzinfo=UTC)),
)  # fmt: skip
RAW_TYPES = {"timestamp": gold_tables.TS, "date": pa.date32()} | gold_tables.ARROW_TYPES


def _episode(number: int, at: datetime):
    for turbine, fault, level, first, last in EPISODES:
        if turbine == number and first <= at and (last is None or at <= last):
            return fault, level
    return None


def silver_rows(turbines: int = TURBINES, step: timedelta = STEP) -> list[dict]:
    rng = np.random.default_rng(SEED)
    lat, lon = physics.turbine_position(np.arange(1, turbines + 1))
    rows = []
    at = START
    while at <= NOW:
        for number in range(1, turbines + 1):
            wind = float(round(4.0 + 10.0 * rng.random(), 2))
            power = round(min(max((wind - 3.0) / 9.0, 0.0), 1.0) ** 3 * 3000.0, 1)
            reading = {
                "turbine_id": contract.turbine_id(number),
                "timestamp": at,
                "wind_speed": wind,
                "wind_direction": float(round(360 * rng.random(), 1) % 360),
                "rotor_rpm": round(6.0 + wind * 0.7, 2),
                "power_output": power,
                "nacelle_temperature": round(30 + 10 * rng.random(), 2),
                "gearbox_temperature": round(55 + 15 * rng.random(), 2),
                "generator_temperature": round(50 + 15 * rng.random(), 2),
                "vibration_level": round(0.5 + rng.random(), 3),
                "oil_pressure": round(40 + 20 * rng.random(), 2),
                "brake_pressure": round(100 + 50 * rng.random(), 2),
                "pitch_angle": round(5 * rng.random(), 2),
                "yaw_angle": round(360 * rng.random(), 1) % 360,
                "tower_lean": round(0.2 + 0.5 * rng.random(), 3),
                "latitude": float(lat[number - 1]),
                "longitude": float(lon[number - 1]),
                "fault_code": None,
                "alert_level": "NORMAL",
                "maintenance_needed": False,
                "batch_id": f"batch_{at:%Y%m%d%H}"
                if at.hour % 2 == 0
                else f"batch_{at - timedelta(hours=1):%Y%m%d%H}",
                "ingestion_timestamp": at + timedelta(minutes=2),
            }
            episode = _episode(number, at)
            if episode:
                fault, level = episode
                column = {r.fault_code: r for r in contract.FAULT_RULES}[fault]
                excess = 5.0 if column.direction == "above" else -5.0
                if fault == "TOWER_LEAN":
                    excess = 0.5
                if fault == "HIGH_VIBRATION":
                    excess = 0.8
                if fault == "LOW_POWER_OUTPUT":
                    reading["power_output"] = 50.0
                else:
                    reading[column.column] = round(column.threshold + excess, 2)
                if level == "CRITICAL":
                    reading["power_output"] = 0.0
                reading["fault_code"] = fault
                reading["alert_level"] = level
                reading["maintenance_needed"] = level in contract.MAINTENANCE_LEVELS
            rows.append(reading)
        at += step
    return rows


def _schema(columns) -> pa.Schema:
    return pa.schema([(name, RAW_TYPES[kind]) for name, kind in columns])


def gold_tables_from(rows: list[dict]) -> dict[str, pa.Table]:
    """The gold tables as the pipeline would derive them (24-hour window ending at NOW)."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    recent = frame[frame["timestamp"] > NOW - timedelta(hours=24)]
    latest = recent.sort_values("timestamp").groupby("turbine_id").tail(1)
    status = latest.sort_values("turbine_id")[list(gold.STATUS_COLUMNS)]
    alerts = []
    for number, fault, level, first, last in EPISODES:
        if last is not None or level not in contract.MAINTENANCE_LEVELS:
            continue
        tid = contract.turbine_id(number)
        own = recent[(recent["turbine_id"] == tid) & (recent["fault_code"] == fault)]
        alerts.append(
            {
                "turbine_id": tid,
                "fault_code": fault,
                "alert_level": level,
                "opened_at": first,
                "last_seen_at": NOW,
                "readings": len(own),
                "latitude": float(own["latitude"].iloc[0]),
                "longitude": float(own["longitude"].iloc[0]),
                "maintenance_needed": True,
            }
        )
    hourly = []
    hours = recent.assign(hour=recent["timestamp"].dt.floor("h"))
    for hour, group in hours.groupby("hour"):
        per = group.groupby("turbine_id")
        available = (group["power_output"] > 0) & (group["alert_level"] != "CRITICAL")
        hourly.append(
            {
                "hour": hour.to_pydatetime(),
                "turbines_reporting": per.ngroups,
                "readings": len(group),
                "mean_power_kw": float(group["power_output"].mean()),
                "energy_mwh": float(per["power_output"].mean().sum() / 1000.0),
                "availability": float(available.mean()),
                **{
                    f"{level.lower()}_readings": int((group["alert_level"] == level).sum())
                    for level in contract.ALERT_LEVELS
                },
            }
        )
    faults = []
    faulty = recent[recent["fault_code"].notna()]
    for (fault, level), group in faulty.groupby(["fault_code", "alert_level"]):
        faults.append(
            {
                "fault_code": fault,
                "alert_level": level,
                "fault_count": len(group),
                "turbines": group["turbine_id"].nunique(),
                "first_seen": group["timestamp"].min().to_pydatetime(),
                "last_seen": group["timestamp"].max().to_pydatetime(),
            }
        )
    plan = []
    routes = {"CREW_01": [(2, 1.0), (12, 7.5)], "CREW_02": [(4, 0.5), (7, 4.0)]}
    for crew, stops in routes.items():
        for stop, (number, hours) in enumerate(stops, start=1):
            episode = next(e for e in EPISODES if e[0] == number)
            arrival = NOW + timedelta(hours=hours)
            work = builder.TASK_HOURS[episode[1]]
            plan.append(
                {
                    "planned_at": NOW,
                    "crew_id": crew,
                    "stop": stop,
                    "task_id": f"{contract.turbine_id(number)}:{episode[1]}",
                    "turbine_id": contract.turbine_id(number),
                    "fault_code": episode[1],
                    "alert_level": episode[2],
                    "latitude": float(
                        status[status["turbine_id"] == contract.turbine_id(number)][
                            "latitude"
                        ].iloc[0]
                    ),
                    "longitude": float(
                        status[status["turbine_id"] == contract.turbine_id(number)][
                            "longitude"
                        ].iloc[0]
                    ),
                    "arrival": arrival,
                    "start": arrival,
                    "finish": arrival + timedelta(hours=work),
                    "deadline": NOW + timedelta(hours=4 if episode[2] == "CRITICAL" else 24),
                    "lateness_hours": max(
                        0.0, hours + work - (4 if episode[2] == "CRITICAL" else 24)
                    ),
                    "km": 12.5 * stop,
                    "plan_cost": 0.5,
                }
            )
    return {
        names.GOLD_STATUS: pa.Table.from_pandas(status, schema=_schema(gold.STATUS_SCHEMA), preserve_index=False),
        names.GOLD_ALERTS: pa.Table.from_pylist(alerts, schema=_schema(gold.ALERT_SCHEMA)),
        names.GOLD_HOURLY: pa.Table.from_pylist(hourly, schema=_schema(gold.HOURLY_SCHEMA)),
        names.GOLD_FAULTS: pa.Table.from_pylist(faults, schema=_schema(gold.FAULT_SUMMARY_SCHEMA)),
        names.GOLD_DISPATCH: pa.Table.from_pylist(plan, schema=gold_tables.PLAN_SCHEMA),
    }  # fmt: skip


def write(paths: Paths, turbines: int = TURBINES, step: timedelta = STEP) -> None:
    """Write the whole dataset under `paths` (silver, gold, plan, ledger); more turbines
    or a shorter step make a bigger fleet (for benchmarks) with the same fault episodes."""
    rows = silver_rows(turbines, step)
    schema = _schema(contract.RAW_COLUMNS)
    folder = paths.table(names.SILVER)
    files = []
    for day in sorted({r["timestamp"].date() for r in rows}):
        part = folder / f"reading_date={day.isoformat()}"
        part.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(
            [r for r in rows if r["timestamp"].date() == day], schema=schema
        )
        pq.write_table(table, part / "part-00000-ask.parquet")
        files.append(part / "part-00000-ask.parquet")
    gold_tables.write_commit_log(folder, files)
    for name, table in gold_tables_from(rows).items():
        target = storage.new_version_folder(paths, name)
        pq.write_table(table, target / "part-00000-ask.parquet")
        storage.publish(paths, name, target)
    gold_tables.write_ledger(paths)
