"""The simulated year: a hand-built week computed by hand, the replayed alarms against the
evaluation file, determinism for a seed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np
import pytest

from workloads.schedule import costs, replay, scenario
from workloads.schedule.model import MOBILISATION_EUR, CrewShifts
from workloads.schedule.simulate import EpisodeSpec, Scenario, SimTurbine

START = datetime(2026, 1, 5, tzinfo=UTC)  # Monday; Whitelee is on UTC in January
LAT, LON = 55.70, -4.25
TRIP = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)


def evaluation(leads=(8.0,), false=()):
    start = datetime(2025, 12, 1, tzinfo=UTC)
    return replay.parse(
        {
            "model_version": "7",
            "threshold": 0.4,
            "horizon_hours": 24.0,
            "evaluation_turbines": ["E1", "E2"],
            "evaluation_start": start.isoformat(),
            "evaluation_end": (start + timedelta(days=10)).isoformat(),
            "episodes": [
                {
                    "turbine_id": "E1",
                    "fault_code": "LOW_OIL_PRESSURE",
                    "alert_level": "WARNING",
                    "started_at": (start + timedelta(days=2)).isoformat(),
                    "first_alarm_at": None,
                    "lead_hours": lead,
                }
                for lead in leads
            ],
            "false_alarms": [
                {"turbine_id": t, "at": (start + timedelta(hours=h)).isoformat()} for t, h in false
            ],
            "turbine_days": 20.0,
            "metrics": {},
            "baselines": {},
        }
    )


def week() -> Scenario:
    """One turbine making 1,000 kW all week, one crew based at it, calm wind, one oil-pressure
    episode: drift from Tuesday 00:00, trip Tuesday 10:00 UTC."""
    turbine = SimTurbine("T1", "Whitelee", LAT, LON)
    crew = CrewShifts(
        "C1",
        "Whitelee",
        LAT,
        LON,
        frozenset({"mechanical", "electrical", "structural"}),
        50.0,
        "Europe/London",
        time(7, 0),
        time(19, 0),
        frozenset(),
    )
    onset = datetime(2026, 1, 6, 0, 0, tzinfo=UTC)
    return Scenario(
        START,
        7,
        (turbine,),
        (crew,),
        (EpisodeSpec("T1", 0, "LOW_OIL_PRESSURE", onset, TRIP),),
        {"T1": np.full(7 * 24, 1000.0)},
        {"Whitelee": np.full(7 * 24 + 200, 6.0)},
        START - timedelta(hours=72),
    )


def test_a_hand_built_week_costs_what_it_should():
    oil = costs.costs_of("LOW_OIL_PRESSURE")
    price = 60.0
    hours = 7 * 24.0
    # Planned only at the fixed plan times, the trip at 10:00 waits for the 12:00 plan.
    fixed = scenario.run(
        "corrective", scenario=week(), energy_price=price, seed=0, replan_on_event=False
    )
    assert fixed["lost_mwh"] == pytest.approx(4.0)
    # Corrective: the trip at 10:00 is planned when it arrives (no parts lead time for
    # oil), repaired 10:00-12:00 by the crew based at the turbine.
    result = scenario.run("corrective", scenario=week(), energy_price=price, seed=0)
    down = 2.0
    assert oil.replace_hours == 2.0 and oil.lead_hours == 0.0
    assert result["time_availability"] == pytest.approx(1 - down / hours)
    assert result["energy_availability"] == pytest.approx(1 - down / hours)
    assert result["lost_mwh"] == pytest.approx(down)
    crew = MOBILISATION_EUR + costs.CREW_HOUR_EUR * oil.replace_hours
    assert result["om_cost_eur"] == pytest.approx(oil.replace_eur + crew)
    assert result["total_cost_eur"] == pytest.approx(oil.replace_eur + crew + down * price)
    assert (result["tasks_done"], result["trips"], result["repaired_after_trip"]) == (1, 1, 1)
    # Predictive: the alarm 8 h before the trip (02:00) is planned at 06:00 and repaired
    # 07:00-08:00, before the trip; the turbine stops only while the crew works.
    result = scenario.run(
        "predictive", scenario=week(), energy_price=price, seed=0, evaluation=evaluation()
    )
    crew = MOBILISATION_EUR + costs.CREW_HOUR_EUR * oil.repair_hours
    assert result["lost_mwh"] == pytest.approx(oil.repair_hours)
    assert result["om_cost_eur"] == pytest.approx(oil.repair_eur + crew)
    assert result["total_cost_eur"] == pytest.approx(
        oil.repair_eur + crew + oil.repair_hours * price
    )
    assert (result["trips"], result["repaired_before_trip"], result["tasks_in_unsafe_wind"]) == (
        0,
        1,
        0,
    )


def test_a_storm_keeps_the_crew_down_and_the_turbine_waits():
    stormy = week()
    wind = np.array(stormy.site_wind["Whitelee"])
    wind[72 + 24 : 72 + 48] = 20.0  # all of Tuesday (UTC) above the limit
    stormy = Scenario(**{**vars(stormy), "site_wind": {"Whitelee": wind}})
    result = scenario.run("corrective", scenario=stormy, seed=0)
    # Repaired Wednesday 07:00-09:00 instead: down from Tuesday 10:00, 23 h.
    assert result["lost_mwh"] == pytest.approx(23.0)
    assert result["tasks_in_unsafe_wind"] == 0


def test_the_replayed_alarms_match_the_evaluation_file():
    model = evaluation(
        leads=(5.0, None, 30.0, 12.5), false=[("E1", 10.0), ("E1", 100.0), ("E2", 50.0)]
    )
    sc = scenario.generator_scenario(3, 8, 40, 4)
    alarms, false, clipped = scenario.replayed_alarms(model, sc, seed=3)
    by_kind = {}
    for e in model.episodes:
        by_kind.setdefault(e.fault_code, []).append(e)
    seen_leads = set()
    for spec in sc.episodes:
        pool = by_kind.get(spec.fault_code) or list(model.episodes)
        chosen = pool[
            replay.stable_index(3, "episode", spec.turbine_id, spec.index, size=len(pool))
        ]
        at = alarms.get((spec.turbine_id, spec.index))
        if chosen.lead_hours is None:
            assert at is None
            continue
        expected = max(spec.trip - timedelta(hours=chosen.lead_hours), spec.onset)
        assert at == expected
        seen_leads.add(chosen.lead_hours)
    assert len(seen_leads) > 1 and clipped >= 0
    window = model.end - model.start
    for turbine in sc.turbines:
        source = replay.source_turbine(model, 3, turbine.turbine_id)
        offsets = sorted(at - model.start for at in model.false_alarms[source])
        got = [(at - sc.start) % window for at in false[turbine.turbine_id]]
        assert sorted(set(got)) == offsets  # the source turbine's pattern, window after window
        assert len(false[turbine.turbine_id]) == len(offsets) * 4  # 40 days = 4 windows of 10


def test_the_year_is_deterministic_for_a_seed():
    model = evaluation(leads=(6.0, 20.0, None), false=[("E2", 30.0)])
    runs = [
        scenario.run("predictive", days=10, turbines=12, crews=4, seed=9, evaluation=model)
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    other = scenario.run("predictive", days=10, turbines=12, crews=4, seed=10, evaluation=model)
    assert other != runs[0]


def test_a_lower_fault_rate_keeps_a_nested_subset_of_the_generators_episodes():
    full = scenario.generator_scenario(5, 20, 120, 4)
    low = scenario.generator_scenario(5, 20, 120, 4, fault_rate=4.0)
    mid = scenario.generator_scenario(5, 20, 120, 4, fault_rate=15.0)
    assert set(low.episodes) < set(mid.episodes) < set(full.episodes)
    turbine_years = 20 * 120 / 365.25
    # Binomial thinning of ~140 episodes: the kept count is near rate × turbine-years.
    assert len(low.episodes) / turbine_years == pytest.approx(4.0, rel=0.35)
    assert len(mid.episodes) / turbine_years == pytest.approx(15.0, rel=0.2)
    assert low.turbines == full.turbines and low.crews == full.crews
    assert low.episodes == scenario.generator_scenario(5, 20, 120, 4, fault_rate=4.0).episodes
    with pytest.raises(ValueError, match="at most the generator's own"):
        scenario.generator_scenario(5, 20, 120, 4, fault_rate=scenario.generator_fault_rate() + 1)


def test_fewer_faults_cost_the_corrective_year_less():
    high = scenario.run("corrective", days=60, turbines=12, crews=4, seed=5, solver="greedy")
    low = scenario.run(
        "corrective", days=60, turbines=12, crews=4, seed=5, solver="greedy", fault_rate=5.0
    )
    assert low["fault_rate"] < high["fault_rate"]
    assert low["episodes"] < high["episodes"]
    assert low["total_cost_eur"] < high["total_cost_eur"]
    assert low["energy_availability"] > high["energy_availability"]
