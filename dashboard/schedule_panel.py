"""The maintenance schedule card: a per-crew timeline over the planned days (hvplot), and
the jobs the plan had to leave out with the reason.

Pure functions turn the `gold_maintenance_schedule` frame into the timeline's segments, the
chart and HTML (unit-tested without a server); `panel(...)` wraps them. A missing or
unreadable table is shown as such, never an error.
"""

from __future__ import annotations

import html

import pandas as pd

from dashboard.tables import html_table

KIND_COLORS = {
    "repair": "#d62728",
    "predictive": "#ff7f0e",
    "opportunistic": "#2ca02c",
    "inspection": "#1f77b4",
}


def timeline_frame(schedule: pd.DataFrame) -> pd.DataFrame:
    """One row per planned stop: crew, start, end, kind, colour and the hover text."""
    planned = schedule[schedule["crew_id"].notna() & schedule["window_start"].notna()]
    planned = planned.sort_values(["crew_id", "window_start", "stop_order"])
    return pd.DataFrame(
        {
            "crew": planned["crew_id"].astype(str).to_numpy(),
            "start": pd.to_datetime(planned["window_start"], utc=True)
            .dt.tz_localize(None)
            .to_numpy(),
            "end": pd.to_datetime(planned["window_end"], utc=True).dt.tz_localize(None).to_numpy(),
            "kind": planned["kind"].astype(str).to_numpy(),
            "color": planned["kind"].map(KIND_COLORS).fillna("#7f7f7f").to_numpy(),
            "turbine": planned["turbine_id"].astype(str).to_numpy(),
            "task": planned["task"].astype(str).to_numpy(),
            "site": planned["site"].astype(str).to_numpy(),
        }
    )


def waiting_frame(schedule: pd.DataFrame) -> pd.DataFrame:
    """The jobs left out of the plan, most important kinds first."""
    left = schedule[schedule["crew_id"].isna()]
    order = {"repair": 0, "predictive": 1, "inspection": 2}
    left = left.assign(_o=left["kind"].map(order).fillna(3)).sort_values(["_o", "task"])
    return pd.DataFrame(
        {
            "task": left["task"].to_numpy(),
            "kind": left["kind"].to_numpy(),
            "site": left["site"].to_numpy(),
            "why": left["reason"].str.removeprefix("not planned: ").to_numpy(),
        }
    )


def summary_html(schedule: pd.DataFrame | None) -> str:
    if schedule is None or schedule.empty:
        return unavailable_html(
            "no schedule yet (`windmill schedule` writes gold_maintenance_schedule)."
        )
    planned = schedule[schedule["crew_id"].notna()]
    counts = planned["kind"].value_counts()
    parts = ", ".join(f"{counts[k]} {k}" for k in KIND_COLORS if k in counts)
    days = sorted({str(d) for d in planned["day"].dropna()})
    span = f"{days[0]} to {days[-1]}" if days else "no days"
    text = (
        f"{len(planned)} stops for {planned['crew_id'].nunique()} crews, {span}"
        f"{': ' + parts if parts else ''}; {len(schedule) - len(planned)} job(s) waiting."
    )
    return f'<div class="wm-caption">{html.escape(text)}</div>'


def unavailable_html(reason: str) -> str:
    return f'<div class="wm-empty">Schedule unavailable: {html.escape(reason)}</div>'


def timeline_plot(segments: pd.DataFrame):
    """Horizontal bars per crew over time, coloured by kind: a HoloViews `Segments` element
    (hvplot 0.12 has no segments kind; the element renders through the same Bokeh backend)."""
    import holoviews as hv
    import hvplot.pandas  # noqa: F401  (loads the Bokeh extension as the other charts do)

    bars = segments.assign(crew_end=segments["crew"])
    return hv.Segments(
        bars, kdims=["start", "crew", "end", "crew_end"], vdims=["color", "task", "kind", "site"]
    ).opts(
        color="color",
        line_width=14,
        tools=["hover"],
        responsive=True,
        height=60 + 28 * max(1, bars["crew"].nunique()),
        xlabel="",
        ylabel="",
    )


def waiting_html(schedule: pd.DataFrame) -> str:
    return html_table(waiting_frame(schedule), wrap=("why",), empty="Every job is planned.")


def load_schedule(paths) -> tuple[pd.DataFrame | None, str | None]:
    """The published gold_maintenance_schedule, or (None, why not)."""
    from workloads import storage
    from workloads.names import GOLD_SCHEDULE

    try:
        return storage.read_table(paths, GOLD_SCHEDULE), None
    except Exception as exc:  # a damaged table must not break the page
        return None, f"gold_maintenance_schedule is unreadable ({type(exc).__name__})."


def panel(schedule: pd.DataFrame | None, problem: str | None = None):
    """The card: the summary, the per-crew timeline, the waiting jobs."""
    import panel as pn

    if problem or schedule is None or schedule.empty:
        return pn.pane.HTML(
            "<h3>Maintenance schedule</h3>"
            + (unavailable_html(problem) if problem else summary_html(schedule))
        )
    parts = [pn.pane.HTML("<h3>Maintenance schedule</h3>" + summary_html(schedule))]
    segments = timeline_frame(schedule)
    if not segments.empty:
        # Bokeh: crews are categories on the y axis, which the page's default (matplotlib)
        # backend cannot draw.
        plot = timeline_plot(segments)
        parts.append(pn.pane.HoloViews(plot, backend="bokeh", sizing_mode="stretch_width"))
    parts.append(pn.pane.HTML("<h4>Waiting</h4>" + waiting_html(schedule)))
    return pn.Column(*parts, sizing_mode="stretch_width")
