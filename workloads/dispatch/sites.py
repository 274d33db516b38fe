"""Wind-farm sites the example roster and the generated instances are built around.

The same sites as the generator's (workloads/generator/physics.py SITES; a unit test
keeps them aligned): turbines stand on a grid north-east of each site's corner. Each
site has the IANA time zone its crews' shifts are written in (the scheduler).
When the `turbines` registry exists its `site` column wins; `nearest_site` is the
fallback for a position alone (the generator's fleet, or an unregistered turbine).
"""

from __future__ import annotations

from typing import NamedTuple


class Site(NamedTuple):
    name: str
    latitude: float
    longitude: float
    timezone: str = "UTC"


SITES: tuple[Site, ...] = (
    Site("Whitelee", 55.6800, -4.2700, "Europe/London"),
    Site("Roscoe", 32.4500, -100.5300, "America/Chicago"),
    Site("Altamont Pass", 37.7300, -121.6500, "America/Los_Angeles"),
    Site("Jutland", 56.2000, 8.3000, "Europe/Copenhagen"),
)
SITE_BY_NAME = {site.name: site for site in SITES}
NEAREST_SITE_KM = 100.0  # beyond this a position belongs to no known site


def nearest_site(latitude: float, longitude: float) -> str | None:
    """The name of the known site within NEAREST_SITE_KM of a position, else None."""
    from workloads.dispatch.model import haversine_km

    best = min(SITES, key=lambda s: haversine_km(latitude, longitude, s.latitude, s.longitude))
    distance = haversine_km(latitude, longitude, best.latitude, best.longitude)
    return best.name if distance <= NEAREST_SITE_KM else None


def timezone_of(site: str | None) -> str:
    """The IANA time zone of a site (UTC for an unknown one)."""
    return SITE_BY_NAME[site].timezone if site in SITE_BY_NAME else "UTC"
