"""On-call crews: the evening and night a site's day crews leave uncovered, at a stated cost.

The miss diagnosis (`misses.py`) finds episodes whose alarm comes after the last shift
and trips before the next one. An operator's answer is an on-call rota: a team on
standby at home that is called out when an alarm (or a trip) arrives. Here each site gets
two on-call "crews" in the planner's terms (a shift must end on the day it starts): the
evening from the day crews' end to 23:59 and the night from 00:00 to their start, every
day, with every skill of the site's crews, based at the site's first crew's base. The
weather rule is the same (no tower work above the limit, day or night).

Costs (ASSUMPTIONS of this project, not from the EDP table; change them here):
- work and driving at time-and-a-half (ON_CALL_HOUR_EUR), a call-out fee per night shift
  used (CALL_OUT_EUR) instead of the day mobilisation, and
- a standby allowance per site per night whether or not anyone is called (STANDBY_EUR).

Used in every strategy alike when `Settings.on_call` is set, so the comparison of
strategies stays on one roster.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from workloads.schedule.costs import CREW_HOUR_EUR
from workloads.schedule.model import CrewShifts

ON_CALL_HOUR_EUR = 1.5 * CREW_HOUR_EUR  # assumed: overtime at time-and-a-half
CALL_OUT_EUR = 400.0  # assumed: a call-out (travel from home, briefing), per night shift used
STANDBY_EUR = 150.0  # assumed: a two-technician team's standby allowance, per site per night
PREFIX = "ONCALL"


def on_call_crews(crews: tuple[CrewShifts, ...]) -> tuple[CrewShifts, ...]:
    """Two on-call crews per site (evening, night) covering what its day crews do not."""
    out = []
    for site in sorted({c.site for c in crews}):
        day = [c for c in crews if c.site == site]
        first = day[0]
        skills = frozenset().union(*(c.skills for c in day))
        start = min(c.shift_start for c in day)
        end = max(c.shift_end for c in day)
        common = dict(
            skills=skills,
            days_off=frozenset(),
            hour_eur=ON_CALL_HOUR_EUR,
            mobilisation_eur=CALL_OUT_EUR,
        )
        if end < time(23, 59):
            out.append(
                replace(
                    first,
                    crew_id=f"{PREFIX}_{site}_EVENING",
                    shift_start=end,
                    shift_end=time(23, 59),
                    **common,
                )
            )
        if start > time(0, 0):
            out.append(
                replace(
                    first,
                    crew_id=f"{PREFIX}_{site}_NIGHT",
                    shift_start=time(0, 0),
                    shift_end=start,
                    **common,
                )
            )
    return tuple(out)


def is_on_call(crew_id: str) -> bool:
    return crew_id.startswith(PREFIX + "_")
