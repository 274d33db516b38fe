"""How good is a risk score? Metrics, the two baselines, the operating threshold, and the
evaluation replay file (`evaluation.json`) that `windmill simulate` reads.

Pure numpy/pandas. Every score is judged on the same rows: evaluation turbines, after the
split instant, not already in fault. Two kinds of figure:

- per row (is an episode starting within the horizon?): ROC AUC, PR AUC (average
  precision), Brier score, precision of each day's top-10 list (the 00:00 snapshot);
- per episode and per alarm run, at the operating threshold (an *alarm* is a row whose
  score reaches it): an episode's first alarm is the earliest alarm in the horizon before
  it starts; **event recall** is the share of episodes whose first alarm is at least
  `MIN_LEAD_HOURS` before the start; **median lead** is over every evaluated episode, an
  unwarned one counting 0 h (the rules fire at the start); an *alarm episode* is a run of
  alarm rows of one turbine, ending once `ALARM_GAP_HOURS` pass without an alarm (as a fault
  episode ends after a gap), and a **false alarm** is one with no episode of its turbine
  starting from its first row to `horizon` after its last, counted per turbine per 30 days
  of evaluated exposure.

Episodes evaluated: those of evaluation turbines starting at least `horizon` after the split
(their whole run-up is in the evaluation window) and within the history.

Baselines: `rules` (score 1 when the latest reading is WARNING/CRITICAL: what the system
does today, so on rows not already in fault it never fires) and `proximity` (score rises as any watched signal's worst value of
the last hour comes within `PROXIMITY_MARGIN` of its threshold; alarm inside the margin).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from workloads.errors import WindmillError
from workloads.model import features

MIN_LEAD_HOURS = 1.0
ALARM_GAP_HOURS = 3.0  # an alarm episode ends after this long without an alarm
PROXIMITY_MARGIN = 0.10  # relative distance to a threshold at which the heuristic fires
FALSE_ALARM_BUDGET = 0.5  # per turbine per 30 days when choosing the threshold (target: 1)
TOP_N = 10
METRICS = (
    "roc_auc",
    "pr_auc",
    "event_recall",
    "median_lead_hours",
    "false_alarms_per_turbine_30d",
    "top10_precision",
    "brier",
)


# Row metrics -------------------------------------------------------------------------------


def roc_auc(labels, scores) -> float | None:
    """Mann-Whitney ROC AUC (ties count half); None without both classes."""
    from scipy.stats import rankdata

    y, s = np.asarray(labels, dtype=bool), np.asarray(scores, dtype=float)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(s)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def pr_auc(labels, scores) -> float | None:
    """Average precision over distinct score thresholds; None without a positive."""
    y, s = np.asarray(labels, dtype=bool), np.asarray(scores, dtype=float)
    if y.sum() == 0:
        return None
    order = np.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True]
    hits = np.cumsum(y)[last_of_tie]
    seen = (np.arange(len(y)) + 1)[last_of_tie]
    recall = hits / y.sum()
    precision = hits / seen
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def brier(labels, scores) -> float:
    return float(np.mean((np.asarray(scores, dtype=float) - np.asarray(labels, dtype=float)) ** 2))


def top_n_precision(rows: pd.DataFrame, score: str, n: int = TOP_N) -> float | None:
    """Mean over days of the share of each day's n highest scores (00:00) that are positive."""
    daily = rows[(rows["t"].dt.hour == 0) & (rows["t"].dt.minute == 0)]
    shares = []
    for _, day in daily.groupby("t"):
        top = day.sort_values([score, "turbine_id"], ascending=[False, True]).head(n)
        shares.append(float(top["label"].mean()))
    return float(np.mean(shares)) if shares else None


# Event metrics -----------------------------------------------------------------------------


def evaluated_episodes(episodes: pd.DataFrame, turbines, start, end, horizon_hours) -> pd.DataFrame:
    """Episodes of `turbines` starting in [start + horizon, end] (whole run-up observed)."""
    from workloads.model.labels import alarm_episodes

    chosen = alarm_episodes(episodes)
    horizon = pd.Timedelta(hours=float(horizon_hours))
    keep = (
        chosen["turbine_id"].isin(list(turbines))
        & (chosen["started_at"] >= start + horizon)
        & (chosen["started_at"] <= end)
    )
    return chosen[keep].sort_values(["turbine_id", "started_at"]).reset_index(drop=True)


def first_alarms(rows: pd.DataFrame, alarm: np.ndarray, episodes: pd.DataFrame, horizon_hours):
    """Per episode: (first_alarm_at or NaT, lead hours or NaN)."""
    horizon = pd.Timedelta(hours=float(horizon_hours))
    alarmed = rows.loc[alarm, ["turbine_id", "t"]]
    by_turbine = {
        u: g["t"].to_numpy(dtype="datetime64[ns]") for u, g in alarmed.groupby("turbine_id")
    }
    firsts, leads = [], []
    for turbine, start in zip(episodes["turbine_id"], episodes["started_at"], strict=True):
        times = by_turbine.get(turbine, np.array([], dtype="datetime64[ns]"))
        s = start.to_datetime64()
        inside = times[(times >= s - horizon.to_timedelta64()) & (times < s)]
        if inside.size:
            first = pd.Timestamp(inside.min(), tz="UTC")
            firsts.append(first)
            leads.append((start - first) / pd.Timedelta(hours=1))
        else:
            firsts.append(pd.NaT)
            leads.append(np.nan)
    return firsts, np.asarray(leads, dtype=float)


def alarm_runs(rows: pd.DataFrame, alarm: np.ndarray) -> pd.DataFrame:
    """Alarm episodes per turbine (rows at most ALARM_GAP_HOURS apart): turbine_id, start, end."""
    frame = rows.loc[alarm, ["turbine_id", "t"]].sort_values(["turbine_id", "t"])
    if frame.empty:
        return pd.DataFrame({"turbine_id": [], "start": [], "end": []})
    step = pd.Timedelta(hours=ALARM_GAP_HOURS)
    new = (frame["turbine_id"] != frame["turbine_id"].shift()) | (
        frame["t"] - frame["t"].shift() > step
    )
    run = new.cumsum()
    grouped = frame.groupby(run)
    return pd.DataFrame(
        {
            "turbine_id": grouped["turbine_id"].first(),
            "start": grouped["t"].min(),
            "end": grouped["t"].max(),
        }
    ).reset_index(drop=True)


def false_alarm_runs(runs: pd.DataFrame, episodes: pd.DataFrame, horizon_hours) -> pd.DataFrame:
    """The runs no episode of their turbine follows: none starts in [start, end + horizon]."""
    from workloads.model.labels import alarm_episodes

    if runs.empty:
        return runs
    horizon = pd.Timedelta(hours=float(horizon_hours))
    starts = alarm_episodes(episodes)[["turbine_id", "started_at"]].sort_values("started_at")
    ordered = runs.sort_values("start").reset_index(drop=True)
    # The first episode starting at or after each run's first alarm.
    following = pd.merge_asof(
        ordered,
        starts.rename(columns={"started_at": "start"}).assign(_next=lambda f: f["start"]),
        on="start",
        by="turbine_id",
        direction="forward",
    )
    false = following["_next"].isna() | (following["_next"] > following["end"] + horizon)
    return ordered[false.to_numpy()].sort_values(["turbine_id", "start"]).reset_index(drop=True)


def event_metrics(rows, alarm, episodes, evaluated, horizon_hours) -> dict:
    """event_recall, median_lead_hours, false_alarms_per_turbine_30d (+ the raw parts)."""
    _, leads = first_alarms(rows, alarm, evaluated, horizon_hours)
    warned = np.nan_to_num(leads, nan=0.0)
    false = false_alarm_runs(alarm_runs(rows, alarm), episodes, horizon_hours)
    turbine_days = len(rows) * features.BUCKET_SECONDS / 86400.0
    return {
        "event_recall": float(np.mean(warned >= MIN_LEAD_HOURS)) if len(warned) else None,
        "median_lead_hours": float(np.median(warned)) if len(warned) else None,
        "false_alarms_per_turbine_30d": (len(false) / turbine_days * 30.0)
        if turbine_days
        else None,
    }


def choose_threshold(rows, scores, episodes, evaluated, horizon_hours, budget=FALSE_ALARM_BUDGET):
    """The threshold with the best event recall whose false-alarm rate stays within `budget`
    (ties: fewer false alarms, then the higher threshold). `rows`, `scores`: training-turbine
    rows and their out-of-fold scores, so the choice is not fitted to the evaluation."""
    scores = np.asarray(scores, dtype=float)
    candidates = np.unique(np.round(np.quantile(scores, np.linspace(0.5, 0.999, 120)), 4))
    best, best_key = 0.5, None
    for threshold in candidates:
        found = event_metrics(rows, scores >= threshold, episodes, evaluated, horizon_hours)
        rate = found["false_alarms_per_turbine_30d"] or 0.0
        if rate > budget:
            continue
        key = (found["event_recall"] or 0.0, -rate, threshold)
        if best_key is None or key > best_key:
            best, best_key = float(threshold), key
    return best


# Baselines ---------------------------------------------------------------------------------


def rules_score(rows: pd.DataFrame) -> np.ndarray:
    """1 when the latest reading is WARNING/CRITICAL (today's alerting: a fault is present)."""
    return (rows[features.FAULT_NOW].to_numpy() > 0).astype(float)


def proximity_score(rows: pd.DataFrame, margin: float = PROXIMITY_MARGIN) -> np.ndarray:
    """Closeness of the nearest threshold: 1 at it, 0.5 at `margin`, 0 at twice the margin."""
    columns = [features.distance_name(r) for r in features.WATCHED_RULES]
    nearest = rows[columns].to_numpy(dtype=float)
    nearest = np.nanmin(np.where(np.isnan(nearest), np.inf, nearest), axis=1)
    return np.clip(1.0 - nearest / (2.0 * margin), 0.0, 1.0)


BASELINE_THRESHOLD = 0.5  # both baselines alarm at 0.5 (a fault present; inside the margin)


def score_metrics(rows, scores, threshold, episodes, evaluated, horizon_hours) -> dict:
    """Every figure in METRICS for one score on the evaluation rows."""
    scores = np.asarray(scores, dtype=float)
    labels = rows["label"].to_numpy()
    found = {
        "roc_auc": roc_auc(labels, scores),
        "pr_auc": pr_auc(labels, scores),
        "brier": brier(labels, scores),
        "top10_precision": top_n_precision(rows.assign(_score=scores), "_score"),
    }
    found.update(event_metrics(rows, scores >= threshold, episodes, evaluated, horizon_hours))
    return {name: found[name] for name in METRICS}


def meets_targets(metrics: dict, baselines: dict) -> dict[str, bool]:
    """The issue's targets, each also better than both baselines."""

    def better(name, higher=True):
        mine = metrics.get(name)
        if mine is None:
            return False
        others = [b.get(name) for b in baselines.values()]
        return all(o is None or (mine > o if higher else mine < o) for o in others)

    return {
        "roc_auc>=0.95": (metrics["roc_auc"] or 0) >= 0.95 and better("roc_auc"),
        "event_recall>=0.90": (metrics["event_recall"] or 0) >= 0.90 and better("event_recall"),
        "false_alarms<=1": (metrics["false_alarms_per_turbine_30d"] or 0) <= 1.0,
        "median_lead>=12h": (metrics["median_lead_hours"] or 0) >= 12.0
        and better("median_lead_hours"),
    }


# The replay file -----------------------------------------------------------------------------

REQUIRED = {
    "model_version": str,
    "threshold": (int, float),
    "horizon_hours": (int, float),
    "evaluation_turbines": list,
    "evaluation_start": str,
    "evaluation_end": str,
    "episodes": list,
    "false_alarms": list,
    "turbine_days": (int, float),
    "metrics": dict,
    "baselines": dict,
}


def _iso(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def replay(rows, alarm, episodes, evaluated, horizon_hours) -> dict:
    """The per-episode first alarms and the false-alarm runs (the replay file's lists)."""
    firsts, leads = first_alarms(rows, alarm, evaluated, horizon_hours)
    false = false_alarm_runs(alarm_runs(rows, alarm), episodes, horizon_hours)
    return {
        "episodes": [
            {
                "turbine_id": e.turbine_id,
                "fault_code": e.fault_code,
                "alert_level": e.alert_level,
                "started_at": _iso(e.started_at),
                "first_alarm_at": _iso(first),
                "lead_hours": None if np.isnan(lead) else round(float(lead), 3),
            }
            for e, first, lead in zip(evaluated.itertuples(index=False), firsts, leads, strict=True)
        ],
        "false_alarms": [
            {"turbine_id": r.turbine_id, "at": _iso(r.start)} for r in false.itertuples()
        ],
        "turbine_days": len(rows) * features.BUCKET_SECONDS / 86400.0,
    }


def write_evaluation(path: Path, evaluation: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(evaluation, indent=2, default=_iso))
    tmp.replace(path)


def load_evaluation(path) -> dict:
    """The evaluation replay file, validated; one clear WindmillError when missing or corrupt."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise WindmillError(f"No model evaluation at {path}: run `windmill train` first.") from None
    except (OSError, ValueError) as exc:
        raise WindmillError(
            f"The model evaluation {path} is unreadable ({exc}); run `windmill train` again."
        ) from None
    if not isinstance(data, dict):
        raise WindmillError(
            f"The model evaluation {path} is not a JSON object; run `windmill train` again."
        )
    for key, kind in REQUIRED.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise WindmillError(
                f"The model evaluation {path} lacks a valid {key!r}; run `windmill train` again."
            )
    for episode in data["episodes"]:
        if not isinstance(episode, dict) or not {
            "turbine_id",
            "started_at",
            "first_alarm_at",
            "lead_hours",
        } <= set(episode):
            raise WindmillError(
                f"The model evaluation {path} has a malformed episode; run `windmill train` again."
            )
    return data
