"""What the notifier watches: fault episodes, failed runs, and each turbine's site.

Episodes come from `gold_fault_episodes` (contracts: one row per episode, `ended_at`
null while open) through `storage.read_table` locally, or from a JSON file
(`--episodes-file`: tests and replays, no Spark). Failed pipeline updates and job runs
come from the local ledger: each FAILED one is an alert that resolves when a later one
of the same pipeline or job succeeds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from workloads import names
from workloads.alerting.model import JOB_FAILED, PIPELINE_FAILED, Alert, level_notifies
from workloads.config import Paths
from workloads.pipeline.gold import EPISODE_COLUMNS

PLATFORM_SITE = "platform"
_NUMBER = re.compile(r"(\d+)$")


def _when(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()


class SiteResolver:
    """Site of a turbine: the `turbines` registry when present, else the generator's layout
    (turbine number n stands at SITES[(n-1) mod len]), else "unknown"."""

    def __init__(self, registry: pd.DataFrame | None = None) -> None:
        self.sites: dict[str, str] = {}
        if registry is not None and {"turbine_id", "site"} <= set(registry.columns):
            self.sites = dict(zip(registry["turbine_id"], registry["site"], strict=True))

    @classmethod
    def for_home(cls, paths: Paths) -> SiteResolver:
        from workloads import storage

        try:
            registry = storage.read_table(paths, names.TURBINES, columns=["turbine_id", "site"])
        except (OSError, ValueError):
            registry = None
        return cls(registry)

    def __call__(self, turbine_id: str) -> str:
        if turbine_id in self.sites:
            return str(self.sites[turbine_id])
        match = _NUMBER.search(turbine_id or "")
        if match is None or int(match.group(1)) < 1:
            return "unknown"
        from workloads.generator.physics import SITES, site_index

        return SITES[int(site_index([int(match.group(1))])[0])].name


def read_episode_file(path: Path) -> pd.DataFrame:
    """Episodes from a JSON file: a list of rows with the contract's columns (ISO times)."""
    rows = json.loads(Path(path).read_text())
    frame = pd.DataFrame(rows, columns=list(EPISODE_COLUMNS))
    for column in ("started_at", "last_seen_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def episode_reader(paths: Paths, episodes_file: Path | None = None) -> Callable[[], Any]:
    """A function returning the current episodes (None while the table does not exist)."""
    if episodes_file is not None:
        return lambda: read_episode_file(episodes_file) if Path(episodes_file).exists() else None
    from workloads import storage

    return lambda: storage.read_table(paths, names.GOLD_EPISODES)


def episode_alerts(
    frame: pd.DataFrame | None, notify_level: str, site_of: Callable[[str], str]
) -> tuple[list[Alert], set[str]]:
    """(alerts that notify at `notify_level`, turbines with an open CRITICAL episode)."""
    if frame is None or frame.empty:
        return [], set()
    alerts: list[Alert] = []
    critical: set[str] = set()
    for row in frame.to_dict(orient="records"):
        level, ended = row["alert_level"], _when(row["ended_at"])
        if level == "CRITICAL" and ended is None:
            critical.add(row["turbine_id"])
        if not level_notifies(level, notify_level):
            continue
        peak = row.get("peak_value")
        alerts.append(
            Alert(
                alertname="TurbineFault",
                turbine_id=row["turbine_id"],
                fault_code=row["fault_code"],
                severity=level,
                site=site_of(row["turbine_id"]),
                starts_at=_when(row["started_at"]),
                ends_at=ended,
                summary=f"{level} {row['fault_code']} on {row['turbine_id']}",
                annotations={
                    "description": f"{row['fault_code']} since {_when(row['started_at'])}"
                    + ("" if peak is None or pd.isna(peak) else f", peak {float(peak):.2f}"),
                },
            )
        )
    return alerts, critical


def health_alerts(ledger, limit: int = 20) -> list[Alert]:
    """One alert per failure streak of a pipeline or job: it fires with the first FAILED
    update or run after a success and resolves with the next success (a pipeline that
    keeps failing on restart is one alert, as in Alertmanager, not one per retry)."""
    alerts: list[Alert] = []
    for pipeline in ledger.list_pipelines():
        updates = ledger.list_updates(pipeline["pipeline_id"], limit=limit)
        alerts += _failures(
            PIPELINE_FAILED, "UPDATE_FAILED", pipeline["name"], updates[::-1], "COMPLETED"
        )
    for job in ledger.list_jobs(runs_per_job=limit):
        runs = [{**r, "state": r.get("result_state")} for r in job["latest_runs"]][::-1]
        alerts += _failures(JOB_FAILED, "RUN_FAILED", job["name"], runs, "SUCCESS")
    return alerts


def _failures(
    alertname: str, code: str, source: str, oldest_first: list[dict], success: str
) -> list[Alert]:
    """The failure streaks in `oldest_first` (a streak's start may lie before the window:
    the notifier then anchors it to the streak it already notified)."""
    out: list[Alert] = []
    streak: list[dict] = []
    for item in [*oldest_first, None]:
        state = None if item is None else item.get("state")
        if item is not None and not item.get("ended_at"):
            continue  # still running: neither a failure nor a success yet
        if state == "FAILED":
            streak.append(item)
            continue
        if (item is None or state == success) and streak:
            first, last = streak[0], streak[-1]
            message = (last.get("error") or last.get("state_message") or "")[:300]
            what = "update" if code == "UPDATE_FAILED" else "run"
            out.append(
                Alert(
                    alertname=alertname,
                    turbine_id=None,
                    fault_code=code,
                    severity="CRITICAL",
                    site=PLATFORM_SITE,
                    starts_at=datetime.fromisoformat(first["ended_at"]),
                    ends_at=None if item is None else datetime.fromisoformat(item["ended_at"]),
                    source=source,
                    summary=f"{source}: {what} failed",
                    annotations={"description": message},
                )
            )
            streak = []
    return out
