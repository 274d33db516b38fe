"""The page: a DataStore (shared snapshot → session) and small views that read it."""

from __future__ import annotations

import html
import json
import numbers
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from dashboard.logbuffer import logger
from dashboard.state import Poller, Snapshot
from workloads import names
from workloads.pipeline.transforms import ALERT_COLUMNS

LEVEL_COLORS = {"NORMAL": "#2e7d32", "INFO": "#1565c0", "WARNING": "#ef6c00", "CRITICAL": "#c62828"}
LEVEL_ORDER = ["NORMAL", "INFO", "WARNING", "CRITICAL"]
SEVERITY = {level: rank for rank, level in enumerate(LEVEL_ORDER)}  # higher is worse
log = logger("views")
NO_DATA = "No data yet: run `windmill generate` and `windmill pipeline run`."
CARD = {"flex": "1 1 420px", "min-width": "280px"}
TITLE_CSS = "h3 { font-size: 17px; margin: 12px 0 0; }"  # a card's title
COMPONENTS = Path(__file__).parent / "components"  # the browser side of our JS components


def when(value: Any) -> str:
    """A timestamp as `YYYY-MM-DD HH:MM:SS UTC` ('' for missing)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


_SHARED: dict[tuple[str, int], tuple[Snapshot, Any]] = {}
_SHARED_SIZE = 64


def per_snapshot(name: str, snapshot: Snapshot, make: Callable[[], Any]) -> Any:
    """`make()` once per snapshot for every session: views draw the same snapshot alike.

    Keyed by the snapshot object (its id, checked by identity), so 50 open pages cost one
    table render per refresh, not 50. Only the newest entries are kept.
    """
    key = (name, id(snapshot))
    entry = _SHARED.get(key)
    if entry is not None and entry[0] is snapshot:
        return entry[1]
    value = make()
    _SHARED[key] = (snapshot, value)
    while len(_SHARED) > _SHARED_SIZE:
        del _SHARED[next(iter(_SHARED))]
    return value


class DataStore(param.Parameterized):
    """One per browser session: mirrors the process-wide poller's snapshot.

    Syncing is a cheap in-memory check (no workspace calls), so many open sessions
    never multiply the calls the poller makes.
    """

    snapshot = param.ClassSelector(class_=Snapshot, doc="the latest snapshot (every refresh)")
    data = param.ClassSelector(class_=Snapshot, doc="the latest snapshot whose data changed")
    turbine = param.Selector(default=None, objects=[], label="Turbine")

    def __init__(
        self, poller: Poller, sync_ms: int = 1000, charts: ChartCache | None = None, **params
    ) -> None:
        super().__init__(snapshot=poller.snapshot, data=poller.snapshot, **params)
        self.poller = poller
        self.charts = charts or ChartCache()
        self.sync_ms = sync_ms
        self.callback = None
        self.param.update(**self._turbine_choice(self.data))

    def sync(self) -> bool:
        """Pick up a newer snapshot; returns whether it changed.

        All the page's changes go to the browser in one message, so it never shows new
        figures next to the previous "Last refreshed".
        """
        latest = self.poller.snapshot
        if latest.version == self.snapshot.version:
            return False
        with pn.io.hold():
            if latest.data_version != self.data.data_version:
                # One update: views watching both see the new data with its turbine choice.
                self.param.update(data=latest, **self._turbine_choice(latest))
            self.snapshot = latest
        return True

    def start(self) -> None:
        """Keep syncing while the session lives (the handle is kept and stopped)."""
        if self.callback is None:
            self.callback = pn.state.add_periodic_callback(self.sync, period=self.sync_ms)

    def stop(self) -> None:
        if self.callback is not None:
            self.callback.stop()
            self.callback = None

    def _turbine_choice(self, snapshot: Snapshot) -> dict[str, str | None]:
        """Offer the snapshot's turbines (worst first); a new choice if the current one left."""
        ordered = per_snapshot("turbines", snapshot, lambda: turbines_by_severity(snapshot))
        if ordered is None:
            return {}
        self.param.turbine.objects = ordered
        if self.turbine in ordered:
            return {}
        return {"turbine": ordered[0] if ordered else None}


def turbines_by_severity(snapshot: Snapshot) -> list[str] | None:
    """Turbine ids, worst alert level first (None before the status table has data)."""
    status = snapshot.table(names.GOLD_STATUS)
    if status is None:
        return None
    severity = status["alert_level"].map(SEVERITY)
    return (
        status.assign(_sev=severity.fillna(0))
        .sort_values(["_sev", "turbine_id"], ascending=[False, True])["turbine_id"]
        .astype(str)
        .tolist()
    )


class StoreView(Viewer):
    """A piece of the page over the session's DataStore, redrawn in place when it changes.

    `build` makes the piece's Panel object once per session; a watcher on the store's
    `watch` parameters calls `update` when they change. (No `pn.bind` wrappers: each
    one adds Panel and Bokeh objects that every session builds and every browser lays out.)
    """

    # The store's parameters to follow; the first is the snapshot given to build/update.
    # "data" changes when the data did; "snapshot" after every refresh.
    watch: tuple[str, ...] = ("data",)

    def __init__(self, store: DataStore, **params) -> None:
        super().__init__(**params)
        self.store = store
        self.view = self.build(getattr(store, self.watch[0]))
        store.param.watch(lambda *_events: self.update(getattr(store, self.watch[0])), self.watch)

    def build(self, snapshot: Snapshot):
        raise NotImplementedError

    def update(self, snapshot: Snapshot) -> None:
        raise NotImplementedError

    def __panel__(self):
        return self.view


class HtmlView(StoreView):
    """A piece of the page drawn as one HTML pane (`html`), styled by `css`."""

    css = ""
    styles: dict[str, str] = {}

    def html(self, snapshot: Snapshot) -> str:
        raise NotImplementedError

    def build(self, snapshot: Snapshot):
        return pn.pane.HTML(
            self._shared_html(snapshot),
            sizing_mode="stretch_width",
            styles=self.styles,
            stylesheets=[self.css],
        )

    def update(self, snapshot: Snapshot) -> None:
        self.view.object = self._shared_html(snapshot)

    def _shared_html(self, snapshot: Snapshot) -> str:
        return per_snapshot(type(self).__name__, snapshot, lambda: self.html(snapshot))


# Header and KPIs ------------------------------------------------------------------------------


BADGE_CSS = """
.wm-badges { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; font-size: 14px; }
.wm-refreshed { font-weight: 600; }
.wm-source { color: #555; }
.wm-stale { background: #c62828; color: white; padding: 2px 8px; border-radius: 10px; font-weight: 600; }
.wm-error { color: #c62828; overflow-wrap: anywhere; }
"""

KPI_CSS = """
.wm-kpis { display: flex; flex-wrap: wrap; gap: 10px; }
.wm-kpi { flex: 1 1 130px; border: 1px solid #ddd; border-radius: 8px; padding: 8px 12px; background: #fafafa; }
.wm-kpi .wm-label { font-size: 13px; color: #555; }
.wm-kpi .wm-value { font-size: 28px; font-weight: 700; }
.wm-kpi.critical .wm-value { color: #c62828; }
.wm-kpi.warning .wm-value { color: #ef6c00; }
.wm-platform { margin-top: 6px; font-size: 14px; }
"""


class RefreshBadge(HtmlView):
    """'Last refreshed' time, source and the stale badge with the error."""

    watch = ("snapshot",)
    css = BADGE_CSS

    def html(self, snapshot: Snapshot) -> str:
        parts = [
            f'<span class="wm-refreshed" id="wm-refreshed">Last refreshed: '
            f"{html.escape(when(snapshot.refreshed_at) or 'not yet')}</span>",
            f'<span class="wm-source">source: {html.escape(snapshot.source)}'
            + (
                f" ({html.escape(snapshot.status.filter_path)})"
                if snapshot.status and snapshot.source != "local"
                else ""
            )
            + "</span>",
        ]
        if snapshot.stale:
            parts.append(
                f'<span class="wm-stale" id="wm-stale">stale since {html.escape(when(snapshot.stale_since))}</span>'
                f'<span class="wm-error">{html.escape(snapshot.error or "")}</span>'
            )
        elif snapshot.error:
            parts.append(f'<span class="wm-error">{html.escape(snapshot.error)}</span>')
        return '<div class="wm-badges">' + " ".join(parts) + "</div>"


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value}{unit}"


class FleetKpis(HtmlView):
    """Turbines reporting, fleet power now, energy today, open CRITICAL/WARNING alerts."""

    css = KPI_CSS

    def html(self, snapshot: Snapshot) -> str:
        fleet = snapshot.fleet()
        pipelines = snapshot.counts("pipelines")
        jobs = snapshot.counts("jobs")
        cards = [
            ("turbines", "", "Turbines reporting", _fmt(fleet["turbines_reporting"])),
            ("power", "", "Fleet power now (MW)", _fmt(fleet["power_now_mw"])),
            ("energy", "", "Energy today (MWh)", _fmt(fleet["energy_today_mwh"])),
            ("critical", "critical", "Open CRITICAL alerts", _fmt(fleet["critical_alerts"])),
            ("warning", "warning", "Open WARNING alerts", _fmt(fleet["warning_alerts"])),
        ]
        body = "".join(
            f'<div class="wm-kpi {css}"><div class="wm-label">{html.escape(label)}</div>'
            f'<div class="wm-value" id="kpi-{key}">{html.escape(value)}</div></div>'
            for key, css, label, value in cards
        )
        platform = (
            f'<div class="wm-platform">Pipelines: <b id="pipelines-total">{pipelines["total"]}</b> total, '
            f'<b id="pipelines-active">{pipelines["active"]}</b> active, '
            f'<b id="pipelines-idle">{pipelines["idle"]}</b> idle · Jobs: '
            f'<b id="jobs-total">{jobs["total"]}</b> total, <b id="jobs-active">{jobs["active"]}</b> active, '
            f'<b id="jobs-idle">{jobs["idle"]}</b> idle</div>'
        )
        return f'<div class="wm-kpis">{body}</div>{platform}'


# Tables ---------------------------------------------------------------------------------------

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
    css = TABLE_CSS
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
        return f"<h3>{html.escape(self.title)}</h3>{self.table(snapshot)}"


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

    # A file served as is: the browser imports it without compiling it (as it would an
    # inline `_esm`, for every instance on every page load).
    _esm = COMPONENTS / "sortable_table.js"
    _bundle = _esm

    _stylesheets = [
        TABLE_CSS
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
            filters={
                "turbine_id": "text",
                "fault_code": "text",
                "alert_level": ["CRITICAL", "WARNING", "INFO"],
            },
            order={"alert_level": LEVEL_ORDER},
            empty="No open maintenance alerts.",
            sizing_mode="stretch_width",
            styles=CARD,
        )

    def update(self, snapshot: Snapshot) -> None:
        self.view.data = self._json(snapshot)

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
        if plan is None:
            return "No dispatch plan yet (`windmill dispatch`)."
        cost = plan["plan_cost"].iloc[0] if "plan_cost" in plan else None
        return f"Planned at {when(plan['planned_at'].max())}, {plan['crew_id'].nunique()} crews, {len(plan)} stops, cost {cost:.1f}"


# Charts ---------------------------------------------------------------------------------------


class ChartCard(pn.custom.JSComponent):
    """A card with a title and a chart: pictures first, Bokeh figures when asked for.

    `images` are the chart's figures as SVG documents, drawn by the browser as images in a
    few milliseconds. The card's "Interactive" button sets `interactive`; the server then
    sends `items`, the same figures as `bokeh.embed.json_item` texts, and BokehJS draws
    them with zoom, pan and hover. With no figures the card shows `message` (`code` spans
    as code). The figures are rendered once per data version for every session (ChartCache).
    """

    title = param.String(default="")
    images = param.List(default=[], item_type=str, doc="the figures as SVG documents")
    items = param.List(default=[], item_type=str, doc="the figures as json_item texts")
    message = param.String(default="", doc="shown instead of the figures when there are none")
    interactive = param.Boolean(default=False, doc="set by the card's button in the browser")
    alt = param.String(default="", doc="the pictures' text alternative (default: the title)")

    _esm = COMPONENTS / "chart_card.js"  # served as is (see SortableTable)
    _bundle = _esm
    _stylesheets = [
        TITLE_CSS
        + """
.wm-head { display: flex; align-items: baseline; gap: 12px; }
.wm-empty { color: #555; font-size: 14px; }
.wm-chart { display: block; width: 100%; height: auto; }
.wm-explore { font-size: 12px; padding: 2px 8px; border: 1px solid #b0b7c3; border-radius: 4px;
  background: white; cursor: pointer; }
"""
    ]


STATIC, INTERACTIVE = "svg", "bokeh"  # the two renders of a chart (see ChartCard)


class ChartCache:
    """Renders of the hvplot charts, made once per data version and shared by sessions.

    Each chart is an hvplot object rendered two ways: by HoloViews' matplotlib backend to
    SVG (STATIC, what every page shows first), and on demand by its Bokeh backend to
    `bokeh.embed.json_item` JSON (INTERACTIVE). In a fresh browser BokehJS needs 100-200 ms
    of the page's one main thread per figure to build, lay out and paint it, which is most
    of a page load with five figures; an SVG picture takes a few milliseconds. A render
    costs the server 50-400 ms, so it is made once per data version and kept as text.
    """

    def __init__(self, keep_versions: int = 2) -> None:
        self.keep_versions = keep_versions
        self.renders = 0  # HoloViews renders done (for tests and logs)
        self._items: dict[tuple, str | list[str]] = {}
        self._lock = threading.Lock()

    def get(
        self, key: tuple, data_version: int, build: Callable[[], Any], kind: str = STATIC
    ) -> dict[str, Any]:
        """ChartCard contents for chart `key` at `data_version` (a message when no chart).

        `build` returns an hvplot/HoloViews object, a list of them, or a placeholder text.
        """
        return self.content(self.item(key, data_version, build, kind), kind)

    @staticmethod
    def content(item: str | list[str], kind: str = STATIC) -> dict[str, Any]:
        """ChartCard parameters for a cached item: the figures, or the placeholder text."""
        figures = "images" if kind == STATIC else "items"
        if isinstance(item, str):
            return {figures: [], "message": item}
        return {figures: item, "message": ""}

    def item(
        self, key: tuple, data_version: int, build: Callable[[], Any], kind: str = STATIC
    ) -> str | list[str]:
        """The cached placeholder text or figure texts, rendered now if missing."""
        with self._lock:
            item = self._items.get((data_version, kind, *key))
            if item is None:
                item = render_chart(build, kind)
                self.renders += not isinstance(item, str)
                self._items[(data_version, kind, *key)] = item
                versions = sorted({k[0] for k in self._items}, reverse=True)
                for old in [k for k in self._items if k[0] not in versions[: self.keep_versions]]:
                    del self._items[old]
            return item

    def warm(self, poller: Poller, snapshot: Snapshot) -> None:
        """Render a new data version's pictures (and the first turbine's trend) right away.

        Runs in the poller's thread after a refresh that changed the data, so the first
        page after a change, and the open pages re-drawing, find the charts ready instead
        of rendering them on the server's event loop.
        """
        started = time.perf_counter()
        version = snapshot.data_version
        for chart in (FleetPowerChart, FaultChart, TurbineMap):
            chart.item(self, snapshot)
        turbines = turbines_by_severity(snapshot)
        if turbines:
            TurbineTrend.item(self, poller, turbines[0], version)
        log.info(
            "charts of data version %d ready in %.1f ms",
            version,
            (time.perf_counter() - started) * 1000,
        )


# hvplot turns its keywords into options of HoloViews' current backend when a chart is made,
# and that backend is process-wide: a chart is made and rendered with its backend current,
# one at a time.
_RENDERING = threading.Lock()
# Pictures are drawn for a card about 620 px wide, at the height hvplot was given (which it
# passes to matplotlib as `fig_size`, percent of 300 px); the page scales them to the card.
STATIC_WIDTH_INCHES, CARD_WIDTH_PX = 8.0, 620


def render_chart(build: Callable[[], Any], kind: str) -> str | list[str]:
    """Make a chart with `build` under backend `kind`; its placeholder text or figure texts."""
    import holoviews as hv

    with _RENDERING:
        backend = "matplotlib" if kind == STATIC else "bokeh"
        _load_matplotlib()  # charts may set options for both backends
        previous = hv.Store.current_backend
        hv.Store.set_current_backend(backend)
        try:
            obj = build()
            if isinstance(obj, str):
                return obj
            render = _svg if kind == STATIC else _json_item
            return [render(element) for element in (obj if isinstance(obj, list) else [obj])]
        finally:
            hv.Store.set_current_backend(previous)


def _load_matplotlib() -> None:
    import matplotlib

    matplotlib.use("agg")  # no display: draw to files only
    matplotlib.rcParams["svg.fonttype"] = "none"  # text as text: small, in the page's font
    matplotlib.rcParams["svg.hashsalt"] = "windmill"  # the same chart, the same SVG
    import holoviews.plotting.mpl  # noqa: F401  (registers the backend's plots)


def _svg(element: Any) -> str:
    import io

    import holoviews as hv
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    height_px = (
        hv.Store.lookup_options("matplotlib", element, "plot").kwargs.get("fig_size", 100) * 3
    )
    size = (STATIC_WIDTH_INCHES, STATIC_WIDTH_INCHES * height_px / CARD_WIDTH_PX)
    element = element.opts(fig_inches=size, fig_size=100, aspect="auto", backend="matplotlib")
    figure = hv.render(element, backend="matplotlib")
    try:
        for axes in figure.axes:
            locator = axes.xaxis.get_major_locator()
            if isinstance(locator, mdates.DateLocator):  # "Jan 05 06:00", not full stamps
                axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        out = io.StringIO()
        figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
        return out.getvalue()
    finally:
        plt.close(figure)


def _json_item(element: Any) -> str:
    import holoviews as hv
    from bokeh.embed import json_item
    from bokeh.models import Plot

    figure = hv.render(element, backend="bokeh")
    # HoloViews asks for WebGL; a few hundred points draw faster on a plain canvas and the
    # page then does not need BokehJS's GL bundle.
    for plot in figure.select({"type": Plot}):
        plot.output_backend = "canvas"
    return json.dumps(json_item(figure))


def card_content(item: Callable[[str], str | list[str]], interactive: bool) -> dict[str, Any]:
    """ChartCard parameters from a chart's cached `item(kind)`: its pictures (or message),
    and its Bokeh figures too once the card was made interactive."""
    content = ChartCache.content(item(STATIC))
    if interactive:
        content.update(ChartCache.content(item(INTERACTIVE), INTERACTIVE))
    return content


def _title(text: str):
    """A card's title (plain HTML: no Markdown to parse for every session)."""
    return pn.pane.HTML(
        f"<h3>{html.escape(text)}</h3>", sizing_mode="stretch_width", stylesheets=[TITLE_CSS]
    )


class SnapshotChart(StoreView):
    """A card with a chart of the data snapshot (`figure`), rendered once per data version."""

    title = "chart"

    @staticmethod
    def figure(snapshot: Snapshot):
        """An hvplot/HoloViews object, or a placeholder text."""
        raise NotImplementedError

    @classmethod
    def item(cls, charts: ChartCache, snapshot: Snapshot, kind: str = STATIC) -> str | list[str]:
        return charts.item(
            (cls.__name__,), snapshot.data_version, lambda: cls.figure(snapshot), kind
        )

    def build(self, snapshot: Snapshot):
        card = ChartCard(title=self.title, sizing_mode="stretch_width", styles=CARD)
        card.param.update(**self._content(snapshot, interactive=False))
        card.param.watch(lambda _event: self.update(self.store.data), "interactive")
        return card

    def update(self, snapshot: Snapshot) -> None:
        self.view.param.update(**self._content(snapshot, self.view.interactive))

    def _content(self, snapshot: Snapshot, interactive: bool) -> dict[str, Any]:
        return card_content(lambda kind: self.item(self.store.charts, snapshot, kind), interactive)


class FleetPowerChart(SnapshotChart):
    title = "Fleet power"

    @staticmethod
    def figure(snapshot: Snapshot):
        import hvplot.pandas  # noqa: F401

        hourly = snapshot.table(names.GOLD_HOURLY)
        if hourly is None:
            return NO_DATA
        frame = hourly.sort_values("hour").assign(mean_power_mw=lambda f: f["mean_power_kw"] / 1000)
        frame["hour"] = frame["hour"].dt.tz_convert(None)
        return frame.hvplot.area(
            x="hour",
            y="mean_power_mw",
            ylabel="mean power (MW per turbine)",
            xlabel="hour (UTC)",
            responsive=True,
            height=280,
            color="#1565c0",
            alpha=0.6,
        )


class FaultChart(SnapshotChart):
    title = "Faults by code and level"

    @staticmethod
    def figure(snapshot: Snapshot):
        import hvplot.pandas  # noqa: F401

        faults = snapshot.table(names.GOLD_FAULTS)
        if faults is None:
            return NO_DATA
        frame = faults.dropna(subset=["fault_code"])
        if frame.empty:
            return "No faults recorded."
        pivot = frame.pivot_table(
            index="fault_code",
            columns="alert_level",
            values="fault_count",
            aggfunc="sum",
            fill_value=0,
        )
        levels = [lvl for lvl in LEVEL_ORDER if lvl in pivot.columns]
        return pivot[levels].hvplot.barh(
            stacked=True,
            responsive=True,
            height=280,
            xlabel="",
            ylabel="faults",
            color=[LEVEL_COLORS[lvl] for lvl in levels],
            legend="bottom_right",
        )


class TurbineTrend(StoreView):
    """Temperatures and vibration of the chosen turbine (silver, last 24 h)."""

    watch = ("data", "turbine")

    @classmethod
    def item(
        cls,
        charts: ChartCache,
        poller: Poller,
        turbine: str | None,
        data_version: int,
        kind: str = STATIC,
    ) -> str | list[str]:
        return charts.item(
            (cls.__name__, turbine), data_version, lambda: cls.figure(poller, turbine), kind
        )

    def _content(self, interactive: bool) -> dict[str, Any]:
        store = self.store
        args = (store.charts, store.poller, store.turbine, store.data.data_version)
        return card_content(lambda kind: self.item(*args, kind), interactive)

    @staticmethod
    def figure(poller: Poller, turbine: str | None):
        import hvplot.pandas  # noqa: F401

        if not turbine:
            return NO_DATA
        trend = poller.trend(turbine)
        if trend is None or trend.empty:
            return f"No recent readings for {turbine}."
        frame = trend.assign(timestamp=trend["timestamp"].dt.tz_convert(None))
        temps = frame.hvplot.line(
            x="timestamp",
            y=["nacelle_temperature", "gearbox_temperature", "generator_temperature"],
            ylabel="°C",
            xlabel="",
            responsive=True,
            height=220,
            legend="top_left",
        )
        vibration = frame.hvplot.line(
            x="timestamp",
            y="vibration_level",
            ylabel="vibration m/s²",
            xlabel="time (UTC)",
            responsive=True,
            height=200,
            color="#6a1b9a",
        )
        return [temps, vibration]

    def build(self, snapshot: Snapshot):
        self.chart = ChartCard(
            alt="Turbine trend", sizing_mode="stretch_width", **self._content(interactive=False)
        )
        self.chart.param.watch(lambda _event: self.update(self.store.data), "interactive")
        select = pn.widgets.Select.from_param(self.store.param.turbine, sizing_mode="stretch_width")
        return pn.Column(
            _title("Turbine trend"), select, self.chart, sizing_mode="stretch_width", styles=CARD
        )

    def update(self, snapshot: Snapshot) -> None:
        self.chart.param.update(**self._content(self.chart.interactive))


class TurbineMap(SnapshotChart):
    """Turbines by position, coloured by alert level, with crew routes (no map tiles)."""

    title = "Turbine map"

    @staticmethod
    def figure(snapshot: Snapshot):
        import holoviews as hv
        import hvplot.pandas  # noqa: F401

        status = snapshot.table(names.GOLD_STATUS)
        if status is None:
            return NO_DATA
        frame = status[
            ["turbine_id", "latitude", "longitude", "alert_level", "fault_code", "power_output"]
        ].copy()
        frame["alert_level"] = frame["alert_level"].fillna("NORMAL")
        # One layer per level so each keeps its fixed colour.
        layers = [
            frame[frame["alert_level"] == level]
            .hvplot.points(
                x="longitude",
                y="latitude",
                label=level,
                color=LEVEL_COLORS[level],
                size=60,
                responsive=True,
                hover_cols=["turbine_id", "fault_code", "power_output"],
            )
            .opts(s=40, backend="matplotlib")  # hvplot's size is Bokeh's; as an area in pt²
            for level in LEVEL_ORDER
            if (frame["alert_level"] == level).any()
        ]
        plan = snapshot.table(names.GOLD_DISPATCH)
        routes = []
        if plan is not None:
            # Each crew's stops in visiting order (the base is not in the plan table).
            routes = [
                hv.Path(
                    crew.sort_values("stop")[["longitude", "latitude"]].to_numpy(),
                    kdims=["longitude", "latitude"],
                    label=f"route {crew_id}",
                )
                .opts(line_width=2, alpha=0.7, backend="bokeh")
                .opts(linewidth=2, alpha=0.7, backend="matplotlib")
                for crew_id, crew in plan.groupby("crew_id")
            ]
        return (
            hv.Overlay([*routes, *layers])
            .opts(legend_position="right", xlabel="longitude", ylabel="latitude")
            .opts(responsive=True, height=360, backend="bokeh")
            .opts(fig_size=120, backend="matplotlib")  # 360 px high, as in hvplot's terms
        )
