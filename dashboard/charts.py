"""The page's charts: the chart card, the four charts and the ones warmed after new data."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import panel as pn
import param

from dashboard.rendering import INTERACTIVE, STATIC, ChartCache
from dashboard.state import Poller, Snapshot
from dashboard.store import (
    CARD,
    CARD_STALE_CSS,
    COMPONENTS,
    NO_DATA,
    StoreView,
    stale_note,
    turbines_by_severity,
)
from workloads import names
from workloads.contract import ALERT_LEVELS

LEVEL_COLORS = {"NORMAL": "#2e7d32", "INFO": "#1565c0", "WARNING": "#ef6c00", "CRITICAL": "#c62828"}
TITLE_CSS = "h3 { font-size: 17px; margin: 12px 0 0; }"  # a card's title


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
    stale = param.String(default="", doc="why the chart's data is stale ('' while fresh)")

    _esm = COMPONENTS / "chart_card.js"  # served as is (see SortableTable)
    _bundle = _esm
    _stylesheets = [
        TITLE_CSS
        + CARD_STALE_CSS
        + """
.wm-head { display: flex; align-items: baseline; gap: 12px; }
.wm-empty { color: #555; font-size: 14px; }
.wm-chart { display: block; width: 100%; height: auto; }
.wm-explore { font-size: 12px; padding: 2px 8px; border: 1px solid #b0b7c3; border-radius: 4px;
  background: white; cursor: pointer; }
"""
    ]


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
    parts: tuple[str, ...] = ()  # the snapshot parts it draws (for its stale badge)

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
        content = card_content(
            lambda kind: self.item(self.store.charts, snapshot, kind), interactive
        )
        return {**content, "stale": stale_note(snapshot, *self.parts)}


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
    title = "Faults by code and level"
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
    parts = (names.GOLD_STATUS, names.GOLD_DISPATCH)

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
            for level in ALERT_LEVELS
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


def warm_up(poller: Poller, snapshot: Snapshot) -> list[Callable[[ChartCache], Any]]:
    """The charts the poller renders for new data: the snapshot charts and the worst turbine's
    trend (the one every page opens on)."""
    renders: list[Callable[[ChartCache], Any]] = [
        lambda charts, chart=chart: chart.item(charts, snapshot)
        for chart in (FleetPowerChart, FaultChart, TurbineMap)
    ]
    turbines = turbines_by_severity(snapshot)
    if turbines:
        renders.append(
            lambda charts: TurbineTrend.item(charts, poller, turbines[0], snapshot.data_version)
        )
    return renders


def warm(charts: ChartCache, poller: Poller, snapshot: Snapshot) -> None:
    """Render `snapshot`'s charts into `charts` now (a `Poller.on_new_data` callback)."""
    charts.warm(snapshot.data_version, warm_up(poller, snapshot))
