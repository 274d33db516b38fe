"""Metrics, alarm episodes, the threshold choice and the replay file (pure, no JVM)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workloads.errors import WindmillError
from workloads.model import evaluation as ev

T0 = pd.Timestamp("2026-01-05T00:00:00Z")


def at(h):
    return T0 + pd.Timedelta(hours=h)


def test_roc_and_pr_auc_on_known_cases():
    assert ev.roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ev.roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert ev.roc_auc([1, 1], [0.2, 0.3]) is None
    assert ev.pr_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    # Ranking 1,0,1: precision 1 at recall .5, 2/3 at recall 1.
    assert ev.pr_auc([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert ev.brier([0, 1], [0.0, 0.5]) == pytest.approx(0.125)


def rows_for(turbine, times):
    return pd.DataFrame({"turbine_id": turbine, "t": [at(h) for h in times]})


def episodes(*starts):
    return pd.DataFrame(
        {
            "turbine_id": [u for u, _ in starts],
            "fault_code": "GEARBOX_OVERHEAT",
            "alert_level": "CRITICAL",
            "started_at": [at(h) for _, h in starts],
            "last_seen_at": [at(h + 5) for _, h in starts],
            "ended_at": [at(h + 5) for _, h in starts],
        }
    )


def test_lead_recall_and_false_alarm_episodes():
    rows = rows_for("A", range(0, 120))
    eps = episodes(("A", 60))
    alarm = np.zeros(len(rows), dtype=bool)
    alarm[[40, 41, 43, 50]] = True  # one alarm episode (gaps <= 3 h ... then 7 h: a second)
    alarm[[100, 101]] = True  # no episode follows within 24 h: false
    evaluated = ev.evaluated_episodes(eps, ["A"], at(0), at(119), 24)
    firsts, leads = ev.first_alarms(rows, alarm, evaluated, 24)
    assert firsts[0] == at(40) and leads[0] == 20.0
    runs = ev.alarm_runs(rows, alarm)
    assert [(r.start, r.end) for r in runs.itertuples()] == [
        (at(40), at(43)),
        (at(50), at(50)),
        (at(100), at(101)),
    ]
    false = ev.false_alarm_runs(runs, eps, 24)
    assert false["start"].tolist() == [at(100)]
    found = ev.event_metrics(rows, alarm, eps, evaluated, 24)
    assert found["event_recall"] == 1.0 and found["median_lead_hours"] == 20.0
    assert found["false_alarms_per_turbine_30d"] == pytest.approx(1 / 5 * 30)


def test_an_unwarned_episode_counts_zero_lead_and_alarms_under_an_hour_do_not_count():
    rows = rows_for("A", range(0, 100))
    eps = episodes(("A", 50), ("A", 90))
    alarm = np.zeros(len(rows), dtype=bool)
    alarm[[89]] = True  # 1 h before the second start: counts (>= 1 h)
    evaluated = ev.evaluated_episodes(eps, ["A"], at(0), at(99), 24)
    found = ev.event_metrics(rows, alarm, eps, evaluated, 24)
    assert found["event_recall"] == 0.5 and found["median_lead_hours"] == 0.5


def test_the_threshold_keeps_false_alarms_within_budget():
    rows = rows_for("A", range(0, 24 * 60))
    eps = episodes(("A", 500))
    scores = np.full(len(rows), 0.1)
    scores[480:500] = 0.9  # the run-up
    scores[[100, 300, 700, 900]] = 0.6  # spikes that no episode follows
    evaluated = ev.evaluated_episodes(eps, ["A"], at(0), at(24 * 60), 24)
    threshold = ev.choose_threshold(rows, scores, eps, evaluated, 24, budget=1.0)
    assert 0.6 < threshold <= 0.9


def test_baselines():
    rows = pd.DataFrame(
        {
            "fault_now": [0, 1],
            **{ev.features.distance_name(r): [0.05, 0.5] for r in ev.features.WATCHED_RULES},
        }
    )
    assert ev.rules_score(rows).tolist() == [0.0, 1.0]
    assert ev.proximity_score(rows).tolist() == pytest.approx([0.75, 0.0])


def valid():
    return {
        "model_version": "v1",
        "threshold": 0.4,
        "horizon_hours": 24.0,
        "evaluation_turbines": ["TURBINE_00001"],
        "evaluation_start": "2026-01-05T00:00:00+00:00",
        "evaluation_end": "2026-01-10T00:00:00+00:00",
        "episodes": [
            {
                "turbine_id": "TURBINE_00001",
                "fault_code": "GEARBOX_OVERHEAT",
                "alert_level": "CRITICAL",
                "started_at": "2026-01-06T00:00:00+00:00",
                "first_alarm_at": None,
                "lead_hours": None,
            }
        ],
        "false_alarms": [],
        "turbine_days": 5.0,
        "metrics": {},
        "baselines": {},
    }


def test_load_evaluation_round_trips_and_refuses_bad_files_in_one_sentence(tmp_path):
    path = tmp_path / "evaluation.json"
    ev.write_evaluation(path, valid())
    assert ev.load_evaluation(path)["model_version"] == "v1"
    with pytest.raises(WindmillError, match="run `windmill train` first"):
        ev.load_evaluation(tmp_path / "missing.json")
    path.write_text("{not json")
    with pytest.raises(WindmillError, match="unreadable"):
        ev.load_evaluation(path)
    broken = valid()
    del broken["threshold"]
    path.write_text(json.dumps(broken))
    with pytest.raises(WindmillError, match="'threshold'"):
        ev.load_evaluation(path)
