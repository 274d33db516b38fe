"""The train/evaluation split: by time AND by turbine, so evaluation is a fair forecast.

Evaluation turbines are never seen in training (chosen by a seeded hash of the turbine id,
so the choice is stable as the fleet grows), and evaluation instants all come after every
training label: a training row at t reads episodes up to t + horizon, so training rows stop
`horizon` before the split instant and evaluation rows start after it. The public demo this
replaces split rows at random, leaking every turbine's own future into its test set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd

DEFAULT_EVAL_FRACTION = 0.3  # of the turbines
DEFAULT_TIME_FRACTION = 0.5  # of the history before the split instant


@dataclass(frozen=True)
class Split:
    train_turbines: tuple[str, ...]
    eval_turbines: tuple[str, ...]
    split_at: pd.Timestamp  # evaluation rows have t > split_at
    train_until: pd.Timestamp  # training rows have t <= split_at - horizon
    eval_until: pd.Timestamp  # evaluation rows have t <= the last label fully known

    def train_mask(self, rows: pd.DataFrame) -> pd.Series:
        return rows["turbine_id"].isin(self.train_turbines) & (rows["t"] <= self.train_until)

    def eval_mask(self, rows: pd.DataFrame) -> pd.Series:
        return (
            rows["turbine_id"].isin(self.eval_turbines)
            & (rows["t"] > self.split_at)
            & (rows["t"] <= self.eval_until)
        )


def _rank(turbine: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{turbine}".encode()).hexdigest()


def split_turbines(
    turbines, eval_fraction: float, seed: int = 0
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(train, eval) turbine ids; at least one of each when there are two or more."""
    ordered = sorted(set(turbines), key=lambda u: _rank(u, seed))
    n_eval = min(max(1, round(len(ordered) * eval_fraction)), len(ordered) - 1)
    return tuple(sorted(ordered[n_eval:])), tuple(sorted(ordered[:n_eval]))


def make_split(
    rows: pd.DataFrame,
    horizon_hours: float,
    eval_fraction: float = DEFAULT_EVAL_FRACTION,
    time_fraction: float = DEFAULT_TIME_FRACTION,
    seed: int = 0,
    data_end: pd.Timestamp | None = None,
) -> Split:
    """The split of feature rows (turbine_id, t). `data_end` (default: the last t) bounds the
    evaluation instants to those whose horizon lies inside the history (complete labels)."""
    start, end = rows["t"].min(), rows["t"].max()
    data_end = end if data_end is None else data_end
    horizon = pd.Timedelta(hours=float(horizon_hours))
    split_at = (start + (end - start) * time_fraction).ceil("h")
    train, evaluate = split_turbines(rows["turbine_id"].unique(), eval_fraction, seed)
    return Split(train, evaluate, split_at, split_at - horizon, data_end - horizon)
