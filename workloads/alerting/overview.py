"""What `windmill alerts list`, `GET /api/alerts/list` and the dashboard panel show.

One function builds it from the episodes, the store and the clock: the open
WARNING/CRITICAL episodes with their notification state (acknowledged by whom,
silenced until when), the silences in force, the latest notifications and the dead
letters. Channel names are masked (the store never holds a URL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from workloads.alerting.actions import ActionState
from workloads.alerting.model import iso
from workloads.alerting.store import DEAD, AlertStore
from workloads.contract import MAINTENANCE_LEVELS


def open_episodes(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Open WARNING/CRITICAL episodes (ended_at null) as dicts, newest first."""
    if frame is None or frame.empty:
        return []
    rows = frame[frame["ended_at"].isna() & frame["alert_level"].isin(MAINTENANCE_LEVELS)]
    rows = rows.sort_values(["started_at", "turbine_id"], ascending=[False, True])
    return [
        {
            "turbine_id": r["turbine_id"],
            "fault_code": r["fault_code"],
            "alert_level": r["alert_level"],
            "started_at": pd.Timestamp(r["started_at"]).to_pydatetime(),
            "last_seen_at": pd.Timestamp(r["last_seen_at"]).to_pydatetime(),
        }
        for r in rows.to_dict(orient="records")
    ]


def overview(
    frame: pd.DataFrame | None, store: AlertStore, now: datetime, limit: int = 100
) -> dict[str, Any]:
    """JSON-ready: {open, silences, notifications, dead_letters, actions}."""
    rows = store.actions()
    state = ActionState.from_actions(rows, now)
    open_rows = []
    for e in open_episodes(frame):
        ack = state.acked.get((e["turbine_id"], e["fault_code"], iso(e["started_at"])))
        silence = state.silences.get(e["turbine_id"])
        open_rows.append(
            {
                **{k: iso(v) if isinstance(v, datetime) else v for k, v in e.items()},
                "acked_by": ack["actor"] if ack else None,
                "acked_at": ack["at"] if ack else None,
                "silenced_until": silence["until"] if silence else None,
            }
        )
    notifications = store.notifications(limit)
    return {
        "open": open_rows,
        "silences": [
            {k: s[k] for k in ("turbine_id", "actor", "at", "until", "reason")}
            for s in state.silences.values()
        ],
        "notifications": notifications,
        "dead_letters": [n for n in notifications if n["state"] == DEAD],
        "actions": [
            {
                k: a[k]
                for k in ("action", "turbine_id", "fault_code", "actor", "at", "until", "reason")
            }
            for a in rows[-limit:][::-1]
        ],
    }
