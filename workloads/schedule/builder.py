"""The schedule problem from the gold tables, a crew roster and the wind outlook, and the
rows of `gold_maintenance_schedule`.

Jobs (one per turbine at most, the most urgent reason wins):
- **repair**: every open alert of `gold_maintenance_alerts`, lasting the dispatcher's
  TASK_HOURS; its deadline as in the dispatch model (opened_at + 4/24/72 h), late cost
  LATE_EUR_PER_HOUR by level (hours already late are sunk: lateness counts from now);
- **predictive**: a turbine without an open alert whose `gold_turbine_risk.risk` is at or
  above the model's own operating threshold (its `threshold` column): the repair of the
  component its top signal points at (`costs.py` repair hours), due within half the
  model's horizon; leaving it out costs risk × (replacement − repair);
- **inspection** (optional): risk at or above half the threshold: worth only riding along
  with work at the site (then labelled *opportunistic*); a dedicated trip costs more.
Sites: the `turbines` registry's `site` when the table exists, else the nearest known site.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from workloads.dispatch.builder import TASK_HOURS, _moment, _value, example_path, read_json
from workloads.dispatch.model import DEADLINE_HOURS, SKILL_BY_FAULT, parse_crews
from workloads.dispatch.sites import nearest_site, timezone_of
from workloads.errors import WindmillError
from workloads.names import GOLD_ALERTS, GOLD_RISK, GOLD_STATUS, TURBINES
from workloads.schedule import costs
from workloads.schedule.model import CrewShifts, Job, Schedule

LATE_EUR_PER_HOUR = {"CRITICAL": 500.0, "WARNING": 100.0, "INFO": 10.0}  # assumed
RIDE_ALONG_EUR = 150.0  # what an optional inspection is worth beyond its work (< a mobilisation)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Which component a top signal's feature points at (substring of the feature name).
SIGNAL_FAULTS = (
    ("gearbox", "GEARBOX_OVERHEAT"),
    ("generator", "GENERATOR_OVERHEAT"),
    ("vibration", "HIGH_VIBRATION"),
    ("oil", "LOW_OIL_PRESSURE"),
    ("lean", "TOWER_LEAN"),
)
DEFAULT_FAULT = "GEARBOX_OVERHEAT"

SCHEDULE_SCHEMA = (
    "crew_id string, day date, stop_order int, turbine_id string, task string, kind string,"
    " window_start timestamp, window_end timestamp, reason string, site string"
)
SCHEDULE_COLUMNS = tuple(part.split()[0] for part in SCHEDULE_SCHEMA.split(","))


def _clock(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise WindmillError(f"{where} must be a local time such as 07:00, got {value!r}.") from None


def load_crews(path: str | Path | None = None) -> tuple[CrewShifts, ...]:
    """Crews with shifts from a roster file (default: the dispatcher's example roster).

    Beyond the dispatch fields, each crew may give `site`, `shift_start` ("07:00", site
    time), `shift_end` (default shift_start + shift_hours), `days_off` (["sat", "sun"]) and
    `timezone` (default: the site's)."""
    path = Path(path) if path is not None else example_path("roster.json")
    document = read_json(path, "roster")
    records = document.get("crews") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise WindmillError(f"The roster file {path} has no crews list.")
    try:
        base = parse_crews(records)
    except WindmillError as exc:
        raise WindmillError(f"Roster {path}: {exc}") from None
    crews = []
    for i, (crew, record) in enumerate(zip(base, records, strict=True)):
        where = f"Roster {path}: crews[{i}]"
        site = record.get("site") or nearest_site(crew.latitude, crew.longitude) or "unknown"
        start = _clock(record.get("shift_start", "07:00"), f"{where}.shift_start")
        if "shift_end" in record:
            end = _clock(record["shift_end"], f"{where}.shift_end")
        else:
            minutes = start.hour * 60 + start.minute + round(crew.shift_hours * 60)
            if minutes >= 24 * 60:
                raise WindmillError(f"{where}: a shift must end on the day it starts.")
            end = time(minutes // 60, minutes % 60)
        if end <= start:
            raise WindmillError(f"{where}.shift_end must be after shift_start.")
        days_off = record.get("days_off", [])
        if not isinstance(days_off, list) or any(
            str(d).lower()[:3] not in WEEKDAYS for d in days_off
        ):
            raise WindmillError(
                f'{where}.days_off must be a list of weekdays such as ["sat", "sun"].'
            )
        zone = record.get("timezone") or timezone_of(site)
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(zone)
        except (ValueError, KeyError, OSError):
            raise WindmillError(f"{where}.timezone {zone!r} is not an IANA time zone.") from None
        crews.append(
            CrewShifts(
                crew.crew_id,
                site,
                crew.latitude,
                crew.longitude,
                crew.skills,
                crew.speed_kmh,
                zone,
                start,
                end,
                frozenset(WEEKDAYS.index(str(d).lower()[:3]) for d in days_off),
            )
        )
    return tuple(crews)


def fault_of_signals(top_signals: Any) -> str:
    """The component a risk row's top signal points at (DEFAULT_FAULT when unknown)."""
    try:
        signals = json.loads(top_signals) if isinstance(top_signals, str) else top_signals or []
        feature = str(signals[0].get("feature", "")).lower() if signals else ""
    except (ValueError, AttributeError, TypeError, IndexError):
        feature = ""
    return next((fault for key, fault in SIGNAL_FAULTS if key in feature), DEFAULT_FAULT)


def sites_of(positions: Mapping[str, tuple[float, float]], registry=None) -> dict[str, str]:
    """turbine -> site: the registry's when it has the turbine, else the nearest known site."""
    known = {}
    if registry is not None and {"turbine_id", "site"} <= set(registry.columns):
        known = {
            str(r["turbine_id"]): str(r["site"]) for r in registry.to_dict("records") if r["site"]
        }
    out = {}
    for turbine, (lat, lon) in positions.items():
        site = known.get(turbine) or nearest_site(lat, lon)
        if site:
            out[turbine] = site
    return out


def jobs_from_gold(alerts, risk, status, registry, now: datetime, days: int) -> list[Job]:
    """Repair, predictive and optional inspection jobs (see the module docstring)."""
    positions: dict[str, tuple[float, float]] = {}
    for frame in (status, risk, alerts):
        if frame is not None and {"latitude", "longitude"} <= set(frame.columns):
            for row in frame.to_dict("records"):
                if _value(row, "latitude") is not None and _value(row, "longitude") is not None:
                    positions[str(row["turbine_id"])] = (
                        float(row["latitude"]),
                        float(row["longitude"]),
                    )
    sites = sites_of(positions, registry)
    horizon_h = days * 24.0
    jobs: list[Job] = []
    alerted: set[str] = set()
    for row in [] if alerts is None else alerts.to_dict("records"):
        fault, level, turbine = (
            _value(row, "fault_code"),
            _value(row, "alert_level"),
            str(row["turbine_id"]),
        )
        if fault not in SKILL_BY_FAULT or level not in DEADLINE_HOURS or turbine not in sites:
            continue
        alerted.add(turbine)
        deadline = _moment(row["opened_at"]) + timedelta(hours=DEADLINE_HOURS[level])
        late = LATE_EUR_PER_HOUR[level]
        lat, lon = positions[turbine]
        jobs.append(
            Job(
                f"{turbine}:{fault}",
                turbine,
                sites[turbine],
                lat,
                lon,
                "repair",
                fault,
                SKILL_BY_FAULT[fault],
                TASK_HOURS[fault],
                now,
                max(deadline, now),
                late,
                late * (horizon_h + 24.0),
                f"open {level} alert {fault} since {_moment(row['opened_at']).isoformat()}",
            )
        )
    for row in [] if risk is None else risk.to_dict("records"):
        turbine, score = str(row["turbine_id"]), _value(row, "risk")
        threshold = _value(row, "threshold")
        if score is None or threshold is None or turbine in alerted or turbine not in sites:
            continue
        if _value(row, "in_fault"):
            continue
        score, threshold = float(score), float(threshold)
        lat, lon = positions[turbine]
        horizon = float(_value(row, "horizon_hours") or 24.0)
        if score >= threshold:
            fault = fault_of_signals(row.get("top_signals"))
            action = costs.costs_of(fault)
            avoided = score * (action.replace_eur - action.repair_eur)
            jobs.append(
                Job(
                    f"{turbine}:PREDICTIVE",
                    turbine,
                    sites[turbine],
                    lat,
                    lon,
                    "predictive",
                    fault,
                    SKILL_BY_FAULT[fault],
                    action.repair_hours,
                    now,
                    now + timedelta(hours=horizon / 2),
                    avoided / max(horizon, 1.0),
                    avoided,
                    f"risk {score:.2f} >= threshold {threshold:.2f}: {fault} repair before the trip",
                )
            )
        elif score >= threshold / 2:
            jobs.append(
                Job(
                    f"{turbine}:INSPECTION",
                    turbine,
                    sites[turbine],
                    lat,
                    lon,
                    "inspection",
                    "INSPECTION",
                    SKILL_BY_FAULT["INSPECTION"],
                    costs.INSPECTION_HOURS,
                    now,
                    now + timedelta(hours=horizon_h),
                    0.0,
                    costs.INSPECTION_HOURS * costs.CREW_HOUR_EUR + RIDE_ALONG_EUR,
                    f"risk {score:.2f}, below the threshold {threshold:.2f}: inspect when passing by",
                    optional=True,
                )
            )
    return sorted(jobs, key=lambda j: j.task_id)


def data_now(alerts, risk) -> datetime | None:
    from workloads.dispatch.builder import data_now as alerts_now

    moment = alerts_now(alerts)
    if moment is None and risk is not None and len(risk) and "as_of" in risk.columns:
        moment = _moment(risk["as_of"].max())
    return moment


def read_gold(read: Callable[[str], Any], where: str):
    alerts = read(GOLD_ALERTS)
    if alerts is None:
        raise WindmillError(
            f"There is no {GOLD_ALERTS} table {where} yet; run the pipeline first"
            " (windmill up, or windmill pipeline run)."
        )
    return alerts, read(GOLD_RISK), read(GOLD_STATUS), read(TURBINES)


def schedule_rows(schedule: Schedule):
    """gold_maintenance_schedule rows (pandas): one per planned stop, then one per job left
    out (crew_id, day, stop_order and the window null, the reason saying why)."""
    import pandas as pd

    problem = schedule.problem
    records = []
    for r in schedule.routes:
        for number, visit in enumerate(r.visits, start=1):
            job = problem.jobs_by_id[visit.task_id]
            records.append(
                {
                    "crew_id": r.shift.crew_id,
                    "day": r.shift.day,
                    "stop_order": number,
                    "turbine_id": job.turbine_id,
                    "task": job.task_id,
                    "kind": schedule.served_kind(r, visit),
                    "window_start": visit.start,
                    "window_end": visit.finish,
                    "reason": job.reason,
                    "site": job.site,
                }
            )
    for task_id, why in schedule.unassigned:
        job = problem.jobs_by_id[task_id]
        records.append(
            {
                "crew_id": None,
                "day": None,
                "stop_order": None,
                "turbine_id": job.turbine_id,
                "task": task_id,
                "kind": job.kind,
                "window_start": None,
                "window_end": None,
                "reason": f"not planned: {why}",
                "site": job.site,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=list(SCHEDULE_COLUMNS))
    for column in ("window_start", "window_end"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["stop_order"] = frame["stop_order"].astype("Int32")
    return frame
