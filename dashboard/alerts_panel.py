"""The alert desk on the page: open alerts with an Acknowledge / Silence form, the latest
notifications and dead letters, and `gold_sla_daily`.

Pure functions turn the desk's overview and the SLA frame into escaped HTML tables
(unit-tested without a server); `panel(store)` builds the card. The desk is read by
one process-wide feed at most every `FEED_SECONDS` (30 s on Databricks, where it costs
warehouse statements), whatever the number of sessions;
the buttons call the same service as `windmill alerts` and `POST /api/alerts/*`.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import pandas as pd
import panel as pn
from panel.viewable import Viewer

from dashboard.store import CARD, short_when
from dashboard.tables import TABLE_CSS, html_table
from workloads.errors import WindmillError

FEED_SECONDS = 5.0
# On Databricks each read is four warehouse statements (episodes, notifications, actions,
# SLA): at most one read per 30 s for the whole App, whatever the number of sessions; an
# action of this App's user shows at once (the feed is read again after it).
DATABRICKS_FEED_SECONDS = 30.0
FORWARDED_EMAIL = "X-Forwarded-Email"
OPEN_COLUMNS = ["level", "turbine", "fault", "since (UTC)", "acknowledged", "silenced until (UTC)"]
NOTIFICATION_COLUMNS = [
    "decided (UTC)",
    "status",
    "level",
    "turbine / source",
    "fault",
    "channel",
    "state",
    "tries",
    "error",
]
SLA_COLUMNS = [
    "day",
    "level",
    "opened",
    "closed",
    "ack p50 (min)",
    "ack p90 (min)",
    "close p50 (min)",
    "close p90 (min)",
    "within deadline",
    "energy lost (MWh)",
]


def open_frame(view: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {
            "level": o["alert_level"],
            "turbine": o["turbine_id"],
            "fault": o["fault_code"],
            "since (UTC)": short_when(o["started_at"]),
            "acknowledged": f"{o['acked_by']} at {short_when(o['acked_at'])}"
            if o["acked_by"]
            else "",
            "silenced until (UTC)": short_when(o["silenced_until"]),
        }
        for o in view.get("open", [])
    ]
    return pd.DataFrame(rows, columns=OPEN_COLUMNS)


def notifications_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = [
        {
            "decided (UTC)": short_when(n["decided_at"]),
            "status": n["status"],
            "level": str(n["severity"]).upper(),
            "turbine / source": n.get("turbine_id") or "",
            "fault": n.get("fault_code") or "",
            "channel": n["channel_name"],
            "state": n["state"],
            "tries": n["attempts"],
            "error": n.get("last_error") or "",
        }
        for n in rows
    ]
    return pd.DataFrame(out, columns=NOTIFICATION_COLUMNS)


def sla_frame(sla: pd.DataFrame | None) -> pd.DataFrame:
    if sla is None or sla.empty:
        return pd.DataFrame(columns=SLA_COLUMNS)
    frame = sla.sort_values(["day", "alert_level"], ascending=[False, True])

    def num(value, digits=1):
        return "" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"

    rows = [
        {
            "day": str(r["day"]),
            "level": r["alert_level"],
            "opened": int(r["episodes_opened"]),
            "closed": int(r["episodes_closed"]),
            "ack p50 (min)": num(r["ack_p50_minutes"]),
            "ack p90 (min)": num(r["ack_p90_minutes"]),
            "close p50 (min)": num(r["close_p50_minutes"]),
            "close p90 (min)": num(r["close_p90_minutes"]),
            "within deadline": ""
            if pd.isna(r["closed_within_deadline"])
            else f"{100 * float(r['closed_within_deadline']):.0f}%",
            "energy lost (MWh)": num(r["energy_lost_mwh"], 2),
        }
        for r in frame.to_dict(orient="records")
    ]
    return pd.DataFrame(rows, columns=SLA_COLUMNS)


def desk_html(view: dict[str, Any], sla: pd.DataFrame | None) -> str:
    """The card's tables as one escaped HTML string."""
    dead = view.get("dead_letters", [])
    parts = [
        "<h3>Fault alerts</h3>",
        html_table(open_frame(view), empty="No open WARNING or CRITICAL alert."),
        "<h3>Notifications</h3>",
        html_table(
            notifications_frame(view.get("notifications", [])[:30]),
            empty="Nothing notified yet (is `windmill notify` running with a channel?).",
            row_class=lambda row: "wm-bad" if row["state"] == "dead" else "",
            wrap=("error",),
        ),
        f"<h3>Dead letters ({len(dead)})</h3>",
        html_table(
            notifications_frame(dead),
            empty="No dead letters.",
            wrap=("error",),
            row_class=lambda _row: "wm-bad",
        ),
        "<h3>SLA per day (gold_sla_daily)</h3>",
        html_table(sla_frame(sla), empty="No SLA figures yet."),
    ]
    return "".join(parts)


class Feed:
    """The desk's overview and SLA, read at most every `FEED_SECONDS` for all sessions."""

    def __init__(self, desk, databricks: bool = False) -> None:
        self.desk = desk
        self.databricks = databricks  # the actor must be the Apps user header
        self.seconds = DATABRICKS_FEED_SECONDS if databricks else FEED_SECONDS
        self._lock = threading.Lock()
        self._at = -1e9
        self.view: dict[str, Any] = {}
        self.sla: pd.DataFrame | None = None
        self.error: str | None = None

    def read(self) -> tuple[dict[str, Any], pd.DataFrame | None, str | None]:
        with self._lock:
            if time.monotonic() - self._at >= self.seconds:
                self._at = time.monotonic()
                try:
                    self.view, self.sla, self.error = self.desk.overview(), self.desk.sla(), None
                except (OSError, ValueError, WindmillError) as exc:  # keep the last figures
                    self.error = (
                        f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                    )
            return self.view, self.sla, self.error


_FEEDS: dict[str, Feed] = {}  # one per home, shared by the sessions


def _actor(databricks: bool = False) -> str:
    """The signed-in user on Databricks (no header: refused), else the OS user."""
    from workloads.alerting.actions import local_actor, validate_actor

    email = (pn.state.headers or {}).get(FORWARDED_EMAIL) if pn.state.curdoc else None
    if databricks and not email:
        raise WindmillError(f"no signed-in user ({FORWARDED_EMAIL} missing): nothing recorded.")
    return validate_actor(email) if email else local_actor()


CHOICES = 500  # open alerts offered in the form's list


class AlertsPanel(Viewer):
    """The card: the tables plus an Acknowledge / Silence form."""

    def __init__(self, feed: Feed, refresh_ms: int = 5000, **params) -> None:
        super().__init__(**params)
        self.feed = feed
        self.tables = pn.pane.HTML("", stylesheets=[TABLE_CSS], sizing_mode="stretch_width")
        self.choice = pn.widgets.Select(label="Open alert", options={}, width=280)
        self.ack_button = pn.widgets.Button(label="Acknowledge", color="primary")
        self.duration = pn.widgets.TextInput(label="Silence turbine for", value="2h", width=120)
        self.reason = pn.widgets.TextInput(label="Reason", max_length=500, width=260)
        self.silence_button = pn.widgets.Button(label="Silence turbine", color="warning")
        self.message = pn.pane.HTML("", sizing_mode="stretch_width")
        self.ack_button.on_click(lambda _e: self.act("ack"))
        self.silence_button.on_click(lambda _e: self.act("silence"))
        self.view = pn.Column(
            self.tables,
            # Wraps onto more lines on a phone instead of scrolling inside the card.
            pn.FlexBox(
                self.choice,
                self.ack_button,
                self.duration,
                self.reason,
                self.silence_button,
                flex_wrap="wrap",
                align_items="flex-end",
                sizing_mode="stretch_width",
            ),
            self.message,
            styles={**CARD, "background": "white", "padding": "8px"},
            sizing_mode="stretch_width",
        )
        self.refresh()
        self.callback = None
        if pn.state.curdoc is not None:
            self.callback = pn.state.add_periodic_callback(self.refresh, period=refresh_ms)
            pn.state.on_session_destroyed(lambda _ctx: self.callback.stop())

    def refresh(self) -> None:
        view, sla, error = self.feed.read()
        note = f'<div class="wm-empty">stale ({html.escape(error)})</div>' if error else ""
        self.tables.object = note + desk_html(view, sla)
        open_alerts = view.get("open", [])
        # A large fleet has thousands open: the list offers the first CHOICES, CRITICAL first.
        chosen = sorted(open_alerts, key=lambda o: o["alert_level"] != "CRITICAL")[:CHOICES]
        self.choice.label = (
            "Open alert"
            if len(chosen) == len(open_alerts)
            else f"Open alert ({len(chosen):,} of {len(open_alerts):,}, CRITICAL first)"
        )
        self.choice.options = {
            f"{o['alert_level']} {o['turbine_id']} {o['fault_code']}": (
                o["turbine_id"],
                o["fault_code"],
            )
            for o in chosen
        }

    def act(self, action: str) -> None:
        """Acknowledge or silence the chosen alert; the outcome is shown escaped."""
        if not self.choice.value:
            self.message.object = '<div class="wm-empty">Choose an open alert first.</div>'
            return
        turbine_id, fault_code = self.choice.value
        try:
            actor = _actor(self.feed.databricks)
            if action == "ack":
                row = self.feed.desk.ack(turbine_id, fault_code, actor)
                text = f"Acknowledged {turbine_id} {fault_code} by {row['actor']}."
            else:
                row = self.feed.desk.silence(
                    turbine_id, self.duration.value, actor, self.reason.value
                )
                text = (
                    f"Silenced {turbine_id} until {short_when(row['until'])} UTC by {row['actor']}."
                )
        except WindmillError as exc:
            text = str(exc)
        self.message.object = f'<div class="wm-caption">{html.escape(text)}</div>'
        self.feed._at = -1e9  # show the action at once
        self.refresh()

    def __panel__(self):
        return self.view


def panel(store) -> Any:
    """The alert desk card for a page (`dashboard/app.py` places it): the local home's
    store, or on Databricks the Delta alert tables through the warehouse; a note for any
    other source."""
    from workloads.alerting.desk import AlertDesk

    source = store.poller.gold_source
    paths = getattr(source, "paths", None)
    if paths is not None:
        key, make = str(paths.home), lambda: Feed(AlertDesk.local(paths))
    elif getattr(source, "warehouse_id", None):
        key = f"databricks:{source.warehouse_id}:{source.prefix}"
        make = lambda: Feed(AlertDesk.databricks(source), databricks=True)  # noqa: E731
    else:
        return pn.pane.HTML(
            '<div class="wm-empty">The alert desk runs with the local notifier '
            "(`windmill notify`) or on Databricks.</div>"
        )
    feed = _FEEDS.get(key) or _FEEDS.setdefault(key, make())
    return AlertsPanel(feed)
