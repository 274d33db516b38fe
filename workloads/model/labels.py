"""Labels: will turbine u start a WARNING/CRITICAL episode within the horizon after t?

Pure pandas/numpy (no Spark), so the definitions are unit-tested on hand-built histories:

- label(u, t) = 1 when an episode of u starts in (t, t + horizon]: one starting exactly at
  t + horizon counts, one starting at t does not (it is already open at t);
- in_fault(u, t): u has an episode open at t (started_at <= t and t <= ended_at, or not
  ended yet). Those rows are left out of training and evaluation: predicting a fault that
  is already reported is no warning.

Only WARNING and CRITICAL episodes count; LOW_POWER_OUTPUT (INFO) is not a fault to predict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workloads.contract import MAINTENANCE_LEVELS

DEFAULT_HORIZON_HOURS = 24.0


def alarm_episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """The episodes the model predicts: WARNING/CRITICAL, not LOW_POWER_OUTPUT."""
    keep = episodes["alert_level"].isin(MAINTENANCE_LEVELS) & (
        episodes["fault_code"] != "LOW_POWER_OUTPUT"
    )
    return episodes[keep]


def label_points(
    points: pd.DataFrame, episodes: pd.DataFrame, horizon_hours: float = DEFAULT_HORIZON_HOURS
) -> pd.DataFrame:
    """`points` (turbine_id, t) with `label` (0/1), `in_fault` (bool) and `next_start`."""
    wanted = alarm_episodes(episodes)
    horizon = pd.Timedelta(hours=float(horizon_hours))
    out = points[["turbine_id", "t"]].copy()
    label = np.zeros(len(out), dtype=np.int8)
    in_fault = np.zeros(len(out), dtype=bool)
    next_start = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    by_turbine = {u: g for u, g in wanted.groupby("turbine_id")}
    for turbine, idx in out.groupby("turbine_id").indices.items():
        mine = by_turbine.get(turbine)
        if mine is None:
            continue
        t = out["t"].iloc[idx].to_numpy(dtype="datetime64[ns]")
        starts = np.sort(mine["started_at"].to_numpy(dtype="datetime64[ns]"))
        # First start strictly after t.
        pos = np.searchsorted(starts, t, side="right")
        has_next = pos < len(starts)
        following = np.where(
            has_next, starts[np.minimum(pos, len(starts) - 1)], np.datetime64("NaT")
        )
        label[idx] = has_next & (following - t <= horizon.to_timedelta64())
        next_start.iloc[idx] = pd.to_datetime(following, utc=True)
        in_fault[idx] = _open_at(t, mine)
    out["label"] = label
    out["in_fault"] = in_fault
    out["next_start"] = next_start
    return out


def _open_at(t: np.ndarray, episodes: pd.DataFrame) -> np.ndarray:
    """For each instant, whether one of these episodes (of one turbine) is open then."""
    started = episodes["started_at"].to_numpy(dtype="datetime64[ns]")
    ended = episodes["ended_at"].to_numpy(dtype="datetime64[ns]")
    ended = np.where(np.isnat(ended), np.datetime64("2262-01-01", "ns"), ended)
    # Episodes are few per turbine: an instants x episodes comparison is cheap and obvious.
    return ((started[None, :] <= t[:, None]) & (t[:, None] <= ended[None, :])).any(axis=1)
