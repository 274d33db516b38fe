"""Fault episodes for the model's labels and the score table's `in_fault` flag.

The pipeline's pure batch function `workloads.pipeline.gold.fault_episodes(silver_df,
gap_minutes, as_of=None)` computes them, so the model's labels and the alerting tables
(`gold_fault_episodes`) agree on what an episode is; the model reads only EPISODE_COLUMNS.
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
    from workloads.pipeline.gold import fault_episodes as pipeline_episodes

    return pipeline_episodes(silver, gap_minutes, as_of=as_of)


def to_pandas(episodes):
    """Spark episodes -> pandas with tz-aware UTC times (only EPISODE_COLUMNS)."""
    import pandas as pd

    frame = episodes.select(*EPISODE_COLUMNS).toPandas()
    for column in ("started_at", "last_seen_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
