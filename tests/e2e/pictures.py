"""What a site map's picture (matplotlib SVG, text kept as text) shows, for assertions.

Each marker is drawn with its own fill colour and each route as a stroke in its crew's
colour (dashboard/site_map.py), so counting those colours counts turbines and routes.
"""

from __future__ import annotations

import re

from dashboard.site_map import BASE_COLOR, LEVEL_COLORS, RISK_COLOR, ROUTE_COLORS


def map_marks(svg: str) -> dict:
    """{"title", "turbines": {level: markers}, "bases", "risk_rings", "routes": counts,
    "labels": the other texts (crew ids at their bases, stop numbers)}."""
    fills = re.findall(r"fill: (#[0-9a-f]{6})", svg)
    strokes = re.findall(r"stroke: (#[0-9a-f]{6})", svg)
    texts = [t.strip() for t in re.findall(r">([^<>]+)</text>", svg)]
    title = next((t for t in texts if ": " in t and "turbines" in t), "")
    return {
        "title": title,
        "turbines": {level: fills.count(color) for level, color in LEVEL_COLORS.items()},
        "bases": fills.count(BASE_COLOR),
        "risk_rings": strokes.count(RISK_COLOR),
        "routes": sum(strokes.count(color) for color in ROUTE_COLORS),
        "labels": [t for t in texts if t != title],
    }
