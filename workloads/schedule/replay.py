"""The trained model's measured alarms, replayed onto a simulated fleet.

The predictive strategy must act on what the model actually did, not on an assumed recall
or lead time. `windmill train` writes the evaluation replay (contracts.md): for every
fault episode of the evaluation turbines, when the model first alarmed (`lead_hours` before
the episode started, or null: missed), and every false alarm (an alarm run followed by no
episode) with its time. Resampled deterministically (a hash of the seed and the turbine):

- a simulated episode takes the outcome of one evaluation episode of the same fault kind
  (any kind if the file has none of it): missed, or an alarm `lead_hours` before its trip.
  An alarm cannot precede the drift it responds to: a lead longer than the simulated drift
  is cut to the drift's onset (counted in `clipped`);
- a simulated turbine takes the false-alarm pattern of one evaluation turbine: its false
  alarms' offsets within the evaluation window, repeated window after window.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from workloads.dispatch.model import parse_time
from workloads.errors import WindmillError

REQUIRED = (
    "model_version",
    "threshold",
    "horizon_hours",
    "evaluation_turbines",
    "evaluation_start",
    "evaluation_end",
    "episodes",
    "false_alarms",
)


def stable_index(seed: int, *parts: object, size: int) -> int:
    """A deterministic index in range(size) from the seed and parts (blake2b)."""
    text = ":".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") % size


@dataclass(frozen=True)
class EvaluatedEpisode:
    turbine_id: str
    fault_code: str
    started_at: datetime
    lead_hours: float | None


@dataclass(frozen=True)
class Evaluation:
    model_version: str
    threshold: float
    horizon_hours: float
    turbines: tuple[str, ...]
    start: datetime
    end: datetime
    episodes: tuple[EvaluatedEpisode, ...]
    false_alarms: Mapping[str, tuple[datetime, ...]]  # turbine -> times
    path: str = ""

    @property
    def window(self) -> timedelta:
        return self.end - self.start


def load(path: str | Path) -> Evaluation:
    """The evaluation replay file, read and validated by the model's own loader
    (`workloads.model.evaluation.load_evaluation`), then typed here."""
    from workloads.model.evaluation import load_evaluation

    path = Path(path)
    if not path.exists():
        raise WindmillError(
            f"There is no model evaluation at {path}: run `windmill train` first (the predictive"
            " strategy replays the trained model's alarms), or pass --evaluation PATH."
        )
    return parse(load_evaluation(path), str(path))


def parse(document: Any, where: str = "evaluation") -> Evaluation:
    if not isinstance(document, Mapping):
        raise WindmillError(f"The model evaluation {where} must be a JSON object.")
    for name in REQUIRED:
        if name not in document:
            raise WindmillError(f"The model evaluation {where} has no {name!r}.")
    turbines = tuple(str(t) for t in document["evaluation_turbines"])
    if not turbines:
        raise WindmillError(f"The model evaluation {where} lists no evaluation_turbines.")
    start = parse_time(document["evaluation_start"], "evaluation_start")
    end = parse_time(document["evaluation_end"], "evaluation_end")
    if end <= start:
        raise WindmillError(
            f"The model evaluation {where}: evaluation_end must be after evaluation_start."
        )
    episodes = []
    for i, row in enumerate(_records(document["episodes"], "episodes", where)):
        lead = row.get("lead_hours")
        if lead is not None and (not isinstance(lead, int | float) or not math.isfinite(lead)):
            raise WindmillError(
                f"The model evaluation {where}: episodes[{i}].lead_hours must be a number or null."
            )
        episodes.append(
            EvaluatedEpisode(
                str(row["turbine_id"]),
                str(row["fault_code"]),
                parse_time(row["started_at"], f"episodes[{i}].started_at"),
                None if lead is None else float(lead),
            )
        )
    false_alarms: dict[str, list[datetime]] = {t: [] for t in turbines}
    for i, row in enumerate(_records(document["false_alarms"], "false_alarms", where)):
        false_alarms.setdefault(str(row["turbine_id"]), []).append(
            parse_time(row["at"], f"false_alarms[{i}].at")
        )
    return Evaluation(
        model_version=str(document["model_version"]),
        threshold=float(document["threshold"]),
        horizon_hours=float(document["horizon_hours"]),
        turbines=turbines,
        start=start,
        end=end,
        episodes=tuple(episodes),
        false_alarms={t: tuple(sorted(v)) for t, v in false_alarms.items()},
        path=where,
    )


def _records(value: Any, name: str, where: str) -> Sequence[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
        raise WindmillError(f"The model evaluation {where}: {name} must be a list of objects.")
    return value


def episode_outcome(
    evaluation: Evaluation, seed: int, turbine_id: str, index: int, fault_code: str
) -> EvaluatedEpisode | None:
    """The evaluation episode a simulated one replays (None when the file has no episodes)."""
    same = [e for e in evaluation.episodes if e.fault_code == fault_code]
    pool = same or list(evaluation.episodes)
    if not pool:
        return None
    return pool[stable_index(seed, "episode", turbine_id, index, size=len(pool))]


def alarm_time(
    outcome: EvaluatedEpisode | None, onset: datetime, trip: datetime
) -> tuple[datetime | None, bool]:
    """(alarm time or None if missed, whether the lead was cut to the onset)."""
    if outcome is None or outcome.lead_hours is None:
        return None, False
    at = trip - timedelta(hours=outcome.lead_hours)
    if at < onset:
        return onset, True
    return at, False


def source_turbine(evaluation: Evaluation, seed: int, turbine_id: str) -> str:
    return evaluation.turbines[
        stable_index(seed, "false", turbine_id, size=len(evaluation.turbines))
    ]


def false_alarms(
    evaluation: Evaluation, seed: int, turbine_id: str, start: datetime, end: datetime
) -> list[datetime]:
    """The simulated turbine's false alarms in [start, end): its source turbine's, tiled."""
    offsets = [
        at - evaluation.start
        for at in evaluation.false_alarms.get(source_turbine(evaluation, seed, turbine_id), ())
    ]
    times = []
    tile = 0
    while start + tile * evaluation.window < end:
        for offset in offsets:
            moment = start + tile * evaluation.window + offset
            if start <= moment < end:
                times.append(moment)
        tile += 1
    return sorted(times)
