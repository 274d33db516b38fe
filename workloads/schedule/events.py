"""When the simulated year plans a site's crews.

Every local day at PLAN_TIMES (06:00, 09:00, 12:00, 15:00). With `replan_on_event` also
the moment something new arrives, as an operator's control room would re-plan on an
alarm: a model alarm (true or false, predictive strategy) and a repair becoming workable
(a trip plus its parts lead time, every strategy alike). An event is planned on arrival
while a crew can still act on it that day: up to the last day shift's end, or round the
clock when on-call crews cover the evening and night (`oncall.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workloads.schedule import costs as table
from workloads.schedule.model import crew_shifts, hours_between

# Local times of the plans: at 06:00 for the day, then every three hours for the rest of it
# (visits not started by the next plan are re-planned with what is known then; a crew
# starts again from base once its last job is done and it has driven back).
PLAN_TIMES = (time(6, 0), time(9, 0), time(12, 0), time(15, 0))


def by_site(scenario, settings) -> dict[str, list[datetime]]:
    """Event moments per site (sorted), from the alarms and the episodes' repair releases."""
    if not settings.replan_on_event:
        return {}
    site_of = {t.turbine_id: t.site for t in scenario.turbines}
    out: dict[str, list[datetime]] = {}
    for spec in scenario.episodes:
        release = spec.trip + timedelta(hours=table.costs_of(spec.fault_code).lead_hours)
        out.setdefault(site_of[spec.turbine_id], []).append(release)
    if settings.strategy == "predictive":
        for (tid, _), at in settings.alarms.items():
            out.setdefault(site_of[tid], []).append(at)
        for tid, times in settings.false_alarms.items():
            out.setdefault(site_of[tid], []).extend(times)
    return {site: sorted(v) for site, v in out.items()}


def day_moments(sim, site: str, crews, day: int) -> list[datetime]:
    """The planning moments of one site's local day `day` (0 = the simulation's first)."""
    zone = ZoneInfo(crews[0].timezone)
    local_day = sim.sc.start.astimezone(zone).date() + timedelta(days=day)
    moments = {datetime.combine(local_day, at, zone).astimezone(UTC) for at in PLAN_TIMES}
    found = sim.events_by_site.get(site)
    if found:
        if sim.st.on_call:
            first = datetime.combine(local_day, time(0, 0), zone).astimezone(UTC)
            last = datetime.combine(local_day + timedelta(days=1), time(0, 0), zone)
            last = last.astimezone(UTC)
        else:
            first = min(moments)
            last = max(
                datetime.combine(local_day, c.shift_end, zone).astimezone(UTC) for c in crews
            )
        moments |= {a for a in found if first <= a < last}
    return sorted(moments)


def plan_moments(sim, site: str, a: datetime, b: datetime) -> list[datetime]:
    """Every planning moment of `site` in [a, b)."""
    crews = tuple(c for c in sim.sc.crews if c.site == site)
    if not crews:
        return []
    zone = ZoneInfo(crews[0].timezone)
    first = (a.astimezone(zone).date() - sim.sc.start.astimezone(zone).date()).days
    out: set[datetime] = set()
    for day in range(max(0, first - 1), first + (b - a).days + 2):
        out.update(m for m in day_moments(sim, site, crews, day) if a <= m < b)
    return sorted(out)


def day_shift_hours(sim, crews, day: int) -> float:
    """The day crews' shift hours on local day `day` within the simulation (utilisation)."""
    zone = ZoneInfo(crews[0].timezone)
    local_day = sim.sc.start.astimezone(zone).date() + timedelta(days=day)
    midnight = datetime.combine(local_day, time(0, 0), zone).astimezone(UTC)
    total = 0.0
    for crew in crews:
        for s in crew_shifts(crew, midnight, 1):
            start, end = max(s.start, sim.sc.start), min(s.end, sim.end)
            total += max(0.0, hours_between(start, end))
    return total
