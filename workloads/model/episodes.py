"""Fault episodes for the model's labels and the score table's `in_fault` flag.

The contract (team contracts, `gold_fault_episodes`) gives one pure batch function,
`workloads.pipeline.gold.fault_episodes(silver_df, gap_minutes, as_of=None)`; the model
uses it when the pipeline provides it, so labels and the alerting tables agree on what an
episode is. Until then `_local_episodes` computes the same columns the model reads
(turbine_id, fault_code, alert_level, started_at, last_seen_at, ended_at) the same way.
"""

from __future__ import annotations

DEFAULT_GAP_MINUTES = 30.0
EPISODE_COLUMNS = (
    "turbine_id",
    "fault_code",
    "alert_level",
    "started_at",
    "last_seen_at",
    "ended_at",
)


def fault_episodes(silver, gap_minutes: float = DEFAULT_GAP_MINUTES, as_of=None):
    """Episodes (Spark DataFrame) from silver readings at or before `as_of`."""
    try:
        from workloads.pipeline.gold import fault_episodes as pipeline_episodes
    except ImportError:
        return _local_episodes(silver, gap_minutes, as_of)
    return pipeline_episodes(silver, gap_minutes, as_of=as_of)


def _local_episodes(silver, gap_minutes: float, as_of=None):
    """Readings of one turbine in one fault, split where `gap_minutes` pass without it.

    An episode is closed (`ended_at` = its last_seen_at) once the turbine's own latest
    reading is more than `gap_minutes` past it; otherwise it is open (`ended_at` null).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    rows = silver
    if as_of is not None:
        rows = rows.filter(F.col("timestamp") <= F.lit(as_of).cast("timestamp"))
    latest = rows.groupBy("turbine_id").agg(F.max("timestamp").alias("_latest"))
    faults = rows.filter(F.col("fault_code").isNotNull()).select(
        "turbine_id", "fault_code", "alert_level", "timestamp"
    )
    order = Window.partitionBy("turbine_id", "fault_code").orderBy("timestamp")
    gap_s = float(gap_minutes) * 60.0
    seconds = F.unix_micros("timestamp") / 1e6
    previous = F.lag(seconds).over(order)
    starts = faults.select(
        "*", F.when(previous.isNull() | (seconds - previous > gap_s), 1).otherwise(0).alias("_new")
    )
    numbered = starts.select(
        "*", F.sum("_new").over(order.rowsBetween(Window.unboundedPreceding, 0)).alias("_episode")
    )
    episodes = numbered.groupBy("turbine_id", "fault_code", "_episode").agg(
        F.max_by("alert_level", "timestamp").alias("alert_level"),
        F.min("timestamp").alias("started_at"),
        F.max("timestamp").alias("last_seen_at"),
    )
    closed = (F.unix_micros("_latest") - F.unix_micros("last_seen_at")) / 1e6 > gap_s
    return episodes.join(latest, "turbine_id").select(
        "turbine_id",
        "fault_code",
        "alert_level",
        "started_at",
        "last_seen_at",
        F.when(closed, F.col("last_seen_at")).alias("ended_at"),
    )


def to_pandas(episodes):
    """Spark episodes -> pandas with tz-aware UTC times (only EPISODE_COLUMNS)."""
    import pandas as pd

    frame = episodes.select(*EPISODE_COLUMNS).toPandas()
    for column in ("started_at", "last_seen_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
