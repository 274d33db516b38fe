"""`windmill status`: the summary the dashboard's `/api/status` gives, read from the ledger.

The pipelines and jobs are the dashboard's own entries (`workloads.platform_status`), so
the counts follow its rules: a pipeline is active when its state or its latest update is
in progress; a job is active when its latest run is in progress.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from workloads.config import Paths
from workloads.errors import WindmillError
from workloads.ledger import Ledger
from workloads.platform_status import counts, ledger_job, ledger_pipeline
from workloads.supervisor.lock import holder_pid, is_locked


def supervisor_state(paths: Paths) -> dict[str, Any]:
    """Whether `windmill up` runs on this home, and its components' pids."""
    running = is_locked(paths)
    info: dict[str, Any] = {"running": running, "pid": holder_pid(paths) if running else None}
    if running:
        try:
            snapshot = json.loads(paths.supervisor_file.read_text())
            info["components"] = {
                name: {"pid": c.get("pid"), "restarts": c.get("restarts", 0)}
                for name, c in snapshot.get("components", {}).items()
            }
        except (OSError, ValueError):
            pass
    return info


def summary(paths: Paths) -> dict[str, Any]:
    """`/api/status`'s fields for the local ledger, plus `supervisor` and the items listed.

    The entries are the dashboard's (`workloads.platform_status`). A home that does not
    exist is an error (a command run outside the project folder), not "0 pipelines".
    """
    if not paths.home.is_dir():
        raise WindmillError(
            f"No windmill home at {paths.home}; run this in the project folder, or set "
            "WINDMILL_HOME to the home's folder (e.g. WINDMILL_HOME=/path/to/project/.windmill)."
        )
    ledger = Ledger(paths.ledger) if paths.ledger.exists() else None  # status never creates one
    pipelines = [ledger_pipeline(row) for row in ledger.list_pipelines()] if ledger else []
    jobs = [ledger_job(row) for row in ledger.list_jobs(runs_per_job=1)] if ledger else []
    return {
        "source": "local",
        "refreshed_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "stale": False,
        "stale_since": None,
        "error": None,
        "filter_path": "local ledger",
        "pipelines": counts(pipelines),
        "jobs": counts(jobs),
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
        latest = j["latest_runs"][0] if j["latest_runs"] else None
        extra = f"; since {latest['started_at']}" if latest else ""
        if latest and latest["state_message"]:
            extra += f" ({latest['state_message']})"
        lines.append(f"  {j['name']}: {j['state']}{extra}")
    for name, c in (sup.get("components") or {}).items():
        pid = c["pid"] or "waiting"
        lines.append(f"  process {name}: {pid}, {c['restarts']} restarts")
    lines.append(f"refreshed_at: {data['refreshed_at']} (source: {data['source']})")
    return "\n".join(lines)
