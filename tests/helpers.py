"""Helpers shared by the test tiers: the repository, fixed instants, the real CLI, readings.

Fixtures live in `tests/conftest.py`; plain functions and constants live here, so tests
import them from one module instead of from a conftest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from workloads.contract import MAINTENANCE_LEVELS, classify, turbine_id

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
# Fixed instants so data is the same on every run.
FIXED_START = "2026-01-05T00:00:00+00:00"
BASE = datetime.fromisoformat(FIXED_START).astimezone(UTC)
INGESTED = BASE + timedelta(days=1)


def run_windmill(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600, check: bool = True
):
    """Run the real `windmill` CLI in a subprocess; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "workloads.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=REPO,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"windmill {' '.join(args)} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"
        )
    return result


# Hand-made readings and landing files (pure Python, fixed times) -------------------------


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def reading(
    turbine: int = 1, minute: int = 0, *, base: datetime = BASE, **values: Any
) -> dict[str, Any]:
    """A valid reading (fault fields follow the contract's rules) with `values` overriding."""
    row: dict[str, Any] = {
        "turbine_id": turbine_id(turbine),
        "timestamp": iso(base + timedelta(minutes=minute)),
        "wind_speed": 9.0,
        "wind_direction": 180.0,
        "rotor_rpm": 12.0,
        "power_output": 1500.0,
        "nacelle_temperature": 30.0,
        "gearbox_temperature": 60.0,
        "generator_temperature": 55.0,
        "vibration_level": 1.0,
        "oil_pressure": 50.0,
        "brake_pressure": 100.0,
        "pitch_angle": 5.0,
        "yaw_angle": 180.0,
        "tower_lean": 0.5,
        "latitude": 55.0 + turbine / 1000,
        "longitude": 8.0 + turbine / 1000,
        "batch_id": "batch-0001",
        "ingestion_timestamp": iso(base + timedelta(minutes=minute, seconds=1)),
    }
    sensor_overrides = {k: v for k, v in values.items() if k not in ("fault_code", "alert_level")}
    row.update(sensor_overrides)
    code, level, maintenance = classify(row)
    row["fault_code"], row["alert_level"], row["maintenance_needed"] = code, level, maintenance
    row.update(values)
    return row


def faulty(turbine: int, minute: int, fault: str, **values: Any) -> dict[str, Any]:
    """A reading whose sensors trip `fault` (labels follow the rules)."""
    trips = {
        "GEARBOX_OVERHEAT": {"gearbox_temperature": 90.0},
        "GENERATOR_OVERHEAT": {"generator_temperature": 85.0},
        "TOWER_LEAN": {"tower_lean": 2.0},
        "HIGH_VIBRATION": {"vibration_level": 3.0},
        "LOW_OIL_PRESSURE": {"oil_pressure": 20.0},
        "LOW_POWER_OUTPUT": {"power_output": 50.0},
    }[fault]
    row = reading(turbine, minute, **trips)
    assert row["fault_code"] == fault, row
    assert row["maintenance_needed"] == (row["alert_level"] in MAINTENANCE_LEVELS)
    if values:
        row = reading(turbine, minute, **{**trips, **values})
    return row


def line(row: dict[str, Any]) -> str:
    return json.dumps(row)


def write_landing(folder: Path, name: str, lines: list[str] | str) -> Path:
    """Write a landing file atomically, as the generator does (temp name, then rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = lines if isinstance(lines, str) else "".join(f"{x}\n" for x in lines)
    tmp = folder / f".{name}.tmp"
    tmp.write_text(text)
    final = folder / name
    os.replace(tmp, final)
    return final
