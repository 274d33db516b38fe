"""The JSON API served by the dashboard's own tornado server, from the shared snapshot.

Handlers only read `Poller.snapshot` (and the log buffer): a request never reaches a
workspace or a table.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from tornado.web import RequestHandler

from dashboard.logbuffer import LogBuffer
from dashboard.state import Poller, Snapshot, iso
from workloads import names


def _default(value: Any) -> Any:
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (NaN/NaT → null, timestamps ISO)."""
    if frame is None:
        return []
    clean = frame.astype(object).where(pd.notna(frame), None)
    return clean.to_dict(orient="records")


def status_body(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "source": snapshot.source,
        "refreshed_at": iso(snapshot.refreshed_at),
        "stale": snapshot.stale,
        "stale_since": iso(snapshot.stale_since),
        "error": snapshot.error,
        "filter_path": snapshot.status.filter_path if snapshot.status else None,
        "pipelines": snapshot.counts("pipelines"),
        "jobs": snapshot.counts("jobs"),
        "fleet": snapshot.fleet(),
    }


def _meta(snapshot: Snapshot) -> dict[str, Any]:
    return {"refreshed_at": iso(snapshot.refreshed_at), "stale": snapshot.stale}


def body_for(endpoint: str, poller: Poller, log_buffer: LogBuffer | None) -> dict[str, Any]:
    snapshot = poller.snapshot
    status = snapshot.status
    if endpoint == "status":
        return status_body(snapshot)
    if endpoint == "pipelines":
        return {"pipelines": status.pipelines if status else [], **_meta(snapshot)}
    if endpoint == "jobs":
        return {"jobs": status.jobs if status else [], **_meta(snapshot)}
    if endpoint == "alerts":
        return {"alerts": records(snapshot.gold.get(names.GOLD_ALERTS)), **_meta(snapshot)}
    if endpoint == "events":
        return {"events": status.events if status else [], **_meta(snapshot)}
    if endpoint == "logs":
        return {"logs": log_buffer.lines() if log_buffer else []}
    if endpoint == "health":
        return {
            "status": "ok",
            "refreshed_at": iso(snapshot.refreshed_at),
            "stale": snapshot.stale,
            "ready": snapshot.refreshed_at is not None or snapshot.error is not None,
        }
    raise KeyError(endpoint)


ENDPOINTS = ("status", "pipelines", "jobs", "alerts", "events", "logs", "health")


class ApiBodies:
    """Serialized bodies, computed once per snapshot version and endpoint.

    Many clients polling /api/status then cost one dict lookup each, not a pandas pass.
    """

    def __init__(self, poller: Poller, log_buffer: LogBuffer | None) -> None:
        self.poller = poller
        self.log_buffer = log_buffer
        self._cache: dict[str, tuple[int, bytes]] = {}

    def get(self, endpoint: str) -> bytes:
        version = self.poller.snapshot.version
        if endpoint != "logs":
            cached = self._cache.get(endpoint)
            if cached is not None and cached[0] == version:
                return cached[1]
        body = json.dumps(
            body_for(endpoint, self.poller, self.log_buffer), default=_default, allow_nan=False
        ).encode()
        if endpoint != "logs":
            self._cache[endpoint] = (version, body)
        return body


class ApiHandler(RequestHandler):
    """GET /api/<endpoint>: JSON from the shared snapshot."""

    def initialize(self, bodies: ApiBodies, endpoint: str) -> None:
        self.bodies = bodies
        self.endpoint = endpoint

    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write(self.bodies.get(self.endpoint))


def patterns(poller: Poller, log_buffer: LogBuffer | None) -> list[tuple]:
    """Tornado URL patterns for `pn.serve(..., extra_patterns=...)`."""
    bodies = ApiBodies(poller, log_buffer)
    return [
        (rf"/api/{endpoint}/?", ApiHandler, {"bodies": bodies, "endpoint": endpoint})
        for endpoint in ENDPOINTS
    ]
