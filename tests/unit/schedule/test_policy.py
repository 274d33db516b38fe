"""The predictive policy's parts (issue 19's diagnosis): why a predicted fault tripped,
re-planning when an alarm arrives, on-call crews at their stated cost, crew rates in the
planner. Hand-built week as in test_simulate: one turbine at 1,000 kW, its crew based at
it (no driving), shifts 07:00-19:00 Europe/London (UTC in January)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from tests.unit.schedule.checks import violations
from tests.unit.schedule.conftest import BASE, crew, job, problem
from tests.unit.schedule.test_simulate import evaluation, week
from workloads.schedule import costs, events, oncall, planner, scenario
from workloads.schedule.builder import schedule_rows
from workloads.schedule.simulate import EpisodeSpec, Scenario, Settings, Simulation

OIL = costs.costs_of("LOW_OIL_PRESSURE")
ONSET = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # Monday noon


def night_week(trip: datetime, wind=None) -> Scenario:
    """The week with its one oil episode drifting from Monday noon to `trip`."""
    base = week()
    winds = {"Whitelee": base.site_wind["Whitelee"] if wind is None else wind}
    episode = (EpisodeSpec("T1", 0, "LOW_OIL_PRESSURE", ONSET, trip),)
    return Scenario(**{**vars(base), "episodes": episode, "site_wind": winds})


def predictive(sc, lead, **options):
    return scenario.run(
        "predictive", scenario=sc, seed=0, evaluation=evaluation(leads=(lead,)), **options
    )


def test_an_alarm_after_the_shift_that_trips_before_the_next_is_off_shift():
    # Alarm Monday 20:00 (8 h lead), trip Tuesday 04:00: no day crew is on shift between.
    result = predictive(night_week(datetime(2026, 1, 6, 4, 0, tzinfo=UTC)), 8.0)
    assert result["trips"] == 1 and result["repaired_before_trip"] == 0
    assert result["missed_because"]["off_shift"] == 1
    assert sum(result["missed_because"].values()) == 1


def test_a_missed_episode_and_a_gale_are_told_apart():
    trip = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)  # alarm at 09:00, 8 h to the trip
    assert predictive(night_week(trip), None)["missed_because"]["no_alarm"] == 1
    wind = np.full(7 * 24 + 200, 6.0)
    wind[72 + 9 : 72 + 17] = 20.0  # a gale from the alarm to the trip (origin: start - 72 h)
    result = predictive(night_week(trip, wind), 8.0)
    assert result["missed_because"]["weather"] == 1 and result["tasks_in_unsafe_wind"] == 0


def test_on_call_repairs_the_night_alarm_at_its_stated_cost():
    price = 60.0
    result = predictive(
        night_week(datetime(2026, 1, 6, 4, 0, tzinfo=UTC)), 8.0, on_call=True, energy_price=price
    )
    # Planned when the alarm arrives (20:00), the evening on-call crew repairs 20:00-21:00.
    assert (result["trips"], result["repaired_before_trip"]) == (0, 1)
    crew_eur = (
        oncall.CALL_OUT_EUR + oncall.ON_CALL_HOUR_EUR * OIL.repair_hours + 7 * oncall.STANDBY_EUR
    )
    assert result["om_cost_eur"] == pytest.approx(OIL.repair_eur + crew_eur)
    assert result["lost_mwh"] == pytest.approx(OIL.repair_hours)  # 1,000 kW while it works
    assert result["total_cost_eur"] == pytest.approx(
        OIL.repair_eur + crew_eur + OIL.repair_hours * price
    )
    assert result["on_call_hours"] == pytest.approx(OIL.repair_hours)


def test_an_alarm_is_planned_when_it_arrives_within_the_working_day():
    sc = night_week(datetime(2026, 1, 6, 4, 0, tzinfo=UTC))
    inside = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    late = datetime(2026, 1, 5, 21, 0, tzinfo=UTC)
    alarms = {("T1", 0): inside}
    settings = Settings(strategy="predictive", alarms=alarms, false_alarms={"T1": [late]})
    sim = Simulation(sc, settings)
    moments = events.day_moments(sim, "Whitelee", sc.crews, 0)
    assert inside in moments and late not in moments  # no crew can act at 21:00
    assert datetime(2026, 1, 5, 6, 0, tzinfo=UTC) in moments
    with_on_call = Simulation(sc, replace(settings, on_call=True))
    assert late in events.day_moments(with_on_call, "Whitelee", sc.crews, 0)
    fixed = Simulation(sc, replace(settings, replan_on_event=False))
    assert len(events.day_moments(fixed, "Whitelee", sc.crews, 0)) == len(events.PLAN_TIMES)


def test_the_alarm_deadline_is_a_low_quantile_of_the_measured_leads():
    model = evaluation(leads=(2.0, 6.0, 10.0, 14.0, None))
    assert scenario.alarm_deadline_hours(model) == pytest.approx(5.0)
    assert scenario.alarm_deadline_hours(evaluation(leads=(None,))) == 12.0


def test_the_planner_prefers_the_day_crew_and_charges_the_on_call_rate():
    day = crew("DAY", days_off=(4,))  # NOW is a Friday: the day crew is off today
    night = replace(
        crew("ONCALL"), hour_eur=oncall.ON_CALL_HOUR_EUR, mobilisation_eur=oncall.CALL_OUT_EUR
    )
    jobs = [job("J1", BASE[0] + 0.02, BASE[1] + 0.02, hours=2.0, deadline_h=60.0, late=1.0)]
    p = problem([day, night], jobs, days=2)
    for schedule in (planner.solve_exact(p), planner.solve(p, exact_up_to=0, time_limit_s=2.0)):
        used = [r for r in schedule.routes if r.visits]
        assert [r.shift.crew_id for r in used] == ["DAY"]  # Saturday, not the dearer crew today
        assert (
            violations(schedule_rows(schedule), p.crews, p.jobs, p.forecast, p.max_work_wind, p.now)
            == []
        )
    only_night = problem([night], jobs, days=1)
    served = planner.solve_exact(only_night)
    r = next(r for r in served.routes if r.visits)
    expected = (
        oncall.CALL_OUT_EUR + costs.KM_EUR * r.km + oncall.ON_CALL_HOUR_EUR * (r.drive_hours + 2.0)
    )
    assert r.cost == pytest.approx(expected)
    assert planner.solve(only_night, exact_up_to=0, time_limit_s=2.0).cost == pytest.approx(
        served.cost, rel=1e-6
    )


def test_on_call_crews_cover_the_evening_and_night_with_every_skill():
    crews = (
        crew("C1", ("mechanical", "electrical")),
        crew("C2", ("mechanical", "structural"), days_off=(5, 6)),
    )
    made = {c.crew_id: c for c in oncall.on_call_crews(crews)}
    evening, night = made["ONCALL_Whitelee_EVENING"], made["ONCALL_Whitelee_NIGHT"]
    assert (evening.shift_start, night.shift_end) == (crews[0].shift_end, crews[0].shift_start)
    assert evening.skills == night.skills == {"mechanical", "electrical", "structural"}
    assert evening.days_off == frozenset() and oncall.is_on_call(night.crew_id)
    assert not oncall.is_on_call("C1")
