"""Acknowledge and silence: one service used by `windmill alerts`, the API and the button.

Every action is a row in the store's `actions` table with who and when; the rules read
the current state from those rows (`ActionState`), so nothing is ever updated in place.
Inputs are validated here, once, whoever calls.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workloads.alerting.model import parse
from workloads.alerting.store import AlertStore
from workloads.errors import WindmillError

ACK, SILENCE, UNSILENCE = "ack", "silence", "unsilence"
TURBINE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
FAULT_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
ACTOR = re.compile(r"^[^\x00-\x1f<>\"'`]{1,200}$")
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SILENCE = timedelta(days=30)
MAX_REASON = 500


def local_actor(by: str | None = None) -> str:
    """Who acts locally: `--by`, else the OS user."""
    if by:
        return validate_actor(by)
    try:
        return validate_actor(getpass.getuser())
    except (OSError, KeyError, WindmillError):
        return validate_actor(os.environ.get("USER") or "unknown")


def validate_turbine(value: Any) -> str:
    if not isinstance(value, str) or not TURBINE_ID.match(value):
        raise WindmillError("turbine_id must be 1-64 letters, digits, '_', '-', '.' or ':'.")
    return value


def validate_fault(value: Any) -> str:
    if not isinstance(value, str) or not FAULT_CODE.match(value):
        raise WindmillError("fault_code must be an upper-case code such as GEARBOX_OVERHEAT.")
    return value


def validate_actor(value: Any) -> str:
    if not isinstance(value, str) or not ACTOR.match(value.strip() or "x") or not value.strip():
        raise WindmillError("the actor must be 1-200 printable characters without quotes or <>.")
    return value.strip()


def validate_reason(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_REASON:
        raise WindmillError(f"reason must be text of at most {MAX_REASON} characters.")
    return value


def parse_duration(value: Any) -> timedelta:
    """'90s', '30m', '2h', '1d' (or seconds as a number) → a positive timedelta ≤ 30 days."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        span = timedelta(seconds=float(value))
    else:
        match = DURATION.match(value) if isinstance(value, str) else None
        if match is None:
            raise WindmillError("duration must look like 90s, 30m, 2h or 1d.")
        span = timedelta(seconds=float(match.group(1)) * UNIT_S[match.group(2)])
    if not timedelta(0) < span <= MAX_SILENCE:
        raise WindmillError("a silence lasts more than 0 and at most 30 days.")
    return span


@dataclass
class ActionState:
    """Acks and silences in force at `now`, folded from the action rows."""

    acked: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    silences: dict[str, dict[str, Any]] = field(default_factory=dict)  # turbine → latest

    @classmethod
    def from_actions(cls, rows: list[dict[str, Any]], now: datetime) -> ActionState:
        state = cls()
        for row in rows:  # oldest first
            if row["action"] == ACK:
                key = (row["turbine_id"], row["fault_code"], row["episode_started_at"])
                state.acked.setdefault(key, row)
            elif row["action"] == SILENCE:
                if parse(row["until"]) > now and parse(row["at"]) <= now:
                    state.silences[row["turbine_id"]] = row
            elif row["action"] == UNSILENCE:
                state.silences.pop(row["turbine_id"], None)
        return state

    def is_acked(self, turbine_id: str | None, fault_code: str, started_at: str) -> bool:
        return (turbine_id, fault_code, started_at) in self.acked

    def is_silenced(self, turbine_id: str | None) -> bool:
        return turbine_id is not None and turbine_id in self.silences


def acknowledge(
    store: AlertStore,
    open_episodes: list[dict[str, Any]],
    turbine_id: Any,
    fault_code: Any,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Acknowledge the open episode of (turbine_id, fault_code); its repeats stop.

    `open_episodes`: the open episodes (dicts with turbine_id, fault_code, started_at).
    """
    turbine_id, fault_code = validate_turbine(turbine_id), validate_fault(fault_code)
    matches = [
        e for e in open_episodes if e["turbine_id"] == turbine_id and e["fault_code"] == fault_code
    ]
    if not matches:
        raise WindmillError(
            f"{turbine_id} has no open {fault_code} episode to acknowledge "
            "(see `windmill alerts list`)."
        )
    started = max(e["started_at"] for e in matches)
    return store.record_action(
        ACK,
        turbine_id,
        validate_actor(actor),
        now,
        fault_code=fault_code,
        episode_started_at=started,
    )


def silence(
    store: AlertStore, turbine_id: Any, duration: Any, actor: str, now: datetime, reason: Any = None
) -> dict[str, Any]:
    """Silence every notification of `turbine_id` for `duration` from `now`."""
    turbine_id = validate_turbine(turbine_id)
    until = now + parse_duration(duration)
    return store.record_action(
        SILENCE, turbine_id, validate_actor(actor), now, until=until, reason=validate_reason(reason)
    )


def unsilence(store: AlertStore, turbine_id: Any, actor: str, now: datetime) -> dict[str, Any]:
    """End the silence of `turbine_id` now (one clear error if none is in force)."""
    turbine_id = validate_turbine(turbine_id)
    if not ActionState.from_actions(store.actions(), now).is_silenced(turbine_id):
        raise WindmillError(f"{turbine_id} is not silenced.")
    return store.record_action(UNSILENCE, turbine_id, validate_actor(actor), now)
