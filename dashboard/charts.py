"""The page's charts: the chart card, the four charts and the ones warmed after new data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import panel as pn
import param

from dashboard import site_map
from dashboard.rendering import CARD_WIDTH_PX, INTERACTIVE, NARROW, STATIC, ChartCache
from dashboard.site_map import LEVEL_COLORS
from dashboard.state import Poller, Snapshot
from dashboard.store import (
    CARD,
    CARD_STALE_CSS,
    COMPONENTS,
    NO_DATA,
    StoreView,
    per_snapshot,
    stale_note,
    turbines_by_severity,
)
from workloads import names
from workloads.contract import ALERT_LEVELS

TITLE_CSS = "h3 { font-size: 17px; margin: 12px 0 0; }"  # a card's title
# The trend's lines by their human names, in the legend's order.
TREND_NAMES = {
    "nacelle_temperature": "nacelle",
    "gearbox_temperature": "gearbox",
    "generator_temperature": "generator",
}


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
    narrow = param.Boolean(default=False, doc="set by the browser when the card is narrow")
    alt = param.String(default="", doc="the pictures' text alternative (default: the title)")
    stale = param.String(default="", doc="why the chart's data is stale ('' while fresh)")
    legend = param.List(default=[], doc="[label, colour, 'dot'|'ring'|'square'] above the chart")
    grid = param.Integer(default=0, doc="lay figures out side by side, columns this many px wide")
    choices = param.List(default=[], item_type=str, doc="a choice in the card's head (if any)")
    choice = param.String(default="", doc="the chosen value (set by the browser too)")
    choice_label = param.String(default="", doc="the choice's accessible name")

    _esm = COMPONENTS / "chart_card.js"  # served as is (see SortableTable)
    _bundle = _esm
    _stylesheets = [
        TITLE_CSS
        + CARD_STALE_CSS
        + """
.wm-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; }
.wm-head h3 { margin-top: 8px; }
.wm-empty { color: #555; font-size: 14px; }
.wm-chart { display: block; width: 100%; height: auto; }
.wm-explore { margin-left: auto; font-size: 13px; padding: 3px 10px; border: 1px solid #b0b7c3;
  border-radius: 4px; background: white; cursor: pointer; }
.wm-choice { font-size: 14px; padding: 3px 6px; min-width: 0; max-width: 100%; }
.wm-grid { display: grid; gap: 8px;
  grid-template-columns: repeat(auto-fill, minmax(min(var(--wm-grid-min), 100%), 1fr)); }
.wm-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; color: #333;
  margin: 4px 0; }
.wm-legend > span { display: inline-flex; align-items: center; gap: 5px; }
.wm-swatch { display: inline-block; width: 10px; height: 10px; }
.wm-swatch.wm-dot { border-radius: 50%; background: var(--c); }
.wm-swatch.wm-ring { border-radius: 50%; border: 2px solid var(--c); width: 8px; height: 8px; }
.wm-swatch.wm-square { background: var(--c); }
"""
    ]


def card_content(
    item: Callable[[str], str | list[str]], interactive: bool, narrow: bool = False
) -> dict[str, Any]:
    """ChartCard parameters from a chart's cached `item(kind)`: its pictures (or message),
    narrow ones for a narrow card, and its Bokeh figures too once it was made interactive."""
    pictures = NARROW if narrow else STATIC
    content = ChartCache.content(item(pictures), pictures)
    if interactive:
        content.update(ChartCache.content(item(INTERACTIVE), INTERACTIVE))
    return content


class SnapshotChart(StoreView):
    """A card with a chart of the data snapshot (`figure`), rendered once per data version."""

    title = "chart"
    parts: tuple[str, ...] = ()  # the snapshot parts it draws (for its stale badge)

    @classmethod
    def layout(cls, snapshot: Snapshot) -> tuple[int, int]:
        """(px its pictures are drawn for, grid: figures side by side in columns at least
        this many px wide, 0 for one under the other)."""
        return CARD_WIDTH_PX, 0

    @staticmethod
    def figure(snapshot: Snapshot):
        """An hvplot/HoloViews object, or a placeholder text."""
        raise NotImplementedError

    @classmethod
    def item(cls, charts: ChartCache, snapshot: Snapshot, kind: str = STATIC) -> str | list[str]:
        return charts.item(
            (cls.__name__,),
            snapshot.data_version,
            lambda: cls.figure(snapshot),
            kind,
            cls.layout(snapshot)[0],
        )

    @staticmethod
    def legend(snapshot: Snapshot) -> list[list[str]]:
        """The card's legend above the figures ([] for none: the figure has its own)."""
        return []

    def build(self, snapshot: Snapshot):
        card = ChartCard(title=self.title, sizing_mode="stretch_width", styles=CARD)
        card.param.update(**self._content(snapshot, interactive=False))
        card.param.watch(lambda _event: self.update(self.store.data), ["interactive", "narrow"])
        return card

    def update(self, snapshot: Snapshot) -> None:
        self.view.param.update(**self._content(snapshot, self.view.interactive, self.view.narrow))

    def _content(
        self, snapshot: Snapshot, interactive: bool, narrow: bool = False
    ) -> dict[str, Any]:
        content = card_content(
            lambda kind: self.item(self.store.charts, snapshot, kind), interactive, narrow
        )
        return {
            **content,
            "stale": stale_note(snapshot, *self.parts),
            "grid": self.layout(snapshot)[1],
            "legend": self.legend(snapshot)
            if content.get("images") or content.get("items")
            else [],
        }


class FleetPowerChart(SnapshotChart):
    title = "Fleet power"
    parts = (names.GOLD_HOURLY,)

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
    title = "Faulty readings by fault and level"
    parts = (names.GOLD_FAULTS,)

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
        levels = [lvl for lvl in ALERT_LEVELS if lvl in pivot.columns]
        return pivot[levels].hvplot.barh(
            stacked=True,
            responsive=True,
            height=280,
            xlabel="",
            ylabel="faulty readings",
            color=[LEVEL_COLORS[lvl] for lvl in levels],
            legend="bottom_right",
            group_label=" ",  # no legend title (hvplot's default is "Variable")
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

    def _content(self, interactive: bool, narrow: bool = False) -> dict[str, Any]:
        store = self.store
        args = (store.charts, store.poller, store.turbine, store.data.data_version)
        return card_content(lambda kind: self.item(*args, kind), interactive, narrow)

    @staticmethod
    def figure(poller: Poller, turbine: str | None):
        import hvplot.pandas  # noqa: F401

        if not turbine:
            return NO_DATA
        trend = poller.trend(turbine)
        if trend is None or trend.empty:
            return f"No recent readings for {turbine}."
        frame = trend.assign(timestamp=trend["timestamp"].dt.tz_convert(None)).rename(
            columns=TREND_NAMES
        )
        temps = frame.hvplot.line(
            x="timestamp",
            y=list(TREND_NAMES.values()),
            ylabel="temperature °C",
            xlabel="",
            responsive=True,
            height=220,
            legend="top",  # above the plot area: it never covers a line
            group_label=" ",  # no legend title (hvplot's default is "Variable")
        ).opts(legend_cols=3, backend="matplotlib")
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
        # The turbine choice sits in the card's head, next to the title and the button.
        store = self.store
        self.chart = ChartCard(
            title="Turbine trend",
            choice_label="Turbine",
            sizing_mode="stretch_width",
            styles=CARD,
            **self._choice(),
            **self._content(interactive=False),
        )
        self.chart.param.watch(lambda _event: self.update(store.data), ["interactive", "narrow"])
        self.chart.param.watch(self._chosen, "choice")
        return self.chart

    def _choice(self) -> dict[str, Any]:
        return {
            "choices": list(self.store.param.turbine.objects),
            "choice": self.store.turbine or "",
        }

    def _chosen(self, event) -> None:
        if (
            event.new
            and event.new != self.store.turbine
            and event.new in self.store.param.turbine.objects
        ):
            self.store.turbine = event.new

    def update(self, snapshot: Snapshot) -> None:
        self.chart.param.update(
            **self._choice(), **self._content(self.chart.interactive, self.chart.narrow)
        )


class TurbineMap(SnapshotChart):
    """One small map per site: turbines by level (and risk), crew routes (dashboard.site_map)."""

    title = "Turbine map"
    parts = (names.GOLD_STATUS, names.GOLD_DISPATCH, names.GOLD_RISK, names.TURBINES)

    @classmethod
    def layout(cls, snapshot: Snapshot) -> tuple[int, int]:
        # Up to two sites one under the other, drawn card-wide (and lower); more two by two.
        # The card is about as tall as the trend beside it either way (no empty block).
        return (CARD_WIDTH_PX, 0) if cls.few_sites(snapshot) else (320, 300)

    @classmethod
    def few_sites(cls, snapshot: Snapshot) -> bool:
        return len(cls.site_sizes(snapshot)) <= 2

    @classmethod
    def site_sizes(cls, snapshot: Snapshot) -> dict[str, int]:
        """Turbines on the map at each site (once per snapshot)."""
        return per_snapshot("map-sites", snapshot, lambda: cls._site_sizes(snapshot))

    @staticmethod
    def _site_sizes(snapshot: Snapshot) -> dict[str, int]:
        status = snapshot.table(names.GOLD_STATUS)
        if status is None:
            return {}
        turbines, _, _ = site_map.site_frames(status, registry=snapshot.table(names.TURBINES))
        return turbines["site"].value_counts().to_dict()

    @staticmethod
    def figure(snapshot: Snapshot):
        status = snapshot.table(names.GOLD_STATUS)
        if status is None:
            return NO_DATA
        figures = site_map.site_figures(
            status,
            snapshot.table(names.GOLD_DISPATCH),
            snapshot.table(names.GOLD_RISK),
            registry=snapshot.table(names.TURBINES),
            height=230 if TurbineMap.few_sites(snapshot) else site_map.MAP_HEIGHT,
        )
        return figures or "No turbine has a position yet."

    @classmethod
    def legend(cls, snapshot: Snapshot) -> list[list[str]]:
        return site_map.legend(
            with_risk=site_map.has_risk(
                snapshot.table(names.GOLD_STATUS), snapshot.table(names.GOLD_RISK)
            ),
            # A site drawn as cells in the pictures (site_map.is_dense): say what a cell means.
            dense=any(n > site_map.DENSE_TURBINES for n in cls.site_sizes(snapshot).values()),
        )


def warm_up(poller: Poller, snapshot: Snapshot) -> list[Callable[[ChartCache, str], Any]]:
    """The charts the poller renders for new data: the snapshot charts and the worst turbine's
    trend (the one every page opens on); each `render(cache, kind)`."""
    renders: list[Callable[[ChartCache, str], Any]] = [
        lambda charts, kind, chart=chart: chart.item(charts, snapshot, kind)
        for chart in (FleetPowerChart, FaultChart, TurbineMap)
    ]
    turbines = turbines_by_severity(snapshot)
    if turbines:
        renders.append(
            lambda charts, kind: TurbineTrend.item(
                charts, poller, turbines[0], snapshot.data_version, kind
            )
        )
    return renders


def warm(charts: ChartCache, poller: Poller, snapshot: Snapshot) -> None:
    """Render `snapshot`'s charts into `charts` now (a `Poller.on_new_data` callback)."""
    charts.warm(snapshot.data_version, warm_up(poller, snapshot))
