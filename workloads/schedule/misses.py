"""Why a predicted fault tripped anyway: one reason per missed episode (issue 19's diagnosis).

After a predictive year, every episode that tripped is classified by what stopped a crew
from repairing it between the model's alarm and the trip. The reasons are tested in this
order, each against the *world* (actual wind, the roster's shifts, the job's work hours),
not against the plan, so they say what the policy could have done, not what it did:

- `no_alarm`: the model missed the episode (its replayed evaluation outcome was a miss);
- `off_shift`: no crew with the skill (on-call crews included when on) is on shift at any
  moment between alarm and trip (night, days off); `skill_off` when another crew of the site is on shift but lacks it;
- `too_short`: crews with the skill are on shift, but no stretch is long enough for the
  drive there, the work before the trip, and the drive back within the shift;
- `weather`: such stretches exist, but the actual wind exceeds the work limit in each;
- `plan_latency`: a feasible stretch exists only before the first plan that knows the
  alarm (alarms are acted on at the next planning moment);
- after that plan a feasible stretch existed, and: `forecast_gale` the crew was sent but
  the actual wind was above the limit (the forecast said calm); `crews_busy` every such
  stretch overlaps the skilled crews' trips out on other work (planned before the alarm,
  a crew out is not recalled); `forecast_or_choice` a skilled crew was free: the forecast
  said gale where it was calm, or the planner chose other work.

The last three are the policy's own (with the forecast's); the others are limits of the model, the roster or
the weather. Hour resolution (the wind is hourly): a stretch starts on a whole minute grid
of STEP_MINUTES.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from workloads.dispatch.model import SKILL_BY_FAULT
from workloads.schedule import costs as table
from workloads.schedule.model import crew_shifts, km_between

REASONS = (
    "no_alarm",
    "off_shift",
    "skill_off",
    "too_short",
    "weather",
    "plan_latency",
    "forecast_gale",
    "crews_busy",
    "forecast_or_choice",
)
STEP_MINUTES = 15


def _first_plan(sim, site: str, alarm: datetime) -> datetime:
    """The first planning moment of `site` at or after `alarm`."""
    moments = sim.plan_moments(site, alarm, alarm + timedelta(days=3))
    return next((m for m in moments if m >= alarm), alarm + timedelta(days=3))


def _busy(sim, crew, a: datetime, b: datetime) -> bool:
    return any(x < b and a < y for x, y in sim.crew_busy.get(crew.crew_id, ()))


def _stretches(sim, crews, site, turbine, alarm, trip, hours, after=None, free=False):
    """(any shift time in [alarm, trip), a slot fits by time alone, a slot fits with the
    actual wind too); slots start no earlier than `after` when given, and with `free`
    only where the crew was not out on other work from leaving base to coming back."""
    on_shift = fits = calm = False
    begin = alarm if after is None else max(alarm, after)
    for crew in crews:
        drive = timedelta(hours=km_between(crew, turbine) / crew.speed_kmh)
        for shift in crew_shifts(crew, alarm - timedelta(days=1), 3):
            if shift.end <= alarm or shift.start >= trip:
                continue
            on_shift = True
            start = max(shift.start + drive, begin)
            step = timedelta(minutes=STEP_MINUTES)
            while start + timedelta(hours=hours) <= min(trip, shift.end - drive):
                fits = True
                end = start + timedelta(hours=hours)
                if sim.actual_max_wind(site, start, end) <= sim.st.max_work_wind and not (
                    free and _busy(sim, crew, start - drive, end + drive)
                ):
                    return True, True, True
                start += step
    return on_shift, fits, calm


def reason(sim, state, alarm: datetime | None) -> str:
    """The reason one tripped episode was not repaired before its trip (see the module)."""
    if alarm is None:
        return "no_alarm"
    spec = state.spec
    turbine = sim.turbines[spec.turbine_id]
    site_crews = [c for c in sim.sc.crews if c.site == turbine.site]
    if sim.st.on_call:
        site_crews += sim.on_call.get(turbine.site, ())
    skill = SKILL_BY_FAULT[spec.fault_code]
    crews = [c for c in site_crews if skill in c.skills]
    hours = table.costs_of(spec.fault_code).repair_hours
    on_shift, fits, calm = _stretches(sim, crews, turbine.site, turbine, alarm, spec.trip, hours)
    if not on_shift:
        others = [c for c in site_crews if c not in crews]
        any_on, _, _ = _stretches(sim, others, turbine.site, turbine, alarm, spec.trip, hours)
        return "skill_off" if any_on else "off_shift"
    if not fits:
        return "too_short"
    if not calm:
        return "weather"
    first = _first_plan(sim, turbine.site, alarm)
    args = (sim, crews, turbine.site, turbine, alarm, spec.trip, hours, first)
    if not _stretches(*args)[2]:
        return "plan_latency"
    if f"{spec.turbine_id}:{spec.index}:alarm" in sim.weather_waited:
        return "forecast_gale"
    return "forecast_or_choice" if _stretches(*args, free=True)[2] else "crews_busy"


def tally(sim) -> dict[str, int]:
    """Reasons over every episode that tripped in the simulated window (predictive only)."""
    counts: Counter[str] = Counter()
    for tid, states in sim.by_turbine.items():
        previous_end = sim.sc.start
        for state in states:
            if state.spec.onset < previous_end:
                continue
            previous_end = state.resolved_at or sim.end
            if state.before_trip or state.spec.trip >= sim.end:
                continue
            counts[reason(sim, state, sim.st.alarms.get((tid, state.spec.index)))] += 1
    return {name: counts.get(name, 0) for name in REASONS}
