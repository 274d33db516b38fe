"""Wind-farm sites the example roster and the generated instances are built around."""

from __future__ import annotations

from typing import NamedTuple


class Site(NamedTuple):
    name: str
    latitude: float
    longitude: float


SITES: tuple[Site, ...] = (
    Site("Altamont Pass", 37.73, -121.65),
    Site("Tehachapi", 35.08, -118.30),
    Site("San Gorgonio", 33.92, -116.60),
    Site("Roscoe", 32.45, -100.54),
    Site("Horse Hollow", 32.20, -100.00),
)
