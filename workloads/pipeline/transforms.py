"""The medallion transforms: pure `DataFrame -> DataFrame` functions.

The dataset files under `transformations/` are thin decorators around these; unit
tests call them directly on hand-made rows. Configuration comes in as arguments
(see `settings.py`), never from globals.
"""

from __future__ import annotations

from collections.abc import Mapping

from workloads.contract import COLUMN_NAMES, RAW_COLUMNS
from workloads.pipeline import rules

BRONZE_COLUMNS = ("raw", "source_file", "ingested_at")
SILVER_KEY = ("turbine_id", "timestamp")
SILVER_COLUMNS = (*COLUMN_NAMES, "reading_date")
QUARANTINE_COLUMNS = ("raw", "source_file", "ingested_at", "rejection_reasons", *COLUMN_NAMES)
_RAW_TYPES = dict(RAW_COLUMNS)

# The gold tables' output schemas, (column, Spark SQL type) in order: what every reader
# (the dashboard, the dispatcher, the test fakes) may rely on. Tests check that each
# transform returns exactly this schema.
STATUS_SCHEMA: tuple[tuple[str, str], ...] = tuple(
    (name, _RAW_TYPES[name])
    for name in (
        "turbine_id",
        "timestamp",
        "latitude",
        "longitude",
        "wind_speed",
        "rotor_rpm",
        "power_output",
        "nacelle_temperature",
        "gearbox_temperature",
        "generator_temperature",
        "vibration_level",
        "oil_pressure",
        "tower_lean",
        "fault_code",
        "alert_level",
        "maintenance_needed",
    )
)
ALERT_SCHEMA: tuple[tuple[str, str], ...] = (
    ("turbine_id", "string"),
    ("fault_code", "string"),
    ("alert_level", "string"),
    ("opened_at", "timestamp"),
    ("last_seen_at", "timestamp"),
    ("readings", "bigint"),
    ("latitude", "double"),
    ("longitude", "double"),
    ("maintenance_needed", "boolean"),
)
HOURLY_SCHEMA: tuple[tuple[str, str], ...] = (
    ("hour", "timestamp"),
    ("turbines_reporting", "bigint"),
    ("readings", "bigint"),
    ("mean_power_kw", "double"),
    ("energy_mwh", "double"),
    ("availability", "double"),
    ("normal_readings", "bigint"),
    ("info_readings", "bigint"),
    ("warning_readings", "bigint"),
    ("critical_readings", "bigint"),
)
FAULT_SUMMARY_SCHEMA: tuple[tuple[str, str], ...] = (
    ("fault_code", "string"),
    ("alert_level", "string"),
    ("fault_count", "bigint"),
    ("turbines", "bigint"),
    ("first_seen", "timestamp"),
    ("last_seen", "timestamp"),
)
STATUS_COLUMNS = tuple(name for name, _ in STATUS_SCHEMA)
ALERT_COLUMNS = tuple(name for name, _ in ALERT_SCHEMA)
HOURLY_COLUMNS = tuple(name for name, _ in HOURLY_SCHEMA)
FAULT_SUMMARY_COLUMNS = tuple(name for name, _ in FAULT_SUMMARY_SCHEMA)
_INPUTS = rules.RuleInputs()


# Bronze ------------------------------------------------------------------------------------


def bronze_lines(lines, source_file, ingested_at):
    """Bronze rows from a text source: every line kept as `raw`, with its file and ingestion time.

    `lines` has the text source's `value` column; `source_file` and `ingested_at` are Columns.
    """
    return lines.select(
        lines["value"].alias("raw"),
        source_file.cast("string").alias("source_file"),
        ingested_at.cast("timestamp").alias("ingested_at"),
    )


# Silver and quarantine -----------------------------------------------------------------------


def _text_schema() -> str:
    fields = [f"`{name}` string" for name in COLUMN_NAMES]
    return ", ".join([*fields, f"`{_INPUTS.corrupt}` string"])


# The JSON token each column's value must be: numbers for double columns, true/false for
# boolean ones. String and timestamp columns are probed as numbers: a number there is the
# wrong type. (true/false in a string column reads as the text "true"/"false", which the
# turbine id pattern and the fault code and alert level lists already reject.)
_TOKEN_TYPES = {"double": "double", "boolean": "boolean", "string": "double", "timestamp": "double"}


def _token_schema() -> str:
    return ", ".join(f"`{name}` {_TOKEN_TYPES[kind]}" for name, kind in RAW_COLUMNS)


def parse_lines(bronze):
    """Bronze rows plus the contract columns, typed, and the raw text of each value.

    Nothing fails here: a value that does not fit its type becomes null, and the
    rules see both the raw text and the typed value to tell "missing" from "wrong type".
    Types are strict JSON types: numbers and booleans come from the JSON parser, which
    takes only a JSON number for a double and only true/false for a boolean (a cast of
    the text would accept "12.5" for a number and "yes", "y" or 1 for a boolean);
    strings and ISO timestamps must be JSON strings.
    """
    from pyspark.sql import functions as F

    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _INPUTS.corrupt}
    parsed = F.from_json(F.col("raw"), _text_schema(), options)
    # Per field, the parser keeps what fits and nulls the rest (partial results).
    tokens = F.from_json(F.col("raw"), _token_schema(), {"mode": "PERMISSIVE"})
    frame = bronze.select(*BRONZE_COLUMNS, parsed.alias("_json"), tokens.alias("_token"))
    # A line that is not a JSON object (garbage, empty, `null`, an array) counts as corrupt.
    corrupt = F.when(
        F.col("_json").isNull() | (F.trim(F.col("raw")) == ""), F.coalesce(F.col("raw"), F.lit(""))
    ).otherwise(F.col(f"_json.{_INPUTS.corrupt}"))
    texts = [F.col(f"_json.`{name}`").alias(_INPUTS.text_prefix + name) for name in COLUMN_NAMES]

    def typed(name: str, kind: str):
        text, token = F.col(f"_json.`{name}`"), F.col(f"_token.`{name}`")
        if kind in ("double", "boolean"):
            return token.alias(name)
        not_a_number = token.isNull()
        if kind == "timestamp":
            return F.when(not_a_number, text.try_cast(kind)).alias(name)
        return F.when(not_a_number, text).alias(name)

    typed_columns = [typed(name, kind) for name, kind in RAW_COLUMNS]
    return frame.select(*BRONZE_COLUMNS, corrupt.alias(_INPUTS.corrupt), *texts, *typed_columns)


def validate(bronze, thresholds: Mapping[str, float] | None, future_tolerance_minutes: float):
    """Parsed bronze rows with `rejection_reasons` (empty array = valid)."""
    parsed = parse_lines(bronze)
    reasons = rules.rejection_reasons(thresholds, future_tolerance_minutes, _INPUTS)
    return parsed.select("*", reasons.alias("rejection_reasons"))


def silver_readings(
    bronze,
    thresholds: Mapping[str, float] | None = None,
    future_tolerance_minutes: float = 10.0,
    *,
    streaming: bool = True,
):
    """Valid readings, typed, deduplicated on (turbine_id, timestamp), with `reading_date`.

    On a stream, the caller puts a watermark on `ingested_at` first: duplicates are
    dropped when they arrive within the watermark delay of the first copy, and the
    deduplication state forgets keys older than that, so it stays bounded.
    `ingested_at` is the pipeline's own clock, so no data value can move the
    watermark or make a valid row "late". `streaming=False` deduplicates a batch frame.
    """
    from pyspark.sql import functions as F

    valid = validate(bronze, thresholds, future_tolerance_minutes).filter(
        F.size("rejection_reasons") == 0
    )
    key = list(SILVER_KEY)
    unique = valid.dropDuplicatesWithinWatermark(key) if streaming else valid.dropDuplicates(key)
    return unique.select(*COLUMN_NAMES, F.to_date("timestamp").alias("reading_date"))


def quarantined_rows(
    bronze, thresholds: Mapping[str, float] | None = None, future_tolerance_minutes: float = 10.0
):
    """Rejected lines: the raw text, where it came from, every rule broken, and what parsed."""
    from pyspark.sql import functions as F

    checked = validate(bronze, thresholds, future_tolerance_minutes)
    return checked.filter(F.size("rejection_reasons") > 0).select(*QUARANTINE_COLUMNS)


# Gold -------------------------------------------------------------------------------------------


def as_of_column(as_of: str | None = None):
    """The instant gold windows end at: a fixed ISO timestamp, or now."""
    from pyspark.sql import functions as F

    return F.lit(as_of).cast("timestamp") if as_of else F.current_timestamp()


def recent(silver, as_of, hours: float):
    """Silver readings of the last `hours` before `as_of`.

    The `reading_date` condition lets Spark prune whole date partitions, so a gold
    view only reads the days it shows, however long the history is.
    """
    from pyspark.sql import functions as F

    start = as_of - F.expr(f"INTERVAL {float(hours) * 3600:.0f} SECONDS")
    return silver.filter((F.col("reading_date") >= F.to_date(start)) & (F.col("timestamp") > start))


def turbine_status(silver, as_of, window_hours: float):
    """One row per turbine that reported in the window: its latest reading."""
    from pyspark.sql import functions as F

    latest = F.max_by(F.struct(*[F.col(c) for c in STATUS_COLUMNS]), F.col("timestamp"))
    return (
        recent(silver, as_of, window_hours)
        .groupBy("turbine_id")
        .agg(latest.alias("latest"))
        .select(*[F.col(f"latest.{c}").alias(c) for c in STATUS_COLUMNS])
    )


def maintenance_alerts(silver, as_of, window_hours: float):
    """Open WARNING/CRITICAL work: one row per (turbine_id, fault_code).

    An episode of a fault starts at its first reading after the turbine's last
    healthy (NORMAL or INFO) reading and is open while no healthy reading follows.
    Several faults of one turbine can be open at once (the most severe one is
    reported on each reading, so they may alternate).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    healthy_ts = F.when(F.col("alert_level").isin("NORMAL", "INFO"), F.col("timestamp"))
    running = (
        Window.partitionBy("turbine_id")
        .orderBy("timestamp")
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    whole = Window.partitionBy("turbine_id")
    marked = recent(silver, as_of, window_hours).select(
        "*",
        F.max(healthy_ts).over(running).alias("_healthy_before"),
        F.max(healthy_ts).over(whole).alias("_last_healthy"),
    )
    open_rows = marked.filter(
        F.col("alert_level").isin("WARNING", "CRITICAL")
        & F.col("fault_code").isNotNull()
        & F.col("_healthy_before").eqNullSafe(F.col("_last_healthy"))
    )
    latest = F.max_by(
        F.struct("alert_level", "latitude", "longitude", "maintenance_needed"), F.col("timestamp")
    )
    return (
        open_rows.groupBy("turbine_id", "fault_code")
        .agg(
            latest.alias("_latest"),
            F.min("timestamp").alias("opened_at"),
            F.max("timestamp").alias("last_seen_at"),
            F.count(F.lit(1)).alias("readings"),
        )
        .select(
            "turbine_id",
            "fault_code",
            F.col("_latest.alert_level").alias("alert_level"),
            "opened_at",
            "last_seen_at",
            "readings",
            F.col("_latest.latitude").alias("latitude"),
            F.col("_latest.longitude").alias("longitude"),
            F.col("_latest.maintenance_needed").alias("maintenance_needed"),
        )
    )


def fleet_hourly(silver, as_of, window_hours: float):
    """Per hour of the window: readings, turbines, power, energy, availability, faults by level.

    Energy sums each turbine's mean power over the hour (kW x 1 h), in MWh.
    """
    from pyspark.sql import functions as F

    def level_count(level: str):
        return F.sum(F.when(F.col("alert_level") == level, 1).otherwise(0)).cast("long")

    available = (F.col("power_output") > 0) & (F.col("alert_level") != "CRITICAL")
    per_turbine = (
        recent(silver, as_of, window_hours)
        .select("*", F.date_trunc("hour", F.col("timestamp")).alias("hour"))
        .groupBy("hour", "turbine_id")
        .agg(
            F.count(F.lit(1)).alias("readings"),
            F.sum("power_output").alias("power_sum"),
            F.avg("power_output").alias("mean_power"),
            F.sum(F.when(available, 1).otherwise(0)).alias("available"),
            level_count("NORMAL").alias("normal_readings"),
            level_count("INFO").alias("info_readings"),
            level_count("WARNING").alias("warning_readings"),
            level_count("CRITICAL").alias("critical_readings"),
        )
    )
    return per_turbine.groupBy("hour").agg(
        F.count(F.lit(1)).alias("turbines_reporting"),
        F.sum("readings").cast("long").alias("readings"),
        (F.sum("power_sum") / F.sum("readings")).alias("mean_power_kw"),
        (F.sum("mean_power") / 1000.0).alias("energy_mwh"),
        (F.sum("available") / F.sum("readings")).alias("availability"),
        F.sum("normal_readings").cast("long").alias("normal_readings"),
        F.sum("info_readings").cast("long").alias("info_readings"),
        F.sum("warning_readings").cast("long").alias("warning_readings"),
        F.sum("critical_readings").cast("long").alias("critical_readings"),
    )


def fault_summary(silver, as_of, window_hours: float):
    """Counts of faulty readings by fault_code and alert_level over the window."""
    from pyspark.sql import functions as F

    return (
        recent(silver, as_of, window_hours)
        .filter(F.col("fault_code").isNotNull())
        .groupBy("fault_code", "alert_level")
        .agg(
            F.count(F.lit(1)).alias("fault_count"),
            F.countDistinct("turbine_id").alias("turbines"),
            F.min("timestamp").alias("first_seen"),
            F.max("timestamp").alias("last_seen"),
        )
    )
