"""The bootstrap over evaluation turbines (pure, no JVM)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workloads.model import confidence

T0 = pd.Timestamp("2026-01-05T00:00:00Z")


def fleet(n_turbines=6, hours=120, start_hour=60):
    """Each turbine one episode at `start_hour`; labels 1 in the 24 h before it."""
    rows, eps = [], []
    for i in range(n_turbines):
        u = f"T{i}"
        for h in range(hours):
            rows.append(
                {
                    "turbine_id": u,
                    "t": T0 + pd.Timedelta(hours=h),
                    "label": int(start_hour - 24 <= h < start_hour),
                }
            )
        eps.append(
            {
                "turbine_id": u,
                "fault_code": "GEARBOX_OVERHEAT",
                "alert_level": "CRITICAL",
                "started_at": T0 + pd.Timedelta(hours=start_hour),
                "last_seen_at": T0 + pd.Timedelta(hours=start_hour + 5),
                "ended_at": T0 + pd.Timedelta(hours=start_hour + 5),
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(eps)


def test_a_perfect_model_is_surely_better_than_a_blind_baseline_and_intervals_are_seeded():
    rows, eps = fleet()
    perfect = rows["label"].to_numpy(dtype=float)
    blind = np.zeros(len(rows))
    scores = {"model": perfect, "rules": blind}
    thresholds = {"model": 0.5, "rules": 0.5}
    found = confidence.bootstrap(rows, scores, thresholds, eps, eps, 24, resamples=100)
    assert found["turbines"] == 6 and found["episodes"] == 6
    assert found["intervals"]["model"]["event_recall"] == [1.0, 1.0]
    assert found["intervals"]["model"]["roc_auc"] == [1.0, 1.0]
    assert found["intervals"]["rules"]["event_recall"] == [0.0, 0.0]
    edge = found["vs"]["rules"]["event_recall"]
    assert edge["p_better"] == 1.0 and edge["difference"] == [1.0, 1.0]
    assert found == confidence.bootstrap(rows, scores, thresholds, eps, eps, 24, resamples=100)
    assert "model - rules event_recall" in confidence.format_confidence(found)


def test_one_turbine_decides_the_difference_so_the_edge_is_unsure():
    rows, eps = fleet()
    model = rows["label"].to_numpy(dtype=float)
    other = model.copy()
    other[(rows["turbine_id"] == "T0").to_numpy()] = 0.0  # the baseline misses one episode
    found = confidence.bootstrap(
        rows,
        {"model": model, "proximity": other},
        {"model": 0.5, "proximity": 0.5},
        eps,
        eps,
        24,
        resamples=500,
    )
    edge = found["vs"]["proximity"]["event_recall"]
    # T0 is left out of a resample with probability (5/6)^6 ~ 0.33: then the two tie.
    assert 0.55 < edge["p_better"] < 0.8 and 0.2 < edge["p_equal"] < 0.45
    assert edge["p_better"] + edge["p_equal"] == 1.0
    # Neither raises a false alarm: always equal.
    assert found["vs"]["proximity"]["false_alarms_per_turbine_30d"]["p_equal"] == 1.0
