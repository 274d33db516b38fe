"""Chart rendering shared by every session: SVG pictures and Bokeh figures, once per data version.

Knows no chart: a chart hands over a `build` function (an hvplot/HoloViews object, a
list of them, or a placeholder text) and gets the rendered texts back.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from dashboard.logbuffer import logger

log = logger("charts")
STATIC, INTERACTIVE = "svg", "bokeh"  # the two renders of a chart (see charts.ChartCard)
# A phone's pictures: drawn at most NARROW_WIDTH_PX wide, so their text is not shrunk to a
# third when a picture made for a wide card is scaled to a phone's width.
NARROW, NARROW_WIDTH_PX = "svg-narrow", 360
PICTURES = (STATIC, NARROW)
# Pictures are drawn for a card about 620 px wide, at the height hvplot was given (which it
# passes to matplotlib as `fig_size`, percent of 300 px); the page scales them to the card.
STATIC_WIDTH_INCHES, CARD_WIDTH_PX = 8.0, 620


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
        self.picture_kinds = {STATIC}  # the picture sizes pages asked for (warmed)
        self._items: dict[tuple, str | list[str]] = {}
        self._lock = threading.Lock()

    def get(
        self,
        key: tuple,
        data_version: int,
        build: Callable[[], Any],
        kind: str = STATIC,
        width_px: int = CARD_WIDTH_PX,
    ) -> dict[str, Any]:
        """ChartCard contents for chart `key` at `data_version` (a message when no chart).

        `build` returns an hvplot/HoloViews object, a list of them, or a placeholder text.
        """
        return self.content(self.item(key, data_version, build, kind, width_px), kind)

    @staticmethod
    def content(item: str | list[str], kind: str = STATIC) -> dict[str, Any]:
        """ChartCard parameters for a cached item: the figures, or the placeholder text."""
        figures = "images" if kind in PICTURES else "items"
        if isinstance(item, str):
            return {figures: [], "message": item}
        return {figures: item, "message": ""}

    def item(
        self,
        key: tuple,
        data_version: int,
        build: Callable[[], Any],
        kind: str = STATIC,
        width_px: int = CARD_WIDTH_PX,
    ) -> str | list[str]:
        """The cached placeholder text or figure texts, rendered now if missing; pictures are
        drawn for a box `width_px` wide (their text keeps its size in that box)."""
        if kind == NARROW:
            width_px = min(width_px, NARROW_WIDTH_PX)
        with self._lock:
            if kind in PICTURES:
                self.picture_kinds.add(kind)
            item = self._items.get((data_version, kind, *key))
            if item is None:
                item = render_chart(build, kind, width_px)
                self.renders += not isinstance(item, str)
                self._items[(data_version, kind, *key)] = item
                versions = sorted({k[0] for k in self._items}, reverse=True)
                for old in [k for k in self._items if k[0] not in versions[: self.keep_versions]]:
                    del self._items[old]
            return item

    def warm(self, data_version: int, charts: Iterable[Callable[[ChartCache, str], Any]]) -> None:
        """Render a new data version's charts right away: each of `charts` renders one, as
        each kind of picture pages asked for so far (`render(cache, kind)`).

        Runs in the poller's thread after a refresh that changed the data, so the first
        page after a change, and the open pages re-drawing, find the charts ready instead
        of rendering them on the server's event loop. The callers say which charts.
        """
        started = time.perf_counter()
        kinds = sorted(self.picture_kinds)
        for render in charts:
            for kind in kinds:
                render(self, kind)
        log.info(
            "charts of data version %d ready in %.1f ms",
            data_version,
            (time.perf_counter() - started) * 1000,
        )


# hvplot turns its keywords into options of HoloViews' current backend when a chart is made,
# and that backend is process-wide: a chart is made and rendered with its backend current,
# one at a time.
_RENDERING = threading.Lock()


def render_chart(
    build: Callable[[], Any], kind: str, width_px: int = CARD_WIDTH_PX
) -> str | list[str]:
    """Make a chart with `build` under backend `kind`; its placeholder text or figure texts.
    Pictures are drawn `width_px` wide (small multiples are narrower than a card)."""
    import holoviews as hv

    with _RENDERING:
        backend = "matplotlib" if kind in PICTURES else "bokeh"
        _load_matplotlib()  # charts may set options for both backends
        # Importing hvplot makes Bokeh the current backend: done now, before `build` runs with
        # `backend` current (a chart may ask which one it is drawn for, as the map does).
        import hvplot.pandas  # noqa: F401

        previous = hv.Store.current_backend
        hv.Store.set_current_backend(backend)
        try:
            obj = build()
            if isinstance(obj, str):
                return obj
            elements = obj if isinstance(obj, list) else [obj]
            if kind in PICTURES:
                return [_svg(element, width_px) for element in elements]
            return [_json_item(element) for element in elements]
        finally:
            hv.Store.set_current_backend(previous)


def _load_matplotlib() -> None:
    import matplotlib

    matplotlib.use("agg")  # no display: draw to files only
    matplotlib.rcParams["svg.fonttype"] = "none"  # text as text: small, in the page's font
    matplotlib.rcParams["svg.hashsalt"] = "windmill"  # the same chart, the same SVG
    import holoviews.plotting.mpl  # noqa: F401  (registers the backend's plots)


def _svg(element: Any, width_px: int = CARD_WIDTH_PX) -> str:
    import io

    import holoviews as hv
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    height_px = (
        hv.Store.lookup_options("matplotlib", element, "plot").kwargs.get("fig_size", 100) * 3
    )
    width = STATIC_WIDTH_INCHES * width_px / CARD_WIDTH_PX
    size = (width, width * height_px / width_px)
    element = element.opts(fig_inches=size, fig_size=100, aspect="auto", backend="matplotlib")
    figure = hv.render(element, backend="matplotlib")
    try:
        for axes in figure.axes:
            locator = axes.xaxis.get_major_locator()
            if isinstance(locator, mdates.DateLocator):  # "Jan 05 06:00", not full stamps
                # As many time ticks as fit the picture's width without touching.
                locator = mdates.AutoDateLocator(minticks=3, maxticks=max(4, width_px // 70))
                axes.xaxis.set_major_locator(locator)
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
