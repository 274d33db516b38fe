"""An independent checker of schedules (test-only): shifts, days off, travel and weather
windows, from the gold_maintenance_schedule rows alone.

Written from the issue's rules without the package's evaluator: shift times are derived
here from the crew's local clock (zoneinfo), distances with the dispatch checker's own
haversine, and wind from the forecast's raw hourly values.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.unit.dispatch.checks import km

TOLERANCE_S = 1e-3


def _point(x):
    return {"latitude": x.latitude, "longitude": x.longitude}


def violations(rows, crews, jobs, forecast, max_wind: float, now: datetime) -> list[str]:
    """Every broken rule of a schedule's rows (empty when it is valid)."""
    problems: list[str] = []
    crews = {c.crew_id: c for c in crews}
    jobs = {j.task_id: j for j in jobs}
    planned = rows[rows["crew_id"].notna()]
    if planned["task"].duplicated().any():
        problems.append("a task is planned twice")
    for (crew_id, day), stops in planned.groupby(["crew_id", "day"]):
        crew = crews[crew_id]
        zone = ZoneInfo(crew.timezone)
        if day.weekday() in crew.days_off:
            problems.append(f"{crew_id} works on its day off {day}")
        shift_start = max(datetime.combine(day, crew.shift_start, zone).astimezone(UTC), now)
        shift_end = datetime.combine(day, crew.shift_end, zone).astimezone(UTC)
        here, free = _point(crew), shift_start
        for row in stops.sort_values("stop_order").itertuples():
            job = jobs[row.task]
            start, end = row.window_start.to_pydatetime(), row.window_end.to_pydatetime()
            if start.astimezone(zone).date() != day:
                problems.append(f"{row.task} starts outside its shift's local day {day}")
            reach = free + timedelta(hours=km(here, _point(job)) / crew.speed_kmh)
            if (reach - start).total_seconds() > TOLERANCE_S:
                problems.append(f"{row.task} starts before the crew can be there")
            if (job.release - start).total_seconds() > TOLERANCE_S:
                problems.append(f"{row.task} starts before its release")
            if abs((end - start).total_seconds() - job.duration_hours * 3600) > TOLERANCE_S:
                problems.append(f"{row.task} does not last its duration")
            if job.skill not in crew.skills:
                problems.append(f"{crew_id} lacks {job.skill} for {row.task}")
            values = forecast.by_site.get(job.site)
            first = math.floor((start - forecast.origin).total_seconds() / 3600)
            last = max(first + 1, math.ceil((end - forecast.origin).total_seconds() / 3600 - 1e-9))
            if values is None or first < 0 or last > len(values):
                problems.append(f"{row.task} is planned without a wind forecast")
            elif max(values[first:last]) > max_wind:
                problems.append(
                    f"{row.task} is planned in unsafe wind ({max(values[first:last]):.1f})"
                )
            here, free = _point(job), end
        back = free + timedelta(hours=km(here, _point(crew)) / crew.speed_kmh)
        if (back - shift_end).total_seconds() > TOLERANCE_S:
            problems.append(f"{crew_id} is back after its shift on {day}")
        if (
            shift_start - stops["window_start"].min().to_pydatetime()
        ).total_seconds() > TOLERANCE_S:
            problems.append(f"{crew_id} starts before its shift on {day}")
    return problems
