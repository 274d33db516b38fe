"""The failure-risk model on the shared local engine: leakage, a small fleet's quality, and
reproducible scoring.

Silver comes straight from the generator's physics (`physics.simulate`, the same pure
function the dbldatagen backfill calls per reading), so a fixed-seed fleet costs no
classic-Spark subprocess: 24 turbines x 14 days every 15 minutes.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workloads import contract, storage
from workloads.generator import physics
from workloads.model import bundle, features
from workloads.model.score import RISK_COLUMNS, RISK_DDL, risk_rows
from workloads.model.train import TrainConfig, train

START = pd.Timestamp("2026-01-05T00:00:00Z")
SEED = 7
# The stated bound for this small fleet (seed 7: ROC AUC 0.73 measured; the full
# 100-turbine, 14-day figures come from benchmarks/model_quality.py): a guard against a
# broken pipeline of features, labels and split, not the quality target. Rules score 0.5.
MIN_SMALL_FLEET_AUC = 0.70


def silver_frame(turbines: int, days: float, step_minutes: float = 15.0, seed: int = SEED):
    steps = int(days * 24 * 60 / step_minutes)
    number = np.repeat(np.arange(1, turbines + 1), steps)
    ts_ms = int(START.timestamp() * 1000) + np.tile(np.arange(steps), turbines) * int(
        step_minutes * 60_000
    )
    values = physics.simulate(seed, number, ts_ms)
    columns = (*contract.SENSOR_COLUMNS, "latitude", "longitude")
    frame = pd.DataFrame({name: values[name] for name in columns})
    frame.insert(0, "turbine_id", [contract.turbine_id(int(n)) for n in number])
    frame.insert(1, "timestamp", pd.to_datetime(ts_ms, unit="ms", utc=True))
    codes = np.array([*contract.FAULT_CODES, None], dtype=object)
    frame["fault_code"] = codes[values["fault_index"]]
    frame["alert_level"] = np.array(contract.ALERT_LEVELS, dtype=object)[values["alert_index"]]
    frame["reading_date"] = frame["timestamp"].dt.date
    return frame


def to_spark(spark, frame):
    return spark.createDataFrame(frame)


@pytest.fixture(scope="module")
def fleet(spark):
    return to_spark(spark, silver_frame(turbines=24, days=14))


@pytest.fixture(scope="module")
def trained(fleet):
    return train(fleet, TrainConfig(rounds=120, eval_fraction=0.4))


def test_features_at_t_never_read_a_later_row(spark):
    frame = silver_frame(turbines=3, days=4)
    cut = START + pd.Timedelta(hours=61)
    later = frame["timestamp"] > cut
    changed = frame.copy()
    for column in (
        "gearbox_temperature",
        "vibration_level",
        "oil_pressure",
        "tower_lean",
        "power_output",
    ):
        changed.loc[later, column] = changed.loc[later, column] * 1.7 + 5.0
    changed.loc[later, "fault_code"] = "GEARBOX_OVERHEAT"
    changed.loc[later, "alert_level"] = "CRITICAL"

    def at_or_before(source, anchor_s):
        rows = features.to_pandas(
            features.feature_frame(to_spark(spark, source), anchor_s=anchor_s)
        )
        return rows[rows["t"] <= cut].reset_index(drop=True)

    for anchor in (
        0,
        int((cut - pd.Timedelta(minutes=20)).timestamp()),
    ):  # hourly and as-of anchors
        before, after = at_or_before(frame, anchor), at_or_before(changed, anchor)
        assert len(before) > 3 * 50
        pd.testing.assert_frame_equal(before, after)
    # The change is visible right after t: the test would notice a leak.
    full = features.to_pandas(features.feature_frame(to_spark(spark, changed)))
    assert (full.loc[full["t"] > cut, "fault_now"] == 1).all()


def test_a_small_fixed_seed_fleet_beats_the_baselines(trained):
    metrics, baselines = trained.meta["metrics"], trained.meta["baselines"]
    print({"model": metrics, **baselines})  # shown with -s: the figures behind the bound
    assert metrics["roc_auc"] >= MIN_SMALL_FLEET_AUC
    assert metrics["roc_auc"] > baselines["proximity"]["roc_auc"]
    assert baselines["rules"]["event_recall"] == 0.0  # the rules only fire once a fault is there
    assert trained.meta["history"]["eval_episodes"] > 0
    evaluation = trained.evaluation
    assert all(e["turbine_id"] in evaluation["evaluation_turbines"] for e in evaluation["episodes"])


def test_score_as_of_is_reproducible_and_reads_nothing_later(
    spark, trained, tmp_path, engine_paths
):
    saved = bundle.load(
        bundle.save(tmp_path / "models", trained.booster, trained.meta, trained.evaluation)
    )
    # Scored on a few turbines of the same fleet (scoring cost grows with the rows read).
    as_of = START + pd.Timedelta(days=9, minutes=7)
    few = silver_frame(turbines=6, days=9.5)
    first = risk_rows(to_spark(spark, few), saved, as_of)
    again = risk_rows(to_spark(spark, few), saved, as_of)
    pd.testing.assert_frame_equal(first, again)
    cut = to_spark(spark, few.query("timestamp <= @as_of"))
    pd.testing.assert_frame_equal(first, risk_rows(cut, saved, as_of))
    assert list(first.columns) == list(RISK_COLUMNS) and len(first) == 6
    assert first["risk"].between(0, 1).all() and (first["threshold"] == saved.threshold).all()
    signals = json.loads(first["top_signals"].iloc[0])
    assert len(signals) == 3 and {"feature", "value", "contribution"} <= set(signals[0])
    # Written as a published table readers see whole.
    from workloads import spark_catalog
    from workloads.names import GOLD_RISK

    spark_catalog.write_outside_table(spark, first, GOLD_RISK, RISK_DDL, paths=engine_paths)
    back = storage.read_table(engine_paths, GOLD_RISK)
    assert sorted(back["turbine_id"]) == sorted(first["turbine_id"])


def test_an_as_of_with_milliseconds_still_scores_every_turbine(spark, trained, tmp_path):
    """The default as-of is the latest reading's own time, often with milliseconds."""
    saved = bundle.load(
        bundle.save(tmp_path / "models", trained.booster, trained.meta, trained.evaluation)
    )
    as_of = START + pd.Timedelta(days=9, minutes=7, milliseconds=227)
    rows = risk_rows(to_spark(spark, silver_frame(turbines=3, days=9.5)), saved, as_of)
    assert len(rows) == 3 and rows["risk"].notna().all()
