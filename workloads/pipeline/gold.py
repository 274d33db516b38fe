"""The gold transforms: pure `DataFrame -> DataFrame` functions over silver, and the gold
tables' output schemas.

The gold dataset files under `transformations/` are thin decorators around these; unit
tests call them directly on hand-made rows. Windows end at `as_of` (see `as_of_column`).
Fault episodes (kept incrementally, and their batch form) are in the last section.
"""

from __future__ import annotations

from workloads.contract import (
    CUT_IN_SPEED,
    CUT_OUT_SPEED,
    FAULT_RULES,
    RATED_POWER_KW,
    RATED_SPEED,
    RAW_COLUMNS,
    SEVERITY,
)
from workloads.pipeline import settings as pipeline_settings

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


LATEST = "latest"  # the `as_of` setting that ends windows at the data's own latest reading


def as_of_column(as_of: str | None = None, silver_table: str | None = None):
    """The instant gold windows end at: a fixed ISO timestamp, now (empty), or with
    `as_of = "latest"` the latest reading in `silver_table` (history replay: a two-year-old
    export shows as it was at its end).

    "latest" is a scalar subquery in SQL text (a DataFrame subquery is analyzed when the
    pipeline registers the view, which the engine refuses). Its inner bound reads only
    silver's latest date partition for the timestamps.
    """
    from pyspark.sql import functions as F

    if as_of and as_of.strip().lower() == LATEST:
        if not silver_table:
            raise ValueError(
                'as_of = "latest" needs the silver table to take the latest reading of'
            )
        latest_day = f"(SELECT max(reading_date) FROM {silver_table})"
        return F.expr(
            f"(SELECT max(timestamp) FROM {silver_table} WHERE reading_date >= {latest_day})"
        )
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


def maintenance_alerts(silver, as_of, window_hours: float, episodes=None, gap_minutes=30.0):
    """Open WARNING/CRITICAL work: the open episodes (`fault_episodes`) of those levels
    last seen within the window, with the turbine's latest position.

    `opened_at` is the episode's true start, however long before the window it was (the
    window only decides which open episodes are still current). `episodes` is the
    `gold_fault_episodes` table; without it they are computed from `silver` (batch).
    """
    from pyspark.sql import functions as F

    if episodes is None:
        episodes = fault_episodes(silver, gap_minutes)
    start = as_of - F.expr(f"INTERVAL {float(window_hours) * 3600:.0f} SECONDS")
    open_work = episodes.filter(
        F.col("ended_at").isNull()
        & F.col("alert_level").isin("WARNING", "CRITICAL")
        & (F.col("last_seen_at") > start)
        & (F.col("started_at") <= as_of)
    )
    position = F.max_by(F.struct("latitude", "longitude"), F.col("timestamp"))
    positions = (
        recent(silver, as_of, window_hours).groupBy("turbine_id").agg(position.alias("_position"))
    )
    return open_work.join(positions, "turbine_id", "left").select(
        "turbine_id",
        "fault_code",
        "alert_level",
        F.col("started_at").alias("opened_at"),
        "last_seen_at",
        "readings",
        F.col("_position.latitude").alias("latitude"),
        F.col("_position.longitude").alias("longitude"),
        F.lit(True).alias("maintenance_needed"),
    )


def reading_intervals(silver):
    """Silver plus `interval_s`: the time each reading stands for.

    That is the time to the turbine's next reading, capped at twice the turbine's median
    interval and at MAX_READING_INTERVAL_S (a gap in the data is not production); the
    turbine's latest reading, whose next one is not there yet, stands for the median.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_time = Window.partitionBy("turbine_id").orderBy("timestamp")
    to_next = _seconds(F.lead("timestamp").over(by_time), F.col("timestamp"))
    spaced = silver.select("*", to_next.alias("_to_next"))
    median = F.median("_to_next").over(Window.partitionBy("turbine_id"))
    cap = F.least(
        F.coalesce(2 * median, F.lit(MAX_READING_INTERVAL_S)), F.lit(MAX_READING_INTERVAL_S)
    )
    # (least() skips nulls, so the latest reading needs its own branch.)
    interval = F.when(F.col("_to_next").isNotNull(), F.least(F.col("_to_next"), cap)).otherwise(
        F.coalesce(F.least(median, cap), F.lit(0.0))
    )
    return spaced.select("*", interval.alias("interval_s"))


def fleet_hourly(silver, as_of, window_hours: float):
    """Per hour of the window: readings, turbines, power, energy, availability, faults by level.

    Energy is each reading's power times its interval (`reading_intervals`), in MWh, in
    the hour of the reading: right for 1-minute and 10-minute data alike, and a turbine
    that stops reporting stops adding energy.
    """
    from pyspark.sql import functions as F

    def level_count(level: str):
        return F.sum(F.when(F.col("alert_level") == level, 1).otherwise(0)).cast("long")

    available = (F.col("power_output") > 0) & (F.col("alert_level") != "CRITICAL")
    per_turbine = (
        reading_intervals(recent(silver, as_of, window_hours))
        .select("*", F.date_trunc("hour", F.col("timestamp")).alias("hour"))
        .groupBy("hour", "turbine_id")
        .agg(
            F.count(F.lit(1)).alias("readings"),
            F.sum("power_output").alias("power_sum"),
            F.sum(F.col("power_output") * F.col("interval_s") / 3600.0).alias("energy_kwh"),
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
        (F.sum("energy_kwh") / 1000.0).alias("energy_mwh"),
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


# Fault episodes --------------------------------------------------------------------------
#
# An episode is the readings of one turbine showing one fault_code, where two consecutive
# such readings are at most `gap_minutes` apart. It ends (`ended_at` = its last_seen_at)
# once the turbine has a reading more than `gap_minutes` after the episode's last one: the
# turbine's own data time, so a silent turbine's fault stays open and a replayed history
# closes exactly as it did live.
#
# Kept incrementally in two steps. `gold_fault_segments` (a streaming table) aggregates
# silver per turbine, fault_code and SEGMENT_MINUTES of data time (fault_code null for the
# healthy readings): an append-mode aggregation with a watermark on the reading time, so
# each segment is written once, when data `episode_lateness_hours` newer has arrived, and
# its state is then dropped. `gold_fault_episodes` (a materialized view) stitches the
# segments, plus segments computed on the fly from the silver readings not yet in a
# written segment (the last lateness window only), into episodes. A segment is shorter
# than any allowed gap, so no episode boundary hides inside one. Readings arriving later
# than the lateness window (data time) are in silver but not in episodes.

SEGMENT_MINUTES = pipeline_settings.SEGMENT_MINUTES
# A reading stands for the time until its turbine's next reading, at most this long (a
# turbine that stopped reporting has not produced, or lost, energy since).
MAX_READING_INTERVAL_S = 15 * 60.0

SEGMENT_SCHEMA: tuple[tuple[str, str], ...] = (
    ("turbine_id", "string"),
    ("fault_code", "string"),
    ("bucket_start", "timestamp"),
    ("alert_level", "string"),
    ("first_at", "timestamp"),
    ("last_at", "timestamp"),
    ("readings", "bigint"),
    ("peak_value", "double"),
    ("lost_kw_sum", "double"),
)
EPISODE_SCHEMA: tuple[tuple[str, str], ...] = (
    ("turbine_id", "string"),
    ("fault_code", "string"),
    ("alert_level", "string"),
    ("started_at", "timestamp"),
    ("last_seen_at", "timestamp"),
    ("ended_at", "timestamp"),
    ("readings", "bigint"),
    ("peak_value", "double"),
    ("energy_lost_kwh", "double"),
)
SEGMENT_COLUMNS = tuple(name for name, _ in SEGMENT_SCHEMA)
EPISODE_COLUMNS = tuple(name for name, _ in EPISODE_SCHEMA)


def expected_power_kw(wind):
    """Power the design turbine makes at wind speed `wind` (a Column), in kW.

    The same curve as `workloads.generator.physics.power_curve` (a test holds them
    equal), written as a Column so that it runs inside the pipeline on any runtime.
    """
    from pyspark.sql import functions as F

    cut_in, rated, cut_out = CUT_IN_SPEED, RATED_SPEED, CUT_OUT_SPEED
    fraction = (F.pow(wind, 3) - cut_in**3) / (rated**3 - cut_in**3)
    return (
        F.when((wind >= cut_in) & (wind < rated), F.lit(RATED_POWER_KW) * fraction)
        .when((wind >= rated) & (wind < cut_out), F.lit(RATED_POWER_KW))
        .otherwise(F.lit(0.0))
    )


def lost_power_kw():
    """Expected power at the reading's wind minus the power made, never below 0 (0 when
    wind or power was not measured)."""
    from pyspark.sql import functions as F

    shortfall = expected_power_kw(F.col("wind_speed")) - F.col("power_output")
    return F.coalesce(F.greatest(shortfall, F.lit(0.0)), F.lit(0.0))


def _fault_value():
    """The value of the sensor the reading's fault rule reads (null on healthy readings)."""
    from pyspark.sql import functions as F

    value = None
    for rule in FAULT_RULES:
        branch = F.col("fault_code") == rule.fault_code
        value = (
            F.when(branch, F.col(rule.column))
            if value is None
            else value.when(branch, F.col(rule.column))
        )
    return value


def _peak_order(value):
    """Orders values so that the most extreme is the largest: a "below" rule's peak is its
    lowest value (oil pressure), an "above" rule's its highest."""
    from pyspark.sql import functions as F

    below = [r.fault_code for r in FAULT_RULES if r.direction == "below"]
    return F.when(F.col("fault_code").isin(below), -value).otherwise(value)


def _severity(level):
    from pyspark.sql import functions as F

    ranks = F.create_map(*[F.lit(x) for pair in SEVERITY.items() for x in pair])
    return F.coalesce(ranks[level], F.lit(-1))


def _most_severe(level):
    """Aggregate: the most severe alert level of a group."""
    from pyspark.sql import functions as F

    return F.max_by(level, _severity(level))


def fault_segments(silver):
    """Silver (a stream with a watermark on `timestamp`, or a batch frame) aggregated per
    turbine, fault_code (null: healthy) and SEGMENT_MINUTES of reading time."""
    from pyspark.sql import functions as F

    rows = silver.select(
        "turbine_id",
        "fault_code",
        "alert_level",
        "timestamp",
        _fault_value().alias("_value"),
        lost_power_kw().alias("_lost_kw"),
    )
    bucket = F.window("timestamp", f"{SEGMENT_MINUTES} minutes")
    return (
        rows.groupBy("turbine_id", "fault_code", bucket.alias("_bucket"))
        .agg(
            _most_severe(F.col("alert_level")).alias("alert_level"),
            F.min("timestamp").alias("first_at"),
            F.max("timestamp").alias("last_at"),
            F.count(F.lit(1)).alias("readings"),
            F.max_by("_value", _peak_order(F.col("_value"))).alias("peak_value"),
            F.sum("_lost_kw").alias("lost_kw_sum"),
        )
        .select(
            "turbine_id",
            "fault_code",
            F.col("_bucket.start").alias("bucket_start"),
            *SEGMENT_COLUMNS[3:],
        )
    )


def unsegmented_sql(silver_table: str, segments_table: str) -> str:
    """SQL for the silver readings no written segment holds yet: from the end of the latest
    written segment on (all of silver while there is none).

    The bound is a scalar subquery, so Spark prunes silver's date partitions at run time
    and reads only that tail. SQL text, because a DataFrame scalar subquery is analyzed
    when the pipeline registers the view, which the engine refuses.
    """
    end = f"(SELECT max(bucket_start) + INTERVAL {SEGMENT_MINUTES} MINUTES FROM {segments_table})"
    return (
        f"SELECT * FROM {silver_table} "
        f"WHERE reading_date >= coalesce(to_date({end}), DATE'0001-01-01') "
        f"AND timestamp >= coalesce({end}, TIMESTAMP'0001-01-01 00:00:00')"
    )


def _seconds(later, earlier):
    from pyspark.sql import functions as F

    return (F.unix_micros(later) - F.unix_micros(earlier)) / 1e6


def episodes_from_segments(segments, gap_minutes: float):
    """Stitch segments into episodes (see the section comment above).

    Energy: each reading of a segment stands for its turbine's mean reading interval in
    that segment's time bucket, i.e. the bucket's span plus the time to the turbine's next
    reading (capped at MAX_READING_INTERVAL_S), over its readings; the turbine's latest
    bucket, with no next reading yet, uses its mean spacing (0 for a lone reading) until
    the next reading arrives.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cap = F.lit(MAX_READING_INTERVAL_S)
    gap_s = F.lit(float(gap_minutes) * 60.0)
    buckets = segments.groupBy("turbine_id", "bucket_start").agg(
        F.min("first_at").alias("_first"),
        F.max("last_at").alias("_last"),
        F.sum("readings").alias("_n"),
    )
    by_time = Window.partitionBy("turbine_id").orderBy("bucket_start")
    span = _seconds(F.col("_last"), F.col("_first"))
    to_next = F.lead("_first").over(by_time)
    last_interval = (
        F.when(to_next.isNotNull(), F.least(_seconds(to_next, F.col("_last")), cap))
        .when(F.col("_n") > 1, F.least(span / (F.col("_n") - 1), cap))
        .otherwise(F.lit(0.0))
    )
    intervals = buckets.select(
        "turbine_id",
        "bucket_start",
        ((span + last_interval) / F.col("_n")).alias("_interval_s"),
        F.max("_last").over(Window.partitionBy("turbine_id")).alias("_turbine_latest"),
    )
    faults = segments.filter(F.col("fault_code").isNotNull()).join(
        intervals, ["turbine_id", "bucket_start"]
    )
    by_fault = Window.partitionBy("turbine_id", "fault_code").orderBy("first_at", "last_at")
    before = F.max("last_at").over(by_fault.rowsBetween(Window.unboundedPreceding, -1))
    starts = F.when(before.isNull() | (_seconds(F.col("first_at"), before) > gap_s), 1)
    numbered = faults.select(
        "*",
        F.sum(F.coalesce(starts, F.lit(0)))
        .over(by_fault.rowsBetween(Window.unboundedPreceding, Window.currentRow))
        .alias("_episode"),
        (F.col("lost_kw_sum") * F.col("_interval_s") / 3600.0).alias("_energy_kwh"),
    )
    episodes = numbered.groupBy("turbine_id", "fault_code", "_episode").agg(
        _most_severe(F.col("alert_level")).alias("alert_level"),
        F.min("first_at").alias("started_at"),
        F.max("last_at").alias("last_seen_at"),
        F.sum("readings").cast("long").alias("readings"),
        F.max_by("peak_value", _peak_order(F.col("peak_value"))).alias("peak_value"),
        F.sum("_energy_kwh").alias("energy_lost_kwh"),
        F.max("_turbine_latest").alias("_turbine_latest"),
    )
    ended = _seconds(F.col("_turbine_latest"), F.col("last_seen_at")) > gap_s
    return episodes.select(
        "turbine_id",
        "fault_code",
        "alert_level",
        "started_at",
        "last_seen_at",
        F.when(ended, F.col("last_seen_at")).alias("ended_at"),
        "readings",
        "peak_value",
        "energy_lost_kwh",
    )


def fault_episodes(silver_df, gap_minutes: float = 30.0, as_of=None):
    """Fault episodes of a batch silver frame, as `gold_fault_episodes` holds them.

    The pipeline keeps the same result incrementally; this batch form serves the model's
    labels and the tests' oracle. `as_of` (ISO string, datetime or Column) leaves out
    readings after it: the episodes as they were known then.
    """
    from pyspark.sql import functions as F

    if as_of is not None:
        moment = as_of if hasattr(as_of, "isNull") else F.lit(str(as_of)).cast("timestamp")
        silver_df = silver_df.filter(F.col("timestamp") <= moment)
    return episodes_from_segments(fault_segments(silver_df), gap_minutes)
