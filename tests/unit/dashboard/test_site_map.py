"""The per-site map, the tables' columns and captions, and phone-sized pictures (no server)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dashboard import site_map
from dashboard.rendering import NARROW, STATIC, ChartCache, render_chart
from tests.e2e.pictures import map_marks
from tests.fakes.gold_tables import RISK_THRESHOLD, UNASSIGNED_TURBINE, gold_arrow
from workloads import names
from workloads.dispatch.builder import load_roster

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def gold() -> dict[str, pd.DataFrame]:
    return {name: table.to_pandas() for name, table in gold_arrow(with_risk=True).items()}


def test_each_turbine_belongs_to_its_nearest_site(gold):
    turbines, _, _ = site_map.site_frames(gold[names.GOLD_STATUS])
    assert turbines.set_index("turbine_id")["site"].to_dict() == {
        "TURBINE_00001": "Whitelee",
        "TURBINE_00002": "Whitelee",
        "TURBINE_00003": "Whitelee",
        "TURBINE_00004": "Jutland",
        "TURBINE_00005": "Jutland",
    }
    # The turbine registry's site wins over the nearest one, also a site of its own.
    registry = pd.DataFrame({"turbine_id": ["TURBINE_00001"], "site": ["Hornsea"]})
    turbines, _, _ = site_map.site_frames(gold[names.GOLD_STATUS], registry=registry)
    assert turbines["site"].tolist()[:2] == ["Hornsea", "Whitelee"]
    figures = site_map.site_figures(gold[names.GOLD_STATUS], registry=registry)
    assert [f.opts.get("plot", "bokeh").kwargs["title"].split(":")[0] for f in figures] == [
        "Whitelee",
        "Jutland",
        "Hornsea",
    ]


def test_a_route_starts_at_the_crews_base_and_follows_the_stops_in_order(gold):
    plan = gold[names.GOLD_DISPATCH].iloc[::-1]  # the order of rows does not matter
    _, routes, _ = site_map.site_frames(gold[names.GOLD_STATUS], plan)
    base = next(c for c in load_roster() if c.crew_id == "CREW_01")
    assert routes["turbine_id"].tolist() == ["base", "TURBINE_00002", "TURBINE_00003"]
    assert routes["stop"].tolist() == [0, 1, 2]
    assert tuple(routes.iloc[0][["latitude", "longitude"]]) == (base.latitude, base.longitude)
    assert set(routes["site"]) == {"Whitelee"}
    assert UNASSIGNED_TURBINE not in routes["turbine_id"].tolist()  # no crew, no route
    # A crew the roster does not know starts at its first stop.
    _, routes, _ = site_map.site_frames(gold[names.GOLD_STATUS], plan, roster=())
    assert routes["stop"].tolist() == [1, 2]


def test_risk_comes_from_the_risk_table_with_its_threshold(gold):
    status, risk = gold[names.GOLD_STATUS], gold[names.GOLD_RISK]
    turbines, _, threshold = site_map.site_frames(status, risk=risk)
    assert threshold == RISK_THRESHOLD
    assert turbines.loc[turbines["at_risk"], "turbine_id"].tolist() == ["TURBINE_00005"]
    assert site_map.has_risk(status, risk) and not site_map.has_risk(status, None)
    assert ["risk ≥ threshold", site_map.RISK_COLOR, "ring"] in site_map.legend(with_risk=True)
    assert not any(item[2] == "ring" for item in site_map.legend(with_risk=False))


def test_each_site_is_drawn_zoomed_to_its_turbines_with_routes_and_stop_numbers(gold):
    build = lambda: site_map.site_figures(  # noqa: E731
        gold[names.GOLD_STATUS], gold[names.GOLD_DISPATCH], gold[names.GOLD_RISK]
    )
    whitelee, jutland = (map_marks(svg) for svg in render_chart(build, STATIC, 320))
    assert whitelee["title"] == "Whitelee: 3 turbines, 2 in alert"
    assert whitelee["turbines"] == {"NORMAL": 1, "INFO": 0, "WARNING": 1, "CRITICAL": 1}
    assert whitelee["bases"] == 1 and whitelee["routes"] == 1
    assert whitelee["labels"] == ["CREW_01", "1", "2"]  # no axes: only the crew and its stops
    assert jutland["title"] == "Jutland: 2 turbines, 0 in alert, 1 at risk"
    assert jutland["turbines"] == {"NORMAL": 1, "INFO": 1, "WARNING": 0, "CRITICAL": 0}
    assert jutland["risk_rings"] == 1 and jutland["routes"] == 0
    # The interactive figures hover over each turbine's details.
    items = render_chart(build, "bokeh", 320)
    assert len(items) == 2 and all("HoverTool" in item for item in items)
    assert "TURBINE_00002" in items[0] and "GEARBOX_OVERHEAT" in items[0]


def _width(svg: str) -> float:
    return float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))


def test_a_phone_gets_narrow_pictures_once_asked_and_then_warmed():
    import hvplot.pandas  # noqa: F401

    line = lambda: pd.DataFrame({"x": [1, 2], "y": [3, 4]}).hvplot.line(x="x", y="y")  # noqa: E731
    charts = ChartCache()
    wide = charts.get(("line",), 1, line)["images"][0]
    assert charts.picture_kinds == {STATIC}
    narrow = charts.get(("line",), 1, line, NARROW)["images"][0]
    assert _width(narrow) < 0.7 * _width(wide)  # drawn for the phone: its text is not shrunk
    rendered = []
    charts.warm(2, [lambda cache, kind: rendered.append(kind)])
    assert rendered == sorted([STATIC, NARROW])


def test_the_map_card_rings_risky_turbines_once_the_snapshot_has_the_risk_table(gold):
    from dashboard.charts import TurbineMap
    from dashboard.state import Snapshot

    snapshot = Snapshot(source="local", gold=gold, data_version=1)
    charts = ChartCache()
    jutland = map_marks(TurbineMap.item(charts, snapshot)[1])
    assert jutland["risk_rings"] == 1
    assert ["risk ≥ threshold", site_map.RISK_COLOR, "ring"] in TurbineMap.legend(snapshot)
    assert TurbineMap.layout(snapshot) == (620, 0)  # two sites: one under the other
    without = Snapshot(source="local", gold={**gold, names.GOLD_RISK: None}, data_version=2)
    assert map_marks(TurbineMap.item(charts, without)[1])["risk_rings"] == 0


def dense_site(n: int = site_map.DENSE_TURBINES + 100) -> pd.DataFrame:
    """`n` turbines on a 10-column grid at Whitelee, every tenth CRITICAL."""
    import numpy as np

    i = np.arange(n)
    return pd.DataFrame(
        {
            "turbine_id": [f"TURBINE_{k:05d}" for k in i + 1],
            "latitude": 55.6 + (i // 10) * 0.006,
            "longitude": -4.3 + (i % 10) * 0.009,
            "alert_level": np.where(i % 10 == 0, "CRITICAL", "NORMAL"),
            "fault_code": None,
            "power_output": 1000.0,
        }
    )


def test_a_cell_of_the_raster_has_its_worst_turbines_colour():
    turbines = pd.DataFrame(
        {
            "latitude": [0.0, 0.0, 1.0],
            "longitude": [0.0, 0.0, 1.0],
            "alert_level": ["NORMAL", "CRITICAL", "INFO"],
        }
    )
    image, (left, bottom, right, top) = site_map.level_raster(turbines, cells=4)
    assert image.shape == (4, 4, 4)
    assert left < 0 < 1 < right and bottom < 0 < 1 < top
    critical, info = (
        site_map._rgba(site_map.LEVEL_COLORS["CRITICAL"]),
        site_map._rgba(site_map.LEVEL_COLORS["INFO"]),
    )
    assert tuple(image[3, 0]) == critical  # bottom left: NORMAL and CRITICAL, worst wins
    assert tuple(image[0, 3]) == info  # top right
    assert (image[..., 3] > 0).sum() == 2  # every other cell is transparent


def test_a_dense_sites_picture_is_cells_and_its_interactive_figure_every_turbine():
    import holoviews as hv

    turbines = dense_site()
    figures = {}
    for kind in (STATIC, "bokeh"):
        figures[kind] = render_chart(lambda: site_map.site_figures(turbines), kind, 320)
    assert "<image" in figures[STATIC][0]  # one embedded raster...
    assert sum(map_marks(figures[STATIC][0])["turbines"].values()) == 0  # ...and no dots
    # The Bokeh figure: one point each, with the hover that names it.
    previous = hv.Store.current_backend
    hv.Store.set_current_backend("bokeh")
    try:
        (overlay,) = site_map.site_figures(turbines)
    finally:
        hv.Store.set_current_backend(previous)
    points = [layer for layer in overlay if isinstance(layer, hv.Points)]
    assert sum(len(p) for p in points) == len(turbines)
    assert "TURBINE_00001" in figures["bokeh"][0]
    assert site_map.legend(with_risk=False, dense=True)[-1][0] == site_map.DENSE_NOTE
