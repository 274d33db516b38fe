"""Compose the page (a light template per session) and serve it with the JSON API."""

from __future__ import annotations

import panel as pn

from dashboard import api
from dashboard.ask import AskBox, Asker
from dashboard.ask import patterns as ask_patterns
from dashboard.charts import FaultChart, FleetPowerChart, TurbineMap, TurbineTrend, warm
from dashboard.header import FleetKpis, RefreshBadge
from dashboard.logbuffer import LogBuffer, logger
from dashboard.rendering import ChartCache
from dashboard.state import Poller
from dashboard.store import CARD, DataStore
from dashboard.tables import AlertsTable, CrewPlanTable, EventsTable, JobsTable, PipelinesTable

log = logger("app")
FLEX = {"flex_wrap": "wrap", "sizing_mode": "stretch_width", "gap": "12px"}


def whole_rows(*cards) -> list[pn.FlexBox]:
    """Each card alone in a row, as wide as the page (a card's flex basis is a width: in a
    column it would become a 420 px height)."""
    return [pn.FlexBox(card, **FLEX) for card in cards]


# A plain page: a header and the content, laid out by our own CSS. Panel's ready-made
# templates load a design system (FastListTemplate: 0.9 MB of JS, a web font from Google)
# that the page does not need. The script list leaves out BokehJS's MathJax bundle
# (1.8 MB; Panel 1.9 asks for it whenever a page has an HTML pane) and its WebGL bundle
# (charts draw on a plain canvas): no text or chart on the page uses either.
PAGE = """{% extends base %}
{% block js_resources %}
{%- for line in bokeh_js.split("\n")
      if "bokeh-mathjax" not in line and "bokeh-gl" not in line %}
{{ line }}
{%- endfor %}
{% endblock %}
{% block postamble %}
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f5f6f8; }
  .wm-header { background: #0d3b66; color: white; padding: 10px 16px; font-size: 22px; font-weight: 600; }
  .wm-main { max-width: 1600px; margin: 0 auto; padding: 12px; box-sizing: border-box; }
  @media (max-width: 600px) { .wm-main { padding: 6px; } }
</style>
{% endblock %}
{% block contents %}
<header class="wm-header">Windmill</header>
<main class="wm-main">{{ embed(roots.main) }}</main>
{% endblock %}
"""


# Panels other parts of the system add, each in its own module: the page places each in its
# slot (module, how to build it from the session's store), and works the same while a
# module is not there yet. A panel that fails to build is logged and left out.
def _home(store: DataStore):
    """The local home the gold source reads (None on Databricks, where there is none)."""
    return getattr(store.poller.gold_source, "paths", None)


def _risk(module, store):
    return module.panel_for_home(_home(store)) if _home(store) is not None else None


def _schedule(module, store):
    return module.panel(*module.load_schedule(_home(store))) if _home(store) is not None else None


OPTIONAL_PANELS = {
    "risk": ("dashboard.risk_panel", _risk),  # top-10 at risk, the model card
    "alerts": ("dashboard.alerts_panel", lambda module, store: module.panel(store)),  # ack, SLA
    "schedule": ("dashboard.schedule_panel", _schedule),  # each crew's multi-day timeline
}


def optional_panels(slot: str, store: DataStore) -> list:
    """The panel of `slot` as a card ([] while its module does not exist)."""
    import importlib

    name, build = OPTIONAL_PANELS[slot]
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise  # the module is there but needs something missing: a real error
        return []
    try:
        view = build(module, store)
    except Exception:  # one panel's failure never takes the page down
        log.exception("the %s panel (%s) could not be built", slot, name)
        return []
    if view is None:
        return []
    # A panel wider than a phone scrolls inside its card instead of widening the page.
    return [pn.Column(view, sizing_mode="stretch_width", styles={**CARD, "overflow-x": "auto"})]


class Page(pn.Template):
    """The page template. Its repr (Panel rebuilds it for notebooks on every added item,
    walking every child's parameters) is skipped: it cost ~50 ms of each session's build."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(main)"


def create_page(
    poller: Poller,
    sync_ms: int = 1000,
    charts: ChartCache | None = None,
    asker: Asker | None = None,
) -> Page:
    """The page of one browser session; it only reads the shared poller (and chart cache).
    The Ask box is there when `asker` can answer; it computes nothing until asked."""
    store = DataStore(poller, sync_ms=sync_ms, charts=charts)
    store.start()
    pn.state.on_session_destroyed(lambda _context: store.stop())
    ask = [AskBox(asker)] if asker is not None and asker.enabled else []
    # Two cards a row where their content fits half a wide screen; the tables with many
    # columns (alerts, crew plan, events) get the whole width. One column on a phone.
    main = pn.Column(
        RefreshBadge(store),
        FleetKpis(store),
        *ask,
        pn.FlexBox(FleetPowerChart(store), FaultChart(store), **FLEX),
        pn.FlexBox(TurbineMap(store), TurbineTrend(store), **FLEX),
        *whole_rows(
            *optional_panels("risk", store),
            AlertsTable(store),
            *optional_panels("alerts", store),
            CrewPlanTable(store),
            *optional_panels("schedule", store),
        ),
        pn.FlexBox(PipelinesTable(store), JobsTable(store), **FLEX),
        *whole_rows(EventsTable(store)),
        sizing_mode="stretch_width",
    )
    return Page(PAGE, items={"main": main})


def serve(
    poller: Poller,
    log_buffer: LogBuffer | None,
    *,
    port: int,
    address: str,
    websocket_origins: list[str] | None = None,
    sync_ms: int = 1000,
    asker: Asker | None = None,
) -> None:
    """Start the poller (once) and serve the page and /api/* until interrupted."""
    asker = asker or Asker(None, "")
    # Import the plotting stack now, not during the first visitor's page load.
    import hvplot.pandas  # noqa: F401

    charts = ChartCache()  # one per process, like the poller
    poller.on_new_data.append(lambda snapshot: warm(charts, poller, snapshot))
    poller.start()
    origins = websocket_origins or [f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    log.info("serving on http://%s:%d (refresh every %s s)", address, port, poller.refresh_seconds)
    pn.serve(
        {"/": lambda: create_page(poller, sync_ms, charts, asker)},
        port=port,
        address=address,
        websocket_origin=origins,
        show=False,
        start=True,
        title="Windmill",
        extra_patterns=api.patterns(poller, log_buffer) + ask_patterns(asker),
        verbose=False,
    )
