"""Vectorised haversine distances (numpy) for the solver and the greedy baseline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workloads.dispatch.model import EARTH_RADIUS_KM


def distance_matrix_km(points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Great-circle km between every pair of (latitude, longitude) points."""
    if not len(points):
        return np.zeros((0, 0))
    coords = np.radians(np.asarray(points, dtype=float))
    lat, lon = coords[:, 0][:, None], coords[:, 1][:, None]
    a = (
        np.sin((lat.T - lat) / 2) ** 2
        + np.cos(lat) * np.cos(lat.T) * np.sin((lon.T - lon) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
