"""The pure turbine model: power curve, classification, episodes, shares (no JVM)."""

from __future__ import annotations

import numpy as np
import pytest

from workloads import contract
from workloads.generator import fleet, hashing, physics

pytestmark = pytest.mark.unit

START_MS = 1_767_571_200_000  # 2026-01-05T00:00:00Z


def test_power_curve_regions():
    wind = np.array([0.0, 2.9, 3.0, 6.0, 11.9, 12.0, 18.0, 24.9, 25.0, 30.0])
    power, rpm, pitch = physics.power_curve(wind)
    assert power[0] == power[1] == 0.0  # below cut-in
    assert np.all(rpm[:2] < contract.ROTOR_TURNING_RPM)  # idling, not turning
    assert power[2] == 0.0 and rpm[2] >= contract.ROTOR_TURNING_RPM  # cut-in: turning
    assert 0 < power[3] < power[4] < contract.RATED_POWER_KW
    assert np.all(power[5:8] == contract.RATED_POWER_KW)  # rated to cut-out
    assert np.all(rpm[5:8] == contract.RATED_ROTOR_RPM)
    assert power[8] == power[9] == 0.0 and rpm[8] == rpm[9] == 0.0  # stopped at cut-out
    assert np.all(pitch[2:5] == 0.0)
    assert pitch[5] < pitch[6] < pitch[7]  # pitch rises above rated wind
    assert pitch[8] == physics.FEATHERED_PITCH


def test_power_rises_monotonically_between_cut_in_and_rated():
    wind = np.linspace(contract.CUT_IN_SPEED, contract.RATED_SPEED, 200)
    power, rpm, _ = physics.power_curve(wind)
    assert np.all(np.diff(power) > 0) and np.all(np.diff(rpm) > 0)
    # Low power output (INFO) follows from low wind: just above cut-in, power < 100 kW.
    assert power[1] < 100.0


def _random_readings(rng, size):
    readings = {}
    for rule in contract.FAULT_RULES:
        low, high = rule.threshold * 0.8, rule.threshold * 1.2
        values = rng.uniform(low, high, size)
        values[::17] = rule.threshold  # exactly on the threshold: not a fault
        readings[rule.column] = np.round(values, 2)
    readings["rotor_rpm"] = rng.choice([0.0, 0.5, 1.0, 5.0, 16.0], size)
    return readings


def test_classify_arrays_equals_contract_classify():
    rng = np.random.default_rng(3)
    readings = _random_readings(rng, 5000)
    fault, alert, maintenance = physics.classify_arrays(readings)
    for i in range(5000):
        row = {name: float(values[i]) for name, values in readings.items()}
        code, level, needed = contract.classify(row)
        assert (contract.FAULT_CODES[fault[i]] if fault[i] >= 0 else None) == code
        assert contract.ALERT_LEVELS[alert[i]] == level
        assert bool(maintenance[i]) == needed


def _fleet(seed=11, turbines=30, hours=24 * 21, interval_ms=600_000):
    steps = int(hours * 3_600_000 // interval_ms)
    number, ts = fleet.fleet_times(START_MS, steps, interval_ms, turbines)
    return number, ts, physics.simulate(seed, number, ts)


def test_every_reading_is_classified_by_the_contract_and_physically_possible():
    number, ts, r = _fleet()
    for name, (low, high) in contract.PHYSICAL_RANGES.items():
        assert r[name].min() >= low, name
        if name in contract.EXCLUSIVE_UPPER:
            assert r[name].max() < high, name
        else:
            assert r[name].max() <= high, name
    for i in range(0, len(number), 7):
        row = {name: float(r[name][i]) for name in contract.SENSOR_COLUMNS}
        code, level, needed = contract.classify(row)
        assert (
            contract.FAULT_CODES[r["fault_index"][i]] if r["fault_index"][i] >= 0 else None
        ) == code
        assert contract.ALERT_LEVELS[r["alert_index"][i]] == level
        assert bool(r["maintenance_needed"][i]) == needed


def test_healthy_turbines_only_ever_show_low_power_output():
    _, _, r = _fleet()
    healthy = r["episode_phase"] != physics.FAULTY
    codes = set(r["fault_index"][healthy].tolist())
    assert codes <= {-1, contract.FAULT_CODES.index("LOW_POWER_OUTPUT")}


def test_faults_are_episodes_that_drift_then_stay_then_recover():
    interval_ms = 600_000
    number, ts, r = _fleet(turbines=40, hours=24 * 60, interval_ms=interval_ms)
    turbines = 40
    seen_episodes = 0
    for turbine in range(1, turbines + 1):
        mine = number == turbine
        kinds, phases = r["episode_kind"][mine], r["episode_phase"][mine]
        for kind, code in enumerate(physics.EPISODE_FAULTS):
            rule = next(rule for rule in contract.FAULT_RULES if rule.fault_code == code)
            values = r[rule.column][mine]
            faulty = (kinds == kind) & (phases == physics.FAULTY)
            starts = np.flatnonzero(faulty[1:] & ~faulty[:-1]) + 1
            for start in starts:
                drift = (kinds[:start] == kind) & (phases[:start] == physics.DRIFTING)
                drift_len = 0
                while drift_len < start and drift[start - 1 - drift_len]:
                    drift_len += 1
                if drift_len < start:  # the drift started inside the window: check it all
                    hours = drift_len * interval_ms / 3_600_000
                    assert physics.DRIFT_HOURS[0] - 0.2 <= hours <= physics.DRIFT_HOURS[1] + 0.2
                    d = values[start - drift_len : start]
                    # Drifting towards the threshold, never across it.
                    sign = 1 if rule.direction == "above" else -1
                    assert np.all(sign * (d - rule.threshold) < 0)
                    assert sign * (d[-3:].mean() - d[:3].mean()) > 0
                end = start
                while end < len(faulty) and faulty[end]:
                    end += 1
                f = values[start:end]
                sign = 1 if rule.direction == "above" else -1
                assert np.all(sign * (f - rule.threshold) > 0)
                if end < len(faulty):  # repaired: back below the threshold
                    assert phases[end] == physics.RECOVERING
                    assert sign * (values[end] - rule.threshold) < 0
                    if start > 0 and not faulty[0]:
                        hours = (end - start) * interval_ms / 3_600_000
                        assert physics.FAULT_HOURS[0] - 0.2 <= hours <= physics.FAULT_HOURS[1] + 0.2
                seen_episodes += 1
    assert seen_episodes > 20


def test_long_run_fault_shares_match_the_original_system():
    shares = fleet.fault_shares(seed=42, turbines=60, hours=24 * 365, interval_ms=1_800_000)
    for code, target in physics.TARGET_SHARES.items():
        assert target * 0.7 <= shares[code] <= target * 1.3, (code, shares[code], target)
    assert 0 < shares["LOW_POWER_OUTPUT"] < 0.15


def test_same_seed_same_readings_and_independent_of_batching():
    number, ts = fleet.fleet_times(START_MS, 50, 60_000, 20)
    whole = physics.simulate(5, number, ts)
    again = physics.simulate(5, number, ts)
    first = physics.simulate(5, number[:333], ts[:333])
    rest = physics.simulate(5, number[333:], ts[333:])
    other = physics.simulate(6, number, ts)
    for name in contract.SENSOR_COLUMNS:
        assert np.array_equal(whole[name], again[name])
        assert np.array_equal(whole[name], np.concatenate([first[name], rest[name]]))
    assert not np.array_equal(whole["wind_speed"], other["wind_speed"])


def test_turbine_positions_are_fixed_at_a_few_sites():
    lat1, lon1 = physics.turbine_position(np.arange(1, 101))
    lat2, lon2 = physics.turbine_position(np.arange(1, 101))
    assert np.array_equal(lat1, lat2) and np.array_equal(lon1, lon2)
    assert len(set(zip(lat1.tolist(), lon1.tolist(), strict=True))) == 100  # distinct spots
    for site_number, site in enumerate(physics.SITES):
        at_site = physics.site_index(np.arange(1, 101)) == site_number
        assert np.all(np.abs(lat1[at_site] - site.latitude) < 0.2)
        assert np.all(np.abs(lon1[at_site] - site.longitude) < 0.2)
    # Readings carry the turbine's position whatever the seed.
    number, ts = fleet.fleet_times(START_MS, 3, 60_000, 100)
    r = physics.simulate(99, number, ts)
    assert np.array_equal(r["latitude"][:100], lat1)


def test_noise_is_bounded_and_unit_scaled():
    h = hashing.hash64(np.arange(200_000), 7)
    first, second = hashing.noise_pair(h)
    for noise in (first, second):
        assert np.abs(noise).max() <= hashing.NOISE_BOUND
        assert abs(noise.mean()) < 0.02 and abs(noise.std() - 1.0) < 0.02
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.02
