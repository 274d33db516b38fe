"""Where an update's time goes: each flow's span, read from the engine's own events.

The local engine streams an event per flow state change ("Flow `…`.`silver_sensor_data` is
RUNNING.", "… has COMPLETED.") with the server's timestamp. `flow_spans` turns them into
(started, completed) per flow, and `phase_summary` into the one line the engine logs per
update and the ledger keeps in the update's metrics (`phases`), so a slow update says which
flow made it slow. Pure Python: unit tests feed it hand-written events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# "Flow spark_catalog.windmill_pipeline.silver_sensor_data is RUNNING." (quoted or not)
_FLOW_EVENT = re.compile(r"^Flow [`'\"]?(?P<flow>.+?)[`'\"]? (?:is|has) (?P<state>[A-Z_]+)\b")
_STARTED = ("STARTING", "RUNNING")  # a batch flow goes PLANNING -> RUNNING, a stream STARTING
_DONE = ("COMPLETED", "FAILED", "SKIPPED", "STOPPED", "EXCLUDED", "IDLE")


@dataclass(frozen=True)
class Span:
    """One flow in one update: when it was queued, started and finished (epoch seconds)."""

    flow: str
    queued: float | None = None
    started: float | None = None
    done: float | None = None
    state: str | None = None  # the last state seen

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.done is None:
            return None
        return self.done - self.started


def flow_name(text: str) -> str:
    """The dataset's own name of a flow identifier (catalog and database dropped, unquoted)."""
    return text.replace("`", "").rsplit(".", 1)[-1]


def completed_flow(message: str) -> str | None:
    """The dataset name if `message` says its flow has COMPLETED, else None."""
    found = _FLOW_EVENT.match(message)
    if found and found["state"] == "COMPLETED":
        return flow_name(found["flow"])
    return None


def flow_spans(events: Iterable[tuple[float, str]]) -> dict[str, Span]:
    """(timestamp, message) events of one update -> each flow's Span, by dataset name."""
    spans: dict[str, dict] = {}
    for moment, message in events:
        found = _FLOW_EVENT.match(message)
        if not found:
            continue
        name, state = flow_name(found["flow"]), found["state"]
        span = spans.setdefault(name, {"flow": name})
        span["state"] = state
        if state in ("QUEUED",):
            span.setdefault("queued", moment)
        elif state in ("PLANNING", *_STARTED):
            span.setdefault("started", moment)
        elif state in _DONE:
            span["done"] = moment
    return {name: Span(**fields) for name, fields in spans.items()}


def flow_phases(spans: Mapping[str, Span], origin: float) -> dict[str, dict[str, float]]:
    """Per flow: `run`, its own run time, and `done`, the seconds from `origin` (the update's
    start) to its completion (what a reader of that table waited), to the millisecond."""
    flows: dict[str, dict[str, float]] = {}
    for name, span in spans.items():
        entry = {}
        if span.seconds is not None:
            entry["run"] = round(span.seconds, 3)
        if span.done is not None:
            entry["done"] = round(span.done - origin, 3)
        if entry:
            flows[name] = entry
    return flows


def describe(phases: Mapping[str, object]) -> str:
    """One log line: the update's phases; a flow as `name run s (+done)`, a view published
    mid-update as `name +s`."""
    parts = []
    for key, value in phases.items():
        if key == "flows" and isinstance(value, Mapping):
            for name, entry in value.items():
                run, done = entry.get("run"), entry.get("done")
                text = name + (f" {run:.2f} s" if run is not None else "")
                parts.append(text + (f" (+{done:.1f})" if done is not None else ""))
        elif key == "published" and isinstance(value, Mapping):
            listed = ", ".join(f"{name} +{at:.1f}" for name, at in value.items())
            parts.append(f"files published: {listed}")
        elif isinstance(value, int | float):
            parts.append(f"{key} {value:.2f} s")
    return "; ".join(parts)
