"""Quarantine rules: the one place that says when a landing line is rejected, and why.

Every rule is built from the data contract (`workloads.contract`) and the pipeline
settings; `rejection_reasons()` turns them into one `array<string>` column. A row
goes to silver when the array is empty and to `silver_quarantine` otherwise, so the
two tables partition the bronze rows by construction.

Tolerant of real SCADA exports (issue 21): only `turbine_id` and `timestamp` are
required; a sensor that is absent or null stays null and never trips a rule; a reading
that carries no fault fields gets them derived (`derived_classification`).

Reason strings are stable (dashboards and tests match on them):

- `unparseable`: the line is not a JSON object (garbage, truncated, empty, `null`).
- `missing:<column>`: `turbine_id` or `timestamp` is absent or null; or the line carries
  some fault fields but not `alert_level` / `maintenance_needed`.
- `wrong_type:<column>`: a value is present but is not the JSON type the contract says:
  a number for a double (a string such as "12.5" is not), true/false for a boolean
  ("yes", "true" or 1 are not), a string for a string or an ISO timestamp.
- `invalid_turbine_id`: neither in the turbine registry nor `TURBINE_` and five digits.
- `out_of_range:<column>`: outside the physically possible range (`PHYSICAL_RANGES`, the
  power range scaled to the turbine's rated power).
- `future_timestamp`: later than ingestion time plus the configured tolerance.
- `unknown_fault_code` / `unknown_alert_level`: not one of the contract's codes/levels.
- `inconsistent_fault`: fault_code, alert_level or maintenance_needed differ from what
  the fault rules give for the row's sensor values (with the configured thresholds and
  the turbine's rated power). Checked only when every value the rules read is present:
  a null never makes a row inconsistent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workloads.contract import (
    ALERT_LEVELS,
    EXCLUSIVE_UPPER,
    FAULT_CODES,
    FAULT_FIELDS,
    MAINTENANCE_LEVELS,
    PHYSICAL_RANGES,
    POWER_COLUMNS,
    RATED_POWER_KW,
    RAW_COLUMNS,
    REQUIRED_COLUMNS,
    ROTOR_TURNING_RPM,
    TURBINE_ID_PATTERN,
    rules_by_severity,
)

UNPARSEABLE = "unparseable"
INVALID_TURBINE_ID = "invalid_turbine_id"
FUTURE_TIMESTAMP = "future_timestamp"
UNKNOWN_FAULT_CODE = "unknown_fault_code"
UNKNOWN_ALERT_LEVEL = "unknown_alert_level"
INCONSISTENT_FAULT = "inconsistent_fault"
# Required once a line carries any fault field (only fault_code may then be null).
FAULT_LABEL_COLUMNS = ("alert_level", "maintenance_needed")


def missing(column: str) -> str:
    return f"missing:{column}"


def wrong_type(column: str) -> str:
    return f"wrong_type:{column}"


def out_of_range(column: str) -> str:
    return f"out_of_range:{column}"


@dataclass(frozen=True)
class RuleInputs:
    """Column names a parsed row carries (see `transforms.parse_lines`)."""

    text_prefix: str = "_text_"  # the raw JSON value of each column, as a string
    corrupt: str = "_corrupt"  # non-null when the line is not a JSON object
    ingested_at: str = "ingested_at"
    registered: str = "_registered"  # true when the turbine is in the registry
    rated_power: str = "_rated_power_kw"  # the registry's rated power (null: not registered)


def _rated_power(inputs: RuleInputs):
    from pyspark.sql import functions as F

    return F.coalesce(F.col(inputs.rated_power), F.lit(RATED_POWER_KW))


def _scaled(column: str, value: float, inputs: RuleInputs):
    """`value` (a kW threshold or bound of the design turbine) for this row's turbine."""
    from pyspark.sql import functions as F

    if column not in POWER_COLUMNS:
        return F.lit(value)
    return F.lit(value) * _rated_power(inputs) / F.lit(RATED_POWER_KW)


def expected_classification(
    thresholds: Mapping[str, float] | None = None, inputs: RuleInputs = RuleInputs()
):
    """(fault_code, alert_level, maintenance_needed) Columns the fault rules give a row.

    A rule on a null value does not hold (a sensor a site does not measure never makes a
    fault); kW thresholds scale with the turbine's rated power.
    """
    from pyspark.sql import functions as F

    code = level = None
    for rule in rules_by_severity(thresholds):
        value = F.col(rule.column)
        threshold = _scaled(rule.column, rule.threshold, inputs)
        holds = value > threshold if rule.direction == "above" else value < threshold
        if rule.fault_code == "LOW_POWER_OUTPUT":
            holds = holds & (F.col("rotor_rpm") >= ROTOR_TURNING_RPM)
        holds = F.coalesce(holds, F.lit(False))
        code = (F.when if code is None else code.when)(holds, F.lit(rule.fault_code))
        level = (F.when if level is None else level.when)(holds, F.lit(rule.alert_level))
    code = code.otherwise(F.lit(None).cast("string"))
    level = level.otherwise(F.lit("NORMAL"))
    maintenance = level.isin(*sorted(MAINTENANCE_LEVELS))
    return code, level, maintenance


def carries_fault_fields(inputs: RuleInputs = RuleInputs()):
    """Column: the line carries at least one of the fault fields (else silver derives them)."""
    from functools import reduce

    from pyspark.sql import functions as F

    present = [F.col(inputs.text_prefix + name).isNotNull() for name in FAULT_FIELDS]
    return reduce(lambda a, b: a | b, present)


def derived_classification(
    thresholds: Mapping[str, float] | None = None, inputs: RuleInputs = RuleInputs()
):
    """The fault fields silver keeps: the line's own, or the rules' when it carries none."""
    from pyspark.sql import functions as F

    given = carries_fault_fields(inputs)
    expected = expected_classification(thresholds, inputs)
    return tuple(
        F.when(given, F.col(name)).otherwise(value).alias(name)
        for name, value in zip(FAULT_FIELDS, expected, strict=True)
    )


def rule_columns(
    thresholds: Mapping[str, float] | None,
    future_tolerance_minutes: float,
    inputs: RuleInputs = RuleInputs(),
) -> list:
    """One Column per rule: the reason string when the rule is broken, else null.

    Expects typed contract columns plus the raw text of each (`inputs.text_prefix`),
    the corrupt-record column, the ingestion time and the registry columns.
    """
    from pyspark.sql import functions as F

    checks = []
    parsed = F.col(inputs.corrupt).isNull()
    given = carries_fault_fields(inputs)

    checks.append((~parsed, UNPARSEABLE))
    for name in REQUIRED_COLUMNS:
        checks.append((parsed & F.col(inputs.text_prefix + name).isNull(), missing(name)))
    for name in FAULT_LABEL_COLUMNS:
        absent = F.col(inputs.text_prefix + name).isNull()
        checks.append((parsed & given & absent, missing(name)))
    for name, _ in RAW_COLUMNS:
        present = F.col(inputs.text_prefix + name).isNotNull()
        checks.append((parsed & present & F.col(name).isNull(), wrong_type(name)))
    known = F.col("turbine_id").rlike(TURBINE_ID_PATTERN) | F.coalesce(
        F.col(inputs.registered), F.lit(False)
    )
    checks.append((~known, INVALID_TURBINE_ID))
    for name, (low, high) in PHYSICAL_RANGES.items():
        value = F.col(name)
        low_c, high_c = _scaled(name, low, inputs), _scaled(name, high, inputs)
        above = value >= high_c if name in EXCLUSIVE_UPPER else value > high_c
        checks.append(((value < low_c) | above, out_of_range(name)))
    tolerance = F.expr(f"INTERVAL {float(future_tolerance_minutes) * 60:.3f} SECONDS")
    checks.append((F.col("timestamp") > F.col(inputs.ingested_at) + tolerance, FUTURE_TIMESTAMP))
    checks.append((~F.col("fault_code").isin(*FAULT_CODES), UNKNOWN_FAULT_CODE))
    checks.append((~F.col("alert_level").isin(*ALERT_LEVELS), UNKNOWN_ALERT_LEVEL))

    code, level, maintenance = expected_classification(thresholds, inputs)
    rule_inputs = {rule.column for rule in rules_by_severity(thresholds)} | {"rotor_rpm"}
    classifiable = given
    for name in sorted(rule_inputs | {"alert_level", "maintenance_needed"}):
        classifiable = classifiable & F.col(name).isNotNull()
    consistent = (
        F.col("fault_code").eqNullSafe(code)
        & (F.col("alert_level") == level)
        & (F.col("maintenance_needed") == maintenance)
    )
    checks.append((classifiable & ~consistent, INCONSISTENT_FAULT))

    # A null condition (a comparison on a missing value) means "not broken": the
    # missing/wrong_type rules already report that value.
    return [F.when(F.coalesce(cond, F.lit(False)), F.lit(reason)) for cond, reason in checks]


def rejection_reasons(
    thresholds: Mapping[str, float] | None,
    future_tolerance_minutes: float,
    inputs: RuleInputs = RuleInputs(),
):
    """`array<string>` Column of every rule the row breaks (empty when it is valid)."""
    from pyspark.sql import functions as F

    return F.array_compact(F.array(*rule_columns(thresholds, future_tolerance_minutes, inputs)))
