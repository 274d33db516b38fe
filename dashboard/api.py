"""The JSON API served by the dashboard's own tornado server, from the shared snapshot.

GET handlers only read `Poller.snapshot` (and the log buffer): a request never reaches a
workspace or a table. The alert desk's endpoints are the dashboard's only writes:
`POST /api/alerts/ack|silence|unsilence` with a JSON body, and `GET /api/alerts/list`
(locally the home's store; on Databricks the Delta alert tables via the warehouse).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from tornado.ioloop import IOLoop
from tornado.web import RequestHandler

from dashboard.logbuffer import LogBuffer
from dashboard.state import STATUS, Poller, Snapshot, iso
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


def part_body(snapshot: Snapshot, name: str) -> dict[str, Any]:
    """How one part (the status, or a gold table) was last read."""
    part = snapshot.part(name)
    return {
        "refreshed_at": iso(part.refreshed_at),
        "stale": part.stale,
        "stale_since": iso(part.stale_since),
        "error": part.error,
    }


def status_body(snapshot: Snapshot) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": snapshot.source,
        "ready": snapshot.ready,
        "refreshed_at": iso(snapshot.refreshed_at),
        "stale": snapshot.stale,
        "stale_since": iso(snapshot.stale_since),
        "error": snapshot.error,
    }
    if not snapshot.ready:  # nothing read yet: no counts, rather than zeros
        return body
    known = snapshot.status is not None  # never read: unknown, not zero
    return {
        **body,
        "filter_path": snapshot.status.filter_path if known else None,
        "pipelines": snapshot.counts("pipelines") if known else None,
        "jobs": snapshot.counts("jobs") if known else None,
        "fleet": snapshot.fleet(),
        "parts": {name: part_body(snapshot, name) for name in snapshot.parts},
    }


def _meta(snapshot: Snapshot, part: str | None = None) -> dict[str, Any]:
    """A list's freshness: its own part's when it comes from one, else the whole snapshot's."""
    if part is None:
        return {"refreshed_at": iso(snapshot.refreshed_at), "stale": snapshot.stale}
    body = part_body(snapshot, part)
    return {"refreshed_at": body["refreshed_at"], "stale": body["stale"], "error": body["error"]}


def body_for(endpoint: str, poller: Poller, log_buffer: LogBuffer | None) -> dict[str, Any]:
    snapshot = poller.snapshot
    status = snapshot.status
    if endpoint == "status":
        return status_body(snapshot)
    if endpoint == "pipelines":
        return {"pipelines": status.pipelines if status else [], **_meta(snapshot, STATUS)}
    if endpoint == "jobs":
        return {"jobs": status.jobs if status else [], **_meta(snapshot, STATUS)}
    if endpoint == "alerts":
        alerts = records(snapshot.gold.get(names.GOLD_ALERTS))
        return {"alerts": alerts, **_meta(snapshot, names.GOLD_ALERTS)}
    if endpoint == "events":
        return {"events": status.events if status else [], **_meta(snapshot, STATUS)}
    if endpoint == "logs":
        return {"logs": log_buffer.lines() if log_buffer else [], **_meta(snapshot)}
    if endpoint == "health":
        return {
            "status": "ok",
            "refreshed_at": iso(snapshot.refreshed_at),
            "stale": snapshot.stale,
            "ready": snapshot.ready,
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
    ] + alert_patterns(AlertDeskApi.for_gold_source(poller.gold_source))


# The alert desk (acknowledge, silence) ----------------------------------------------------

ALERT_ACTIONS = ("ack", "silence", "unsilence")
FORWARDED_EMAIL = "X-Forwarded-Email"  # set by Databricks Apps for the signed-in user


class AlertDeskApi:
    """What the alert endpoints need: the desk, and how to tell who acts.

    On Databricks the actor is the Apps user header (a request without it is refused);
    locally it is the dashboard's OS user, or `by` from the body (as `--by`).
    """

    def __init__(self, desk, databricks: bool = False) -> None:
        self.desk = desk
        self.databricks = databricks

    @classmethod
    def for_gold_source(cls, gold_source) -> AlertDeskApi | None:
        """The desk of the dashboard's source: the local home's store, or on Databricks
        the Delta alert tables through the source's SQL warehouse (actions recorded in
        `alert_actions`, read by the notifier job); None for any other source."""
        from workloads.alerting.desk import AlertDesk

        paths = getattr(gold_source, "paths", None)
        if paths is not None:
            return cls(AlertDesk.local(paths))
        if getattr(gold_source, "warehouse_id", None):
            return cls(AlertDesk.databricks(gold_source), databricks=True)
        return None

    def actor(self, headers, body: dict[str, Any]) -> str:
        from workloads.alerting.actions import local_actor, validate_actor

        if self.databricks:
            email = headers.get(FORWARDED_EMAIL)
            if not email:
                raise PermissionError(f"no signed-in user ({FORWARDED_EMAIL} missing)")
            return validate_actor(email)
        return local_actor(body.get("by"))

    def act(self, action: str, body: dict[str, Any], actor: str) -> dict[str, Any]:
        desk = self.desk
        if action == "ack":
            return desk.ack(body.get("turbine_id"), body.get("fault_code"), actor)
        if action == "silence":
            return desk.silence(
                body.get("turbine_id"), body.get("duration"), actor, body.get("reason")
            )
        return desk.unsilence(body.get("turbine_id"), actor)


class _JsonHandler(RequestHandler):
    def reply(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body, default=_default, allow_nan=False))


class AlertActionHandler(_JsonHandler):
    """POST /api/alerts/<action> with a JSON object; any other method is 405.

    Cross-site forms cannot post here: they cannot send `application/json` without a
    CORS preflight (which this server never grants), and a request whose Origin is not
    this host is refused as well.
    """

    def initialize(self, api: AlertDeskApi, action: str) -> None:
        self.api = api
        self.action = action

    async def post(self) -> None:
        from workloads.errors import WindmillError

        kind = (self.request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/json":
            return self.reply(415, {"error": "send a JSON body (Content-Type: application/json)"})
        origin = self.request.headers.get("Origin")
        if origin and origin.split("://", 1)[-1].rstrip("/") != self.request.host:
            return self.reply(403, {"error": "cross-site requests are not accepted"})
        try:
            body = json.loads(self.request.body or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self.reply(400, {"error": "the body must be a JSON object"})
        try:
            actor = self.api.actor(self.request.headers, body)
            row = await IOLoop.current().run_in_executor(
                None, self.api.act, self.action, body, actor
            )
        except PermissionError as exc:
            return self.reply(401, {"error": str(exc)})
        except WindmillError as exc:
            return self.reply(400, {"error": str(exc)})
        return self.reply(200, {"action": row})


class AlertListHandler(_JsonHandler):
    """GET /api/alerts/list: open alerts, silences, notifications, dead letters, actions."""

    def initialize(self, api: AlertDeskApi) -> None:
        self.api = api

    async def get(self) -> None:
        from workloads.errors import WindmillError

        try:
            view = await IOLoop.current().run_in_executor(None, self.api.desk.overview)
        except WindmillError as exc:  # e.g. the alert tables not created yet
            return self.reply(503, {"error": str(exc)})
        return self.reply(200, view)


def alert_patterns(api: AlertDeskApi | None) -> list[tuple]:
    """Tornado URL patterns of the alert desk ([] without a desk)."""
    if api is None:
        return []
    return [
        *(
            (rf"/api/alerts/{action}/?", AlertActionHandler, {"api": api, "action": action})
            for action in ALERT_ACTIONS
        ),
        (r"/api/alerts/list/?", AlertListHandler, {"api": api}),
    ]
