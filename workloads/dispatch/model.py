"""The dispatch problem, exactly as issue 7 states it: crews, tasks, plans, and their validation.

Pure Python (no OR-Tools, no Spark): the solver, the greedy baseline, the exact search,
the cost evaluator, the command and the tests all share these definitions.

- A crew leaves its base at `now`, drives the great-circle (haversine, R = 6371 km)
  distance at `speed_kmh`, works `duration_hours` at each task of its route (work starts
  on arrival: waiting never lowers the cost), and is back at its base within `shift_hours`.
- Deadline = `opened_at` + 4 h (CRITICAL), 24 h (WARNING), 72 h (INFO).
- Cost = Σ routed w(level) × lateness hours at the start of work
       + Σ unrouted w(level) × 24 + 0.01 × total km, with w = 100 / 10 / 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from workloads.errors import WindmillError

EARTH_RADIUS_KM = 6371.0
SKILLS: tuple[str, ...] = ("mechanical", "electrical", "structural")
# Which skill repairs which fault; inspections of high-risk turbines are mechanical.
INSPECTION = "INSPECTION"
SKILL_BY_FAULT: Mapping[str, str] = {
    "GEARBOX_OVERHEAT": "mechanical",
    "HIGH_VIBRATION": "mechanical",
    "LOW_OIL_PRESSURE": "mechanical",
    "GENERATOR_OVERHEAT": "electrical",
    "LOW_POWER_OUTPUT": "electrical",
    "TOWER_LEAN": "structural",
    INSPECTION: "mechanical",
}
DEADLINE_HOURS: Mapping[str, float] = {"CRITICAL": 4.0, "WARNING": 24.0, "INFO": 72.0}
WEIGHT: Mapping[str, float] = {"CRITICAL": 100.0, "WARNING": 10.0, "INFO": 1.0}
TASK_LEVELS: tuple[str, ...] = ("CRITICAL", "WARNING", "INFO")
UNROUTED_HOURS = 24.0  # an unrouted task costs w(level) × 24
KM_COST = 0.01  # cost per km driven


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km on a sphere of radius 6371 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Crew:
    crew_id: str
    latitude: float
    longitude: float
    skills: frozenset[str]
    shift_hours: float
    speed_kmh: float


@dataclass(frozen=True)
class Task:
    task_id: str
    turbine_id: str
    latitude: float
    longitude: float
    fault_code: str
    alert_level: str
    skill: str
    duration_hours: float
    opened_at: datetime
    risk: float | None = None

    @property
    def deadline(self) -> datetime:
        return self.opened_at + timedelta(hours=DEADLINE_HOURS[self.alert_level])

    @property
    def weight(self) -> float:
        return WEIGHT[self.alert_level]


@dataclass(frozen=True)
class Instance:
    now: datetime
    crews: tuple[Crew, ...]
    tasks: tuple[Task, ...]

    def crew(self, crew_id: str) -> Crew:
        return self.crews_by_id[crew_id]

    def task(self, task_id: str) -> Task:
        return self.tasks_by_id[task_id]

    @cached_property
    def crews_by_id(self) -> dict[str, Crew]:
        return {c.crew_id: c for c in self.crews}

    @cached_property
    def tasks_by_id(self) -> dict[str, Task]:
        return {t.task_id: t for t in self.tasks}

    def deadline_hours(self, task: Task) -> float:
        """Deadline as hours after `now` (negative when already overdue)."""
        return (task.deadline - self.now).total_seconds() / 3600.0


@dataclass(frozen=True)
class Stop:
    task_id: str
    arrival: datetime
    start: datetime
    finish: datetime
    lateness_hours: float


@dataclass(frozen=True)
class Route:
    crew_id: str
    stops: tuple[Stop, ...]
    km: float
    return_at: datetime


@dataclass(frozen=True)
class Unassigned:
    task_id: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """A solved dispatch plan. Times and cost are exact floats recomputed by the evaluator."""

    now: datetime
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    cost: float
    stats: dict[str, Any] = field(default_factory=dict, compare=False)

    def sequences(self) -> dict[str, list[str]]:
        """crew_id -> ordered task ids."""
        return {r.crew_id: [s.task_id for s in r.stops] for r in self.routes}

    @property
    def routed(self) -> int:
        return sum(len(r.stops) for r in self.routes)

    @property
    def km(self) -> float:
        return sum(r.km for r in self.routes)

    def to_json(self) -> dict[str, Any]:
        """The plan in the issue's shape (times ISO 8601 UTC, milliseconds)."""
        return {
            "routes": [
                {
                    "crew_id": r.crew_id,
                    "stops": [
                        {
                            "task_id": s.task_id,
                            "arrival": iso(s.arrival),
                            "start": iso(s.start),
                            "finish": iso(s.finish),
                        }
                        for s in r.stops
                    ],
                    "km": r.km,
                    "return": iso(r.return_at),
                }
                for r in self.routes
            ],
            "unassigned": [{"task_id": u.task_id, "reason": u.reason} for u in self.unassigned],
            "cost": self.cost,
        }


# Times -----------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """`2026-01-05T08:00:00.000Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: Any, where: str) -> datetime:
    """An ISO 8601 time (a time without offset is UTC) or a datetime, as an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise WindmillError(
                f"{where} must be an ISO time such as 2026-01-05T08:00:00Z, got {value!r}."
            ) from None
    else:
        raise WindmillError(f"{where} must be an ISO time string, got {value!r}.")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def after(now: datetime, hours: float) -> datetime:
    return now + timedelta(hours=hours)


# Validation ------------------------------------------------------------------------------

_CREW_FIELDS = ("crew_id", "latitude", "longitude", "skills", "shift_hours", "speed_kmh")
_TASK_FIELDS = (
    "task_id",
    "turbine_id",
    "latitude",
    "longitude",
    "fault_code",
    "alert_level",
    "duration_hours",
    "opened_at",
)


def _require(record: Any, fields: Sequence[str], where: str) -> Mapping[str, Any]:
    if not isinstance(record, Mapping):
        raise WindmillError(f"{where} must be an object with fields {', '.join(fields)}.")
    for name in fields:
        if name not in record or record[name] is None:
            raise WindmillError(f"{where}.{name} is missing.")
    return record


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WindmillError(f"{where} must be a non-empty string, got {value!r}.")
    return value.strip()


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WindmillError(f"{where} must be a number, got {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise WindmillError(f"{where} must be a finite number, got {value!r}.")
    return number


def _coordinates(record: Mapping[str, Any], where: str) -> tuple[float, float]:
    lat = _number(record["latitude"], f"{where}.latitude")
    lon = _number(record["longitude"], f"{where}.longitude")
    if not -90.0 <= lat <= 90.0:
        raise WindmillError(f"{where}.latitude must be between -90 and 90, got {lat}.")
    if not -180.0 <= lon <= 180.0:
        raise WindmillError(f"{where}.longitude must be between -180 and 180, got {lon}.")
    return lat, lon


def _skill(value: Any, where: str) -> str:
    skill = _text(value, where)
    if skill not in SKILLS:
        raise WindmillError(
            f"{where} is an unknown skill {skill!r}; use one of {', '.join(SKILLS)}."
        )
    return skill


def parse_crew(record: Any, where: str) -> Crew:
    record = _require(record, _CREW_FIELDS, where)
    lat, lon = _coordinates(record, where)
    skills = record["skills"]
    if isinstance(skills, str) or not isinstance(skills, Sequence):
        raise WindmillError(f"{where}.skills must be a list of skills, got {skills!r}.")
    shift = _number(record["shift_hours"], f"{where}.shift_hours")
    if shift <= 0:
        raise WindmillError(f"{where}.shift_hours must be > 0, got {shift}.")
    speed = _number(record["speed_kmh"], f"{where}.speed_kmh")
    if speed <= 0:
        raise WindmillError(f"{where}.speed_kmh must be > 0, got {speed}.")
    return Crew(
        crew_id=_text(record["crew_id"], f"{where}.crew_id"),
        latitude=lat,
        longitude=lon,
        skills=frozenset(_skill(s, f"{where}.skills[{i}]") for i, s in enumerate(skills)),
        shift_hours=shift,
        speed_kmh=speed,
    )


def parse_task(record: Any, where: str) -> Task:
    record = _require(record, _TASK_FIELDS, where)
    lat, lon = _coordinates(record, where)
    fault_code = _text(record["fault_code"], f"{where}.fault_code")
    level = _text(record["alert_level"], f"{where}.alert_level")
    if level not in DEADLINE_HOURS:
        raise WindmillError(
            f"{where}.alert_level must be one of {', '.join(TASK_LEVELS)}, got {level!r}."
        )
    # The skill may be left out for known fault codes; an explicit one wins.
    if record.get("skill") is not None:
        skill = _skill(record["skill"], f"{where}.skill")
    elif fault_code in SKILL_BY_FAULT:
        skill = SKILL_BY_FAULT[fault_code]
    else:
        raise WindmillError(f"{where}.skill is missing (fault code {fault_code!r} has no default).")
    duration = _number(record["duration_hours"], f"{where}.duration_hours")
    if duration < 0:
        raise WindmillError(f"{where}.duration_hours must be >= 0, got {duration}.")
    risk = record.get("risk")
    if risk is not None:
        risk = _number(risk, f"{where}.risk")
    return Task(
        task_id=_text(record["task_id"], f"{where}.task_id"),
        turbine_id=_text(record["turbine_id"], f"{where}.turbine_id"),
        latitude=lat,
        longitude=lon,
        fault_code=fault_code,
        alert_level=level,
        skill=skill,
        duration_hours=duration,
        opened_at=parse_time(record["opened_at"], f"{where}.opened_at"),
        risk=risk,
    )


def parse_crews(records: Any, where: str = "crews") -> tuple[Crew, ...]:
    if not isinstance(records, list):
        raise WindmillError(f"{where} must be a list of crews.")
    crews = tuple(parse_crew(r, f"{where}[{i}]") for i, r in enumerate(records))
    _unique([c.crew_id for c in crews], where, "crew_id")
    return crews


def parse_instance(document: Any) -> Instance:
    """Validate `{"now", "crews", "tasks"}`; raises WindmillError naming the bad field."""
    if not isinstance(document, Mapping):
        raise WindmillError("The instance must be a JSON object with now, crews and tasks.")
    for name in ("now", "crews", "tasks"):
        if name not in document or document[name] is None:
            raise WindmillError(f"{name} is missing.")
    now = parse_time(document["now"], "now")
    crews = parse_crews(document["crews"])
    if not isinstance(document["tasks"], list):
        raise WindmillError("tasks must be a list of tasks.")
    tasks = tuple(parse_task(r, f"tasks[{i}]") for i, r in enumerate(document["tasks"]))
    _unique([t.task_id for t in tasks], "tasks", "task_id")
    return Instance(now=now, crews=crews, tasks=tasks)


def _unique(ids: list[str], where: str, name: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            raise WindmillError(f"{where}[{i}].{name} {value!r} is used twice; ids must be unique.")
        seen.add(value)


def instance_to_json(instance: Instance) -> dict[str, Any]:
    """The inverse of parse_instance (for examples and benchmarks)."""
    return {
        "now": iso(instance.now),
        "crews": [
            {
                "crew_id": c.crew_id,
                "latitude": c.latitude,
                "longitude": c.longitude,
                "skills": sorted(c.skills),
                "shift_hours": c.shift_hours,
                "speed_kmh": c.speed_kmh,
            }
            for c in instance.crews
        ],
        "tasks": [
            {
                "task_id": t.task_id,
                "turbine_id": t.turbine_id,
                "latitude": t.latitude,
                "longitude": t.longitude,
                "fault_code": t.fault_code,
                "alert_level": t.alert_level,
                "skill": t.skill,
                "duration_hours": t.duration_hours,
                "opened_at": iso(t.opened_at),
                **({"risk": t.risk} if t.risk is not None else {}),
            }
            for t in instance.tasks
        ],
    }
