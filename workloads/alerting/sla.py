"""`gold_sla_daily`: per day and fault level, how fast faults were acknowledged and closed.

Computed in pandas from the episodes (gold_fault_episodes) and the acks (the store's
actions), then written like every table outside the pipeline
(`spark_catalog.write_outside_table`). Days are UTC. An episode counts on the day it
opened (opened, time to acknowledge, energy lost) and on the day it closed (closed,
time to close, share within the dispatcher's deadline: CRITICAL 4 h, WARNING 24 h).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from workloads import names
from workloads.alerting.actions import ACK
from workloads.alerting.model import DEADLINE_HOURS, iso

log = logging.getLogger("windmill.notifier")

SLA_COLUMNS = (
    "day",
    "alert_level",
    "episodes_opened",
    "episodes_closed",
    "ack_p50_minutes",
    "ack_p90_minutes",
    "close_p50_minutes",
    "close_p90_minutes",
    "closed_within_deadline",
    "energy_lost_mwh",
)


def sla_schema():
    from pyspark.sql import types as T

    return T.StructType(
        [
            T.StructField("day", T.DateType()),
            T.StructField("alert_level", T.StringType()),
            T.StructField("episodes_opened", T.LongType()),
            T.StructField("episodes_closed", T.LongType()),
            *(T.StructField(name, T.DoubleType()) for name in SLA_COLUMNS[4:]),
        ]
    )


def _quantile(values: pd.Series, q: float) -> float | None:
    values = values.dropna()
    return None if values.empty else float(values.quantile(q))


def sla_daily(episodes: pd.DataFrame | None, actions: list[dict[str, Any]]) -> pd.DataFrame:
    """The SLA rows (SLA_COLUMNS), one per (day, alert_level) with any episode, sorted."""
    if episodes is None or episodes.empty:
        return pd.DataFrame(columns=list(SLA_COLUMNS))
    frame = episodes.copy()
    first_ack: dict[tuple[str, str, str], pd.Timestamp] = {}
    for row in actions:
        if row["action"] == ACK:
            key = (row["turbine_id"], row["fault_code"], row["episode_started_at"])
            first_ack.setdefault(key, pd.Timestamp(row["at"]))
    acked = [
        first_ack.get((t, f, iso(s.to_pydatetime())))
        for t, f, s in zip(
            frame["turbine_id"], frame["fault_code"], frame["started_at"], strict=True
        )
    ]
    frame["ack_minutes"] = [
        None if a is None else (a - s).total_seconds() / 60
        for a, s in zip(acked, frame["started_at"], strict=True)
    ]
    frame["close_minutes"] = (frame["ended_at"] - frame["started_at"]).dt.total_seconds() / 60
    frame["opened_day"] = frame["started_at"].dt.date
    frame["closed_day"] = frame["ended_at"].dt.date
    rows = []
    keys = set(zip(frame["opened_day"], frame["alert_level"], strict=True))
    closed = frame[frame["ended_at"].notna()]
    keys |= set(zip(closed["closed_day"], closed["alert_level"], strict=True))
    for day, level in sorted(keys):
        opened = frame[(frame["opened_day"] == day) & (frame["alert_level"] == level)]
        shut = closed[(closed["closed_day"] == day) & (closed["alert_level"] == level)]
        deadline_min = DEADLINE_HOURS.get(level, 24.0) * 60
        rows.append(
            {
                "day": day,
                "alert_level": level,
                "episodes_opened": len(opened),
                "episodes_closed": len(shut),
                "ack_p50_minutes": _quantile(opened["ack_minutes"].astype(float), 0.5),
                "ack_p90_minutes": _quantile(opened["ack_minutes"].astype(float), 0.9),
                "close_p50_minutes": _quantile(shut["close_minutes"], 0.5),
                "close_p90_minutes": _quantile(shut["close_minutes"], 0.9),
                "closed_within_deadline": (
                    float((shut["close_minutes"] <= deadline_min).mean()) if len(shut) else None
                ),
                "energy_lost_mwh": float(opened["energy_lost_kwh"].fillna(0).sum()) / 1000.0,
            }
        )
    return pd.DataFrame(rows, columns=list(SLA_COLUMNS))


def write_sla(spark, frame: pd.DataFrame, table: str | None = None, paths=None):
    """Publish `frame` as gold_sla_daily (see `spark_catalog.write_outside_table`)."""
    from workloads import spark_catalog

    return spark_catalog.write_outside_table(
        spark, frame, names.GOLD_SLA, sla_schema(), table, paths
    )


def refresh_local(paths, read_episodes, store) -> bool:
    """Rewrite gold_sla_daily through the running engine; False (nothing written) if none."""
    from workloads.engine.attach import running_engine

    port = running_engine(paths)
    if port is None:
        return False
    from workloads.spark import connect_to_engine

    frame = sla_daily(read_episodes(), store.actions())
    spark = connect_to_engine(port)
    write_sla(spark, frame, paths=paths)
    log.info("notify: gold_sla_daily rewritten (%d rows)", len(frame))
    return True
