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

from dashboard.state import STATUS, Snapshot
from dashboard.store import (
    CARD,
    CARD_STALE_CSS,
    COMPONENTS,
    HtmlView,
    StoreView,
    per_snapshot,
    stale_badge,
    stale_note,
    when,
)
from workloads import names
from workloads.contract import ALERT_LEVELS, SEVERITY
from workloads.pipeline.gold import ALERT_COLUMNS

LONG_TEXT = 40  # characters; longer cell texts wrap, shorter ones stay on one line
TABLE_CSS = """
h3 { font-size: 17px; margin: 12px 0 8px; }
.wm-scroll { overflow: auto; max-height: 420px; }
.wm-table { border-collapse: collapse; width: 100%; font-size: 13px; }
.wm-table th, .wm-table td { border-bottom: 1px solid #e3e3e3; padding: 4px 8px; text-align: left;
  vertical-align: top; }
.wm-table th { background: #f0f2f5; position: sticky; top: 0; font-weight: 600; white-space: nowrap; }
.wm-table td { white-space: nowrap; }
.wm-table td.long { white-space: normal; min-width: 220px; overflow-wrap: break-word; }
.wm-table td.num { text-align: right; }
.wm-table tr.wm-bad td { color: #c62828; font-weight: 600; }
.wm-table tr.wm-group td { background: #e8eef6; font-weight: 600; }
.wm-empty { color: #555; font-size: 13px; }
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
) -> str:
    """A plain HTML table; every value is escaped, so names show exactly as written."""
    if frame.empty:
        return f'<div class="wm-empty">{html.escape(empty)}</div>'
    columns = [c for c in frame.columns if c != group_by]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
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
            if column in links and text:
                cells.append(f'<td><a href="{text}" target="_blank" rel="noopener">open</a></td>')
            elif _is_number(value):
                cells.append(f'<td class="num">{text}</td>')
            elif len(text) > LONG_TEXT:
                cells.append(f'<td class="long">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        css = row_class(row) if row_class else ""
        rows.append(
            f'<tr class="{css}">' + "".join(cells) + "</tr>"
            if css
            else "<tr>" + "".join(cells) + "</tr>"
        )
    return (
        f'<div class="wm-scroll"><table class="wm-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


class SnapshotTable(HtmlView):
    """A card with a title and a table whose rows follow the data, as plain HTML."""

    title = "table"
    links: tuple[str, ...] = ()
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
            self.frame(snapshot), links=self.links, row_class=self.row_class, empty=self.empty
        )

    def html(self, snapshot: Snapshot) -> str:
        # One pane for the title and the table: every pane costs the server and the browser.
        badge = stale_badge(snapshot, *self.parts)
        return f"<h3>{html.escape(self.title)}</h3>{badge}{self.table(snapshot)}"


class PipelinesTable(SnapshotTable):
    title = "Pipelines"
    links = ("link",)
    empty = "No pipelines yet."
    columns = [
        "name",
        "state",
        "last_update",
        "update_state",
        "started",
        "duration_s",
        "rows",
        "error",
        "link",
    ]

    def frame(self, snapshot):
        rows = []
        for p in snapshot.status.pipelines if snapshot.status else []:
            update = p.get("latest_update") or {}
            rows.append(
                {
                    "name": p["name"],
                    "state": p["state"],
                    "last_update": update.get("update_id", ""),
                    "update_state": update.get("state", ""),
                    "started": when(update.get("started_at")),
                    "duration_s": update.get("duration_s"),
                    "rows": update.get("rows"),
                    "error": update.get("error") or "",
                    "link": p.get("link") or "",
                }
            )
        return pd.DataFrame(rows, columns=self.columns)


class JobsTable(SnapshotTable):
    title = "Jobs"
    links = ("link",)
    empty = "No jobs yet."
    columns = ["name", "state", "last_run", "started", "duration_s", "message", "link"]

    def frame(self, snapshot):
        rows = []
        for job in snapshot.status.jobs if snapshot.status else []:
            run = job["latest_runs"][0] if job["latest_runs"] else {}
            rows.append(
                {
                    "name": job["name"],
                    "state": job["state"],
                    "last_run": run.get("run_id"),
                    "started": when(run.get("started_at")),
                    "duration_s": run.get("duration_s"),
                    "message": run.get("state_message") or "",
                    "link": run.get("link") or job.get("link") or "",
                }
            )
        return pd.DataFrame(rows, columns=self.columns)


class EventsTable(SnapshotTable):
    title = "Recent events"
    empty = "No events yet."
    columns = ["at", "level", "source", "message"]

    def row_class(self, row):
        # Errors (crashes, a full disk) stand out in red.
        return (
            "wm-bad" if str(row.get("level", "")).upper() in ("ERROR", "CRITICAL", "FATAL") else ""
        )

    def frame(self, snapshot):
        events = snapshot.status.events if snapshot.status else []
        rows = [
            {
                "at": when(e.get("at")),
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
"""
    ]


class AlertsTable(StoreView):
    """Open maintenance alerts, sortable (click a header), with filters in the headers."""

    title = "Maintenance alerts"
    # The gold table's columns; maintenance_needed is true on every open alert, so not shown.
    columns = [c for c in ALERT_COLUMNS if c != "maintenance_needed"]

    def build(self, snapshot: Snapshot):
        return SortableTable(
            title=self.title,
            data=self._json(snapshot),
            stale=stale_note(snapshot, names.GOLD_ALERTS),
            filters={
                "turbine_id": "text",
                "fault_code": "text",
                # Every level but NORMAL, worst first.
                "alert_level": [level for level in reversed(ALERT_LEVELS) if SEVERITY[level] > 0],
            },
            order={"alert_level": ALERT_LEVELS},
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
        frame = alerts.reindex(columns=self.columns).copy()
        for column in ("opened_at", "last_seen_at"):
            frame[column] = frame[column].map(when)
        severity = frame["alert_level"].map(SEVERITY).fillna(0)
        return (
            frame.assign(_sev=severity)
            .sort_values(["_sev", "opened_at"], ascending=[False, True])
            .drop(columns="_sev")
            .reset_index(drop=True)
        )


class CrewPlanTable(SnapshotTable):
    """The dispatch plan: one group per crew, each stop with its reason."""

    title = "Crew plan"
    parts = (names.GOLD_DISPATCH,)
    empty = "No dispatch plan yet (`windmill dispatch`)."
    columns = [
        "crew_id",
        "stop",
        "turbine_id",
        "fault_code",
        "alert_level",
        "arrival",
        "start",
        "finish",
        "deadline",
        "lateness_hours",
        "km",
    ]

    def frame(self, snapshot):
        plan = snapshot.table(names.GOLD_DISPATCH)
        if plan is None:
            return pd.DataFrame(columns=self.columns)
        frame = plan.reindex(columns=self.columns).copy()
        for column in ("arrival", "start", "finish", "deadline"):
            frame[column] = frame[column].map(when)
        return frame.sort_values(["crew_id", "stop"]).reset_index(drop=True)

    def table(self, snapshot: Snapshot) -> str:
        planned = f"<p>{html.escape(self._planned(snapshot))}</p>"
        if snapshot.table(names.GOLD_DISPATCH) is None:
            return planned
        return planned + html_table(self.frame(snapshot), group_by="crew_id")

    @staticmethod
    def _planned(snapshot: Snapshot) -> str:
        plan = snapshot.table(names.GOLD_DISPATCH)
        if plan is None or plan.empty:  # `windmill deploy` creates the table empty
            return "No dispatch plan yet (`windmill dispatch`)."
        cost = plan["plan_cost"].iloc[0] if "plan_cost" in plan else None
        return f"Planned at {when(plan['planned_at'].max())}, {plan['crew_id'].nunique()} crews, {len(plan)} stops, cost {cost:.1f}"
