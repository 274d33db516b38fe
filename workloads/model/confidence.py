"""How sure is an evaluation figure? A bootstrap over the evaluation turbines.

The evaluation holds a few dozen turbines and about twenty episodes: event recall moves in
steps of ~5 points, so "0.905 against 0.857" may be one episode. Resampling *turbines* with
replacement (each with all its rows, episodes and alarm runs) keeps what belongs together
together: a turbine's rows are not independent, and its episodes and false alarms come
from the same alarms. For each resample every score's ROC AUC, event recall, median lead
and false-alarm rate are recomputed from per-turbine parts (no re-scoring), and the model's
difference to each baseline is taken on the same resample (paired).

Reported: the 95 % percentile interval of each figure and of each paired difference, and
the share of resamples where the model is strictly better (`p_better`), equal (`p_equal`).
Pure numpy/pandas; fixed seed, so the same evaluation gives the same intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workloads.model import evaluation as ev
from workloads.model import features

RESAMPLES = 1000
LEVEL = 0.95
FIGURES = ("roc_auc", "event_recall", "median_lead_hours", "false_alarms_per_turbine_30d")
HIGHER_IS_BETTER = {
    "roc_auc": True,
    "event_recall": True,
    "median_lead_hours": True,
    "false_alarms_per_turbine_30d": False,
}


def _parts(rows, scores, threshold, episodes, evaluated, horizon_hours, turbines):
    """Per turbine (in `turbines` order): row positions, leads of its evaluated episodes
    (0 when unwarned), its false-alarm count and its turbine-days."""
    alarm = np.asarray(scores, dtype=float) >= threshold
    _, leads = ev.first_alarms(rows, alarm, evaluated, horizon_hours)
    leads = np.nan_to_num(leads, nan=0.0)
    false = ev.false_alarm_runs(ev.alarm_runs(rows, alarm), episodes, horizon_hours)
    false_count = false["turbine_id"].value_counts() if len(false) else pd.Series(dtype=int)
    episode_turbine = evaluated["turbine_id"].to_numpy()
    row_turbine = rows["turbine_id"].to_numpy()
    return [
        (
            np.flatnonzero(row_turbine == u),
            leads[episode_turbine == u],
            int(false_count.get(u, 0)),
        )
        for u in turbines
    ]


def _figures(labels, scores, parts, draw) -> dict:
    positions = np.concatenate([parts[i][0] for i in draw])
    leads = np.concatenate([parts[i][1] for i in draw])
    false = sum(parts[i][2] for i in draw)
    days = len(positions) * features.BUCKET_SECONDS / 86400.0
    return {
        "roc_auc": ev.roc_auc(labels[positions], scores[positions]),
        "event_recall": float(np.mean(leads >= ev.MIN_LEAD_HOURS)) if leads.size else None,
        "median_lead_hours": float(np.median(leads)) if leads.size else None,
        "false_alarms_per_turbine_30d": false / days * 30.0 if days else None,
    }


def _interval(values) -> list[float] | None:
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if values.size == 0:
        return None
    tail = (1.0 - LEVEL) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return [round(float(low), 4), round(float(high), 4)]


def bootstrap(
    rows: pd.DataFrame,
    scores: dict[str, np.ndarray],
    thresholds: dict[str, float],
    episodes: pd.DataFrame,
    evaluated: pd.DataFrame,
    horizon_hours: float,
    resamples: int = RESAMPLES,
    seed: int = 0,
    model: str = "model",
) -> dict:
    """{"intervals": {score: {figure: [lo, hi]}}, "vs": {baseline: {figure: {...}}}, ...}.

    `scores` maps a name ("model", "rules", "proximity") to its scores on `rows`,
    `thresholds` each name to its operating threshold.
    """
    turbines = sorted(rows["turbine_id"].unique())
    labels = rows["label"].to_numpy()
    parts = {
        name: _parts(rows, s, thresholds[name], episodes, evaluated, horizon_hours, turbines)
        for name, s in scores.items()
    }
    arrays = {name: np.asarray(s, dtype=float) for name, s in scores.items()}
    rng = np.random.default_rng(seed)
    drawn: dict[str, list[dict]] = {name: [] for name in scores}
    for _ in range(resamples):
        draw = rng.integers(0, len(turbines), len(turbines))
        for name in scores:
            drawn[name].append(_figures(labels, arrays[name], parts[name], draw))
    intervals = {
        name: {f: _interval(d[f] for d in drawn[name]) for f in FIGURES} for name in scores
    }
    versus = {}
    for other in (n for n in scores if n != model):
        versus[other] = {}
        for f in FIGURES:
            pairs = [
                (m[f], o[f])
                for m, o in zip(drawn[model], drawn[other], strict=True)
                if m[f] is not None and o[f] is not None
            ]
            if not pairs:
                versus[other][f] = None
                continue
            difference = np.asarray([m - o for m, o in pairs])  # model minus baseline
            gain = difference if HIGHER_IS_BETTER[f] else -difference
            versus[other][f] = {
                "difference": _interval(difference),
                "p_better": round(float(np.mean(gain > 0)), 4),
                "p_equal": round(float(np.mean(gain == 0)), 4),
            }
    return {
        "resamples": resamples,
        "level": LEVEL,
        "unit": "evaluation turbines",
        "turbines": len(turbines),
        "episodes": len(evaluated),
        "intervals": intervals,
        "vs": versus,
    }


def format_confidence(found: dict, model: str = "model") -> str:
    """Lines for the train output: each figure's interval and the model's paired edge."""
    lines = [
        f"{int(found['level'] * 100)} % bootstrap intervals ({found['resamples']} resamples "
        f"of {found['turbines']} evaluation turbines, {found['episodes']} episodes):"
    ]
    for f in FIGURES:
        cells = []
        for name, figures in found["intervals"].items():
            bounds = figures[f]
            cells.append(
                f"{name} " + ("—" if bounds is None else f"[{bounds[0]:.3f}, {bounds[1]:.3f}]")
            )
        lines.append(f"  {f:30} " + "  ".join(cells))
    for other, figures in found["vs"].items():
        for f, edge in figures.items():
            if edge is None:
                continue
            lo, hi = edge["difference"]
            lines.append(
                f"  {model} - {other} {f}: [{lo:+.3f}, {hi:+.3f}], better in "
                f"{edge['p_better']:.0%} of resamples, equal in {edge['p_equal']:.0%}"
            )
    return "\n".join(lines)
