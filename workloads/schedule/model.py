"""The multi-day schedule problem: crews' shifts, jobs, weather windows, exact times and cost.

Pure Python (no OR-Tools): the OR-Tools planner, the greedy baseline, the exhaustive
search and the simulated year share these definitions, and every plan's times and cost
are recomputed here from its crew-shift sequences.

- A *shift* is one crew's working day: from `shift_start` to `shift_end` in the crew's
  site's local time (IANA zone, so daylight saving is right), on the days that are not
  its days off, over `days` local days from the planning time. A shift leaves the crew's
  base, drives (haversine at `speed_kmh`) from job to job and is back by its end.
- A *job* may start at its `release` at the earliest; tower work needs the site's
  forecast wind at or below `max_work_wind` over the whole job (else the crew waits for
  the window, or the job goes to another shift). Work starts as early as it can: cost
  never falls by waiting.
- Cost (EUR, `costs.py`): the crew's mobilisation (MOBILISATION_EUR) per shift used +
  KM_EUR per km + the crew's hour rate (CREW_HOUR_EUR) per hour driven or worked + the job's `late_eur_per_hour` × hours its start is after its
  deadline + for every job left out its `skip_eur` (what leaving it costs: the repair's
  downtime, the predicted failure's expected extra cost, or a later dedicated trip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from workloads.dispatch.model import Stop, haversine_km
from workloads.schedule.costs import CREW_HOUR_EUR, KM_EUR
from workloads.schedule.forecast import WindForecast

MOBILISATION_EUR = 300.0  # assumed: a crew leaving base for a day (briefing, vehicle, kit)
KINDS = ("repair", "predictive", "opportunistic", "inspection")
TOLERANCE_H = 1e-9


class InfeasibleSchedule(ValueError):
    """A sequence breaks a hard rule (skill, shift, weather, a job twice, an unknown id)."""


@dataclass(frozen=True)
class CrewShifts:
    crew_id: str
    site: str
    latitude: float
    longitude: float
    skills: frozenset[str]
    speed_kmh: float
    timezone: str
    shift_start: time = time(7, 0)
    shift_end: time = time(17, 0)
    days_off: frozenset[int] = frozenset()  # weekday numbers, Monday 0
    # What an hour and a day out of this crew cost: the defaults for a day crew; the
    # simulation's on-call crews (`oncall.py`) are paid overtime and a call-out instead.
    hour_eur: float = CREW_HOUR_EUR
    mobilisation_eur: float = MOBILISATION_EUR


@dataclass(frozen=True)
class Job:
    task_id: str
    turbine_id: str
    site: str
    latitude: float
    longitude: float
    kind: str  # repair | predictive | inspection (opportunistic is a served inspection's label)
    fault_code: str
    skill: str
    duration_hours: float
    release: datetime
    deadline: datetime
    late_eur_per_hour: float
    skip_eur: float
    reason: str = ""
    optional: bool = False  # worth doing only when a crew passes by anyway (opportunistic)

    @property
    def work_eur(self) -> float:
        return self.duration_hours * CREW_HOUR_EUR


@dataclass(frozen=True)
class Shift:
    """One crew-day: the planner's vehicle."""

    crew_id: str
    day: date  # local date
    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def key(self) -> str:
        return f"{self.crew_id}@{self.day.isoformat()}"


@dataclass(frozen=True)
class Problem:
    now: datetime
    days: int
    crews: tuple[CrewShifts, ...]
    jobs: tuple[Job, ...]
    forecast: WindForecast
    max_work_wind: float = 12.0
    # A crew busy until then (the simulation's midday re-plan): its shifts start no earlier.
    available_from: Mapping[str, datetime] = field(default_factory=dict)

    @cached_property
    def crews_by_id(self) -> dict[str, CrewShifts]:
        return {c.crew_id: c for c in self.crews}

    @cached_property
    def jobs_by_id(self) -> dict[str, Job]:
        return {j.task_id: j for j in self.jobs}

    @cached_property
    def shifts(self) -> tuple[Shift, ...]:
        return tuple(
            s
            for crew in self.crews
            for s in crew_shifts(
                crew,
                max(self.now, self.available_from.get(crew.crew_id, self.now)),
                self.days,
                self.now,
            )
        )

    @cached_property
    def shifts_by_key(self) -> dict[str, Shift]:
        return {s.key: s for s in self.shifts}

    @cached_property
    def unsafe(self) -> dict[str, list[tuple[datetime, datetime]]]:
        sites = {j.site for j in self.jobs}
        return {s: self.forecast.unsafe_hours(s, self.max_work_wind) for s in sorted(sites)}


def crew_shifts(
    crew: CrewShifts, now: datetime, days: int, origin: datetime | None = None
) -> list[Shift]:
    """The crew's shifts on `days` local days from `origin`'s (default `now`'s) local date
    (days off left out; a shift already under way at `now` starts at `now`)."""
    zone = ZoneInfo(crew.timezone)
    today = (origin or now).astimezone(zone).date()
    shifts = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        if day.weekday() in crew.days_off:
            continue
        start = datetime.combine(day, crew.shift_start, zone).astimezone(UTC)
        end = datetime.combine(day, crew.shift_end, zone).astimezone(UTC)
        if end <= now:
            continue
        shifts.append(Shift(crew.crew_id, day, max(start, now), end))
    return shifts


def hours_between(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600.0


def km_between(a, b) -> float:
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


def earliest_safe_start(
    spans: Sequence[tuple[datetime, datetime]], ready: datetime, hours: float
) -> datetime:
    """The first moment >= `ready` at which `hours` of work meet no unsafe span."""
    start = ready
    moved = True
    while moved:
        moved = False
        finish = start + timedelta(hours=hours)
        for a, b in spans:
            if a < finish and start < b:  # overlap (hours == 0 still needs a calm moment)
                start, moved = b, True
                break
            if hours == 0 and a <= start < b:
                start, moved = b, True
                break
    return start


# One visit of a shift's route: the same record as a stop of the one-shift dispatcher.
Visit = Stop


@dataclass(frozen=True)
class ShiftRoute:
    shift: Shift
    visits: tuple[Visit, ...]
    km: float
    drive_hours: float
    return_at: datetime
    cost: float


def route(problem: Problem, shift: Shift, task_ids: Sequence[str]) -> ShiftRoute:
    """Exact times and cost of one shift's sequence (earliest starts); raises InfeasibleSchedule."""
    crew = problem.crews_by_id[shift.crew_id]
    here, clock = crew, shift.start
    km = drive = late_cost = 0.0
    visits = []
    for task_id in task_ids:
        job = problem.jobs_by_id.get(task_id)
        if job is None:
            raise InfeasibleSchedule(f"unknown job {task_id!r}")
        if job.skill not in crew.skills:
            raise InfeasibleSchedule(f"crew {crew.crew_id} lacks skill {job.skill} for {task_id}")
        leg = km_between(here, job)
        km += leg
        drive += leg / crew.speed_kmh
        arrival = clock + timedelta(hours=leg / crew.speed_kmh)
        start = earliest_safe_start(
            problem.unsafe.get(job.site, ()), max(arrival, job.release), job.duration_hours
        )
        finish = start + timedelta(hours=job.duration_hours)
        lateness = max(0.0, hours_between(job.deadline, start))
        late_cost += job.late_eur_per_hour * lateness
        visits.append(Visit(task_id, arrival, start, finish, lateness))
        here, clock = job, finish
    leg = km_between(here, crew)
    km += leg
    drive += leg / crew.speed_kmh
    back = clock + timedelta(hours=leg / crew.speed_kmh)
    if visits and hours_between(shift.end, back) > TOLERANCE_H:
        raise InfeasibleSchedule(
            f"shift {shift.key} would end at {back.isoformat()}, after {shift.end.isoformat()}"
        )
    work = crew.hour_eur * sum(problem.jobs_by_id[t].duration_hours for t in task_ids)
    cost = 0.0
    if visits:
        cost = crew.mobilisation_eur + KM_EUR * km + crew.hour_eur * drive + work + late_cost
    return ShiftRoute(shift, tuple(visits), km, drive, back if visits else shift.start, cost)


@dataclass(frozen=True)
class Schedule:
    """A solved schedule; times and cost always recomputed by `evaluate`."""

    problem: Problem = field(repr=False)
    routes: tuple[ShiftRoute, ...]
    unassigned: tuple[tuple[str, str], ...]  # (task_id, reason)
    cost: float
    stats: dict = field(default_factory=dict, compare=False)

    def sequences(self) -> dict[str, list[str]]:
        return {r.shift.key: [v.task_id for v in r.visits] for r in self.routes}

    def served_kind(self, route: ShiftRoute, visit: Visit) -> str:
        """A served optional job is *opportunistic* when its shift also does required work at
        that site (it rode along); served alone it keeps its kind."""
        job = self.problem.jobs_by_id[visit.task_id]
        if not job.optional:
            return job.kind
        others = (self.problem.jobs_by_id[v.task_id] for v in route.visits if v is not visit)
        bundled = any(not o.optional and o.site == job.site for o in others)
        return "opportunistic" if bundled else job.kind


def skip_reason(problem: Problem, job: Job) -> str:
    crews = [c for c in problem.crews if job.skill in c.skills]
    if not crews:
        return f"no crew has the {job.skill} skill"
    if job.optional:
        return "no crew passes by: a dedicated trip costs more than the inspection is worth"
    spans = problem.unsafe.get(job.site, ())
    shifts = [s for s in problem.shifts if s.crew_id in {c.crew_id for c in crews}]
    if shifts and all(
        earliest_safe_start(spans, max(s.start, job.release), job.duration_hours)
        + timedelta(hours=job.duration_hours)
        > s.end
        for s in shifts
    ):
        return f"no weather window: wind above the work limit in every shift of the {problem.days} days"
    return f"the {job.skill} crews' shifts are full with more urgent or nearer work"


def evaluate(
    problem: Problem, sequences: Mapping[str, Sequence[str]], stats: dict | None = None
) -> Schedule:
    """The exact schedule of `sequences` (shift key -> ordered task ids)."""
    seen: set[str] = set()
    routes = []
    cost = 0.0
    for key in sequences:
        if key not in problem.shifts_by_key:
            raise InfeasibleSchedule(f"unknown shift {key!r}")
    for shift in problem.shifts:
        ids = list(sequences.get(shift.key, ()))
        for task_id in ids:
            if task_id in seen:
                raise InfeasibleSchedule(f"job {task_id!r} is planned twice")
            seen.add(task_id)
        planned = route(problem, shift, ids)
        routes.append(planned)
        cost += planned.cost
    unassigned = []
    for job in problem.jobs:
        if job.task_id not in seen:
            cost += job.skip_eur
            unassigned.append((job.task_id, skip_reason(problem, job)))
    return Schedule(problem, tuple(routes), tuple(unassigned), cost, dict(stats or {}))


def prune_optional(schedule: Schedule) -> Schedule:
    """Drop every optional job whose removal lowers the cost (bundling only when it pays)."""
    sequences = schedule.sequences()
    best = schedule
    improved = True
    while improved:
        improved = False
        for ids in sequences.values():
            for task_id in list(ids):
                if not best.problem.jobs_by_id[task_id].optional:
                    continue
                trial = {k: [t for t in v if t != task_id] for k, v in sequences.items()}
                candidate = evaluate(best.problem, trial, best.stats)
                if candidate.cost < best.cost - 1e-9:
                    best, sequences, improved = candidate, trial, True
                    break
            if improved:
                break
    return best
