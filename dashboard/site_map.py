"""The turbine map: one small map per wind-farm site, zoomed to its turbines and crew routes.

Why small multiples: the sites lie on two continents, so on one shared axis every site
shrinks to a dot. Each site gets its own axis fitted to its turbines and the bases of the
crews that work there. Turbines are coloured by alert level; a ring marks a turbine whose
failure risk (gold_turbine_risk, or a `risk` column) reaches the model's threshold. Each
crew's route runs from its base (a square) through its stops, numbered in visiting order.

A dense site (more than DENSE_TURBINES turbines: a 10,000-turbine fleet has 2,500 a
site) would be a blot of overlapping dots in its picture, and thousands of SVG circles cost
seconds to draw and megabytes to send. Its picture is rasterized instead (`level_raster`):
a grid of cells, each coloured by the worst alert level among its turbines, drawn as one
image; rings, bases and routes stay on top. The interactive (Bokeh) figure keeps every
turbine as a point with its hover, so zooming in there inspects single turbines.

Pure functions of DataFrames (`site_frames`, `site_figures`, `level_raster`): unit tests
call them without a server; `charts.TurbineMap` renders them once per data version.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workloads.contract import ALERT_LEVELS, SEVERITY
from workloads.dispatch.builder import RISK_COLUMNS, RISK_THRESHOLD, load_roster
from workloads.dispatch.sites import SITES

LEVEL_COLORS = {"NORMAL": "#2e7d32", "INFO": "#1565c0", "WARNING": "#ef6c00", "CRITICAL": "#c62828"}
RISK_COLOR = "#6a1b9a"  # the ring of a turbine at or above the risk threshold
BASE_COLOR = "#263238"
# One colour per crew on a site (Okabe-Ito, readable by colour-blind eyes; none is a level's).
ROUTE_COLORS = ("#0072b2", "#cc79a7", "#e69f00", "#009e73", "#56b4e9", "#d55e00")
MAP_HEIGHT = 260  # px of each site's map (hvplot's terms; matplotlib gets fig_size)
# Above this many turbines a site's picture is a raster of cells (see the module docstring):
# a few hundred dots still read one by one in a ~300 px map, thousands do not.
DENSE_TURBINES = 400
RASTER_CELLS = 64  # cells along each axis of a dense site's raster (~5 px each in its picture)
TURBINE_COLUMNS = [
    "turbine_id",
    "latitude",
    "longitude",
    "alert_level",
    "fault_code",
    "power_output",
]


def legend(with_risk: bool, dense: bool = False) -> list[list[str]]:
    """The map card's legend as [label, colour, shape] triples (drawn by the card); `dense`
    when a site is drawn as cells (says what a cell's colour means)."""
    items = [[level, LEVEL_COLORS[level], "dot"] for level in ALERT_LEVELS]
    if with_risk:
        items.append(["risk ≥ threshold", RISK_COLOR, "ring"])
    items.append(["crew base, route, stop order", BASE_COLOR, "square"])
    if dense:
        items.append([DENSE_NOTE, "#9e9e9e", "square"])
    return items


DENSE_NOTE = "dense site: a cell shows its worst turbine (Interactive: each turbine)"


def is_dense(turbines: pd.DataFrame) -> bool:
    """Whether a site's turbines are too many to draw one dot each in its picture."""
    return len(turbines) > DENSE_TURBINES


def level_raster(
    turbines: pd.DataFrame, cells: int = RASTER_CELLS
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A site's turbines as an RGBA image (rows top to bottom) and its bounds (left, bottom,
    right, top): `cells` x `cells` cells over their extent, each cell the colour of the worst
    alert level among its turbines, transparent where there is none."""
    lon = turbines["longitude"].to_numpy(dtype=float)
    lat = turbines["latitude"].to_numpy(dtype=float)
    severity = turbines["alert_level"].map(SEVERITY).fillna(0).to_numpy(dtype=int)
    left, right = _span(lon.min(), lon.max())
    bottom, top = _span(lat.min(), lat.max())
    column = np.clip(((lon - left) / (right - left) * cells).astype(int), 0, cells - 1)
    row = np.clip(((top - lat) / (top - bottom) * cells).astype(int), 0, cells - 1)
    worst = np.full((cells, cells), -1)
    np.maximum.at(worst, (row, column), severity)
    palette = np.array([_rgba(LEVEL_COLORS[level]) for level in ALERT_LEVELS] + [(0, 0, 0, 0)])
    return palette[worst], (left, bottom, right, top)  # -1 picks the transparent last colour


def _span(low: float, high: float) -> tuple[float, float]:
    """An axis' extent, widened a little so edge turbines fall inside (and a single row or
    column of turbines still has a width)."""
    pad = max((high - low) * 0.01, 1e-4)
    return low - pad, high + pad


def _rgba(color: str) -> tuple[float, float, float, float]:
    return (*(int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)), 1.0)


def has_risk(status: pd.DataFrame | None, risk: pd.DataFrame | None) -> bool:
    """Whether any turbine has a risk score to show."""
    if status is None:
        return False
    return bool(_risk(status, risk)[0].notna().any())


def nearest_site(latitude: pd.Series, longitude: pd.Series) -> pd.Series:
    """The name of the site nearest each position (equirectangular distance: sites are
    thousands of km apart, turbines within a few km of their site's corner)."""
    lat = np.radians(latitude.to_numpy(dtype=float))[:, None]
    lon = np.radians(longitude.to_numpy(dtype=float))[:, None]
    site_lat = np.radians([s.latitude for s in SITES])[None, :]
    site_lon = np.radians([s.longitude for s in SITES])[None, :]
    dx = (lon - site_lon) * np.cos((lat + site_lat) / 2)
    distance = dx**2 + (lat - site_lat) ** 2
    names = np.array([s.name for s in SITES])
    return pd.Series(names[distance.argmin(axis=1)], index=latitude.index)


def _risk(status: pd.DataFrame, risk: pd.DataFrame | None) -> tuple[pd.Series, float]:
    """Each turbine's risk (NaN when unknown) and the threshold it is judged by."""
    column = next((c for c in RISK_COLUMNS if c in status.columns), None)
    threshold = RISK_THRESHOLD
    if column is None and risk is not None:
        column = next((c for c in RISK_COLUMNS if c in risk.columns), None)
        if column is not None:
            by_turbine = risk.drop_duplicates("turbine_id", keep="last").set_index("turbine_id")
            if "threshold" in risk.columns and risk["threshold"].notna().any():
                threshold = float(risk["threshold"].dropna().iloc[-1])
            return status["turbine_id"].map(by_turbine[column]).astype(float), threshold
    if column is None:
        return pd.Series(np.nan, index=status.index), threshold
    return status[column].astype(float), threshold


def site_frames(
    status: pd.DataFrame,
    plan: pd.DataFrame | None = None,
    risk: pd.DataFrame | None = None,
    roster: tuple | None = None,
    registry: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """The map's data: turbines (with `site`, `risk`, `at_risk`), route points, threshold.

    A turbine's site is the turbine registry's (`registry`, or a `site` column of
    `status`), else the nearest of the generator's sites. Route points are one row per
    point of a crew's route: its base (stop 0), then its stops in visiting order; the
    plan's unassigned tasks (no crew) are not on a route. A crew missing from the roster
    starts at its first stop.
    """
    if registry is not None and "site" in registry.columns and "site" not in status.columns:
        sites = registry.drop_duplicates("turbine_id", keep="last").set_index("turbine_id")
        status = status.assign(site=status["turbine_id"].map(sites["site"]))
    turbines = status.reindex(columns=TURBINE_COLUMNS).copy()
    turbines["alert_level"] = turbines["alert_level"].fillna("NORMAL")
    turbines["fault_code"] = turbines["fault_code"].fillna("")
    turbines = turbines.dropna(subset=["latitude", "longitude"])
    if "site" in status.columns:  # the turbine registry's site, when the table has it
        turbines["site"] = status.loc[turbines.index, "site"]
        unknown = turbines["site"].isna()
        turbines.loc[unknown, "site"] = nearest_site(
            turbines.loc[unknown, "latitude"], turbines.loc[unknown, "longitude"]
        )
    else:
        turbines["site"] = nearest_site(turbines["latitude"], turbines["longitude"])
    turbines["risk"], threshold = _risk(status.loc[turbines.index], risk)
    turbines["at_risk"] = turbines["risk"] >= threshold
    points = []
    if plan is not None and not plan.empty:
        bases = {crew.crew_id: crew for crew in (roster if roster is not None else load_roster())}
        routed = plan.dropna(subset=["crew_id", "stop"])
        for crew_id, stops in routed.groupby("crew_id", sort=True):
            stops = stops.sort_values("stop")
            base = bases.get(crew_id)
            if base is not None:
                points.append(
                    {"crew_id": crew_id, "stop": 0, "turbine_id": "base"}
                    | {"latitude": base.latitude, "longitude": base.longitude}
                )
            for row in stops.itertuples():
                points.append(
                    {
                        "crew_id": crew_id,
                        "stop": int(row.stop),
                        "turbine_id": row.turbine_id,
                        "latitude": float(row.latitude),
                        "longitude": float(row.longitude),
                    }
                )
    route_points = pd.DataFrame(
        points, columns=["crew_id", "stop", "turbine_id", "latitude", "longitude"]
    )
    if not route_points.empty:
        # A route belongs to the site of its first stop's turbine (a crew works one site a
        # day); the nearest site where that turbine is not on the map.
        first = route_points[route_points["stop"] > 0].groupby("crew_id").first()
        site_of = turbines.drop_duplicates("turbine_id").set_index("turbine_id")["site"]
        sites = first["turbine_id"].map(site_of)
        nearest = nearest_site(first["latitude"], first["longitude"])
        route_points["site"] = route_points["crew_id"].map(sites.fillna(nearest))
    else:
        route_points["site"] = pd.Series(dtype=str)
    return turbines, route_points, threshold


def site_figures(
    status: pd.DataFrame,
    plan: pd.DataFrame | None = None,
    risk: pd.DataFrame | None = None,
    roster: tuple | None = None,
    registry: pd.DataFrame | None = None,
    height: int = MAP_HEIGHT,
) -> list[Any]:
    """One HoloViews overlay per site with turbines (in SITES order), titled with its
    counts; hover (interactive version) shows each turbine's id, level, fault, power, risk."""
    turbines, route_points, threshold = site_frames(status, plan, risk, roster, registry)
    known = [s.name for s in SITES]
    others = sorted(set(turbines["site"].astype(str)) - set(known))  # a registry's own sites
    figures = []
    for site in known + others:
        here = turbines[turbines["site"] == site]
        if here.empty:
            continue
        routes = route_points[route_points["site"] == site]
        figures.append(_site_overlay(site, here, routes, threshold, height))
    return figures


def _site_overlay(
    site: str, turbines: pd.DataFrame, routes: pd.DataFrame, threshold: float, height: int
):
    import holoviews as hv
    import hvplot.pandas  # noqa: F401  (loads HoloViews' Bokeh backend, as the other charts do)

    hover = ["turbine_id", "alert_level", "fault_code", "power_output", "risk"]
    layers = []
    for i, (crew_id, crew) in enumerate(routes.groupby("crew_id", sort=True)):
        color = ROUTE_COLORS[i % len(ROUTE_COLORS)]
        crew = crew.sort_values("stop")
        layers.append(
            hv.Path([crew[["longitude", "latitude"]].to_numpy()], kdims=["longitude", "latitude"])
            .opts(color=color, line_width=2.5, alpha=0.85, backend="bokeh")
            .opts(color=color, linewidth=2.2, alpha=0.85, backend="matplotlib")
        )
        base = crew[crew["stop"] == 0]
        if not base.empty:
            layers.append(
                hv.Points(base, kdims=["longitude", "latitude"], vdims=["crew_id"])
                .opts(marker="square", size=11, color=BASE_COLOR, tools=["hover"], backend="bokeh")
                .opts(marker="s", s=70, color=BASE_COLOR, backend="matplotlib")
            )
            layers.append(
                hv.Labels(
                    base.assign(label=crew_id), kdims=["longitude", "latitude"], vdims=["label"]
                )
                .opts(text_color=color, text_font_size="11pt", text_baseline="top", backend="bokeh")
                .opts(color=color, size=11, verticalalignment="top", backend="matplotlib")
            )
        stops = crew[crew["stop"] > 0].assign(label=lambda f: f["stop"].astype(str))
        layers.append(
            hv.Labels(stops, kdims=["longitude", "latitude"], vdims=["label"])
            .opts(text_color=color, text_font_size="11pt", text_baseline="bottom", backend="bokeh")
            .opts(color=color, size=12, verticalalignment="bottom", backend="matplotlib")
        )
    ringed = turbines[turbines["at_risk"]]
    if not ringed.empty:
        layers.append(
            hv.Points(ringed, kdims=["longitude", "latitude"], vdims=hover)
            .opts(size=18, fill_alpha=0, line_color=RISK_COLOR, line_width=3, backend="bokeh")
            .opts(
                s=220,
                facecolors="none",
                edgecolors=RISK_COLOR,
                linewidth=2.2,
                backend="matplotlib",
            )
        )
    # The chart cache builds each figure with its backend current: a picture (matplotlib) of
    # a dense site draws cells, the interactive figure (Bokeh) every turbine, smaller.
    dense = is_dense(turbines)
    if dense and hv.Store.current_backend == "matplotlib":
        image, bounds = level_raster(turbines)
        layers.insert(
            0, hv.RGB(image, bounds=bounds, kdims=["longitude", "latitude"], vdims=list("RGBA"))
        )
    else:
        for level in ALERT_LEVELS:  # one layer per level, so each keeps its fixed colour
            at_level = turbines[turbines["alert_level"] == level]
            if at_level.empty:
                continue
            layers.append(
                hv.Points(at_level, kdims=["longitude", "latitude"], vdims=hover)
                .opts(
                    size=5 if dense else 10,
                    color=LEVEL_COLORS[level],
                    tools=["hover"],
                    backend="bokeh",
                )
                .opts(s=60, color=LEVEL_COLORS[level], backend="matplotlib")
            )
    # For both backends by name: importing hvplot may switch the current one.
    frame = {"show_legend": False, "xaxis": None, "yaxis": None, "padding": 0.2}
    alerts = int(turbines["alert_level"].isin(["WARNING", "CRITICAL"]).sum())
    title = f"{site}: {len(turbines)} turbines, {alerts} in alert"
    if turbines["at_risk"].any():
        title += f", {int(turbines['at_risk'].sum())} at risk"
    frame["title"] = title
    return (
        hv.Overlay(layers)
        .opts(responsive=True, height=height, backend="bokeh", **frame)
        .opts(fig_size=height / 3, backend="matplotlib", **frame)
    )
