"""Dispatch instances from the gold tables and a crew roster, and the plan table's rows.

- A task per open alert of `gold_maintenance_alerts` (task_id `TURBINE_00042:GEARBOX_OVERHEAT`),
  opened at the alert's `opened_at`, lasting TASK_HOURS[fault_code].
- When `gold_turbine_risk` exists: every turbine whose risk is at or above the model's own
  operating threshold (the table's `threshold` column; RISK_THRESHOLD only for a table
  without one) and has no open alert becomes an INFO inspection task (mechanical);
  alerts carry their risk. Positions: gold_turbine_status, then the `turbines` registry.
- `now` is the data's clock (latest `last_seen_at`) unless given: the generator may run
  on a simulated clock, and a plan is about the fleet's present, not the wall clock's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from workloads.config import Paths
from workloads.dispatch.model import (
    INSPECTION,
    SKILL_BY_FAULT,
    TASK_LEVELS,
    Crew,
    Instance,
    Plan,
    Task,
    parse_crews,
    parse_time,
)
from workloads.errors import WindmillError
from workloads.names import GOLD_ALERTS, GOLD_RISK, GOLD_STATUS, TURBINES

# Hours of work per fault (documented defaults: a day's shift fits two or three repairs).
TASK_HOURS: Mapping[str, float] = {
    "GEARBOX_OVERHEAT": 5.0,
    "GENERATOR_OVERHEAT": 4.0,
    "TOWER_LEAN": 6.0,
    "HIGH_VIBRATION": 3.0,
    "LOW_OIL_PRESSURE": 2.0,
    "LOW_POWER_OUTPUT": 2.0,
    INSPECTION: 2.0,
}
RISK_THRESHOLD = 0.7  # fallback only: a risk table without the model's `threshold` column
RISK_COLUMNS = ("risk", "risk_score", "failure_risk")

PLAN_SCHEMA = (
    "planned_at timestamp, crew_id string, stop int, task_id string, turbine_id string,"
    " fault_code string, alert_level string, latitude double, longitude double,"
    " arrival timestamp, start timestamp, finish timestamp, deadline timestamp,"
    " lateness_hours double, km double, plan_cost double"
)
PLAN_COLUMNS = tuple(part.split()[0] for part in PLAN_SCHEMA.split(","))


def example_path(name: str) -> Path:
    """A file shipped in workloads/dispatch/examples (roster.json, instance.json)."""
    return Path(str(resources.files("workloads.dispatch") / "examples" / name))


def read_json(path: str | Path, what: str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise WindmillError(
            f"The {what} file {path} is not UTF-8 text (a binary file?); pass a JSON file."
        ) from None
    except FileNotFoundError:
        raise WindmillError(f"The {what} file {path} does not exist.") from None
    except OSError as exc:
        raise WindmillError(f"Cannot read the {what} file {path} ({exc.strerror}).") from None
    except json.JSONDecodeError as exc:
        raise WindmillError(
            f"The {what} file {path} is not valid JSON (line {exc.lineno}: {exc.msg})."
        ) from None


def load_roster(path: str | Path | None = None) -> tuple[Crew, ...]:
    """Crews from a roster file (`{"crews": [...]}` or a list); default: the shipped example."""
    path = Path(path) if path is not None else example_path("roster.json")
    document = read_json(path, "roster")
    records = document.get("crews") if isinstance(document, dict) else document
    if records is None:
        raise WindmillError(f"The roster file {path} has no crews list.")
    try:
        return parse_crews(records)
    except WindmillError as exc:
        raise WindmillError(f"Roster {path}: {exc}") from None


def _value(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _moment(value: Any) -> datetime:
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    return parse_time(value, "timestamp")


def tasks_from_gold(
    alerts, risk=None, status=None, now: datetime | None = None, registry=None
) -> list[Task]:
    """Tasks from alert rows (+ inspection tasks from risk rows); pandas DataFrames or None."""
    tasks: list[Task] = []
    alerted: set[str] = set()
    risk_by_turbine: dict[str, float] = {}
    threshold_by_turbine: dict[str, float] = {}
    risk_rows = [] if risk is None else risk.to_dict("records")
    risk_column = next((c for c in RISK_COLUMNS if risk is not None and c in risk.columns), None)
    if risk_column:
        for row in risk_rows:
            score = _value(row, risk_column)
            if score is not None:
                risk_by_turbine[str(row["turbine_id"])] = float(score)
                threshold = _value(row, "threshold")
                threshold_by_turbine[str(row["turbine_id"])] = (
                    RISK_THRESHOLD if threshold is None else float(threshold)
                )
    for row in [] if alerts is None else alerts.to_dict("records"):
        fault, level = _value(row, "fault_code"), _value(row, "alert_level")
        if fault not in SKILL_BY_FAULT or level not in TASK_LEVELS:
            continue
        turbine = str(row["turbine_id"])
        alerted.add(turbine)
        tasks.append(
            Task(
                task_id=f"{turbine}:{fault}",
                turbine_id=turbine,
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                fault_code=fault,
                alert_level=level,
                skill=SKILL_BY_FAULT[fault],
                duration_hours=TASK_HOURS[fault],
                opened_at=_moment(row["opened_at"]),
                risk=risk_by_turbine.get(turbine),
            )
        )
    if risk_column:
        positions = {}
        for frame in (registry, status, risk):
            if frame is not None and {"latitude", "longitude"} <= set(frame.columns):
                for row in frame.to_dict("records"):
                    if _value(row, "latitude") is not None and _value(row, "longitude") is not None:
                        positions[str(row["turbine_id"])] = (row["latitude"], row["longitude"])
        opened = now or datetime.now(UTC)
        for turbine in sorted(risk_by_turbine):
            score = risk_by_turbine[turbine]
            if (
                score < threshold_by_turbine[turbine]
                or turbine in alerted
                or turbine not in positions
            ):
                continue
            lat, lon = positions[turbine]
            tasks.append(
                Task(
                    task_id=f"{turbine}:{INSPECTION}",
                    turbine_id=turbine,
                    latitude=float(lat),
                    longitude=float(lon),
                    fault_code=INSPECTION,
                    alert_level="INFO",
                    skill=SKILL_BY_FAULT[INSPECTION],
                    duration_hours=TASK_HOURS[INSPECTION],
                    opened_at=opened,
                    risk=score,
                )
            )
    return tasks


def data_now(alerts) -> datetime | None:
    """The data's present: the latest `last_seen_at` of the alerts (None if unknown)."""
    if alerts is None or not len(alerts) or "last_seen_at" not in alerts.columns:
        return None
    latest = alerts["last_seen_at"].max()
    return None if latest is None or latest != latest else _moment(latest)


def instance_from_gold(
    paths: Paths, crews: tuple[Crew, ...], now: datetime | None = None
) -> Instance:
    """The dispatch instance of this home's gold tables (their committed versions, read with
    `workloads.storage`); raises if there are no alerts yet."""
    from workloads import storage

    return instance_from_tables(
        lambda name: storage.read_table(paths, name), crews, now, where=f"under {paths.warehouse}"
    )


def instance_from_tables(
    read: Callable[[str], Any], crews: tuple[Crew, ...], now: datetime | None, where: str
) -> Instance:
    """The dispatch instance from gold tables that `read(name)` returns as pandas (or None)."""
    alerts = read(GOLD_ALERTS)
    if alerts is None:
        raise WindmillError(
            f"There is no {GOLD_ALERTS} table {where} yet; run the pipeline"
            " first (windmill up, or windmill pipeline run)."
        )
    risk = read(GOLD_RISK)
    status = read(GOLD_STATUS) if risk is not None else None
    registry = read(TURBINES) if risk is not None else None
    moment = now or data_now(alerts) or datetime.now(UTC)
    tasks = tasks_from_gold(alerts, risk, status, moment, registry)
    return Instance(now=moment, crews=crews, tasks=tuple(sorted(tasks, key=lambda t: t.task_id)))


def plan_rows(instance: Instance, plan: Plan, planned_at: datetime):
    """gold_dispatch_plan rows as pandas: one per stop, then one per unassigned task
    (crew_id, stop, arrival, start, finish, lateness_hours and km null)."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for route in plan.routes:
        for number, stop in enumerate(route.stops, start=1):
            task = instance.task(stop.task_id)
            rows.append(
                {
                    "crew_id": route.crew_id,
                    "stop": number,
                    "task": task,
                    "arrival": stop.arrival,
                    "start": stop.start,
                    "finish": stop.finish,
                    "lateness_hours": stop.lateness_hours,
                    "km": route.km,
                }
            )
    for unassigned in plan.unassigned:
        rows.append({"task": instance.task(unassigned.task_id)})
    records = [
        {
            "planned_at": planned_at,
            "crew_id": row.get("crew_id"),
            "stop": row.get("stop"),
            "task_id": row["task"].task_id,
            "turbine_id": row["task"].turbine_id,
            "fault_code": row["task"].fault_code,
            "alert_level": row["task"].alert_level,
            "latitude": row["task"].latitude,
            "longitude": row["task"].longitude,
            "arrival": row.get("arrival"),
            "start": row.get("start"),
            "finish": row.get("finish"),
            "deadline": row["task"].deadline,
            "lateness_hours": row.get("lateness_hours"),
            "km": row.get("km"),
            "plan_cost": plan.cost,
        }
        for row in rows
    ]
    frame = pd.DataFrame.from_records(records, columns=list(PLAN_COLUMNS))
    for column in ("planned_at", "arrival", "start", "finish", "deadline"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["stop"] = frame["stop"].astype("Int32")
    for column in ("latitude", "longitude", "lateness_hours", "km", "plan_cost"):
        frame[column] = frame[column].astype("float64")
    return frame
