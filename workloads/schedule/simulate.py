"""`windmill simulate`: a discrete-event year of faults, crews and weather, per strategy.

The world is the generator's own (workloads/generator/physics.py): its fault episodes
(onset of the drift, then the trip past the threshold), its sites' winds and its power
curve. What the strategy's crews do changes what happens next:

- a fault that trips stops the turbine until a crew has repaired it; a repair after the
  trip is the costly one (`costs.py`: replacement cost, longer work, parts lead time);
- a repair before the trip (predictive work on an alarm, or a drift found by an
  inspection) costs the repair, stops the turbine only while the crew works, and the
  episode never trips;
- *corrective*: crews go only after trips; *scheduled*: plus an inspection of every
  turbine every `interval_days` (it finds a drift under way); *predictive*: plus the
  trained model's alarms, replayed from its evaluation (`replay.py`), each visited by a
  crew (a false alarm costs an inspection).

Every day at 06:00, 09:00, 12:00 and 15:00 site time, and when an alarm or a trip arrives
(`events.py`), the site's crews are (re-)planned by the scheduler (`planner.solve`, or
the greedy baseline) for that day's shifts (with `on_call`, also an evening and a night
on-call crew per site, `oncall.py`), with the weather outlook
from the site's past winds only (`forecast.py`); the crews then work the plan, except that
nobody climbs when the *actual* wind over the work exceeds `max_work_wind` (the job waits
for the next plan). Deterministic for a seed: no clock, no unseeded randomness.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from workloads.dispatch.model import DEADLINE_HOURS, SKILL_BY_FAULT
from workloads.schedule import costs as table
from workloads.schedule import events, misses, oncall
from workloads.schedule.forecast import HISTORY_HOURS, persistence_forecast
from workloads.schedule.model import (
    CrewShifts,
    Job,
    Problem,
    hours_between,
    km_between,
    route,
)
from workloads.schedule.tally import Totals, hash_index

STRATEGIES = ("corrective", "scheduled", "predictive")
LEVEL_OF_FAULT = {
    "GEARBOX_OVERHEAT": "CRITICAL",
    "GENERATOR_OVERHEAT": "CRITICAL",
    "TOWER_LEAN": "CRITICAL",
    "HIGH_VIBRATION": "WARNING",
    "LOW_OIL_PRESSURE": "WARNING",
}
SIM_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
SLA_EUR_PER_HOUR = 50.0  # assumed: a tripped turbine's hourly penalty beyond its lost energy
INSPECTION_DEADLINE_DAYS = 14.0


@dataclass(frozen=True)
class SimTurbine:
    turbine_id: str
    site: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class EpisodeSpec:
    turbine_id: str
    index: int
    fault_code: str
    onset: datetime
    trip: datetime


@dataclass(frozen=True)
class Scenario:
    """Everything the year is made of; `generator_scenario` builds the default one."""

    start: datetime
    days: int
    turbines: tuple[SimTurbine, ...]
    crews: tuple[CrewShifts, ...]
    episodes: tuple[EpisodeSpec, ...]
    power_kw: Mapping[str, np.ndarray]  # turbine -> potential power per hour from `start`
    site_wind: Mapping[str, np.ndarray]  # site -> wind per hour from `wind_origin`
    wind_origin: datetime

    @property
    def fault_rate(self) -> float:
        """The world's fault episodes per turbine-year (365.25-day years)."""
        return len(self.episodes) / (len(self.turbines) * self.days / 365.25)


@dataclass(frozen=True)
class Settings:
    strategy: str = "predictive"
    interval_days: float = 180.0
    energy_price: float = table.ENERGY_PRICE_EUR_PER_MWH
    max_work_wind: float = 12.0
    solver: str = "ortools"
    seed: int = 0
    # predictive: alarm times per turbine (true alarms per episode key, false ones per turbine)
    alarms: Mapping[tuple[str, int], datetime] = field(default_factory=dict)
    false_alarms: Mapping[str, Sequence[datetime]] = field(default_factory=dict)
    # The policy (issue 19's diagnosis): plan when an alarm or a trip arrives, not only at
    # the next PLAN_TIMES moment (`events.py`); act on an alarm within this many hours (the
    # model's measured lead: `scenario.run` passes a low quantile of the evaluation's
    # leads); on-call crews for evenings and nights at overtime cost (`oncall.py`).
    replan_on_event: bool = True
    predictive_deadline_hours: float = 12.0
    on_call: bool = False


@dataclass
class _EpisodeState:
    spec: EpisodeSpec
    resolved_at: datetime | None = None  # repaired (before or after the trip)
    before_trip: bool = False
    skipped: bool = False  # began while the turbine was still down from an earlier fault


class Simulation:
    def __init__(self, scenario: Scenario, settings: Settings) -> None:
        if settings.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}")
        self.sc, self.st = scenario, settings
        self.end = scenario.start + timedelta(days=scenario.days)
        self.by_turbine: dict[str, list[_EpisodeState]] = {
            t.turbine_id: [] for t in scenario.turbines
        }
        for spec in sorted(scenario.episodes, key=lambda e: (e.turbine_id, e.onset)):
            if spec.onset < self.end:
                self.by_turbine[spec.turbine_id].append(_EpisodeState(spec))
        self.turbines = {t.turbine_id: t for t in scenario.turbines}
        self.cum_kwh = {
            t: np.concatenate(([0.0], np.cumsum(p))) for t, p in scenario.power_kw.items()
        }
        self.pending_false: dict[str, list[datetime]] = {
            t: sorted(v) for t, v in settings.false_alarms.items()
        }
        self.alarm_served: set[tuple[str, int]] = set()
        self.next_inspection = {
            t.turbine_id: scenario.start
            + timedelta(days=settings.interval_days * (k + 1) / len(scenario.turbines))
            for k, t in enumerate(scenario.turbines)
        }
        self.totals = Totals()
        self.events_by_site = events.by_site(scenario, settings)
        self.crew_busy: dict[str, list[tuple[datetime, datetime]]] = {}  # out of base
        self.weather_waited: set[str] = set()  # task ids a crew was sent to but did not climb
        self.on_call = {
            site: tuple(c for c in oncall.on_call_crews(scenario.crews) if c.site == site)
            for site in {c.site for c in scenario.crews}
        }
        self.mobilised: set[str] = set()

    # Energy ---------------------------------------------------------------------------
    def energy_kwh(self, turbine_id: str, a: datetime, b: datetime) -> float:
        cum = self.cum_kwh[turbine_id]

        def at(moment: datetime) -> float:
            h = min(max(hours_between(self.sc.start, moment), 0.0), len(cum) - 1.0)
            k = min(int(h), len(cum) - 2)
            return cum[k] + (h - k) * (cum[k + 1] - cum[k])

        return max(0.0, at(b) - at(a))

    def down(self, turbine_id: str, a: datetime, b: datetime) -> None:
        a, b = max(a, self.sc.start), min(b, self.end)
        if b > a:
            self.totals.downtime_hours += hours_between(a, b)
            self.totals.lost_kwh += self.energy_kwh(turbine_id, a, b)

    def actual_max_wind(self, site: str, a: datetime, b: datetime) -> float:
        winds = self.sc.site_wind[site]
        first = math.floor(hours_between(self.sc.wind_origin, a))
        last = max(first + 1, math.ceil(hours_between(self.sc.wind_origin, b)))
        return float(np.max(winds[first:last]))

    # State ------------------------------------------------------------------------------
    def current(self, turbine_id: str, moment: datetime) -> _EpisodeState | None:
        """The turbine's episode under way at `moment` (begun, not yet resolved)."""
        previous_end = None
        for state in self.by_turbine[turbine_id]:
            if state.skipped:
                continue
            if previous_end is not None and state.spec.onset < previous_end:
                state.skipped = True
                continue
            if state.resolved_at is not None:
                previous_end = state.resolved_at
                continue
            if state.spec.onset > moment:
                return None
            return state
        return None

    def jobs_at(self, site: str, now: datetime) -> tuple[list[Job], dict[str, tuple]]:
        jobs, meaning = [], {}
        for turbine in (t for t in self.sc.turbines if t.site == site):
            tid = turbine.turbine_id
            state = self.current(tid, now)
            hourly_eur = (
                self.energy_kwh(tid, now, now + timedelta(hours=24))
                / 24.0
                / 1000.0
                * self.st.energy_price
            )
            if state is not None and state.spec.trip <= now:
                spec = state.spec
                row = table.costs_of(spec.fault_code)
                release = spec.trip + timedelta(hours=row.lead_hours)
                late = hourly_eur + SLA_EUR_PER_HOUR
                deadline = release + timedelta(
                    hours=DEADLINE_HOURS[LEVEL_OF_FAULT[spec.fault_code]]
                )
                # Hours already late are sunk: the plan weighs only lateness from now on.
                job = self._job(
                    turbine,
                    f"{tid}:{spec.index}:repair",
                    "repair",
                    spec.fault_code,
                    row.replace_hours,
                    max(release, now),
                    max(deadline, now),
                    late,
                    late * 24.0,
                    f"{spec.fault_code} tripped; repair after the trip",
                )
                jobs.append(job)
                meaning[job.task_id] = ("repair", state, deadline)
                continue
            if self.st.strategy == "predictive":
                key = None if state is None else (tid, state.spec.index)
                alarm = None if key is None else self.st.alarms.get(key)
                if alarm is not None and alarm <= now and key not in self.alarm_served:
                    job = self._alarm_job(
                        turbine,
                        state.spec.fault_code,
                        alarm,
                        f"{tid}:{state.spec.index}:alarm",
                        now,
                    )
                    jobs.append(job)
                    meaning[job.task_id] = ("alarm", state, job.deadline)
                    continue
                raised = [a for a in self.pending_false.get(tid, ()) if a <= now]
                if raised:
                    fault = sorted(table.FAULT_COSTS)[hash_index(self.st.seed, tid, raised[0])]
                    job = self._alarm_job(
                        turbine, fault, raised[0], f"{tid}:false:{raised[0].isoformat()}", now
                    )
                    jobs.append(job)
                    meaning[job.task_id] = ("false", state, job.deadline)
                    continue
            if self.st.strategy == "scheduled" and self.next_inspection[tid] <= now + timedelta(
                days=1
            ):
                due = self.next_inspection[tid]
                job = self._job(
                    turbine,
                    f"{tid}:inspection:{due.date().isoformat()}",
                    "inspection",
                    "INSPECTION",
                    table.INSPECTION_HOURS,
                    now,
                    due + timedelta(days=INSPECTION_DEADLINE_DAYS),
                    10.0,
                    table.INSPECTION_EUR,
                    "fixed-interval inspection due",
                )
                jobs.append(job)
                meaning[job.task_id] = ("inspection", state, job.deadline)
        return jobs, meaning

    def _alarm_job(
        self, turbine: SimTurbine, fault: str, alarm: datetime, task_id: str, now: datetime
    ) -> Job:
        row = table.costs_of(fault)
        avoided = row.replace_eur - row.repair_eur
        return self._job(
            turbine,
            task_id,
            "predictive",
            fault,
            row.repair_hours,
            now,
            max(now, alarm + timedelta(hours=self.st.predictive_deadline_hours)),
            avoided / 24.0,
            avoided,
            f"model alarm at {alarm.isoformat()}",
        )

    @staticmethod
    def _job(turbine, task_id, kind, fault, hours, release, deadline, late, skip, reason) -> Job:
        return Job(
            task_id,
            turbine.turbine_id,
            turbine.site,
            turbine.latitude,
            turbine.longitude,
            kind,
            fault,
            SKILL_BY_FAULT[fault],
            hours,
            release,
            deadline,
            late,
            skip,
            reason,
        )

    # The year -------------------------------------------------------------------------
    def run(self) -> dict:
        from workloads.schedule import planner

        sites = sorted({t.site for t in self.sc.turbines})
        for day in range(self.sc.days + 1):
            for site in sites:
                crews = tuple(c for c in self.sc.crews if c.site == site)
                if not crews:
                    continue
                moments = events.day_moments(self, site, crews, day)
                self.totals.shift_hours += events.day_shift_hours(self, crews, day)
                if self.st.on_call:
                    crews += self.on_call[site]
                    self.totals.crew_eur += oncall.STANDBY_EUR * (day < self.sc.days)
                busy: dict[str, datetime] = {}
                for k, now in enumerate(moments):
                    if now < self.sc.start or now >= self.end:
                        continue
                    until = moments[k + 1] if k + 1 < len(moments) else None
                    jobs, meaning = self.jobs_at(site, now)
                    problem = Problem(
                        now,
                        1,
                        crews,
                        tuple(jobs),
                        self._forecast(site, now),
                        self.st.max_work_wind,
                        dict(busy),
                    )
                    if not jobs:
                        continue
                    if self.st.solver == "greedy":
                        schedule = planner.solve_greedy(problem)
                    else:
                        schedule = planner.solve(problem, seed=self.st.seed, solution_limit=60)
                    busy.update(self._work(schedule, meaning, until))
        return self._finish()

    def plan_moments(self, site: str, a: datetime, b: datetime) -> list[datetime]:
        """Every planning moment of `site` in [a, b) (the miss diagnosis asks)."""
        return events.plan_moments(self, site, a, b)

    def _forecast(self, site: str, now: datetime):
        import pandas as pd

        winds = self.sc.site_wind[site]
        last = math.floor(hours_between(self.sc.wind_origin, now))
        first = max(0, last - int(HISTORY_HOURS))
        stamps = [self.sc.wind_origin + timedelta(hours=h) for h in range(first, last)]
        history = pd.DataFrame({"site": site, "timestamp": stamps, "wind_speed": winds[first:last]})
        return persistence_forecast(history, now, 24)

    def _work(
        self, schedule, meaning: Mapping[str, tuple], until: datetime | None
    ) -> dict[str, datetime]:
        """Work the plan's visits that start before `until` (the next plan); returns when
        each crew that worked is back at base."""
        t = self.totals
        problem = schedule.problem
        back: dict[str, datetime] = {}
        visits = []
        for r in schedule.routes:
            done = [v for v in r.visits if until is None or v.start < until]
            if not done:
                continue
            worked = route(problem, r.shift, [v.task_id for v in done])
            work = sum(problem.jobs_by_id[v.task_id].duration_hours for v in done)
            crew = problem.crews_by_id[r.shift.crew_id]
            if oncall.is_on_call(crew.crew_id):
                t.on_call_hours += worked.drive_hours + work
            else:
                t.crew_hours += worked.drive_hours + work
            t.crew_eur += table.KM_EUR * worked.km + crew.hour_eur * (worked.drive_hours + work)
            if r.shift.key not in self.mobilised:
                self.mobilised.add(r.shift.key)
                t.crew_eur += crew.mobilisation_eur
            back[r.shift.crew_id] = worked.return_at
            first = problem.jobs_by_id[done[0].task_id]
            leave = done[0].arrival - timedelta(hours=km_between(crew, first) / crew.speed_kmh)
            self.crew_busy.setdefault(crew.crew_id, []).append((leave, worked.return_at))
            visits.extend((v.start, r, v) for v in done)
        visits.sort(key=lambda x: (x[0], x[2].task_id))
        for _start, _route, visit in visits:
            job = schedule.problem.jobs_by_id[visit.task_id]
            kind, state, deadline = meaning[visit.task_id]
            if self.actual_max_wind(job.site, visit.start, visit.finish) > self.st.max_work_wind:
                t.weather_waits += 1  # the crew does not climb; the job waits for the next plan
                self.weather_waited.add(job.task_id)
                continue
            t.tasks_done += 1
            t.late += visit.start > deadline  # against the job's original deadline
            t.done_log.append((job.site, visit.start, visit.finish, job.task_id))
            tid = job.turbine_id
            if kind == "repair":
                row = table.costs_of(state.spec.fault_code)
                t.action_eur += row.replace_eur
                state.resolved_at = visit.finish
                t.repaired_after_trip += 1
                self.down(tid, state.spec.trip, visit.finish)
            elif kind == "alarm":
                self.alarm_served.add((tid, state.spec.index))
                self._clear_false(tid, visit.finish)
                if state.spec.trip > visit.start:
                    row = table.costs_of(state.spec.fault_code)
                    t.action_eur += row.repair_eur
                    state.resolved_at, state.before_trip = visit.finish, True
                    t.repaired_before_trip += 1
                    self.down(tid, visit.start, visit.finish)
                # else: it tripped before the crew came: the visit was wasted, a repair follows
            elif kind == "false":
                self._clear_false(tid, visit.finish)
                t.false_alarm_visits += 1
                t.action_eur += table.INSPECTION_EUR
                self.down(tid, visit.start, visit.finish)
            elif kind == "inspection":
                t.inspections += 1
                t.action_eur += table.INSPECTION_EUR
                self.next_inspection[tid] += timedelta(days=self.st.interval_days)
                self.down(tid, visit.start, visit.finish)
                found = self.current(tid, visit.start)
                if found is not None and found.spec.trip > visit.finish:
                    # The drift is found: repaired on the spot by the same visit's crew later
                    # (counted as a repair before the trip; its work hours as planned next).
                    row = table.costs_of(found.spec.fault_code)
                    t.action_eur += row.repair_eur + table.CREW_HOUR_EUR * row.repair_hours
                    t.crew_hours += row.repair_hours
                    found.resolved_at, found.before_trip = (
                        visit.finish + timedelta(hours=row.repair_hours),
                        True,
                    )
                    t.repaired_before_trip += 1
                    self.down(tid, visit.finish, found.resolved_at)
        return back

    def _clear_false(self, turbine_id: str, moment: datetime) -> None:
        self.pending_false[turbine_id] = [
            a for a in self.pending_false.get(turbine_id, ()) if a > moment
        ]

    def _finish(self) -> dict:
        t = self.totals
        for tid, states in self.by_turbine.items():
            previous_end = self.sc.start
            for state in states:
                if state.spec.onset < previous_end:
                    continue  # began while the turbine was down from an earlier fault
                t.episodes += 1
                previous_end = state.resolved_at or self.end
                if state.before_trip or state.spec.trip >= self.end:
                    continue
                t.trips += 1
                if state.resolved_at is None:
                    self.down(tid, state.spec.trip, self.end)  # still down at the end
        hours = len(self.sc.turbines) * self.sc.days * 24.0
        t.potential_kwh = sum(
            self.energy_kwh(tid, self.sc.start, self.end) for tid in self.turbines
        )
        om = t.action_eur + t.crew_eur
        lost_eur = t.lost_kwh / 1000.0 * self.st.energy_price
        return {
            "strategy": self.st.strategy,
            "days": self.sc.days,
            "turbines": len(self.sc.turbines),
            "crews": len(self.sc.crews),
            "time_availability": 1.0 - t.downtime_hours / hours if hours else 1.0,
            "energy_availability": 1.0 - t.lost_kwh / t.potential_kwh if t.potential_kwh else 1.0,
            "lost_mwh": t.lost_kwh / 1000.0,
            "om_cost_eur": om,
            "lost_energy_eur": lost_eur,
            "total_cost_eur": om + lost_eur,
            "tasks_done": t.tasks_done,
            "tasks_late": t.late,
            "tasks_in_unsafe_wind": self.unsafe_count(),
            "weather_waits": t.weather_waits,
            "crew_utilisation": t.crew_hours / t.shift_hours if t.shift_hours else 0.0,
            "episodes": t.episodes,
            "trips": t.trips,
            "repaired_before_trip": t.repaired_before_trip,
            "repaired_after_trip": t.repaired_after_trip,
            "false_alarm_visits": t.false_alarm_visits,
            "inspections": t.inspections,
            "on_call_hours": t.on_call_hours,
            **({"missed_because": misses.tally(self)} if self.st.strategy == "predictive" else {}),
        }

    def unsafe_count(self) -> int:
        """Tasks done while the actual wind over the work exceeded the limit (recounted)."""
        return sum(
            self.actual_max_wind(site, a, b) > self.st.max_work_wind
            for site, a, b, _ in self.totals.done_log
        )
