"""The page's data side: a DataStore per session over the shared snapshot, and view bases.

Views (header, tables, charts) are small `Viewer`s over a session's `DataStore`; what
every session draws alike is made once per snapshot (`per_snapshot`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from dashboard.rendering import ChartCache
from dashboard.state import Poller, Snapshot
from workloads import names
from workloads.contract import SEVERITY

NO_DATA = "No data yet: run `windmill generate` and `windmill pipeline run`."
CARD = {"flex": "1 1 420px", "min-width": "280px"}
COMPONENTS = Path(__file__).parent / "components"  # the browser side of our JS components
# A card's own stale badge (its data could not be read; the last good data is shown).
CARD_STALE_CSS = """
.wm-card-stale { display: inline-block; background: #c62828; color: white; padding: 1px 8px;
  border-radius: 10px; font-size: 12px; font-weight: 600; overflow-wrap: anywhere; }
.wm-card-stale[hidden] { display: none; }
"""


def _utc(value: Any) -> pd.Timestamp | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def when(value: Any) -> str:
    """A timestamp as `YYYY-MM-DD HH:MM:SS UTC` ('' for missing)."""
    stamp = _utc(value)
    return "" if stamp is None else stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def short_when(value: Any) -> str:
    """A timestamp as `Jan 05 14:30` in UTC ('' for missing): for table cells whose header
    says UTC, so a row of times fits a card."""
    stamp = _utc(value)
    return "" if stamp is None else stamp.strftime("%b %d %H:%M")


def duration(seconds: Any) -> str:
    """Seconds as `3.5 s`, `4 min 10 s` or `2 h 05 min` ('' for missing)."""
    if seconds is None or pd.isna(seconds):
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def stale_note(snapshot: Snapshot, *parts: str) -> str:
    """'' while `parts` are fresh, else since when and why they are stale (plain text)."""
    stale = snapshot.stale_parts(*parts)
    if not stale:
        return ""
    since = min(part.stale_since for _, part in stale)
    reasons = "; ".join(f"{name}: {part.error}" for name, part in stale)
    return f"stale since {when(since)} ({reasons})"


def stale_badge(snapshot: Snapshot, *parts: str) -> str:
    """The card's stale badge as HTML ('' while its parts are fresh)."""
    note = stale_note(snapshot, *parts)
    return f'<div class="wm-card-stale">{html.escape(note)}</div>' if note else ""


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
