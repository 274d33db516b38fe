"""The gold transforms: pure `DataFrame -> DataFrame` functions over silver, and the gold
tables' output schemas.

The gold dataset files under `transformations/` are thin decorators around these; unit
tests call them directly on hand-made rows. Windows end at `as_of` (see `as_of_column`).
"""

from __future__ import annotations

from workloads.contract import RAW_COLUMNS

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
