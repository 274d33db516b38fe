"""The served dashboard on a generated 10,000-turbine snapshot, in a real headless Chromium.

One page load: the dense sites' pictures are rasters of cells (not 2,500 dots each), the
alerts table pages its thousand-odd rows, the turbine list fills its select when first
used, and the page fits at 1400 px and at a phone's 390 px (screenshots of both).
"""

from __future__ import annotations

import math
import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    ARTIFACTS,
    FULLY_RENDERED,
    LAPTOP,
    PHONE,
    PICTURE,
    TABLE_FITS,
    chromium,
    get_json,
    served_dashboard,
)
from tests.e2e.pictures import map_marks
from tests.fakes.gold_tables import write_fleet_day
from workloads.config import Paths

pytestmark = [pytest.mark.e2e]

TURBINES = 10_000
PAGE_ROWS = 50  # dashboard.tables.PAGE_ROWS

if shutil.which("chromium") is None:
    pytest.skip("Debian chromium is not installed (run `make browser`)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = Paths(tmp_path_factory.mktemp("dash-10k"))
    write_fleet_day(home, turbines=TURBINES, interval_minutes=60)  # the trend reads one
    with served_dashboard("--home", str(home.home), "--refresh-seconds", "60") as base:
        yield base


def fits(page, name: str) -> None:
    out = page.evaluate(TABLE_FITS)
    for table in out["tables"]:
        assert table["table"] <= table["box"] + 1, (name, table)
        assert table["right"] <= out["viewport"], (name, table)
    assert out["page"] <= out["viewport"], name


def test_dense_map_table_paging_and_fit_at_10000_turbines(server):
    fleet = get_json(f"{server}/api/status")["fleet"]
    alerts = fleet["critical_alerts"] + fleet["warning_alerts"]
    assert fleet["turbines_reporting"] == TURBINES and alerts > 10 * PAGE_ROWS
    with chromium() as browser:
        page = browser.new_page(viewport=LAPTOP)
        page.goto(server)
        page.wait_for_function(FULLY_RENDERED % 5, timeout=120_000)

        # Each of the four sites: 2,500 turbines as one raster image, not 2,500 markers.
        card = page.locator(".wm-head", has_text="Turbine map").locator("xpath=..")
        pictures = card.locator("img.wm-chart")
        expect(pictures).to_have_count(4)
        for img in pictures.all():
            svg = img.evaluate(PICTURE)
            marks = map_marks(svg)
            assert f": {TURBINES // 4} turbines" in marks["title"], marks["title"]
            assert "<image" in svg  # the cells, one embedded image
            assert sum(marks["turbines"].values()) < 100, marks["turbines"]  # not a dot each
        expect(card.locator(".wm-legend")).to_contain_text("a cell shows its worst turbine")

        # The alerts table: every open alert sorted and filtered, one page of them drawn.
        table = page.locator("table", has=page.locator("tr.wm-filters"))
        root = table.locator("xpath=../..")
        rows = table.locator("tr.wm-row")
        expect(rows).to_have_count(PAGE_ROWS)
        pages = math.ceil(alerts / PAGE_ROWS)
        expect(root.locator(".wm-count")).to_have_text(f"{alerts} of {alerts} shown")
        expect(root.locator(".wm-page")).to_have_text(f"rows 1–50, page 1 of {pages}")
        first = rows.first.inner_text()
        root.locator("button.wm-next").click()
        expect(root.locator(".wm-page")).to_have_text(f"rows 51–100, page 2 of {pages}")
        assert rows.first.inner_text() != first
        table.locator("tr.wm-filters select").select_option("CRITICAL")  # back to page 1
        critical = fleet["critical_alerts"]
        expect(root.locator(".wm-count")).to_have_text(f"{critical} of {alerts} shown")
        expect(root.locator(".wm-page")).to_contain_text(
            f"page 1 of {math.ceil(critical / PAGE_ROWS)}"
        )
        expect(rows.filter(has_text="WARNING")).to_have_count(0)
        root.locator("button.wm-prev").is_disabled()

        # The trend's 10,000 turbines go into its select when it is first used.
        choice = page.get_by_role("combobox", name="Turbine")
        assert choice.locator("option").count() == 1
        choice.focus()
        expect(choice.locator("option")).to_have_count(TURBINES)

        fits(page, "1400")
        page.screenshot(path=str(ARTIFACTS / "dashboard-10k-1400.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.wait_for_function(FULLY_RENDERED % 5, timeout=120_000)
        page.wait_for_timeout(1000)  # the phone's narrower pictures swapped in
        fits(page, "390")
        page.screenshot(path=str(ARTIFACTS / "dashboard-10k-390.png"), full_page=True)
