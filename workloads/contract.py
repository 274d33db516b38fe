"""The data contract between the generator and the pipeline.

Described for users in the README: `windmill generate` (the raw reading schema and the
bad records) and `windmill pipeline run` (bronze → silver → gold, the quarantine rules).

Pure Python on purpose: the generator, the pipeline rules, the ingest command, the
dispatcher and the tests all read the same names, thresholds and ranges from here.

Tolerant on purpose (real SCADA exports, issue 21): only `turbine_id` and `timestamp` are
required; a sensor a site does not measure is null, and a null never makes a fault. A
turbine's rated power (from the turbine registry; `RATED_POWER_KW` when unknown) scales
the rules and the range that are in kW.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Column order of a raw reading, as written to landing and read by bronze.
RAW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("turbine_id", "string"),
    ("timestamp", "timestamp"),
    ("wind_speed", "double"),
    ("wind_direction", "double"),
    ("rotor_rpm", "double"),
    ("power_output", "double"),
    ("nacelle_temperature", "double"),
    ("gearbox_temperature", "double"),
    ("generator_temperature", "double"),
    ("vibration_level", "double"),
    ("oil_pressure", "double"),
    ("brake_pressure", "double"),
    ("pitch_angle", "double"),
    ("yaw_angle", "double"),
    ("tower_lean", "double"),
    ("latitude", "double"),
    ("longitude", "double"),
    ("fault_code", "string"),
    ("alert_level", "string"),
    ("maintenance_needed", "boolean"),
    ("batch_id", "string"),
    ("ingestion_timestamp", "timestamp"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in RAW_COLUMNS)
SENSOR_COLUMNS: tuple[str, ...] = tuple(
    name for name, kind in RAW_COLUMNS if kind == "double" and name not in ("latitude", "longitude")
)
TURBINE_ID_PATTERN = r"^TURBINE_[0-9]{5}$"
# The only columns a reading must carry; any other value may be absent or null.
REQUIRED_COLUMNS: tuple[str, ...] = ("turbine_id", "timestamp")
# When a reading carries none of these, the pipeline derives them with the fault rules.
FAULT_FIELDS: tuple[str, ...] = ("fault_code", "alert_level", "maintenance_needed")
# Direction-like sensors: 360 is the same direction as 0 and is stored as 0.
DIRECTION_COLUMNS: tuple[str, ...] = ("wind_direction", "yaw_angle")
# Values in kW: their rules and physical range scale with the turbine's rated power.
POWER_COLUMNS: frozenset[str] = frozenset({"power_output"})


def turbine_id(number: int) -> str:
    """`TURBINE_00001` for 1."""
    return f"TURBINE_{number:05d}"


def raw_schema_ddl() -> str:
    """The raw schema as a Spark DDL string (no pyspark import needed to build it)."""
    return ", ".join(f"{name} {kind}" for name, kind in RAW_COLUMNS)


def raw_schema():
    """The raw schema as a pyspark StructType.

    Built from the type classes, not parsed from the DDL: parsing asks
    `SparkSession.active()`, which in a process holding two sessions may be
    one whose server has gone (a test that also queried a stopped stack).
    """
    from pyspark.sql import types

    kinds = {
        "string": types.StringType(),
        "double": types.DoubleType(),
        "timestamp": types.TimestampType(),
        "boolean": types.BooleanType(),
    }
    return types.StructType(
        [types.StructField(name, kinds[kind], True) for name, kind in RAW_COLUMNS]
    )


# Alert levels, least to most severe.
ALERT_LEVELS: tuple[str, ...] = ("NORMAL", "INFO", "WARNING", "CRITICAL")
SEVERITY: Mapping[str, int] = {level: rank for rank, level in enumerate(ALERT_LEVELS)}


@dataclass(frozen=True)
class FaultRule:
    fault_code: str
    alert_level: str
    column: str
    direction: str  # "above" or "below" the threshold
    threshold: float


# Order matters only between rules of the same level: the first listed wins a tie.
FAULT_RULES: tuple[FaultRule, ...] = (
    FaultRule("GEARBOX_OVERHEAT", "CRITICAL", "gearbox_temperature", "above", 80.0),
    FaultRule("GENERATOR_OVERHEAT", "CRITICAL", "generator_temperature", "above", 75.0),
    FaultRule("TOWER_LEAN", "CRITICAL", "tower_lean", "above", 1.5),
    FaultRule("HIGH_VIBRATION", "WARNING", "vibration_level", "above", 2.0),
    FaultRule("LOW_OIL_PRESSURE", "WARNING", "oil_pressure", "below", 35.0),
    FaultRule("LOW_POWER_OUTPUT", "INFO", "power_output", "below", 100.0),
)
FAULT_CODES: tuple[str, ...] = tuple(rule.fault_code for rule in FAULT_RULES)
# LOW_POWER_OUTPUT only applies while the rotor is turning.
ROTOR_TURNING_RPM = 1.0
# Repairs are needed for WARNING and CRITICAL faults; INFO is informational.
MAINTENANCE_LEVELS: frozenset[str] = frozenset({"WARNING", "CRITICAL"})

DEFAULT_THRESHOLDS: Mapping[str, float] = {rule.fault_code: rule.threshold for rule in FAULT_RULES}


def rules_by_severity(thresholds: Mapping[str, float] | None = None) -> list[FaultRule]:
    """Fault rules, most severe first, with thresholds optionally overridden by fault code."""
    overrides = thresholds or {}
    rules = [
        FaultRule(
            r.fault_code,
            r.alert_level,
            r.column,
            r.direction,
            float(overrides.get(r.fault_code, r.threshold)),
        )
        for r in FAULT_RULES
    ]
    return sorted(rules, key=lambda r: -SEVERITY[r.alert_level])  # stable: ties keep listed order


def power_scale(rated_power_kw: float | None) -> float:
    """Factor from the contract's design turbine to one rated `rated_power_kw` (1 if unknown)."""
    return 1.0 if rated_power_kw is None else float(rated_power_kw) / RATED_POWER_KW


def rule_threshold(rule: FaultRule, rated_power_kw: float | None = None) -> float:
    """The rule's threshold for a turbine of `rated_power_kw` (kW rules scale with it)."""
    if rule.column in POWER_COLUMNS:
        return rule.threshold * power_scale(rated_power_kw)
    return rule.threshold


def physical_range(column: str, rated_power_kw: float | None = None) -> tuple[float, float]:
    """`PHYSICAL_RANGES[column]` for a turbine of `rated_power_kw` (kW ranges scale with it)."""
    low, high = PHYSICAL_RANGES[column]
    if column in POWER_COLUMNS:
        scale = power_scale(rated_power_kw)
        return low * scale, high * scale
    return low, high


def rule_holds(
    rule: FaultRule, reading: Mapping[str, float | None], rated_power_kw: float | None = None
) -> bool:
    """Whether `rule` trips on `reading`; an absent or null value never trips a rule."""
    value = reading.get(rule.column)
    if value is None:
        return False
    if rule.fault_code == "LOW_POWER_OUTPUT":
        rpm = reading.get("rotor_rpm")
        if rpm is None or rpm < ROTOR_TURNING_RPM:
            return False
    threshold = rule_threshold(rule, rated_power_kw)
    return value > threshold if rule.direction == "above" else value < threshold


def classify(
    reading: Mapping[str, float | None],
    thresholds: Mapping[str, float] | None = None,
    rated_power_kw: float | None = None,
) -> tuple[str | None, str, bool]:
    """(fault_code, alert_level, maintenance_needed) for one reading; the most severe fault wins."""
    for rule in rules_by_severity(thresholds):
        if rule_holds(rule, reading, rated_power_kw):
            return rule.fault_code, rule.alert_level, rule.alert_level in MAINTENANCE_LEVELS
    return None, "NORMAL", False


# Physically possible values. Outside these a reading is rejected (quarantined), not classified.
PHYSICAL_RANGES: Mapping[str, tuple[float, float]] = {
    "wind_speed": (0.0, 75.0),
    "wind_direction": (0.0, 360.0),
    "rotor_rpm": (0.0, 40.0),
    # A little below zero is the turbine's own consumption. For a RATED_POWER_KW machine;
    # scaled with each turbine's rated power (`physical_range`).
    "power_output": (-100.0, 4000.0),
    "nacelle_temperature": (-50.0, 100.0),
    "gearbox_temperature": (-50.0, 200.0),
    "generator_temperature": (-50.0, 200.0),
    "vibration_level": (0.0, 50.0),
    "oil_pressure": (0.0, 150.0),
    "brake_pressure": (0.0, 300.0),
    "pitch_angle": (-10.0, 95.0),
    "yaw_angle": (0.0, 360.0),
    "tower_lean": (0.0, 15.0),
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
}
# Upper bounds of direction-like values are exclusive: [0, 360) once 360 is stored as 0.
EXCLUSIVE_UPPER: frozenset[str] = frozenset(DIRECTION_COLUMNS)

# Turbine design (a generic 3 MW onshore machine).
CUT_IN_SPEED = 3.0  # m/s
RATED_SPEED = 12.0  # m/s
CUT_OUT_SPEED = 25.0  # m/s
RATED_POWER_KW = 3000.0
RATED_ROTOR_RPM = 16.0
