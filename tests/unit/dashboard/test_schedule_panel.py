"""The schedule card's pure functions (no server)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import schedule_panel


def schedule():
    t = pd.Timestamp("2026-01-05T08:00:00Z")
    return pd.DataFrame(
        {
            "crew_id": ["CREW_02", "CREW_01", "CREW_01", None],
            "day": [dt.date(2026, 1, 5), dt.date(2026, 1, 5), dt.date(2026, 1, 6), None],
            "stop_order": pd.array([1, 1, 1, None], dtype="Int32"),
            "turbine_id": ["T2", "T1", "T3", "T4"],
            "task": ["T2:PREDICTIVE", "T1:GEARBOX_OVERHEAT", "T3:INSPECTION", "T4:<b>"],
            "kind": ["predictive", "repair", "opportunistic", "repair"],
            "window_start": [t, t, t + pd.Timedelta(days=1), pd.NaT],
            "window_end": [
                t + pd.Timedelta(hours=3),
                t + pd.Timedelta(hours=5),
                t + pd.Timedelta(hours=25),
                pd.NaT,
            ],
            "reason": ["r", "r", "r", "not planned: no weather window"],
            "site": ["Whitelee"] * 4,
        }
    )


def test_timeline_has_one_bar_per_stop_coloured_by_kind():
    segments = schedule_panel.timeline_frame(schedule())
    assert list(segments["crew"]) == ["CREW_01", "CREW_01", "CREW_02"]
    assert list(segments["kind"]) == ["repair", "opportunistic", "predictive"]
    assert segments["color"].iloc[0] == schedule_panel.KIND_COLORS["repair"]
    assert (segments["end"] > segments["start"]).all()
    import holoviews as hv

    figure = hv.render(schedule_panel.timeline_plot(segments), backend="bokeh")
    assert sorted(figure.y_range.factors) == ["CREW_01", "CREW_02"]


def test_summary_and_waiting_jobs_are_escaped():
    text = schedule_panel.summary_html(schedule())
    assert "3 stops for 2 crews, 2026-01-05 to 2026-01-06" in text and "1 job(s) waiting" in text
    waiting = schedule_panel.waiting_html(schedule())
    assert "T4:&lt;b&gt;" in waiting and "no weather window" in waiting
    assert "Schedule unavailable" in schedule_panel.summary_html(None)


def test_the_card_renders_while_the_chart_cache_draws_pictures_with_matplotlib():
    """The chart cache switches HoloViews' current backend to matplotlib while it draws the
    page's pictures (dashboard/rendering.py); a page built meanwhile must still render the
    timeline, which matplotlib cannot draw (crews are categories on its axis)."""
    import holoviews as hv
    import hvplot.pandas  # noqa: F401  (as the page loads it)
    from bokeh.document import Document

    from dashboard.rendering import _load_matplotlib

    _load_matplotlib()
    previous = hv.Store.current_backend
    hv.Store.set_current_backend("matplotlib")
    try:
        root = schedule_panel.panel(schedule()).get_root(Document())
    finally:
        hv.Store.set_current_backend(previous)
    assert type(root).__name__ == "Column"
