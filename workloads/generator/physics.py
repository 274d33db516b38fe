"""Turbine physics and fault episodes as pure, vectorised numpy functions.

Every value is a deterministic function of `(seed, turbine number, time)`: the same
reading comes out whether it is computed in a unit test, in a Spark worker
(`mapInPandas`) during a backfill, or one batch at a time while streaming. There is
no hidden state, so a turbine's wind, load and fault episodes are continuous in
time however the readings are split into batches.

The model:

- each turbine stands at one of a few wind-farm sites (fixed position, seed
  independent) and sees the site's wind (synoptic, meso-scale and daily cycles plus
  occasional storms) scaled by its own exposure, plus gusts;
- rotor speed, power and pitch follow a 3 MW power curve (cut-in, rated, cut-out
  from the data contract); temperatures rise with load and ambient temperature;
- faults are *episodes*: each turbine's time line is cut into week-long slots (with
  a per-turbine offset); a slot holds at most one episode of one fault kind, chosen
  with probabilities that give the original system's long-run shares. An episode
  drifts towards the threshold (never crossing it), stays past the threshold for a
  day or more (until repair), then recovers below it and settles back to normal.

Healthy values are bounded so that they never cross a fault threshold: only
episodes (and low wind, for LOW_POWER_OUTPUT) produce faults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from workloads import contract
from workloads.generator.hashing import (
    NOISE_BOUND,
    U16,
    derive,
    hash64,
    mix,
    noise_pair,
    reading_hash,
    to_uniform,
    uniform,
)

# Long-run share of readings in each fault (the original system's fault rates).
TARGET_SHARES: Mapping[str, float] = {
    "GEARBOX_OVERHEAT": 0.05,
    "GENERATOR_OVERHEAT": 0.03,
    "HIGH_VIBRATION": 0.08,
    "LOW_OIL_PRESSURE": 0.06,
    "TOWER_LEAN": 0.02,
}
EPISODE_FAULTS: tuple[str, ...] = tuple(TARGET_SHARES)

SLOT_HOURS = 168.0  # one possible episode per turbine per week
DRIFT_HOURS = (12.0, 36.0)  # drift before the threshold is crossed
FAULT_HOURS = (24.0, 72.0)  # past the threshold until repaired
RECOVERY_HOURS = (3.0, 8.0)  # settling back to normal after repair
# Probability that a slot holds an episode of each kind: share = p * mean fault hours / slot.
_MEAN_FAULT_HOURS = sum(FAULT_HOURS) / 2
EPISODE_PROBABILITY: Mapping[str, float] = {
    code: share * SLOT_HOURS / _MEAN_FAULT_HOURS for code, share in TARGET_SHARES.items()
}
# Drifting values stop this fraction of the threshold short of it; faulty ones exceed it by as much.
THRESHOLD_MARGIN = 0.01
# How far past the threshold a fault goes at its worst (in the sensor's unit).
FAULT_EXCESS: Mapping[str, float] = {
    "GEARBOX_OVERHEAT": 14.0,
    "GENERATOR_OVERHEAT": 12.0,
    "HIGH_VIBRATION": 2.5,
    "LOW_OIL_PRESSURE": 12.0,
    "TOWER_LEAN": 1.0,
}

# Decimal places written per column (classification uses the rounded values).
DECIMALS: Mapping[str, int] = {
    "wind_speed": 2,
    "wind_direction": 1,
    "rotor_rpm": 2,
    "power_output": 1,
    "nacelle_temperature": 2,
    "gearbox_temperature": 2,
    "generator_temperature": 2,
    "vibration_level": 3,
    "oil_pressure": 2,
    "brake_pressure": 1,
    "pitch_angle": 2,
    "yaw_angle": 1,
    "tower_lean": 3,
    "latitude": 6,
    "longitude": 6,
}


@dataclass(frozen=True)
class Site:
    name: str
    latitude: float
    longitude: float
    mean_wind: float  # m/s at hub height
    prevailing_direction: float  # degrees
    mean_temperature: float  # °C


SITES: tuple[Site, ...] = (
    Site("Whitelee", 55.6800, -4.2700, 8.6, 240.0, 9.0),
    Site("Roscoe", 32.4500, -100.5300, 8.1, 190.0, 19.0),
    Site("Altamont Pass", 37.7300, -121.6500, 7.6, 275.0, 15.0),
    Site("Jutland", 56.2000, 8.3000, 8.9, 255.0, 8.0),
)
_SITE_COLUMNS = 10  # turbines per row of a site's layout
_SPACING_DEG = (0.0060, 0.0090)  # latitude, longitude spacing (~600 m)

# Hash channels: each random quantity has its own, so they are independent.
(
    _CH_EXPOSURE,
    _CH_LEAN_BASE,
    _CH_PHASE,
    _CH_JITTER_LAT,
    _CH_JITTER_LON,
    _CH_GUST,
    _CH_DIRECTION,
    _CH_YAW,
    _CH_POWER,
    _CH_ROTOR,
    _CH_NACELLE,
    _CH_GEARBOX,
    _CH_GENERATOR,
    _CH_VIBRATION,
    _CH_OIL,
    _CH_BRAKE,
    _CH_PITCH,
    _CH_LEAN,
    _CH_SLOT_OFFSET,
    _CH_EPISODE_KIND,
    _CH_DRIFT,
    _CH_FAULT,
    _CH_RECOVERY,
    _CH_START,
    _CH_FAULT_NOISE,
    _CH_SITE_PHASE,
) = range(101, 127)

_TWO_PI = 2.0 * np.pi


# Turbines ----------------------------------------------------------------------------


def site_index(turbine_number: np.ndarray) -> np.ndarray:
    """Index into SITES of each turbine (turbines are dealt to sites in turn)."""
    return (np.asarray(turbine_number, dtype=np.int64) - 1) % len(SITES)


def turbine_position(turbine_number: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(latitude, longitude) of each turbine: a grid at its site, fixed for every seed."""
    number = np.asarray(turbine_number, dtype=np.int64)
    site = site_index(number)
    slot = (number - 1) // len(SITES)
    row, column = slot // _SITE_COLUMNS, slot % _SITE_COLUMNS
    base_lat = np.array([s.latitude for s in SITES])[site]
    base_lon = np.array([s.longitude for s in SITES])[site]
    jitter_lat = (uniform(number, _CH_JITTER_LAT) - 0.5) * 0.0015
    jitter_lon = (uniform(number, _CH_JITTER_LON) - 0.5) * 0.0020
    latitude = base_lat + row * _SPACING_DEG[0] + jitter_lat
    longitude = base_lon + column * _SPACING_DEG[1] + jitter_lon
    return np.round(latitude, DECIMALS["latitude"]), np.round(longitude, DECIMALS["longitude"])


# Power curve ---------------------------------------------------------------------------

IDLE_RPM_PER_MS = 0.25  # a parked rotor idles below 1 rpm under cut-in wind
MIN_OPERATING_RPM = 6.0
PITCH_PER_MS_ABOVE_RATED = 1.7  # degrees of pitch per m/s above rated wind
FEATHERED_PITCH = 90.0
IDLE_PITCH = 30.0


def power_curve(wind_speed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(power kW, rotor rpm, pitch degrees) of the design turbine at each wind speed.

    Below cut-in the rotor idles (< 1 rpm) and makes no power; between cut-in and rated
    power grows with the cube of wind speed; between rated and cut-out it is held at
    rated power by pitching the blades; at cut-out the turbine stops and feathers.
    """
    v = np.asarray(wind_speed, dtype=np.float64)
    cut_in, rated, cut_out = contract.CUT_IN_SPEED, contract.RATED_SPEED, contract.CUT_OUT_SPEED
    below = v < cut_in
    partial = (v >= cut_in) & (v < rated)
    full = (v >= rated) & (v < cut_out)
    fraction = np.clip((v**3 - cut_in**3) / (rated**3 - cut_in**3), 0.0, 1.0)
    power = np.where(partial, contract.RATED_POWER_KW * fraction, 0.0)
    power = np.where(full, contract.RATED_POWER_KW, power)
    rpm_partial = MIN_OPERATING_RPM + (contract.RATED_ROTOR_RPM - MIN_OPERATING_RPM) * (
        (v - cut_in) / (rated - cut_in)
    )
    rpm = np.where(below, IDLE_RPM_PER_MS * np.clip(v, 0.0, None), 0.0)
    rpm = np.where(partial, rpm_partial, rpm)
    rpm = np.where(full, contract.RATED_ROTOR_RPM, rpm)
    pitch = np.where(below, IDLE_PITCH, FEATHERED_PITCH)
    pitch = np.where(partial, 0.0, pitch)
    pitch = np.where(full, PITCH_PER_MS_ABOVE_RATED * (v - rated), pitch)
    return power, rpm, pitch


# Wind and weather ------------------------------------------------------------------------


def _site_phase(seed: int, site: np.ndarray, k: int) -> np.ndarray:
    return _TWO_PI * uniform(seed, site, _CH_SITE_PHASE, k)


def _per_turbine(number: np.ndarray, values) -> np.ndarray:
    """Evaluate `values(table)` once per turbine number and spread it over the readings."""
    table = np.arange(int(number.max(initial=0)) + 1, dtype=np.int64)
    return np.asarray(values(table))[number]


def wind_speed(
    seed: int, turbine_number: np.ndarray, hours: np.ndarray, gust: np.ndarray | None = None
) -> np.ndarray:
    """Hub-height wind (m/s): the site's weather scaled by the turbine's exposure, plus gusts.

    `gust` is unit noise per reading (derived from the reading hash when not given).
    """
    number = np.asarray(turbine_number, dtype=np.int64)
    hours = np.asarray(hours, dtype=np.float64)
    if gust is None:
        gust = noise_pair(derive(reading_hash(seed, number, hours_key(hours)), _CH_GUST))[0]
    site = site_index(number)
    mean = np.array([s.mean_wind for s in SITES])[site]
    exposure = _per_turbine(number, lambda t: 0.9 + 0.2 * uniform(seed, t, _CH_EXPOSURE))
    # Turbines of one site see the same weather, a little apart in time.
    lag = _per_turbine(number, lambda t: 0.3 * uniform(seed, t, _CH_PHASE))
    phases = [_site_phase(seed, np.arange(len(SITES)), k)[site] for k in range(1, 5)]
    synoptic = np.sin(_TWO_PI * hours / 83.0 + phases[0] + lag)
    meso = np.sin(_TWO_PI * hours / 15.7 + phases[1] + lag)
    daily = np.sin(_TWO_PI * hours / 24.0 + phases[2])
    storm = np.maximum(0.0, np.sin(_TWO_PI * hours / 241.0 + phases[3])) ** 12
    speed = mean * exposure * (1.0 + 0.38 * synoptic + 0.2 * meso + 0.1 * daily) + 16.0 * storm
    return np.clip(speed + 0.8 * gust, 0.0, 60.0)


def hours_key(hours: np.ndarray) -> np.ndarray:
    """Epoch milliseconds of a time given in hours."""
    return np.round(np.asarray(hours) * 3_600_000.0).astype(np.int64)


def ambient_temperature(seed: int, site: np.ndarray, hours: np.ndarray) -> np.ndarray:
    mean = np.array([s.mean_temperature for s in SITES])[site]
    daily = np.sin(_TWO_PI * (hours - 9.0) / 24.0)
    seasonal = np.sin(_TWO_PI * hours / (24.0 * 365.25) + _site_phase(seed, site, 5))
    return mean + 5.0 * daily + 7.0 * seasonal


# Fault episodes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Episodes:
    """Per reading: which episode kind applies (index into EPISODE_FAULTS, -1 none), its phase
    (0 none, 1 drifting, 2 faulty, 3 recovering) and its progress within the phase (0..1)."""

    kind: np.ndarray
    phase: np.ndarray
    progress: np.ndarray


NO_EPISODE, DRIFTING, FAULTY, RECOVERING = 0, 1, 2, 3


def episodes(seed: int, turbine_number: np.ndarray, hours: np.ndarray) -> Episodes:
    """The fault-episode state of each turbine at each time (see the module docstring)."""
    number = np.asarray(turbine_number, dtype=np.int64)
    hours = np.asarray(hours, dtype=np.float64)
    offset = _per_turbine(number, lambda t: SLOT_HOURS * uniform(seed, t, _CH_SLOT_OFFSET))
    shifted = hours - offset
    slot = np.floor(shifted / SLOT_HOURS).astype(np.int64)
    within = shifted - slot * SLOT_HOURS

    packed = (number.astype(np.uint64) << np.uint64(32)) ^ (
        slot.astype(np.uint64) & np.uint64(0xFFFFFFFF)
    )
    with np.errstate(over="ignore"):
        slot_hash = mix(packed ^ hash64(seed, _CH_EPISODE_KIND))
    bounds = np.cumsum([EPISODE_PROBABILITY[code] for code in EPISODE_FAULTS])
    kind = np.searchsorted(bounds, to_uniform(slot_hash), side="right")
    kind = np.where(kind >= len(EPISODE_FAULTS), -1, kind)

    # Four 16-bit uniforms from one hash: drift, fault and recovery lengths, start.
    durations = derive(slot_hash, _CH_DRIFT)
    u = [
        ((durations >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.float64) * U16
        for shift in (0, 16, 32, 48)
    ]
    drift = DRIFT_HOURS[0] + (DRIFT_HOURS[1] - DRIFT_HOURS[0]) * u[0]
    fault = FAULT_HOURS[0] + (FAULT_HOURS[1] - FAULT_HOURS[0]) * u[1]
    recovery = RECOVERY_HOURS[0] + (RECOVERY_HOURS[1] - RECOVERY_HOURS[0]) * u[2]
    start = (SLOT_HOURS - drift - fault - recovery) * u[3]
    x = within - start

    drifting = (x >= 0) & (x < drift)
    faulty = (x >= drift) & (x < drift + fault)
    recovering = (x >= drift + fault) & (x < drift + fault + recovery)
    phase = np.select([drifting, faulty, recovering], [DRIFTING, FAULTY, RECOVERING], NO_EPISODE)
    progress = np.select(
        [drifting, faulty, recovering],
        [x / drift, (x - drift) / fault, (x - drift - fault) / recovery],
        0.0,
    )
    in_episode = (phase != NO_EPISODE) & (kind >= 0)
    return Episodes(
        kind=np.where(in_episode, kind, -1).astype(np.int8),
        phase=np.where(in_episode, phase, NO_EPISODE).astype(np.int8),
        progress=np.where(in_episode, progress, 0.0),
    )


def _rule(fault_code: str) -> contract.FaultRule:
    return next(rule for rule in contract.FAULT_RULES if rule.fault_code == fault_code)


def apply_episode(
    healthy: np.ndarray,
    fault_code: str,
    state: Episodes,
    noise: np.ndarray,
) -> np.ndarray:
    """The sensor value under an episode of `fault_code` (healthy where none applies).

    Drifting: a convex mix of the healthy value and a point just short of the threshold,
    weighted by an accelerating curve (< 1), so it approaches but never crosses. Faulty:
    past the threshold by a margin, growing towards FAULT_EXCESS. Recovering (after the
    repair): starts half-way back and settles to healthy.
    """
    rule = _rule(fault_code)
    sign = 1.0 if rule.direction == "above" else -1.0
    short_of = rule.threshold * (1.0 - sign * THRESHOLD_MARGIN)
    past = rule.threshold * (1.0 + sign * THRESHOLD_MARGIN)
    rows = np.flatnonzero(state.kind == EPISODE_FAULTS.index(fault_code))
    if rows.size == 0:
        return healthy
    value = np.array(healthy, dtype=np.float64, copy=True)
    base, phase, p = value[rows], state.phase[rows], state.progress[rows]
    excess = FAULT_EXCESS[fault_code] * (
        0.25 + 0.75 * np.minimum(1.0, p / 0.3) + 0.05 * (noise[rows] + NOISE_BOUND)
    )
    value[rows] = np.select(
        [phase == DRIFTING, phase == FAULTY, phase == RECOVERING],
        [
            base + 0.97 * p**1.6 * (short_of - base),
            past + sign * excess,
            base + 0.5 * (1.0 - p) * (short_of - base),
        ],
        base,
    )
    return value


# Readings --------------------------------------------------------------------------------


def simulate(
    seed: int, turbine_number: np.ndarray, timestamp_ms: np.ndarray
) -> dict[str, np.ndarray]:
    """Sensor readings of turbines at times (epoch milliseconds, UTC).

    Returns the raw sensor columns and position (rounded as written), plus
    `fault_index` (index into contract.FAULT_CODES, -1 when healthy), `alert_index`
    (index into contract.ALERT_LEVELS) and `maintenance_needed`, classified by the
    contract's rules on the rounded values.
    """
    number = np.asarray(turbine_number, dtype=np.int64)
    ts = np.asarray(timestamp_ms, dtype=np.int64)
    hours = ts / 3_600_000.0
    site = site_index(number)

    base = reading_hash(seed, number, ts)
    noises: dict[int, np.ndarray] = {}
    channels = (_CH_GUST, _CH_POWER, _CH_ROTOR, _CH_PITCH, _CH_DIRECTION, _CH_YAW, _CH_NACELLE)
    channels += (_CH_GEARBOX, _CH_GENERATOR, _CH_VIBRATION, _CH_OIL, _CH_BRAKE, _CH_LEAN)
    channels += (_CH_FAULT_NOISE,)
    for first, second in zip(channels[::2], channels[1::2], strict=True):
        noises[first], noises[second] = noise_pair(derive(base, first))

    def noise(channel: int) -> np.ndarray:
        return noises[channel]

    wind = wind_speed(seed, number, hours, noise(_CH_GUST))
    power, rpm, pitch = power_curve(wind)
    running = rpm >= MIN_OPERATING_RPM
    power = np.where(
        running,
        np.clip(power * (1.0 + 0.015 * noise(_CH_POWER)), 0.0, contract.RATED_POWER_KW * 1.03),
        0.0,
    )
    rpm = np.where(running, rpm + 0.08 * noise(_CH_ROTOR), rpm)
    pitch = np.clip(pitch + np.where(running, 0.3, 0.0) * noise(_CH_PITCH), -2.0, 90.0)
    load = power / contract.RATED_POWER_KW

    prevailing = np.array([s.prevailing_direction for s in SITES])[site]
    veer = 40.0 * np.sin(_TWO_PI * hours / 61.0 + _site_phase(seed, site, 6))
    direction = np.mod(prevailing + veer + 6.0 * noise(_CH_DIRECTION), 360.0)
    yaw = np.mod(direction + 2.5 * noise(_CH_YAW), 360.0)

    ambient = ambient_temperature(seed, site, hours)
    nacelle = ambient + 8.0 + 12.0 * load + 0.8 * noise(_CH_NACELLE)
    warm = 0.3 * (ambient - 10.0)
    gearbox = 36.0 + 26.0 * load + warm + 1.0 * noise(_CH_GEARBOX)
    generator = 32.0 + 24.0 * load + warm + 1.0 * noise(_CH_GENERATOR)
    vibration = 0.25 + 0.9 * load * (rpm / contract.RATED_ROTOR_RPM) + 0.04 * noise(_CH_VIBRATION)
    oil = 50.0 - 3.0 * load + 0.8 * noise(_CH_OIL)
    brake = np.where(rpm >= contract.ROTOR_TURNING_RPM, 15.0, 165.0) + 1.5 * noise(_CH_BRAKE)
    lean_base = _per_turbine(number, lambda t: 0.05 + 0.3 * uniform(seed, t, _CH_LEAN_BASE))
    lean = lean_base + 0.25 * load + 0.015 * noise(_CH_LEAN)

    state = episodes(seed, number, hours)
    fault_noise = noise(_CH_FAULT_NOISE)
    gearbox = apply_episode(gearbox, "GEARBOX_OVERHEAT", state, fault_noise)
    generator = apply_episode(generator, "GENERATOR_OVERHEAT", state, fault_noise)
    vibration = apply_episode(vibration, "HIGH_VIBRATION", state, fault_noise)
    oil = apply_episode(oil, "LOW_OIL_PRESSURE", state, fault_noise)
    lean = apply_episode(lean, "TOWER_LEAN", state, fault_noise)

    latitude, longitude = turbine_position(number)
    columns = {
        "wind_speed": wind,
        "wind_direction": direction,
        "rotor_rpm": np.maximum(rpm, 0.0),
        "power_output": power,
        "nacelle_temperature": nacelle,
        "gearbox_temperature": gearbox,
        "generator_temperature": generator,
        "vibration_level": np.maximum(vibration, 0.0),
        "oil_pressure": oil,
        "brake_pressure": np.maximum(brake, 0.0),
        "pitch_angle": pitch,
        "yaw_angle": yaw,
        "tower_lean": np.maximum(lean, 0.0),
    }
    readings = {name: np.round(values, DECIMALS[name]) for name, values in columns.items()}
    # Rounding can carry 359.96 up to 360.0, outside [0, 360).
    for name in contract.EXCLUSIVE_UPPER:
        readings[name] = np.where(readings[name] >= 360.0, 0.0, readings[name])
    readings["latitude"] = latitude
    readings["longitude"] = longitude
    fault_index, alert_index, maintenance = classify_arrays(readings)
    readings["fault_index"] = fault_index
    readings["alert_index"] = alert_index
    readings["maintenance_needed"] = maintenance
    readings["episode_kind"] = state.kind
    readings["episode_phase"] = state.phase
    return readings


def classify_arrays(
    readings: Mapping[str, np.ndarray], thresholds: Mapping[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """contract.classify for whole columns: (fault index or -1, alert-level index, maintenance).

    Walks the contract's rules most severe first; the first rule that holds wins, as in
    contract.classify.
    """
    size = len(readings["rotor_rpm"])
    fault = np.full(size, -1, dtype=np.int8)
    for rule in contract.rules_by_severity(thresholds):
        value = np.asarray(readings[rule.column])
        holds = value > rule.threshold if rule.direction == "above" else value < rule.threshold
        if rule.fault_code == "LOW_POWER_OUTPUT":
            holds &= np.asarray(readings["rotor_rpm"]) >= contract.ROTOR_TURNING_RPM
        fault = np.where((fault < 0) & holds, contract.FAULT_CODES.index(rule.fault_code), fault)
    level_of_code = np.array(
        [contract.SEVERITY[rule.alert_level] for rule in contract.FAULT_RULES] + [0], dtype=np.int8
    )
    alert = level_of_code[fault]  # -1 picks the trailing NORMAL
    maintenance_levels = np.array(
        [level in contract.MAINTENANCE_LEVELS for level in contract.ALERT_LEVELS]
    )
    return fault, alert, maintenance_levels[alert]
