"""Compose the page (a template per session) and serve it with the JSON API."""

from __future__ import annotations

import panel as pn

from dashboard import api
from dashboard.logbuffer import LogBuffer, logger
from dashboard.state import Poller
from dashboard.views import (
    AlertsTable,
    CrewPlanTable,
    DataStore,
    EventsTable,
    FaultChart,
    FleetKpis,
    FleetPowerChart,
    JobsTable,
    PipelinesTable,
    RefreshBadge,
    TurbineMap,
    TurbineTrend,
)

log = logger("app")
FLEX = {"flex_wrap": "wrap", "sizing_mode": "stretch_width", "gap": "12px"}


def create_page(poller: Poller, sync_ms: int = 1000) -> pn.template.BaseTemplate:
    """The page of one browser session; it only reads the shared poller."""
    store = DataStore(poller, sync_ms=sync_ms)
    store.start()
    pn.state.on_session_destroyed(lambda _context: store.stop())
    template = pn.template.FastListTemplate(
        title="Windmill",
        theme_toggle=False,
        main_max_width="1600px",
        accent_base_color="#1565c0",
        header_background="#0d3b66",
    )
    template.main.extend(
        [
            pn.Column(RefreshBadge(store), FleetKpis(store), sizing_mode="stretch_width"),
            pn.FlexBox(FleetPowerChart(store), FaultChart(store), **FLEX),
            pn.FlexBox(TurbineMap(store), TurbineTrend(store), **FLEX),
            pn.FlexBox(AlertsTable(store), CrewPlanTable(store), **FLEX),
            pn.FlexBox(PipelinesTable(store), JobsTable(store), EventsTable(store), **FLEX),
        ]
    )
    return template


def serve(
    poller: Poller,
    log_buffer: LogBuffer | None,
    *,
    port: int,
    address: str,
    websocket_origins: list[str] | None = None,
    sync_ms: int = 1000,
) -> None:
    """Start the poller (once) and serve the page and /api/* until interrupted."""
    poller.start()
    # Import the plotting stack now, not during the first visitor's page load.
    import hvplot.pandas  # noqa: F401

    origins = websocket_origins or [f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    log.info("serving on http://%s:%d (refresh every %s s)", address, port, poller.refresh_seconds)
    pn.serve(
        {"/": lambda: create_page(poller, sync_ms)},
        port=port,
        address=address,
        websocket_origin=origins,
        show=False,
        start=True,
        title="Windmill",
        extra_patterns=api.patterns(poller, log_buffer),
        verbose=False,
    )
