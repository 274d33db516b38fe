"""Gold, silver and plan tables with exactly the contract's schemas, written as Parquet.

Stand-ins for pipeline output so dashboard tests run fast without a JVM. Fixed instants.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.sources import TREND_COLUMNS
from workloads import contract, names, storage
from workloads.config import Paths
from workloads.dispatch import builder
from workloads.pipeline import gold

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")

TURBINES = [
    # turbine_id, lat, lon, alert_level, fault_code, power kW: three turbines on the
    # Whitelee grid and two on Jutland's (workloads/dispatch/sites.py), so the map has two sites.
    ("TURBINE_00001", 55.680, -4.270, "NORMAL", None, 1500.0),
    ("TURBINE_00002", 55.680, -4.261, "CRITICAL", "GEARBOX_OVERHEAT", 0.0),
    ("TURBINE_00003", 55.686, -4.252, "WARNING", "HIGH_VIBRATION", 1200.0),
    ("TURBINE_00004", 56.200, 8.300, "INFO", "LOW_POWER_OUTPUT", 50.0),
    ("TURBINE_00005", 56.206, 8.309, "NORMAL", None, 2250.5),
]
# The plan's one task no crew could take (crew_id and the stop's times null, as
# workloads.dispatch.builder writes it): an inspection of the turbine at risk.
UNASSIGNED_TURBINE = "TURBINE_00005"
# gold_turbine_risk: one turbine above the model's threshold.
RISK = {
    "TURBINE_00001": 0.05,
    "TURBINE_00002": 0.4,
    "TURBINE_00003": 0.3,
    "TURBINE_00004": 0.1,
    "TURBINE_00005": 0.82,
}
RISK_THRESHOLD = 0.6

# Schemas come from the pipeline's contract (the transforms' declared output schemas and
# the raw reading schema) and the dispatcher's plan schema, never a hand-written copy.
ARROW_TYPES = {
    "string": pa.string(),
    "double": pa.float64(),
    "bigint": pa.int64(),
    "int": pa.int32(),
    "boolean": pa.bool_(),
    "timestamp": TS,
}


def arrow_schema(columns) -> pa.Schema:
    """A pyarrow schema from (column, Spark SQL type) pairs or a DDL string."""
    if isinstance(columns, str):
        columns = [tuple(part.split()[:2]) for part in columns.split(",")]
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns])


STATUS_SCHEMA = arrow_schema(gold.STATUS_SCHEMA)
ALERTS_SCHEMA = arrow_schema(gold.ALERT_SCHEMA)
HOURLY_SCHEMA = arrow_schema(gold.HOURLY_SCHEMA)
FAULTS_SCHEMA = arrow_schema(gold.FAULT_SUMMARY_SCHEMA)
PLAN_SCHEMA = arrow_schema(builder.PLAN_SCHEMA)
RISK_SCHEMA = arrow_schema(
    "turbine_id string, as_of timestamp, risk double, horizon_hours double,"
    " top_signals string, model_version string, threshold double, in_fault boolean"
)
# The silver columns the dashboard's trend reads.
SILVER_COLUMNS = [
    (name, ARROW_TYPES[kind]) for name, kind in contract.RAW_COLUMNS if name in TREND_COLUMNS
]


def _write(folder, table: pa.Table, name: str = "part-00000-fixture.parquet") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / name)


def status_table(power_bump: float = 0.0) -> pa.Table:
    rows = []
    for tid, lat, lon, level, fault, power in TURBINES:
        rows.append(
            {
                "turbine_id": tid,
                "timestamp": NOW,
                "latitude": lat,
                "longitude": lon,
                "wind_speed": 10.0,
                "rotor_rpm": 14.0,
                "power_output": power + power_bump,
                "nacelle_temperature": 40.0,
                "gearbox_temperature": 85.0 if fault == "GEARBOX_OVERHEAT" else 60.0,
                "generator_temperature": 55.0,
                "vibration_level": 2.4 if fault == "HIGH_VIBRATION" else 0.8,
                "oil_pressure": 45.0,
                "tower_lean": 0.2,
                "fault_code": fault,
                "alert_level": level,
                "maintenance_needed": level in ("WARNING", "CRITICAL"),
            }
        )
    return pa.Table.from_pylist(rows, schema=STATUS_SCHEMA)


def gold_arrow(
    *,
    power_bump: float = 0.0,
    with_plan: bool = True,
    name_suffix: str = "",
    with_risk: bool = False,
) -> dict[str, pa.Table]:
    """Every gold table (and the plan) for the fixed fleet above; the risk table if asked."""
    tables = {names.GOLD_STATUS: status_table(power_bump)}
    alerts = [
        {
            "turbine_id": tid,
            "fault_code": fault,
            "alert_level": level,
            "opened_at": NOW - timedelta(hours=2),
            "last_seen_at": NOW,
            "readings": 24,
            "latitude": lat,
            "longitude": lon,
            "maintenance_needed": True,
        }
        for tid, lat, lon, level, fault, _ in TURBINES
        if level in ("WARNING", "CRITICAL")
    ]
    tables[names.GOLD_ALERTS] = pa.Table.from_pylist(alerts, schema=ALERTS_SCHEMA)
    start = NOW - timedelta(hours=23)
    hourly = [
        {
            "hour": start + timedelta(hours=h),
            "turbines_reporting": 5,
            "readings": 60,
            "mean_power_kw": 1000.0 + 20 * h,
            "energy_mwh": 5.0,
            "availability": 0.9,
            "normal_readings": 50,
            "info_readings": 4,
            "warning_readings": 4,
            "critical_readings": 2,
        }
        for h in range(24)
    ]
    tables[names.GOLD_HOURLY] = pa.Table.from_pylist(hourly, schema=HOURLY_SCHEMA)
    faults = [
        {
            "fault_code": "GEARBOX_OVERHEAT",
            "alert_level": "CRITICAL",
            "fault_count": 12,
            "turbines": 1,
            "first_seen": start,
            "last_seen": NOW,
        },
        {
            "fault_code": "HIGH_VIBRATION",
            "alert_level": "WARNING",
            "fault_count": 30,
            "turbines": 2,
            "first_seen": start,
            "last_seen": NOW,
        },
        {
            "fault_code": "LOW_POWER_OUTPUT",
            "alert_level": "INFO",
            "fault_count": 7,
            "turbines": 1,
            "first_seen": start,
            "last_seen": NOW,
        },
    ]
    tables[names.GOLD_FAULTS] = pa.Table.from_pylist(faults, schema=FAULTS_SCHEMA)
    if with_plan:
        plan = []
        for stop, (tid, lat, lon, level, fault, _) in enumerate(
            [t for t in TURBINES if t[3] in ("CRITICAL", "WARNING")], start=1
        ):
            arrival = NOW + timedelta(hours=stop)
            plan.append(
                {
                    "planned_at": NOW,
                    "crew_id": "CREW_01" + name_suffix,
                    "stop": stop,
                    "task_id": f"T{stop}",
                    "turbine_id": tid,
                    "fault_code": fault,
                    "alert_level": level,
                    "latitude": lat,
                    "longitude": lon,
                    "arrival": arrival,
                    "start": arrival,
                    "finish": arrival + timedelta(hours=2),
                    "deadline": NOW + timedelta(hours=4 if level == "CRITICAL" else 24),
                    "lateness_hours": 0.0,
                    "km": 42.5,
                    "plan_cost": 0.425,
                }
            )
        tid, lat, lon, *_ = next(t for t in TURBINES if t[0] == UNASSIGNED_TURBINE)
        plan.append(
            {
                "planned_at": NOW,
                "crew_id": None,
                "stop": None,
                "task_id": f"{tid}:INSPECTION",
                "turbine_id": tid,
                "fault_code": "INSPECTION",
                "alert_level": "INFO",
                "latitude": lat,
                "longitude": lon,
                "arrival": None,
                "start": None,
                "finish": None,
                "deadline": NOW + timedelta(hours=72),
                "lateness_hours": None,
                "km": None,
                "plan_cost": 0.425,
            }
        )
        tables[names.GOLD_DISPATCH] = pa.Table.from_pylist(plan, schema=PLAN_SCHEMA)
    if with_risk:
        tables[names.GOLD_RISK] = risk_table()
    return tables


def risk_table() -> pa.Table:
    """gold_turbine_risk in the contract's columns (/work/team/contracts.md)."""
    signals = json.dumps([{"feature": "vibration_level", "value": 1.9, "contribution": 0.3}] * 3)
    rows = [
        {
            "turbine_id": tid,
            "as_of": NOW,
            "risk": score,
            "horizon_hours": 24.0,
            "top_signals": signals,
            "model_version": "fixture-1",
            "threshold": RISK_THRESHOLD,
            "in_fault": tid in ("TURBINE_00002", "TURBINE_00003"),
        }
        for tid, score in RISK.items()
    ]
    return pa.Table.from_pylist(rows, schema=RISK_SCHEMA)


def write_gold(paths: Paths, **kwargs) -> None:
    """Write every gold table as a Parquet folder, with Spark-style bookkeeping files."""
    for name, table in gold_arrow(**kwargs).items():
        _write(paths.table(name), table)
    # Spark's own bookkeeping lives beside the data and must be skipped.
    (paths.table(names.GOLD_STATUS) / "_SUCCESS").write_text("")
    (paths.table(names.GOLD_STATUS) / "_spark_metadata").mkdir(exist_ok=True)
    (paths.table(names.GOLD_STATUS) / "_spark_metadata" / "0").write_text("v1\n{}")
    (paths.table(names.GOLD_STATUS) / ".part-00000-fixture.parquet.crc").write_bytes(b"\x00crc")
    publish(paths, gold_arrow(**kwargs))


def publish(paths: Paths, tables) -> None:
    """Publish each table's folder as the engine does after an update (workloads.storage)."""
    for name in tables:
        storage.publish(paths, name, paths.table(name))


def silver_arrow(days: int = 3) -> dict[str, pa.Table]:
    """Readings of every turbine every 10 minutes, by reading_date."""
    schema = pa.schema(SILVER_COLUMNS)
    out = {}
    for day in range(days):
        rows = []
        day_start = datetime(2026, 1, 5, tzinfo=UTC) - timedelta(days=days - 1 - day)
        for step in range(0, 24 * 6):
            at = day_start + timedelta(minutes=10 * step)
            if at > NOW:
                break
            for i, (tid, *_rest) in enumerate(TURBINES):
                rows.append(
                    {
                        "turbine_id": tid,
                        "timestamp": at,
                        "nacelle_temperature": 35.0 + i,
                        "gearbox_temperature": 60.0 + (step % 12),
                        "generator_temperature": 50.0 + i,
                        "vibration_level": 0.5 + 0.01 * (step % 30),
                    }
                )
        out[day_start.date().isoformat()] = pa.Table.from_pylist(rows, schema=schema)
    return out


def write_silver(paths: Paths, days: int = 3) -> None:
    """Silver partitioned by reading_date, as the pipeline writes it."""
    folder = paths.table(names.SILVER)
    files = []
    for day, table in silver_arrow(days).items():
        _write(folder / f"reading_date={day}", table)
        files.append(folder / f"reading_date={day}" / "part-00000-fixture.parquet")
    write_commit_log(folder, files)


def write_commit_log(folder: Path, files: list[Path]) -> None:
    """The streaming sink's commit log: readers trust only the files it lists."""
    log = folder / "_spark_metadata"
    log.mkdir(exist_ok=True)
    entries = [json.dumps({"path": f"file://{f.resolve()}", "action": "add"}) for f in files]
    (log / "0").write_text("\n".join(["v1", *entries]) + "\n")


def write_ledger(paths: Paths, job_names: list[str] | None = None) -> None:
    """A pipeline with a completed update, jobs with runs, and an error event."""
    from workloads.ledger import Ledger

    ledger = Ledger(paths.ledger)
    pid = ledger.ensure_pipeline(names.PIPELINE_NAME)
    update = ledger.start_update(pid)
    # The shape the pipeline runner records (workloads.engine.runner.update_metrics).
    metrics = {
        "tables": {
            names.BRONZE: {"rows_written": 1234},
            names.SILVER: {"rows_written": 1200, "rows_read": 1234},
        },
        "duration_s": 3.5,
        "landing_files": 4,
    }
    ledger.finish_update(update, "COMPLETED", metrics=metrics)
    for name in job_names or [names.GENERATOR_JOB, names.DISPATCH_JOB]:
        job = ledger.ensure_job(name)
        run = ledger.start_run(job)
        ledger.finish_run(run, "SUCCESS", "done")
    ledger.record_event("generator", "ERROR", "disk full while writing batch 7")


def write_all(paths: Paths, **kwargs) -> None:
    write_gold(paths, **kwargs)
    write_silver(paths)
    write_ledger(paths)


def gold_frames() -> dict:
    """The same tables as pandas (for the fake workspace's SQL warehouse), silver included."""
    import pandas as pd

    frames = {name: table.to_pandas() for name, table in gold_arrow().items()}
    frames[names.SILVER] = pd.concat(
        [t.to_pandas() for t in silver_arrow().values()], ignore_index=True
    )
    return frames


def fleet_plan(alerts: list[dict], stops_per_crew: int = 3) -> pa.Table:
    """A plan for `alerts` as the dispatcher lays one out: each alert goes to the crew based
    nearest it (the example roster: two crews a site), oldest first, at most
    `stops_per_crew` stops a crew, the rest unassigned."""
    crews = builder.load_roster()
    routes: dict[str, list[dict]] = {}
    for alert in sorted(alerts, key=lambda a: (a["opened_at"], a["turbine_id"])):
        crew = min(
            crews,
            key=lambda c: (
                (c.latitude - alert["latitude"]) ** 2 + (c.longitude - alert["longitude"]) ** 2
            ),
        )
        routes.setdefault(crew.crew_id, []).append(alert)
    rows = []
    for crew_id, stops in sorted(routes.items()):
        for number, alert in enumerate(stops, start=1):
            routed = number <= stops_per_crew
            start = NOW + timedelta(hours=number)
            rows.append(
                {
                    "planned_at": NOW,
                    "crew_id": crew_id if routed else None,
                    "stop": number if routed else None,
                    "task_id": f"{alert['turbine_id']}:{alert['fault_code']}",
                    "turbine_id": alert["turbine_id"],
                    "fault_code": alert["fault_code"],
                    "alert_level": alert["alert_level"],
                    "latitude": alert["latitude"],
                    "longitude": alert["longitude"],
                    "arrival": start if routed else None,
                    "start": start if routed else None,
                    "finish": start + timedelta(hours=2) if routed else None,
                    "deadline": alert["opened_at"] + timedelta(hours=24),
                    "lateness_hours": 0.0 if routed else None,
                    "km": 12.5 if routed else None,
                    "plan_cost": 1.0,
                }
            )
    return pa.Table.from_pylist(rows, schema=PLAN_SCHEMA)


def write_fleet_day(
    paths: Paths, turbines: int = 100, interval_minutes: int = 1, seed: int = 7
) -> None:
    """A backfilled day for `turbines` turbines in the contract schemas (for benchmarks).

    Fixed seed and instants; silver holds one reading per turbine every `interval_minutes`.
    """
    import numpy as np

    from workloads.generator.physics import turbine_position

    rng = np.random.default_rng(seed)
    levels = np.array(["NORMAL", "INFO", "WARNING", "CRITICAL"])
    faults = {
        "INFO": "LOW_POWER_OUTPUT",
        "WARNING": "HIGH_VIBRATION",
        "CRITICAL": "GEARBOX_OVERHEAT",
    }
    ids = [f"TURBINE_{i:05d}" for i in range(1, turbines + 1)]
    lat, lon = turbine_position(np.arange(1, turbines + 1))  # the generator's four sites
    level = rng.choice(levels, size=turbines, p=[0.8, 0.08, 0.08, 0.04])
    power = np.where(level == "CRITICAL", 0.0, rng.random(turbines) * 3000)
    status = pa.Table.from_pylist(
        [
            {
                "turbine_id": t,
                "timestamp": NOW,
                "latitude": float(lat[i]),
                "longitude": float(lon[i]),
                "wind_speed": 9.0,
                "rotor_rpm": 13.0,
                "power_output": float(power[i]),
                "nacelle_temperature": 40.0,
                "gearbox_temperature": 62.0,
                "generator_temperature": 55.0,
                "vibration_level": 0.9,
                "oil_pressure": 45.0,
                "tower_lean": 0.3,
                "fault_code": faults.get(str(level[i])),
                "alert_level": str(level[i]),
                "maintenance_needed": str(level[i]) in ("WARNING", "CRITICAL"),
            }
            for i, t in enumerate(ids)
        ],
        schema=STATUS_SCHEMA,
    )
    alerts = pa.Table.from_pylist(
        [
            {
                "turbine_id": t,
                "fault_code": faults[str(level[i])],
                "alert_level": str(level[i]),
                "opened_at": NOW - timedelta(hours=int(rng.integers(1, 20))),
                "last_seen_at": NOW,
                "readings": int(rng.integers(5, 500)),
                "latitude": float(lat[i]),
                "longitude": float(lon[i]),
                "maintenance_needed": True,
            }
            for i, t in enumerate(ids)
            if str(level[i]) in ("WARNING", "CRITICAL")
        ],
        schema=ALERTS_SCHEMA,
    )
    tables = gold_arrow()
    tables[names.GOLD_STATUS] = status
    tables[names.GOLD_ALERTS] = alerts
    tables[names.GOLD_DISPATCH] = fleet_plan(alerts.to_pylist())
    for name, table in tables.items():
        _write(paths.table(name), table)
    publish(paths, tables)
    schema = pa.schema(SILVER_COLUMNS)
    steps = 24 * 60 // interval_minutes
    for day in (NOW - timedelta(days=1)).date(), NOW.date():
        times = [
            NOW - timedelta(minutes=interval_minutes * s)
            for s in range(steps)
            if (NOW - timedelta(minutes=interval_minutes * s)).date() == day
        ]
        n = len(times) * turbines
        table = pa.table(
            {
                "turbine_id": pa.array([t for _ in times for t in ids], pa.string()),
                "timestamp": pa.array([at for at in times for _ in ids], TS),
                "nacelle_temperature": rng.normal(40, 2, n),
                "gearbox_temperature": rng.normal(62, 4, n),
                "generator_temperature": rng.normal(55, 3, n),
                "vibration_level": rng.normal(0.9, 0.2, n),
            },
            schema=schema,
        )
        _write(paths.table(names.SILVER) / f"reading_date={day.isoformat()}", table)
    write_commit_log(
        paths.table(names.SILVER),
        sorted(paths.table(names.SILVER).glob("reading_date=*/*.parquet")),
    )
    write_ledger(paths)
