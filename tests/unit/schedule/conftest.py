"""Hand-built schedule problems: one site, crews with local shifts, a chosen wind outlook."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np

from workloads.schedule.forecast import WindForecast
from workloads.schedule.model import CrewShifts, Job, Problem

NOW = datetime(2026, 3, 27, 5, 0, tzinfo=UTC)  # a Friday; Europe/London moves to BST on Sunday 29th
SITE = "Whitelee"
BASE = (55.68, -4.27)


def crew(
    crew_id,
    skills=("mechanical", "electrical", "structural"),
    days_off=(),
    lat=BASE[0],
    lon=BASE[1],
):
    return CrewShifts(
        crew_id,
        SITE,
        lat,
        lon,
        frozenset(skills),
        50.0,
        "Europe/London",
        time(7, 0),
        time(17, 0),
        frozenset(days_off),
    )


def job(
    task_id,
    lat,
    lon,
    kind="repair",
    hours=2.0,
    deadline_h=24.0,
    late=100.0,
    skip=5_000.0,
    fault="GEARBOX_OVERHEAT",
    skill="mechanical",
    optional=False,
    release=NOW,
):
    return Job(
        task_id,
        f"T_{task_id}",
        SITE,
        lat,
        lon,
        kind,
        fault,
        skill,
        hours,
        release,
        NOW + timedelta(hours=deadline_h),
        late,
        skip,
        "test",
        optional,
    )


def calm(hours=96, speed=6.0):
    return np.full(hours, speed)


def problem(crews, jobs, wind=None, days=3, max_wind=12.0, now=NOW):
    forecast = WindForecast(now.replace(minute=0), {SITE: calm() if wind is None else wind}, now)
    return Problem(now, days, tuple(crews), tuple(jobs), forecast, max_wind)


def random_jobs(n, seed, optional_share=0.3):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        optional = rng.random() < optional_share
        out.append(
            job(
                f"J{i:02d}",
                BASE[0] + rng.uniform(-0.05, 0.08),
                BASE[1] + rng.uniform(-0.08, 0.12),
                kind="inspection" if optional else str(rng.choice(["repair", "predictive"])),
                hours=float(rng.choice([1.0, 1.5, 2.0, 3.0, 4.0])),
                deadline_h=float(rng.uniform(2, 60)),
                late=float(rng.choice([10.0, 100.0, 500.0])),
                skip=450.0 if optional else 20_000.0,
                skill=str(rng.choice(["mechanical", "electrical", "structural"])),
                optional=bool(optional),
            )
        )
    return out


def gusty(seed, hours=96):
    """Wind with calm and unsafe spells (about a third of the hours above 12 m/s)."""
    rng = np.random.default_rng(seed)
    base = 10 + 4 * np.sin(np.arange(hours) / 4.0 + rng.uniform(0, 6))
    return np.clip(base + rng.normal(0, 1, hours), 0, None)
