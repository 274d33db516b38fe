"""`windmill status`: the summary the dashboard's `/api/status` gives, read from the ledger.

Counts follow the dashboard's rules: a pipeline is active when its state or its latest
update is in progress; a job is active when its latest run is in progress.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from workloads.config import Paths
from workloads.ledger import Ledger
from workloads.supervisor.lock import holder_pid, is_locked

# The same sets as the dashboard's status source (Databricks API state names).
ACTIVE_PIPELINE_STATES = frozenset(
    {"RUNNING", "STARTING", "DEPLOYING", "RECOVERING", "RESETTING", "STOPPING"}
)
ACTIVE_UPDATE_STATES = frozenset(
    {
        "QUEUED",
        "CREATED",
        "WAITING_FOR_RESOURCES",
        "INITIALIZING",
        "SETTING_UP_TABLES",
        "RUNNING",
        "RESETTING",
        "STOPPING",
    }
)
ACTIVE_RUN_STATES = frozenset(
    {"PENDING", "QUEUED", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY"}
)


def _counts(active: list[bool]) -> dict[str, int]:
    return {"total": len(active), "active": sum(active), "idle": len(active) - sum(active)}


def supervisor_state(paths: Paths) -> dict[str, Any]:
    """Whether `windmill up` runs on this home, and its components' pids."""
    running = is_locked(paths)
    info: dict[str, Any] = {"running": running, "pid": holder_pid(paths) if running else None}
    if running:
        try:
            snapshot = json.loads((paths.run / "supervisor.json").read_text())
            info["components"] = {
                name: {"pid": c.get("pid"), "restarts": c.get("restarts", 0)}
                for name, c in snapshot.get("components", {}).items()
            }
        except (OSError, ValueError):
            pass
    return info


def summary(paths: Paths) -> dict[str, Any]:
    """`/api/status`'s fields for the local ledger, plus `supervisor` and the items listed."""
    ledger = Ledger(paths.ledger) if paths.ledger.exists() else None  # status never creates a home
    pipelines = []
    for row in ledger.list_pipelines() if ledger else []:
        latest = row.get("latest_update")
        active = row["state"] in ACTIVE_PIPELINE_STATES or bool(
            latest and latest["state"] in ACTIVE_UPDATE_STATES
        )
        pipelines.append(
            {
                "name": row["name"],
                "state": row["state"],
                "active": active,
                "latest_update": None
                if latest is None
                else {
                    "state": latest["state"],
                    "started_at": latest["started_at"],
                    "duration_s": None
                    if latest.get("duration_ms") is None
                    else latest["duration_ms"] / 1000,
                    "error": latest.get("error"),
                },
            }
        )
    jobs = []
    for row in ledger.list_jobs(runs_per_job=1) if ledger else []:
        latest = row["latest_runs"][0] if row["latest_runs"] else None
        state = (latest["result_state"] or latest["life_cycle_state"]) if latest else "NEVER_RUN"
        jobs.append(
            {
                "name": row["name"],
                "state": state,
                "active": bool(latest and latest["life_cycle_state"] in ACTIVE_RUN_STATES),
                "latest_run": None
                if latest is None
                else {
                    "started_at": latest["started_at"],
                    "duration_s": None
                    if latest.get("duration_ms") is None
                    else latest["duration_ms"] / 1000,
                    "message": latest.get("state_message"),
                },
            }
        )
    return {
        "source": "local",
        "refreshed_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "stale": False,
        "stale_since": None,
        "error": None,
        "filter_path": "local ledger",
        "pipelines": _counts([p["active"] for p in pipelines]),
        "jobs": _counts([j["active"] for j in jobs]),
        "supervisor": supervisor_state(paths),
        "pipeline_list": pipelines,
        "job_list": jobs,
    }


def render(data: dict[str, Any]) -> str:
    """Human-readable form of `summary()`."""
    sup = data["supervisor"]
    lines = [
        f"windmill up: {'running (pid ' + str(sup['pid']) + ')' if sup['running'] else 'not running'}",
        "pipelines: {total} total, {active} active, {idle} idle".format(**data["pipelines"]),
    ]
    for p in data["pipeline_list"]:
        latest = p["latest_update"]
        extra = ""
        if latest:
            extra = f"; last update {latest['state']} at {latest['started_at']}"
            if latest["error"]:
                extra += f" ({latest['error']})"
        lines.append(f"  {p['name']}: {p['state']}{extra}")
    lines.append("jobs: {total} total, {active} active, {idle} idle".format(**data["jobs"]))
    for j in data["job_list"]:
        latest = j["latest_run"]
        extra = f"; since {latest['started_at']}" if latest else ""
        if latest and latest["message"]:
            extra += f" ({latest['message']})"
        lines.append(f"  {j['name']}: {j['state']}{extra}")
    for name, c in (sup.get("components") or {}).items():
        pid = c["pid"] or "waiting"
        lines.append(f"  process {name}: {pid}, {c['restarts']} restarts")
    lines.append(f"refreshed_at: {data['refreshed_at']} (source: {data['source']})")
    return "\n".join(lines)
