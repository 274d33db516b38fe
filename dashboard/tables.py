"""The page's tables: a plain HTML table helper, the snapshot tables, the sortable alerts."""

from __future__ import annotations

import html
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
import param

from dashboard.site_map import nearest_site
from dashboard.state import STATUS, Snapshot
from dashboard.store import (
    CARD,
    CARD_STALE_CSS,
    COMPONENTS,
    HtmlView,
    StoreView,
    duration,
    per_snapshot,
    short_when,
    stale_badge,
    stale_note,
    when,
)
from workloads import names
from workloads.contract import ALERT_LEVELS, SEVERITY

LONG_TEXT = 40  # characters; longer cell texts wrap, shorter ones stay on one line
# Rows a page of a sortable table: a page of 50 keeps the DOM (and its layout) small with
# thousands of rows, and fills the card's 420 px scroll box a few times over.
PAGE_ROWS = 50
PLAN_ROWS = 100  # rows of the crew plan on the page (the plan of a large fleet has more)
TABLE_CSS = """
h3 { font-size: 17px; margin: 12px 0 8px; }
.wm-scroll { overflow: auto; max-height: 420px; }
.wm-table { border-collapse: collapse; width: 100%; font-size: 13px; }
.wm-table th, .wm-table td { border-bottom: 1px solid #e3e3e3; padding: 4px 8px; text-align: left;
  vertical-align: top; }
.wm-table th { background: #f0f2f5; position: sticky; top: 0; font-weight: 600; white-space: nowrap; }
.wm-table td { white-space: nowrap; }
.wm-table td.long { white-space: normal; min-width: 140px; overflow-wrap: break-word; }
.wm-table td.num { text-align: right; }
.wm-table tr.wm-bad td { color: #c62828; font-weight: 600; }
.wm-table tr.wm-group td { background: #e8eef6; font-weight: 600; }
.wm-table tr.wm-group td::before { content: none; }
.wm-empty { color: #555; font-size: 13px; }
.wm-caption { font-size: 14px; margin: 4px 0 8px; }
/* A phone: each row is a block of "label value" pairs that wrap, so no table is wider than
   its card; a sortable table's headers (sort) and filters become rows of chips. */
@media (max-width: 600px) {
  .wm-table, .wm-table tbody, .wm-table thead { display: block; }
  .wm-table thead tr { display: flex; flex-wrap: wrap; gap: 4px; }
  .wm-table th { position: static; border: none; padding: 2px 6px; }
  .wm-table.wm-plain thead { display: none; }
  .wm-table tbody tr { display: block; border-bottom: 1px solid #e3e3e3; padding: 4px 0; }
  .wm-table td, .wm-table td.long { display: inline-block; border: none; padding: 1px 10px 1px 0;
    white-space: normal; min-width: 0; overflow-wrap: anywhere; font-size: 14px; }
  .wm-table td.num { text-align: left; }
  .wm-table td[data-label]::before { content: attr(data-label) " "; color: #666; font-size: 12px; }
  .wm-table td:empty { display: none; }
}
"""


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id or count in a column that also holds blanks
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_)


def html_table(
    frame: pd.DataFrame,
    *,
    links: tuple[str, ...] = (),
    row_class: Callable[[pd.Series], str] | None = None,
    group_by: str | None = None,
    empty: str = "None yet.",
    wrap: tuple[str, ...] = (),
) -> str:
    """A plain HTML table; every value is escaped, so names show exactly as written.

    Column names are the headers; each cell carries its header (`data-label`), which a
    phone shows before the value. `wrap` columns always wrap (messages, names).
    """
    if frame.empty:
        return f'<div class="wm-empty">{html.escape(empty)}</div>'
    columns = [c for c in frame.columns if c != group_by]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    labels = {c: html.escape(c, quote=True) for c in columns}
    rows, group = [], object()
    for _, row in frame.iterrows():
        if group_by is not None and row[group_by] != group:
            group = row[group_by]
            rows.append(
                f'<tr class="wm-group"><td colspan="{len(columns)}">{html.escape(_cell(group))}</td></tr>'
            )
        cells = []
        for column in columns:
            value = row[column]
            text = html.escape(_cell(value))
            label = f'data-label="{labels[column]}"'
            if column in links and text:
                cells.append(
                    f'<td {label}><a href="{text}" target="_blank" rel="noopener">open</a></td>'
                )
            elif not text:
                cells.append("<td></td>")
            elif _is_number(value):
                cells.append(f'<td class="num" {label}>{text}</td>')
            elif column in wrap or len(text) > LONG_TEXT:
                cells.append(f'<td class="long" {label}>{text}</td>')
            else:
                cells.append(f"<td {label}>{text}</td>")
        css = row_class(row) if row_class else ""
        rows.append(
            f'<tr class="{css}">' + "".join(cells) + "</tr>"
            if css
            else "<tr>" + "".join(cells) + "</tr>"
        )
    return (
        f'<div class="wm-scroll"><table class="wm-table wm-plain"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


class SnapshotTable(HtmlView):
    """A card with a title and a table whose rows follow the data, as plain HTML."""

    title = "table"
    links: tuple[str, ...] = ()
    wrap: tuple[str, ...] = ()  # columns whose text always wraps
    empty = "None yet."
    parts: tuple[str, ...] = (STATUS,)  # the snapshot parts it shows (for its stale badge)
    css = TABLE_CSS + CARD_STALE_CSS
    styles = CARD

    def frame(self, snapshot: Snapshot) -> pd.DataFrame:
        raise NotImplementedError

    def row_class(self, row: pd.Series) -> str:
        return ""

    def table(self, snapshot: Snapshot) -> str:
        return html_table(
            self.frame(snapshot),
            links=self.links,
            row_class=self.row_class,
            empty=self.empty,
            wrap=self.wrap,
        )

    def html(self, snapshot: Snapshot) -> str:
        # One pane for the title and the table: every pane costs the server and the browser.
        badge = stale_badge(snapshot, *self.parts)
        return f"<h3>{html.escape(self.title)}</h3>{badge}{self.table(snapshot)}"


def _last_result(state: str | None, started: Any, seconds: Any, error: str | None = None) -> str:
    """An update's or run's result in one cell: `COMPLETED Jan 05 12:00, took 3.5 s`."""
    parts = [state or ""]
    if started:
        parts.append(short_when(started))
    text = " ".join(p for p in parts if p)
    took = duration(seconds)
    if took:
        text += f", took {took}"
    if error:
        text += f": {error}"
    return text


class PipelinesTable(SnapshotTable):
    title = "Pipelines"
    links = ("link",)
    wrap = ("pipeline", "last update (UTC)")
    empty = "No pipelines yet."
    columns = ["pipeline", "state", "last update (UTC)", "rows", "link"]

    def frame(self, snapshot):
        rows = []
        for p in snapshot.status.pipelines if snapshot.status else []:
            update = p.get("latest_update") or {}
            rows.append(
                {
                    "pipeline": p["name"],
                    "state": p["state"],
                    # When the last update ran, how long, its result (not its UUID).
                    "last update (UTC)": _last_result(
                        update.get("state"),
                        update.get("started_at"),
                        update.get("duration_s"),
                        update.get("error"),
                    ),
                    "rows": update.get("rows"),
                    "link": p.get("link") or "",
                }
            )
        return pd.DataFrame(rows, columns=self.columns)


class JobsTable(SnapshotTable):
    title = "Jobs"
    links = ("link",)
    wrap = ("job", "message")
    empty = "No jobs yet."
    columns = ["job", "state", "last run (UTC)", "message", "link"]

    def frame(self, snapshot):
        rows = []
        for job in snapshot.status.jobs if snapshot.status else []:
            run = job["latest_runs"][0] if job["latest_runs"] else {}
            rows.append(
                {
                    "job": job["name"],
                    "state": job["state"],
                    "last run (UTC)": _last_result(
                        f"#{run['run_id']}" if run.get("run_id") is not None else "",
                        run.get("started_at"),
                        run.get("duration_s"),
                    ),
                    "message": run.get("state_message") or "",
                    "link": run.get("link") or job.get("link") or "",
                }
            )
        return pd.DataFrame(rows, columns=self.columns)


class EventsTable(SnapshotTable):
    title = "Recent events"
    empty = "No events yet."
    wrap = ("message",)
    columns = ["at (UTC)", "level", "source", "message"]

    def row_class(self, row):
        # Errors (crashes, a full disk) stand out in red.
        return (
            "wm-bad" if str(row.get("level", "")).upper() in ("ERROR", "CRITICAL", "FATAL") else ""
        )

    def frame(self, snapshot):
        events = snapshot.status.events if snapshot.status else []
        rows = [
            {
                "at (UTC)": short_when(e.get("at")),
                "level": e.get("level"),
                "source": e.get("source"),
                "message": e.get("message"),
            }
            for e in events
        ]
        return pd.DataFrame(rows, columns=self.columns)


class SortableTable(pn.custom.JSComponent):
    """A card with a plain HTML table the browser sorts (click a header) and filters.

    Values are set as text, never as HTML. Much lighter than a Tabulator: no table library
    to load, parse and lay out on every page load.
    """

    title = param.String(default="")
    data = param.String(default='{"columns": [], "data": []}', doc="DataFrame.to_json(split)")
    filters = param.Dict(default={}, doc="column -> 'text' or a list of choices")
    order = param.Dict(default={}, doc="column -> list of values in sort order")
    empty = param.String(default="No rows.")
    long_text = param.Integer(default=LONG_TEXT, doc="cells with longer texts wrap")
    stale = param.String(default="", doc="why the rows are stale ('' while fresh)")
    page_size = param.Integer(default=PAGE_ROWS, doc="rows a page (0: all on one page)")

    # A file served as is: the browser imports it without compiling it (as it would an
    # inline `_esm`, for every instance on every page load).
    _esm = COMPONENTS / "sortable_table.js"
    _bundle = _esm

    _stylesheets = [
        TABLE_CSS
        + CARD_STALE_CSS
        + """
.wm-sort { cursor: pointer; user-select: none; }
.wm-filters th { background: #f7f8fa; padding: 2px 4px; }
.wm-filters input, .wm-filters select { width: 100%; min-width: 60px; box-sizing: border-box;
  font-size: 12px; }
.wm-count { font-size: 13px; color: #555; margin-bottom: 4px; }
.wm-pager { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; font-size: 13px;
  margin-bottom: 4px; }
.wm-pager[hidden] { display: none; }
.wm-pager button { font-size: 13px; padding: 2px 10px; border: 1px solid #b0b7c3;
  border-radius: 4px; background: white; cursor: pointer; }
.wm-pager button:disabled { color: #999; cursor: default; }
"""
    ]


class AlertsTable(StoreView):
    """Open maintenance alerts, sortable (click a header), with filters in the headers."""

    title = "Maintenance alerts"
    # The gold table's columns under readable headers (maintenance_needed is true on every
    # open alert, so not shown); the position becomes the site and its coordinates.
    headers = {
        "turbine_id": "turbine",
        "fault_code": "fault",
        "alert_level": "level",
        "opened_at": "opened (UTC)",
        "last_seen_at": "last seen (UTC)",
        "readings": "readings",
    }
    columns = [*headers.values(), "location"]

    def build(self, snapshot: Snapshot):
        return SortableTable(
            title=self.title,
            data=self._json(snapshot),
            stale=stale_note(snapshot, names.GOLD_ALERTS),
            filters={
                "turbine": "text",
                "fault": "text",
                # Every level but NORMAL, worst first.
                "level": [level for level in reversed(ALERT_LEVELS) if SEVERITY[level] > 0],
            },
            order={"level": ALERT_LEVELS},
            empty="No open maintenance alerts.",
            sizing_mode="stretch_width",
            styles=CARD,
        )

    def update(self, snapshot: Snapshot) -> None:
        self.view.param.update(
            data=self._json(snapshot), stale=stale_note(snapshot, names.GOLD_ALERTS)
        )

    def _json(self, snapshot: Snapshot) -> str:
        return per_snapshot(
            type(self).__name__,
            snapshot,
            lambda: self.frame(snapshot).to_json(orient="split", index=False),
        )

    def frame(self, snapshot):
        alerts = snapshot.table(names.GOLD_ALERTS)
        if alerts is None:
            return pd.DataFrame(columns=self.columns)
        alerts = alerts.reindex(columns=[*self.headers, "latitude", "longitude"])
        severity = alerts["alert_level"].map(SEVERITY).fillna(0)
        alerts = (
            alerts.assign(_sev=severity)
            .sort_values(["_sev", "opened_at"], ascending=[False, True])
            .reset_index(drop=True)
        )
        frame = alerts[list(self.headers)].rename(columns=self.headers)
        for column in ("opened (UTC)", "last seen (UTC)"):
            frame[column] = frame[column].map(short_when)
        frame["location"] = location(alerts["latitude"], alerts["longitude"])
        return frame


def location(latitude: pd.Series, longitude: pd.Series) -> pd.Series:
    """`Whitelee 55.680, -4.261`: the nearest site and the position ('' where unknown)."""
    known = latitude.notna() & longitude.notna()
    out = pd.Series("", index=latitude.index, dtype=object)
    if known.any():
        sites = nearest_site(latitude[known], longitude[known])
        out[known] = [
            f"{site} {lat:.3f}, {lon:.3f}"
            for site, lat, lon in zip(sites, latitude[known], longitude[known], strict=True)
        ]
    return out


class CrewPlanTable(SnapshotTable):
    """The dispatch plan: one group per crew, each stop with its times; then the tasks no
    crew could take."""

    title = "Crew plan"
    parts = (names.GOLD_DISPATCH,)
    empty = "No dispatch plan yet (`windmill dispatch`)."
    UNASSIGNED = "Unassigned: no crew could take these"
    headers = {
        "crew_id": "crew_id",
        "stop": "stop",
        "turbine_id": "turbine",
        "fault_code": "task",
        "alert_level": "level",
        "start": "start (UTC)",
        "finish": "finish (UTC)",
        "deadline": "deadline (UTC)",
        "lateness_hours": "late (h)",
        "km": "km",
    }

    def frame(self, snapshot):
        plan = snapshot.table(names.GOLD_DISPATCH)
        if plan is None:
            return pd.DataFrame(columns=list(self.headers.values()))
        frame = plan.reindex(columns=list(self.headers)).copy()
        for column in ("start", "finish", "deadline"):
            frame[column] = frame[column].map(short_when)
        frame["lateness_hours"] = frame["lateness_hours"].round(1)
        frame["km"] = frame["km"].round(1)
        assigned = frame["crew_id"].notna()
        frame["crew_id"] = frame["crew_id"].where(assigned, self.UNASSIGNED)
        return (
            frame.assign(_unassigned=~assigned)
            .sort_values(["_unassigned", "crew_id", "stop"])
            .drop(columns="_unassigned")
            .rename(columns=self.headers)
            .reset_index(drop=True)
        )

    def table(self, snapshot: Snapshot) -> str:
        planned = f'<p class="wm-caption">{html.escape(self._planned(snapshot))}</p>'
        if snapshot.table(names.GOLD_DISPATCH) is None:
            return planned
        frame = self.frame(snapshot)
        if len(frame) > PLAN_ROWS:
            # A 10,000-turbine day plans a thousand tasks: as plain HTML that is half a MB
            # and seconds of layout on every page load. The crews' stops come first.
            planned += (
                f'<p class="wm-caption">The first {PLAN_ROWS} of {len(frame):,} rows; every '
                "open alert is in the Maintenance alerts table.</p>"
            )
            frame = frame.head(PLAN_ROWS)
        return planned + html_table(frame, group_by="crew_id")

    @staticmethod
    def _planned(snapshot: Snapshot) -> str:
        """`Planned at ...: 8 crews, 20 stops, 3 unassigned, cost 41.2`: the plan's unassigned
        tasks (no crew) are counted apart from the stops."""
        plan = snapshot.table(names.GOLD_DISPATCH)
        if plan is None or plan.empty:  # `windmill deploy` creates the table empty
            return "No dispatch plan yet (`windmill dispatch`)."
        assigned = plan["crew_id"].notna()
        crews = plan.loc[assigned, "crew_id"].nunique()
        counts = [
            f"{crews} crew{'s' if crews != 1 else ''}",
            f"{int(assigned.sum())} stop{'s' if assigned.sum() != 1 else ''}",
            f"{int((~assigned).sum())} unassigned",
        ]
        cost = plan["plan_cost"].iloc[0] if "plan_cost" in plan else None
        if cost is not None and not pd.isna(cost):
            counts.append(f"cost {cost:.1f}")
        return f"Planned at {when(plan['planned_at'].max())}: {', '.join(counts)}"
