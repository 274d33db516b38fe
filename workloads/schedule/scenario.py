"""The default simulated year: the generator's fleet, episodes and winds, a crew roster,
and (for the predictive strategy) the trained model's alarms replayed onto the fleet.

- Episodes come from `physics.episodes` sampled every STEP_MINUTES: the onset is the first
  drifting sample, the trip the first faulty one (the generator's episode model).
- Potential power per turbine-hour: the power curve at the turbine's hub wind (no gusts);
  the site's wind (weather windows): the site's first turbine's hub wind.
- Fault rate: the generator's own (`generator_fault_rate`, about 44 episodes per
  turbine-year, a demo rate so that a live dashboard always shows faults), or a lower
  `fault_rate`: each episode kept with probability fault_rate / generator rate, by a hash
  of the seed, turbine and onset (so the episodes at a lower rate are a subset of those at
  a higher one, and the same for every strategy).
- Crews: dealt to the sites in turn, based at the site; two skills each (mechanical with
  electrical, mechanical with structural, alternating), shifts 07:00-19:00 site time,
  days off Saturday-Sunday and Monday-Tuesday alternating, so every site has a crew on
  every day of the week when it has two.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import numpy as np

from workloads.dispatch.model import SKILL_BY_FAULT, SKILLS
from workloads.dispatch.sites import timezone_of
from workloads.schedule import replay
from workloads.schedule.forecast import HISTORY_HOURS
from workloads.schedule.model import CrewShifts
from workloads.schedule.simulate import (
    SIM_START,
    EpisodeSpec,
    Scenario,
    Settings,
    SimTurbine,
    Simulation,
)

STEP_MINUTES = 10
HOURS_PER_YEAR = 8766.0
_KEEP_SCALE = 1_000_000
SKILL_SETS = (frozenset({"mechanical", "electrical"}), frozenset({"mechanical", "structural"}))
DAYS_OFF = (frozenset({5, 6}), frozenset({0, 1}))


def _epoch_hours(moment: datetime) -> float:
    return moment.timestamp() / 3600.0


def fleet(turbines: int) -> tuple[SimTurbine, ...]:
    from workloads.generator.physics import SITES, site_index, turbine_position

    numbers = np.arange(1, turbines + 1)
    lat, lon = turbine_position(numbers)
    sites = site_index(numbers)
    return tuple(
        SimTurbine(f"TURBINE_{n:05d}", SITES[s].name, float(a), float(o))
        for n, s, a, o in zip(numbers, sites, lat, lon, strict=True)
    )


def roster(crews: int, sites: list[str]) -> tuple[CrewShifts, ...]:
    from workloads.generator.physics import SITES

    by_name = {s.name: s for s in SITES}
    per_site = [sum(1 for k in range(crews) if k % len(sites) == i) for i in range(len(sites))]
    out = []
    for k in range(crews):
        site = by_name[sites[k % len(sites)]]
        j = k // len(sites)
        alone = per_site[k % len(sites)] == 1  # a site's only crew: every skill, every day
        out.append(
            CrewShifts(
                crew_id=f"CREW_{k + 1:02d}",
                site=site.name,
                latitude=site.latitude - 0.01,
                longitude=site.longitude - 0.01,
                skills=frozenset(SKILLS) if alone else SKILL_SETS[j % 2],
                speed_kmh=50.0,
                timezone=timezone_of(site.name),
                shift_start=time(7, 0),
                shift_end=time(19, 0),
                days_off=frozenset() if alone else DAYS_OFF[j % 2],
            )
        )
    return tuple(out)


def episodes(
    seed: int, turbines: tuple[SimTurbine, ...], start: datetime, days: int
) -> tuple[EpisodeSpec, ...]:
    from workloads.generator.physics import DRIFTING, EPISODE_FAULTS, FAULTY
    from workloads.generator.physics import episodes as states

    steps = int(days * 24 * 60 / STEP_MINUTES) + 1
    offsets = np.arange(steps) * STEP_MINUTES / 60.0
    hours = _epoch_hours(start) + offsets
    out = []
    for turbine in turbines:
        number = int(turbine.turbine_id.split("_")[1])
        state = states(seed, np.full(steps, number), hours)
        phase, kind = state.phase, state.kind
        onsets = np.flatnonzero(
            (phase == DRIFTING) & (np.concatenate(([DRIFTING], phase[:-1])) != DRIFTING)
        )
        faulty = np.flatnonzero(
            (phase == FAULTY) & (np.concatenate(([FAULTY], phase[:-1])) != FAULTY)
        )
        for index, onset in enumerate(onsets):
            trips = faulty[faulty > onset]
            if not len(trips):
                continue
            trip = trips[0]
            out.append(
                EpisodeSpec(
                    turbine.turbine_id,
                    index,
                    EPISODE_FAULTS[int(kind[onset])],
                    start + timedelta(hours=float(offsets[onset])),
                    start + timedelta(hours=float(offsets[trip])),
                )
            )
    return tuple(out)


def generator_fault_rate() -> float:
    """The generator's expected fault episodes per turbine-year (physics.EPISODE_PROBABILITY
    per SLOT_HOURS slot)."""
    from workloads.generator.physics import EPISODE_PROBABILITY, SLOT_HOURS

    return sum(EPISODE_PROBABILITY.values()) * HOURS_PER_YEAR / SLOT_HOURS


def check_fault_rate(fault_rate: float) -> None:
    """ValueError unless 0 < `fault_rate` <= the generator's: thinning only keeps a share."""
    full = generator_fault_rate()
    if fault_rate <= 0:
        raise ValueError(f"fault rate {fault_rate:g} per turbine-year: give a rate above 0")
    if fault_rate > full:
        raise ValueError(
            f"fault rate {fault_rate:g} per turbine-year is above the generator's own rate "
            f"({full:.1f} episodes per turbine-year): the simulation keeps a share of the "
            "generator's episodes, so give a rate at most the generator's own"
        )


def thinned(
    episodes_: tuple[EpisodeSpec, ...], fault_rate: float, seed: int
) -> tuple[EpisodeSpec, ...]:
    """The episodes kept at `fault_rate` episodes per turbine-year (see the module docstring)."""
    check_fault_rate(fault_rate)
    cut = fault_rate / generator_fault_rate() * _KEEP_SCALE
    return tuple(
        e
        for e in episodes_
        if replay.stable_index(seed, "keep", e.turbine_id, e.onset.isoformat(), size=_KEEP_SCALE)
        < cut
    )


def winds(seed: int, turbines: tuple[SimTurbine, ...], start: datetime, days: int):
    """(potential power per turbine-hour, site wind per hour from start - HISTORY_HOURS, origin)."""
    from workloads.generator.physics import SITES, power_curve, wind_speed

    hours = _epoch_hours(start) + np.arange(days * 24) + 0.5
    power = {}
    for turbine in turbines:
        number = int(turbine.turbine_id.split("_")[1])
        speed = wind_speed(seed, np.full(len(hours), number), hours, np.zeros(len(hours)))
        power[turbine.turbine_id] = power_curve(speed)[0]
    origin = start - timedelta(hours=HISTORY_HOURS)
    site_hours = _epoch_hours(origin) + np.arange(int(HISTORY_HOURS) + days * 24 + 48) + 0.5
    site_wind = {}
    for k, site in enumerate(SITES):
        number = k + 1  # the site's first turbine
        site_wind[site.name] = wind_speed(
            seed, np.full(len(site_hours), number), site_hours, np.zeros(len(site_hours))
        )
    return power, site_wind, origin


def generator_scenario(
    seed: int,
    turbines: int,
    days: int,
    crews: int,
    start: datetime = SIM_START,
    fault_rate: float | None = None,
) -> Scenario:
    """The default world; `fault_rate` (episodes per turbine-year) thins the generator's."""
    fleet_ = fleet(turbines)
    episodes_ = episodes(seed, fleet_, start, days)
    if fault_rate is not None:
        episodes_ = thinned(episodes_, fault_rate, seed)
    sites = sorted({t.site for t in fleet_}, key=[t.site for t in fleet_].index)
    power, site_wind, origin = winds(seed, fleet_, start, days)
    return Scenario(
        start,
        days,
        fleet_,
        roster(crews, sites),
        episodes_,
        power,
        site_wind,
        origin,
    )


def replayed_alarms(evaluation: replay.Evaluation, scenario: Scenario, seed: int):
    """(true alarms per (turbine, episode index), false alarms per turbine, clipped count)."""
    alarms, clipped = {}, 0
    for spec in scenario.episodes:
        outcome = replay.episode_outcome(
            evaluation, seed, spec.turbine_id, spec.index, spec.fault_code
        )
        at, cut = replay.alarm_time(outcome, spec.onset, spec.trip)
        clipped += cut
        if at is not None:
            alarms[(spec.turbine_id, spec.index)] = at
    end = scenario.start + timedelta(days=scenario.days)
    false = {
        t.turbine_id: replay.false_alarms(evaluation, seed, t.turbine_id, scenario.start, end)
        for t in scenario.turbines
    }
    return alarms, false, clipped


DEADLINE_QUANTILE = 0.25


def alarm_deadline_hours(evaluation: replay.Evaluation) -> float:
    """How soon after an alarm its repair is due: the lead (alarm to trip) that a quarter of
    the model's measured alarms fall short of, so most trips come after the deadline. The
    planner's soft target, from the evaluation, not assumed; 12 h when it has no alarm."""
    leads = [e.lead_hours for e in evaluation.episodes if e.lead_hours is not None]
    return float(np.quantile(leads, DEADLINE_QUANTILE)) if leads else 12.0


def run(
    strategy: str,
    *,
    days: int = 365,
    turbines: int = 100,
    crews: int = 8,
    seed: int = 42,
    interval_days: float = 180.0,
    energy_price: float | None = None,
    max_work_wind: float = 12.0,
    solver: str = "ortools",
    evaluation: str | Path | None = None,
    scenario: Scenario | None = None,
    replan_on_event: bool = True,
    on_call: bool = False,
    fault_rate: float | None = None,
) -> dict:
    """One strategy over the simulated year; the result's figures as a dict."""
    from workloads.schedule.costs import ENERGY_PRICE_EUR_PER_MWH

    scenario = scenario or generator_scenario(seed, turbines, days, crews, fault_rate=fault_rate)
    alarms, false, extra, deadline_hours = {}, {}, {}, 12.0
    if strategy == "predictive":
        if evaluation is None:
            raise ValueError("the predictive strategy needs the model evaluation file")
        model = evaluation if isinstance(evaluation, replay.Evaluation) else replay.load(evaluation)
        alarms, false, clipped = replayed_alarms(model, scenario, seed)
        deadline_hours = alarm_deadline_hours(model)
        extra = {
            "model_version": model.model_version,
            "alarms_replayed": len(alarms),
            "false_alarms_replayed": sum(len(v) for v in false.values()),
            "leads_cut_to_onset": clipped,
            "evaluation": model.path,
            "alarm_deadline_hours": deadline_hours,
        }
    settings = Settings(
        strategy=strategy,
        interval_days=interval_days,
        energy_price=ENERGY_PRICE_EUR_PER_MWH if energy_price is None else energy_price,
        max_work_wind=max_work_wind,
        solver=solver,
        seed=seed,
        alarms=alarms,
        false_alarms=false,
        replan_on_event=replan_on_event,
        predictive_deadline_hours=deadline_hours,
        on_call=on_call,
    )
    result = Simulation(scenario, settings).run()
    result.update(extra, seed=seed, solver=solver, fault_rate=scenario.fault_rate)
    return result


def benchmark_problem(
    seed: int = 0, turbines: int = 100, crews: int = 8, days: int = 3, start: datetime = SIM_START
):
    """A schedule problem as `windmill schedule` meets it on the generator's fleet: a quarter
    of the turbines with an open alert, one in ten at risk above the threshold, one in six
    worth an inspection, the roster above, the outlook from the sites' past winds."""
    import pandas as pd

    from workloads.dispatch.model import DEADLINE_HOURS
    from workloads.schedule import costs
    from workloads.schedule.builder import LATE_EUR_PER_HOUR, RIDE_ALONG_EUR
    from workloads.schedule.forecast import persistence_forecast
    from workloads.schedule.model import Job, Problem
    from workloads.schedule.simulate import LEVEL_OF_FAULT

    rng = np.random.default_rng(seed)
    fleet_ = fleet(turbines)
    sites = sorted({t.site for t in fleet_}, key=[t.site for t in fleet_].index)
    now = start + timedelta(hours=6)
    _, site_wind, origin = winds(seed, fleet_[: len(sites)], start, days + 1)
    history = pd.DataFrame(
        [
            {"site": site, "timestamp": origin + timedelta(hours=h), "wind_speed": float(w[h])}
            for site, w in site_wind.items()
            for h in range(int(HISTORY_HOURS) + 6)
        ]
    )
    faults = sorted(LEVEL_OF_FAULT)
    jobs = []
    for turbine in fleet_:
        draw = rng.random()
        fault = faults[int(rng.integers(len(faults)))]
        row = costs.costs_of(fault)
        level = LEVEL_OF_FAULT[fault]
        base = dict(
            turbine_id=turbine.turbine_id,
            site=turbine.site,
            latitude=turbine.latitude,
            longitude=turbine.longitude,
            release=now,
        )
        if draw < 0.25:
            opened = now - timedelta(hours=float(rng.uniform(0, 6)))
            late = LATE_EUR_PER_HOUR[level]
            jobs.append(
                Job(
                    task_id=f"{turbine.turbine_id}:{fault}",
                    kind="repair",
                    fault_code=fault,
                    skill=SKILL_BY_FAULT[fault],
                    duration_hours=row.replace_hours,
                    deadline=max(now, opened + timedelta(hours=DEADLINE_HOURS[level])),
                    late_eur_per_hour=late,
                    skip_eur=late * (days * 24 + 24),
                    reason="alert",
                    **base,
                )
            )
        elif draw < 0.35:
            avoided = 0.7 * (row.replace_eur - row.repair_eur)
            jobs.append(
                Job(
                    task_id=f"{turbine.turbine_id}:PREDICTIVE",
                    kind="predictive",
                    fault_code=fault,
                    skill=SKILL_BY_FAULT[fault],
                    duration_hours=row.repair_hours,
                    deadline=now + timedelta(hours=12),
                    late_eur_per_hour=avoided / 24,
                    skip_eur=avoided,
                    reason="risk",
                    **base,
                )
            )
        elif draw < 0.52:
            jobs.append(
                Job(
                    task_id=f"{turbine.turbine_id}:INSPECTION",
                    kind="inspection",
                    fault_code="INSPECTION",
                    skill="mechanical",
                    duration_hours=costs.INSPECTION_HOURS,
                    deadline=now + timedelta(days=days),
                    late_eur_per_hour=0.0,
                    skip_eur=costs.INSPECTION_HOURS * costs.CREW_HOUR_EUR + RIDE_ALONG_EUR,
                    reason="risk below threshold",
                    optional=True,
                    **base,
                )
            )
    outlook = persistence_forecast(history, now, days * 24 + 24)
    return Problem(now, days, roster(crews, sites), tuple(jobs), outlook, 12.0)
