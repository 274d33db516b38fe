"""Quarantine rules: the one place that says when a landing line is rejected, and why.

Every rule is built from the data contract (`workloads.contract`) and the pipeline
settings; `rejection_reasons()` turns them into one `array<string>` column. A row
goes to silver when the array is empty and to `silver_quarantine` otherwise, so the
two tables partition the bronze rows by construction.

Reason strings are stable (dashboards and tests match on them):

- `unparseable`: the line is not a JSON object (garbage, truncated, empty, `null`).
- `missing:<column>`: a required column is absent or null (only `fault_code` may be null).
- `wrong_type:<column>`: a value is present but is not the JSON type the contract says:
  a number for a double (a string such as "12.5" is not), true/false for a boolean
  ("yes", "true" or 1 are not), a string for a string or an ISO timestamp.
- `invalid_turbine_id`: not `TURBINE_` followed by five digits.
- `out_of_range:<column>`: outside the physically possible range (`PHYSICAL_RANGES`).
- `future_timestamp`: later than ingestion time plus the configured tolerance.
- `unknown_fault_code` / `unknown_alert_level`: not one of the contract's codes/levels.
- `inconsistent_fault`: fault_code, alert_level or maintenance_needed differ from what
  the fault rules give for the row's sensor values (with the configured thresholds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workloads.contract import (
    ALERT_LEVELS,
    EXCLUSIVE_UPPER,
    FAULT_CODES,
    MAINTENANCE_LEVELS,
    PHYSICAL_RANGES,
    RAW_COLUMNS,
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
# Only fault_code may be null (a healthy reading has none).
OPTIONAL_COLUMNS = frozenset({"fault_code"})
REQUIRED_COLUMNS = tuple(name for name, _ in RAW_COLUMNS if name not in OPTIONAL_COLUMNS)


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


def expected_classification(thresholds: Mapping[str, float] | None = None):
    """(fault_code, alert_level, maintenance_needed) Columns the fault rules give a row."""
    from pyspark.sql import functions as F

    code = level = None
    for rule in rules_by_severity(thresholds):
        value = F.col(rule.column)
        holds = value > rule.threshold if rule.direction == "above" else value < rule.threshold
        if rule.fault_code == "LOW_POWER_OUTPUT":
            holds = holds & (F.col("rotor_rpm") >= ROTOR_TURNING_RPM)
        code = (F.when if code is None else code.when)(holds, F.lit(rule.fault_code))
        level = (F.when if level is None else level.when)(holds, F.lit(rule.alert_level))
    code = code.otherwise(F.lit(None).cast("string"))
    level = level.otherwise(F.lit("NORMAL"))
    maintenance = level.isin(*sorted(MAINTENANCE_LEVELS))
    return code, level, maintenance


def rule_columns(
    thresholds: Mapping[str, float] | None,
    future_tolerance_minutes: float,
    inputs: RuleInputs = RuleInputs(),
) -> list:
    """One Column per rule: the reason string when the rule is broken, else null.

    Expects typed contract columns plus the raw text of each (`inputs.text_prefix`),
    the corrupt-record column and the ingestion time.
    """
    from pyspark.sql import functions as F

    checks = []
    parsed = F.col(inputs.corrupt).isNull()

    checks.append((~parsed, UNPARSEABLE))
    for name in REQUIRED_COLUMNS:
        checks.append((parsed & F.col(inputs.text_prefix + name).isNull(), missing(name)))
    for name, _ in RAW_COLUMNS:
        present = F.col(inputs.text_prefix + name).isNotNull()
        checks.append((parsed & present & F.col(name).isNull(), wrong_type(name)))
    checks.append(
        (~F.col("turbine_id").rlike(TURBINE_ID_PATTERN), INVALID_TURBINE_ID),
    )
    for name, (low, high) in PHYSICAL_RANGES.items():
        value = F.col(name)
        above = value >= high if name in EXCLUSIVE_UPPER else value > high
        checks.append(((value < low) | above, out_of_range(name)))
    tolerance = F.expr(f"INTERVAL {float(future_tolerance_minutes) * 60:.3f} SECONDS")
    checks.append((F.col("timestamp") > F.col(inputs.ingested_at) + tolerance, FUTURE_TIMESTAMP))
    checks.append((~F.col("fault_code").isin(*FAULT_CODES), UNKNOWN_FAULT_CODE))
    checks.append((~F.col("alert_level").isin(*ALERT_LEVELS), UNKNOWN_ALERT_LEVEL))

    code, level, maintenance = expected_classification(thresholds)
    rule_inputs = {rule.column for rule in rules_by_severity(thresholds)} | {"rotor_rpm"}
    classifiable = F.lit(True)
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
