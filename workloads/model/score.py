"""`windmill score`: one risk row per turbine at `--as-of`, written to gold_turbine_risk.

Only silver readings at or before `as_of` are read (default: the latest reading), and the
feature buckets are anchored on `as_of` itself, so the same `--as-of` and model give the
same rows whenever they are scored. `top_signals` are the three features pushing this
turbine's risk up the most, from LightGBM's own per-feature contributions (`pred_contrib`,
in log-odds), with the feature's value. A turbine that reported before `as_of` but not in
its last hour has no features: it is listed with risk null ("unknown", never a made-up 0).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from workloads.model import features
from workloads.model.bundle import Bundle

RISK_SCHEMA: tuple[tuple[str, str], ...] = (
    ("turbine_id", "string"),
    ("as_of", "timestamp"),
    ("risk", "double"),
    ("horizon_hours", "double"),
    ("top_signals", "string"),
    ("model_version", "string"),
    ("threshold", "double"),
    ("in_fault", "boolean"),
)
RISK_COLUMNS = tuple(name for name, _ in RISK_SCHEMA)
RISK_DDL = ", ".join(f"{name} {kind}" for name, kind in RISK_SCHEMA)
TOP_SIGNALS = 3


def latest_reading(silver) -> pd.Timestamp | None:
    from pyspark.sql import functions as F

    value = silver.agg(F.max("timestamp").alias("m")).collect()[0]["m"]
    return (
        None
        if value is None
        else pd.Timestamp(value, tz="UTC")
        if pd.Timestamp(value).tz is None
        else pd.Timestamp(value)
    )


def top_signals(contributions: np.ndarray, values: pd.DataFrame, names: list[str]) -> list[str]:
    """Per row, the JSON list of the TOP_SIGNALS largest contributions (bias column dropped)."""
    out = []
    for row, contrib in enumerate(contributions[:, : len(names)]):
        best = np.argsort(-contrib, kind="stable")[:TOP_SIGNALS]
        items = []
        for i in best:
            value = values.iat[row, i]
            items.append(
                {
                    "feature": names[i],
                    "value": None if pd.isna(value) else round(float(value), 4),
                    "contribution": round(float(contrib[i]), 4),
                }
            )
        out.append(json.dumps(items))
    return out


def risk_rows(
    silver, model: Bundle, as_of: pd.Timestamp, gap_minutes: float = 30.0
) -> pd.DataFrame:
    """The score table's rows (pandas, RISK_COLUMNS) for every turbine seen by `as_of`."""
    from pyspark.sql import functions as F

    from workloads.model import episodes as episodes_mod

    # Feature rows stand at whole seconds (the bucket anchor): a sub-second as-of (a reading's
    # own time, the default) would match none of them and leave every risk null.
    as_of = pd.Timestamp(as_of).floor("s")
    iso = as_of.isoformat()
    anchor = int(as_of.timestamp())
    seen = silver.filter(F.col("timestamp") <= F.lit(iso).cast("timestamp"))
    turbines = sorted(r["turbine_id"] for r in seen.select("turbine_id").distinct().collect())
    rows = features.feature_frame(silver, anchor_s=anchor, until=iso)
    rows = features.to_pandas(rows.filter(F.col("t") == F.lit(iso).cast("timestamp")))
    names = model.feature_names
    risk = pd.Series(np.nan, index=turbines, dtype=float)
    signals = pd.Series("[]", index=turbines, dtype=object)
    if not rows.empty:
        X = rows[names]
        risk.loc[rows["turbine_id"]] = model.booster.predict(X)
        signals.loc[rows["turbine_id"]] = top_signals(
            model.booster.predict(X, pred_contrib=True), X, names
        )
    open_faults = episodes_mod.to_pandas(
        episodes_mod.fault_episodes(silver, gap_minutes, as_of=iso)
    )
    from workloads.model.labels import alarm_episodes

    open_faults = alarm_episodes(open_faults)
    in_fault = set(open_faults.loc[open_faults["ended_at"].isna(), "turbine_id"])
    return pd.DataFrame(
        {
            "turbine_id": turbines,
            "as_of": as_of,
            "risk": risk.to_numpy(),
            "horizon_hours": model.horizon_hours,
            "top_signals": signals.to_numpy(),
            "model_version": model.version,
            "threshold": model.threshold,
            "in_fault": [u in in_fault for u in turbines],
        },
        columns=list(RISK_COLUMNS),
    )
