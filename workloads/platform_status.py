"""Pipeline and job status entries, built one way for every place that shows them.

`windmill status`, the dashboard's local status source (both from the run ledger) and its
Databricks status source (from the Jobs and Pipelines APIs) all return these entries:

- pipeline: `{pipeline_id, name, state, active, latest_update, link, ...}`; active when
  the pipeline's state or its latest update's state is in progress;
- job: `{job_id, name, state, active, latest_runs, link}`; state is the latest run's
  result (or its life-cycle state while it runs, NEVER_RUN without runs), active while
  that run is in progress.

Outside `workloads/supervisor` and `workloads/engine`, so the dashboard can import it.
"""

from __future__ import annotations

from typing import Any

from workloads import names, states


def duration_seconds(ms: Any) -> float | None:
    return round(ms / 1000.0, 3) if isinstance(ms, int | float) else None


def update_rows(metrics: Any) -> int | None:
    """Rows an update ingested: bronze rows written (the pipeline runner's metrics)."""
    if not isinstance(metrics, dict):
        return None
    tables = metrics.get("tables")
    if isinstance(tables, dict):
        bronze = tables.get(names.BRONZE)
        if isinstance(bronze, dict) and isinstance(bronze.get("rows_written"), int):
            return bronze["rows_written"]
    rows = metrics.get("rows")
    return rows if isinstance(rows, int) else None


def pipeline_entry(
    pipeline_id: str,
    name: str,
    state: str,
    latest_update: dict[str, Any] | None,
    link: str | None,
    **extra: Any,
) -> dict[str, Any]:
    """One pipeline; `latest_update` has at least `state` (or is None)."""
    active = state in states.ACTIVE_PIPELINE_STATES or bool(
        latest_update and latest_update["state"] in states.ACTIVE_UPDATE_STATES
    )
    return {
        "pipeline_id": pipeline_id,
        "name": name,
        "state": state,
        "active": active,
        "latest_update": latest_update,
        **extra,
        "link": link,
    }


def job_entry(
    job_id: int, name: str, runs: list[dict[str, Any]], link: str | None
) -> dict[str, Any]:
    """One job with its latest runs (newest first; see `run_entry`)."""
    latest = runs[0] if runs else None
    state = None
    if latest:
        state = latest["result_state"] or latest["life_cycle_state"]
    return {
        "job_id": job_id,
        "name": name,
        "state": state or states.NEVER_RUN,
        "active": bool(latest and latest["life_cycle_state"] in states.ACTIVE_RUN_STATES),
        "latest_runs": runs,
        "link": link,
    }


def run_entry(
    run_id: int,
    life_cycle_state: str,
    result_state: str | None,
    state_message: str | None,
    started_at: str | None,
    ended_at: str | None,
    duration_s: float | None,
    metrics: Any = None,
    link: str | None = None,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "life_cycle_state": life_cycle_state,
        "result_state": result_state,
        "state_message": state_message,
        "started_at": started_at,
        "ended_at": ended_at,
        "duration_s": duration_s,
        "metrics": metrics,
        "link": link,
    }


def ledger_pipeline(row: dict[str, Any]) -> dict[str, Any]:
    """A ledger pipeline row (`Ledger.list_pipelines()`) as a pipeline entry."""
    update = row.get("latest_update")
    latest = None
    if update:
        metrics = update.get("metrics") or {}
        latest = {
            "update_id": update["update_id"],
            "state": update["state"],
            "cause": update.get("cause"),
            "full_refresh": update.get("full_refresh"),
            "started_at": update["started_at"],
            "ended_at": update.get("ended_at"),
            "duration_s": duration_seconds(update.get("duration_ms")),
            "rows": update_rows(metrics),
            "metrics": metrics,
            "error": update.get("error"),
        }
    return pipeline_entry(row["pipeline_id"], row["name"], row["state"], latest, None)


def ledger_job(row: dict[str, Any]) -> dict[str, Any]:
    """A ledger job row (`Ledger.list_jobs()`) as a job entry."""
    runs = [
        run_entry(
            run["run_id"],
            run["life_cycle_state"],
            run.get("result_state"),
            run.get("state_message"),
            run["started_at"],
            run.get("ended_at"),
            duration_seconds(run.get("duration_ms")),
            run.get("metrics"),
        )
        for run in row.get("latest_runs", [])
    ]
    return job_entry(row["job_id"], row["name"], runs, None)


def counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    """`{total, active, idle}` of pipeline or job entries."""
    active = sum(1 for e in entries if e["active"])
    return {"total": len(entries), "active": active, "idle": len(entries) - active}
