"""Labels on a hand-built history and the split's separation (pure pandas, no JVM)."""

from __future__ import annotations

import pandas as pd

from workloads.model import labels, split

T0 = pd.Timestamp("2026-01-05T00:00:00Z")


def hours(h: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=h)


def episode(turbine, start, end, code="GEARBOX_OVERHEAT", level="CRITICAL"):
    return {
        "turbine_id": turbine,
        "fault_code": code,
        "alert_level": level,
        "started_at": hours(start),
        "last_seen_at": hours(end) if end is not None else hours(start),
        "ended_at": hours(end) if end is not None else pd.NaT,
    }


def frame(rows):
    out = pd.DataFrame(rows)
    for c in ("started_at", "last_seen_at", "ended_at"):
        out[c] = pd.to_datetime(out[c], utc=True)
    return out


def points(turbine, times):
    return pd.DataFrame({"turbine_id": turbine, "t": [hours(h) for h in times]})


def test_episode_exactly_at_the_horizon_edge_is_positive_and_one_just_past_is_not():
    episodes = frame([episode("A", 48, 60)])
    got = labels.label_points(points("A", [23, 24, 24.5, 47.99, 48]), episodes, 24)
    # t=24: the episode starts at t+24 exactly, inside (t, t+24]; t=23: it starts at t+25.
    assert got["label"].tolist() == [0, 1, 1, 1, 0]
    # At t=48 the episode has started: in fault, not a prediction.
    assert got["in_fault"].tolist() == [False, False, False, False, True]


def test_open_episodes_are_marked_in_fault_until_they_end_and_forever_when_open():
    episodes = frame([episode("A", 10, 20), episode("A", 50, None)])
    got = labels.label_points(points("A", [9, 10, 15, 20, 21, 49, 50, 200]), episodes, 24)
    assert got["in_fault"].tolist() == [False, True, True, True, False, False, True, True]
    assert got["label"].tolist() == [1, 0, 0, 0, 0, 1, 0, 0]


def test_info_and_low_power_episodes_are_not_labels_and_turbines_do_not_mix():
    episodes = frame(
        [
            episode("A", 30, 31, code="LOW_POWER_OUTPUT", level="INFO"),
            episode("B", 30, 40),
        ]
    )
    got = labels.label_points(points("A", [10, 29]), episodes, 24)
    assert got["label"].tolist() == [0, 0]
    assert not got["in_fault"].any()
    got_b = labels.label_points(points("B", [10, 29]), episodes, 24)
    assert got_b["label"].tolist() == [1, 1]


def grid(turbines=20, hours_=200):
    return pd.DataFrame(
        [
            {"turbine_id": f"TURBINE_{u:05d}", "t": hours(h)}
            for u in range(1, turbines + 1)
            for h in range(1, hours_ + 1)
        ]
    )


def test_the_split_has_no_turbine_and_no_time_overlap():
    rows = grid()
    parts = split.make_split(rows, horizon_hours=24, eval_fraction=0.3, time_fraction=0.5)
    train, evaluate = rows[parts.train_mask(rows)], rows[parts.eval_mask(rows)]
    assert not set(train["turbine_id"]) & set(evaluate["turbine_id"])
    assert len(parts.eval_turbines) == 6 and len(parts.train_turbines) == 14
    # A training row's label reads up to t + horizon: still before every evaluation row.
    assert train["t"].max() + pd.Timedelta(hours=24) <= evaluate["t"].min()
    # Evaluation rows' labels are fully inside the history.
    assert evaluate["t"].max() + pd.Timedelta(hours=24) <= rows["t"].max()


def test_turbine_choice_is_stable_as_the_fleet_grows_and_depends_on_the_seed():
    small = split.split_turbines([f"T{i}" for i in range(100)], 0.3)
    again = split.split_turbines([f"T{i}" for i in range(100)], 0.3)
    other = split.split_turbines([f"T{i}" for i in range(100)], 0.3, seed=1)
    assert small == again and small != other
