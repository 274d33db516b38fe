"""The wind outlook: persistence plus daily cycle, never reading after the planning time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from workloads.errors import WindmillError
from workloads.schedule.forecast import persistence_forecast, read_forecast_file, with_file

NOW = datetime(2026, 1, 8, 9, 30, tzinfo=UTC)


def history(seed=0, hours=120, start=NOW - timedelta(hours=96)):
    rng = np.random.default_rng(seed)
    stamps = [start + timedelta(minutes=10 * k) for k in range(hours * 6)]
    hour = np.array([s.hour for s in stamps])
    wind = 9 + 3 * np.sin(2 * np.pi * hour / 24) + rng.normal(0, 0.5, len(stamps))
    return pd.DataFrame({"site": "Roscoe", "timestamp": stamps, "wind_speed": wind})


def test_rows_after_the_planning_time_change_nothing():
    frame = history()
    later = pd.to_datetime(frame["timestamp"], utc=True) > pd.Timestamp(NOW)
    assert later.any()
    base = persistence_forecast(frame, NOW, 72).by_site["Roscoe"]
    changed = frame.copy()
    changed.loc[later, "wind_speed"] = 40.0  # a storm the forecast must not see
    extra = pd.DataFrame(
        {"site": "Roscoe", "timestamp": [NOW + timedelta(hours=5)], "wind_speed": [55.0]}
    )
    assert np.array_equal(
        persistence_forecast(pd.concat([changed, extra]), NOW, 72).by_site["Roscoe"], base
    )
    # ...while a row at or before the planning time does count.
    earlier = frame.copy()
    earlier.loc[
        pd.to_datetime(earlier["timestamp"], utc=True) <= pd.Timestamp(NOW), "wind_speed"
    ] += 2.0
    assert not np.array_equal(persistence_forecast(earlier, NOW, 72).by_site["Roscoe"], base)


def test_the_outlook_keeps_the_daily_cycle_and_tends_to_the_mean():
    outlook = persistence_forecast(history(), NOW, 72)
    values = outlook.by_site["Roscoe"]
    hours = np.array([(outlook.origin + timedelta(hours=k)).hour for k in range(72)])
    late = values[48:]
    assert late[hours[48:] == 6].mean() > late[hours[48:] == 18].mean() + 3  # sin peaks at 06 UTC
    assert abs(values[48:].mean() - 9.0) < 1.0
    assert outlook.max_wind("Roscoe", NOW, NOW + timedelta(hours=2)) == pytest.approx(
        values[:3].max()
    )
    assert outlook.max_wind("Jutland", NOW, NOW + timedelta(hours=1)) == float("inf")  # no data


def test_a_forecast_file_overrides_the_hours_it_covers(tmp_path):
    path = tmp_path / "forecast.csv"
    path.write_text(
        "site,time,wind_speed\nRoscoe,2026-01-08T12:00:00Z,20.5\nJutland,2026-01-08T10:00:00Z,3\n"
    )
    outlook = with_file(persistence_forecast(history(), NOW, 24), read_forecast_file(path), 24)
    assert outlook.by_site["Roscoe"][3] == 20.5
    assert outlook.by_site["Jutland"][1] == 3.0 and outlook.by_site["Jutland"][2] == float("inf")
    bad = tmp_path / "bad.csv"
    bad.write_text("site,time,wind_speed\nRoscoe,yesterday,5\n")
    with pytest.raises(WindmillError, match="line 2"):
        read_forecast_file(bad)
    with pytest.raises(WindmillError, match="needs the columns"):
        (tmp_path / "cols.csv").write_text("site,when\n")
        read_forecast_file(tmp_path / "cols.csv")
