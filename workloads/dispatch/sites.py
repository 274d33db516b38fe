"""Wind-farm sites the example roster and the generated instances are built around.

The same sites as the generator's (workloads/generator/physics.py SITES; a unit test
keeps them aligned): turbines stand on a grid north-east of each site's corner.
"""

from __future__ import annotations

from typing import NamedTuple


class Site(NamedTuple):
    name: str
    latitude: float
    longitude: float


SITES: tuple[Site, ...] = (
    Site("Whitelee", 55.6800, -4.2700),
    Site("Roscoe", 32.4500, -100.5300),
    Site("Altamont Pass", 37.7300, -121.6500),
    Site("Jutland", 56.2000, 8.3000),
)
