"""Small hand-built instances (JSON documents, as `windmill dispatch --instance` reads)."""

from __future__ import annotations

import math

import pytest

# Speed at which a crew covers one degree of a great circle per hour (6371 × π / 180 km).
DEGREE_KM = 6371.0 * math.pi / 180.0
NOW = "2026-01-05T08:00:00Z"


def crew(crew_id, lat, lon, skills, shift=10.0, speed=DEGREE_KM):
    return {
        "crew_id": crew_id,
        "latitude": lat,
        "longitude": lon,
        "skills": list(skills),
        "shift_hours": shift,
        "speed_kmh": speed,
    }


def task(task_id, lat, lon, fault, level, duration, opened_at=NOW, **extra):
    return {
        "task_id": task_id,
        "turbine_id": f"TURBINE_{task_id}",
        "latitude": lat,
        "longitude": lon,
        "fault_code": fault,
        "alert_level": level,
        "duration_hours": duration,
        "opened_at": opened_at,
        **extra,
    }


@pytest.fixture
def example_document():
    import json

    from workloads.dispatch.builder import example_path

    return json.loads(example_path("instance.json").read_text())
