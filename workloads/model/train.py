"""`windmill train`: features (Spark) -> labels -> split -> LightGBM -> threshold -> evaluation.

1. Feature rows, one per turbine per hour (`features.feature_frame`), and the fault episodes
   (`episodes.fault_episodes`), both from silver at or before `--until`.
2. Labels and the in-fault flag (`labels.label_points`); in-fault rows are dropped.
3. The split by time and by turbine (`split.make_split`).
4. Cross-validation on the training turbines (three folds by turbine): each PARAM_GRID
   candidate's out-of-fold ROC AUC picks the LightGBM settings, and the winner's
   out-of-fold scores pick the operating threshold, so both are chosen on data the scoring
   model did not fit and the evaluation turbines never see; then the final model on all
   training rows.
5. The evaluation on the evaluation turbines against both baselines (`evaluation`) with
   bootstrap intervals (`confidence`), the model folder (`bundle`) and the MLflow run
   (`tracking`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from workloads.errors import WindmillError
from workloads.model import confidence, features, labels, split
from workloads.model import evaluation as ev

log = logging.getLogger(__name__)

MIN_POSITIVE_ROWS = 20  # fewer positive training rows: not enough history to learn from
FOLDS = 3
# LightGBM settings tried by cross-validation on the training turbines (tree size against
# leaf size: deeper trees need more rows per leaf to stay smooth across turbines).
PARAM_GRID: tuple[dict, ...] = (
    {"num_leaves": 7, "min_data_in_leaf": 80},
    {"num_leaves": 15, "min_data_in_leaf": 40},
    {"num_leaves": 31, "min_data_in_leaf": 20},
)


@dataclass(frozen=True)
class TrainConfig:
    horizon_hours: float = labels.DEFAULT_HORIZON_HOURS
    until: str | None = None
    eval_fraction: float = 0.4
    time_fraction: float = split.DEFAULT_TIME_FRACTION
    seed: int = 0
    rounds: int = 200
    gap_minutes: float = 30.0
    grid: tuple[dict, ...] = PARAM_GRID


def lightgbm_params(seed: int) -> dict:
    """Small, regularised trees; deterministic so the same data gives the same model."""
    return {
        "objective": "binary",
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 40,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,  # OpenMP threads spin on a busy machine: one is faster there
        "verbose": -1,
    }


def build_rows(silver, config: TrainConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(labelled feature rows without in-fault rows, episodes) as pandas."""
    from workloads.model import episodes as episodes_mod

    started = time.monotonic()
    rows = features.to_pandas(features.feature_frame(silver, until=config.until))
    log.info("features: %d rows in %.1f s", len(rows), time.monotonic() - started)
    episodes = episodes_mod.to_pandas(
        episodes_mod.fault_episodes(silver, config.gap_minutes, as_of=config.until)
    )
    log.info("episodes: %d (%.1f s)", len(episodes), time.monotonic() - started)
    labelled = labels.label_points(rows, episodes, config.horizon_hours)
    log.info("labels (%.1f s)", time.monotonic() - started)
    rows = rows.assign(label=labelled["label"].to_numpy(), in_fault=labelled["in_fault"].to_numpy())
    return rows[~rows["in_fault"]].reset_index(drop=True), episodes


def fit(rows: pd.DataFrame, params: dict, rounds: int):
    import lightgbm

    data = lightgbm.Dataset(
        rows[list(features.FEATURE_NAMES)], label=rows["label"], free_raw_data=False
    )
    return lightgbm.train(params, data, num_boost_round=rounds)


def out_of_fold_scores(rows: pd.DataFrame, params: dict, rounds: int, seed: int) -> np.ndarray:
    """Each training turbine scored by a model fitted on the other folds' turbines."""
    turbines = sorted(
        rows["turbine_id"].unique(),
        key=lambda u: hashlib.sha256(f"{seed}:{u}".encode()).hexdigest(),
    )
    fold_of = {u: i % FOLDS for i, u in enumerate(turbines)}
    fold = rows["turbine_id"].map(fold_of).to_numpy()
    scores = np.zeros(len(rows))
    for k in range(FOLDS):
        held = fold == k
        if held.all() or not rows.loc[~held, "label"].any():
            continue
        model = fit(rows[~held], params, rounds)
        scores[held] = model.predict(rows.loc[held, list(features.FEATURE_NAMES)])
    return scores


def cross_validate(rows: pd.DataFrame, config: TrainConfig) -> tuple[dict, np.ndarray, list]:
    """(chosen LightGBM parameters, their out-of-fold scores, every candidate's OOF ROC AUC).

    Each candidate of PARAM_GRID is scored out of fold on the *training* turbines only
    (folds by turbine, as the evaluation is); the best ROC AUC wins (ties: the earlier,
    smaller candidate). The evaluation turbines never take part in the choice.
    """
    base = lightgbm_params(config.seed)
    best = None
    tried = []
    for candidate in config.grid:
        params = {**base, **candidate}
        scores = out_of_fold_scores(rows, params, config.rounds, config.seed)
        auc = ev.roc_auc(rows["label"], scores)
        tried.append({**candidate, "oof_roc_auc": None if auc is None else round(auc, 4)})
        if best is None or (auc or 0.0) > best[0]:
            best = (auc or 0.0, params, scores)
    return best[1], best[2], tried


@dataclass(frozen=True)
class TrainResult:
    booster: object
    meta: dict
    evaluation: dict


def train(silver, config: TrainConfig) -> TrainResult:
    """Train and evaluate on silver; raises WindmillError when the history is too short."""
    rows, episodes = build_rows(silver, config)
    if rows.empty:
        raise WindmillError("No silver readings to train on: run `windmill pipeline run` first.")
    data_end = rows["t"].max()
    parts = split.make_split(
        rows,
        config.horizon_hours,
        config.eval_fraction,
        config.time_fraction,
        config.seed,
        data_end,
    )
    train_rows = rows[parts.train_mask(rows)].reset_index(drop=True)
    eval_rows = rows[parts.eval_mask(rows)].reset_index(drop=True)
    positives = int(train_rows["label"].sum())
    if positives < MIN_POSITIVE_ROWS or eval_rows.empty or not eval_rows["label"].any():
        hours = (data_end - rows["t"].min()) / pd.Timedelta(hours=1)
        raise WindmillError(
            f"Not enough history to train: {hours:.0f} h of readings give {positives} positive "
            f"training rows (need {MIN_POSITIVE_ROWS}) and {int(eval_rows['label'].sum())} "
            "positive evaluation rows; generate a longer backfill (e.g. --backfill-hours 336)."
        )
    train_start = rows["t"].min()
    train_episodes = ev.evaluated_episodes(
        episodes, parts.train_turbines, train_start, parts.train_until, config.horizon_hours
    )
    started = time.monotonic()
    params, oof, tried = cross_validate(train_rows, config)
    log.info("cross-validation %s (%.1f s)", tried, time.monotonic() - started)
    threshold = ev.choose_threshold(train_rows, oof, episodes, train_episodes, config.horizon_hours)
    log.info("threshold %.4f (%.1f s)", threshold, time.monotonic() - started)
    booster = fit(train_rows, params, config.rounds)

    X_eval = eval_rows[list(features.FEATURE_NAMES)]
    scores = booster.predict(X_eval)
    evaluated = ev.evaluated_episodes(
        episodes, parts.eval_turbines, parts.split_at, parts.eval_until, config.horizon_hours
    )
    metrics = ev.score_metrics(
        eval_rows, scores, threshold, episodes, evaluated, config.horizon_hours
    )
    baseline_scores = {
        "rules": ev.rules_score(eval_rows),
        "proximity": ev.proximity_score(eval_rows),
    }
    baselines = {
        name: ev.score_metrics(
            eval_rows, s, ev.BASELINE_THRESHOLD, episodes, evaluated, config.horizon_hours
        )
        for name, s in baseline_scores.items()
    }
    sureness = confidence.bootstrap(
        eval_rows,
        {"model": scores, **baseline_scores},
        {"model": threshold, **dict.fromkeys(baseline_scores, ev.BASELINE_THRESHOLD)},
        episodes,
        evaluated,
        config.horizon_hours,
        seed=config.seed,
    )
    trained_at = datetime.now(UTC).replace(microsecond=0)
    digest = hashlib.sha256(booster.model_to_string().encode()).hexdigest()[:8]
    version = f"{trained_at:%Y%m%dT%H%M%SZ}-{digest}"
    history = {
        "history_start": rows["t"].min().isoformat(),
        "history_end": data_end.isoformat(),
        "turbines": int(rows["turbine_id"].nunique()),
        "train_rows": len(train_rows),
        "eval_rows": len(eval_rows),
        "train_positive_rows": positives,
        "eval_episodes": len(evaluated),
    }
    meta = {
        "model_version": version,
        "trained_at": trained_at.isoformat(),
        "threshold": threshold,
        "horizon_hours": config.horizon_hours,
        "features": list(features.FEATURE_NAMES),
        "config": asdict(config),
        "lightgbm_params": params,
        "cross_validation": tried,
        "split": {
            "split_at": parts.split_at.isoformat(),
            "train_until": parts.train_until.isoformat(),
            "eval_until": parts.eval_until.isoformat(),
            "train_turbines": len(parts.train_turbines),
            "eval_turbines": len(parts.eval_turbines),
        },
        "history": history,
        "metrics": metrics,
        "baselines": baselines,
        "confidence": sureness,
        "targets": ev.meets_targets(metrics, baselines),
    }
    evaluation = {
        "model_version": version,
        "threshold": threshold,
        "horizon_hours": config.horizon_hours,
        "evaluation_turbines": list(parts.eval_turbines),
        "evaluation_start": parts.split_at.isoformat(),
        "evaluation_end": parts.eval_until.isoformat(),
        **ev.replay(eval_rows, scores >= threshold, episodes, evaluated, config.horizon_hours),
        "metrics": metrics,
        "baselines": baselines,
        "history": history,
    }
    return TrainResult(booster, meta, evaluation)


def format_table(metrics: dict, baselines: dict) -> str:
    """The evaluation table: one row per metric, the model next to both baselines."""

    def cell(value):
        return "—" if value is None else f"{value:.3f}"

    lines = [f"{'metric':32} {'model':>8} {'rules':>8} {'proximity':>10}"]
    for name in ev.METRICS:
        lines.append(
            f"{name:32} {cell(metrics.get(name)):>8} {cell(baselines['rules'].get(name)):>8} "
            f"{cell(baselines['proximity'].get(name)):>10}"
        )
    return "\n".join(lines)
