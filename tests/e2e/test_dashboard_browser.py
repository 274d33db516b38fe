"""The served dashboard in a real headless Chromium (local source, contract-schema tables)."""

from __future__ import annotations

import shutil
import time
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    ARTIFACTS,
    FULLY_RENDERED,
    LAPTOP,
    OFF_FEATURES,
    PHONE,
    PICTURE,
    TABLE_FITS,
    browser_switches,
    chromium,
    get_json,
    served_dashboard,
)
from tests.e2e.pictures import map_marks
from tests.fakes.gold_tables import write_all, write_gold
from workloads.config import Paths
from workloads.ledger import Ledger

pytestmark = [pytest.mark.e2e]

TRICKY_JOB = "<script>window.__pwned=1</script> windmill 100% _x_ 'q\""

if shutil.which("chromium") is None:
    pytest.skip("Debian chromium is not installed (run `make browser`)", allow_module_level=True)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Paths:
    home = Paths(tmp_path_factory.mktemp("dash-home"))
    write_all(home)
    ledger = Ledger(home.ledger)
    ledger.finish_run(ledger.start_run(ledger.ensure_job(TRICKY_JOB)), "FAILED", "<b>boom</b>")
    return home


@pytest.fixture(scope="module")
def server(home):
    with served_dashboard("--home", str(home.home), "--refresh-seconds", "1") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def open_page(browser, url, viewport=LAPTOP):
    page = browser.new_page(viewport=viewport)
    page.goto(url)
    page.locator("#kpi-turbines").wait_for(timeout=60_000)
    return page


def kpi(page, key: str) -> str:
    return page.locator(f"#kpi-{key}").inner_text().strip()


# Fleet power, faults, the trend's temperatures and vibration, and one map for each of the
# fixture's two sites (Whitelee, Jutland), as pictures.
FIGURES = 6


def test_page_renders_and_kpis_match_api_status(server, browser):
    page = open_page(browser, server)
    page.wait_for_function(FULLY_RENDERED % FIGURES, timeout=60_000)
    expect(page.locator("img.wm-chart")).to_have_count(FIGURES)
    status = get_json(f"{server}/api/status")
    fleet = status["fleet"]
    assert kpi(page, "turbines") == str(fleet["turbines_reporting"]) == "5"
    assert kpi(page, "power") == str(fleet["power_now_mw"])
    assert kpi(page, "energy") == str(fleet["energy_today_mwh"])
    assert kpi(page, "critical") == str(fleet["critical_alerts"])
    assert kpi(page, "warning") == str(fleet["warning_alerts"])
    for kind in ("pipelines", "jobs"):
        for count in ("total", "active", "idle"):
            assert page.locator(f"#{kind}-{count}").inner_text() == str(status[kind][count])
    assert "Last refreshed: 20" in page.locator("#wm-refreshed").inner_text()
    page.get_by_text("GEARBOX_OVERHEAT").first.wait_for()  # alerts table / fault chart
    page.get_by_text("CREW_01").first.wait_for()  # crew plan
    page.get_by_text("disk full while writing batch 7").wait_for()  # ledger event
    page.close()


def test_each_site_is_drawn_with_its_turbines_and_crew_routes(server, browser):
    page = open_page(browser, server)
    card = page.locator(".wm-head", has_text="Turbine map").locator("xpath=..")
    pictures = card.locator("img.wm-chart")
    expect(pictures).to_have_count(2, timeout=60_000)  # the fixture's two sites
    whitelee, jutland = (map_marks(img.evaluate(PICTURE)) for img in pictures.all())
    assert whitelee["title"] == "Whitelee: 3 turbines, 2 in alert"
    assert sum(whitelee["turbines"].values()) == 3 and whitelee["turbines"]["CRITICAL"] == 1
    assert whitelee["bases"] == 1 and whitelee["routes"] == 1  # CREW_01 from its base
    assert whitelee["labels"] == ["CREW_01", "1", "2"]  # its stops in visiting order
    assert jutland["title"].startswith("Jutland: 2 turbines")
    assert sum(jutland["turbines"].values()) == 2 and jutland["routes"] == 0
    legend = card.locator(".wm-legend")
    for label in ("NORMAL", "INFO", "WARNING", "CRITICAL", "crew base, route, stop order"):
        expect(legend).to_contain_text(label)
    page.close()


def test_every_table_fits_its_card_at_1400_px_and_the_page_fits_a_phone(server, browser):
    for viewport, name in ((LAPTOP, "1400"), (PHONE, "390")):
        page = open_page(browser, server, viewport)
        page.wait_for_function(FULLY_RENDERED % FIGURES, timeout=60_000)
        page.get_by_text("disk full while writing batch 7").wait_for()
        fits = page.evaluate(TABLE_FITS)
        assert len(fits["tables"]) >= 5  # alerts, crew plan, pipelines, jobs, events
        for table in fits["tables"]:
            assert table["table"] <= table["box"] + 1, (name, table)  # no sideways scrolling
            assert table["right"] <= fits["viewport"], (name, table)
        assert fits["page"] <= fits["viewport"], name  # the page never scrolls sideways
        if viewport is PHONE:
            # The charts asked for pictures drawn at a phone's width: text at its size.
            first = page.locator("img.wm-chart").first
            deadline = time.monotonic() + 30
            while svg_width(first.evaluate(PICTURE)) > 400 and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            assert svg_width(first.evaluate(PICTURE)) <= 400
            page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)
        page.close()


def svg_width(svg: str | None) -> float:
    """A picture's width in pt (a large number while the picture is being swapped)."""
    import re

    found = re.search(r'<svg[^>]*width="([\d.]+)pt"', svg or "")
    return float(found.group(1)) if found else 1e9


def test_a_chart_turns_interactive_on_request(server, browser):
    page = open_page(browser, server)
    head = page.locator(".wm-head", has_text="Turbine map")
    card = head.locator("xpath=..")
    expect(card.locator("img.wm-chart")).to_have_count(2, timeout=60_000)  # two sites
    head.get_by_role("button", name="Interactive").click()
    # The server sends the map as a Bokeh figure; BokehJS draws it in place of the picture.
    card.locator(".bk-Figure").first.wait_for(timeout=30_000)
    expect(card.locator("img.wm-chart")).to_have_count(0)
    expect(head.get_by_role("button")).to_be_hidden()
    expect(page.locator(".bk-Figure")).to_have_count(2)  # the other charts stay pictures
    expect(page.locator("img.wm-chart")).to_have_count(FIGURES - 2)  # the map's two are figures
    assert card.locator(".bk-Figure").count() == 2  # one per site
    page.close()


def test_choosing_a_turbine_redraws_its_trend(server, browser):
    page = open_page(browser, server)
    trend = page.get_by_role("img", name="Turbine trend")
    expect(trend).to_have_count(2, timeout=60_000)  # temperatures and vibration
    picture = PICTURE  # the SVG behind the first picture (null while the card swaps them)
    before = trend.first.evaluate(picture)
    assert "<svg" in before
    page.get_by_role("combobox", name="Turbine").select_option("TURBINE_00004")
    deadline = time.monotonic() + 30
    while (after := trend.first.evaluate(picture)) in (
        before,
        None,
    ) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert "<svg" in after and after != before  # another turbine's readings
    expect(trend).to_have_count(2)
    page.close()


def test_the_browser_keeps_playwrights_switches_and_drops_the_omnibox_popup(browser):
    (switch,) = browser_switches("--disable-features")  # Chromium reads only the last one
    features = switch.split(",")
    assert set(OFF_FEATURES) <= set(features)
    assert len(features) > len(OFF_FEATURES)  # Playwright's own list is still there


def test_tricky_names_are_shown_as_text_never_run(server, browser):
    page = open_page(browser, server)
    page.get_by_text(TRICKY_JOB, exact=True).wait_for(timeout=30_000)
    assert page.evaluate("window.__pwned") is None
    assert page.get_by_text("<b>boom</b>", exact=True).count() == 1
    page.close()


def ask_in_the_box(page, question: str):
    """Type `question` into the Ask box, press Ask; the box's answer area."""
    box = page.locator(".wm-ask")
    box.locator("input").fill(question)
    box.get_by_role("button", name="Ask").click()
    answer = box.locator(".wm-ask-answer, .wm-ask-error")
    expect(answer).not_to_have_text("Asking…", timeout=30_000)
    return box


def test_the_ask_box_answers_with_the_table_and_the_sql(server, browser):
    page = open_page(browser, server)
    box = ask_in_the_box(page, "which turbines need maintenance?")
    expected = get_json(f"{server}/api/ask?q={quote('which turbines need maintenance?')}")
    expect(box.locator(".wm-ask-answer")).to_have_text(expected["answer"])
    assert expected["answer"].startswith("2 turbines need maintenance")
    expect(box.locator(".wm-ask-sql")).to_have_text(expected["sql"])
    assert expected["sql"].startswith("SELECT ")
    expect(box.locator(".wm-ask-table tbody tr")).to_have_count(len(expected["rows"]))
    page.close()


def test_the_ask_box_shows_a_hostile_question_as_text(server, browser):
    page = open_page(browser, server)
    hostile = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2> power"
    box = ask_in_the_box(page, hostile)
    expected = get_json(f"{server}/api/ask?q={quote(hostile)}")
    expect(box.locator(".wm-ask-question")).to_have_text(hostile)  # shown as text
    expect(box.locator(".wm-ask-answer")).to_have_text(expected["answer"])
    assert page.evaluate("window.__pwned") is None
    assert box.locator("script, img").count() == 0
    # Enter asks too.
    question = "open critical alerts"
    box.locator("input").fill(question)
    box.locator("input").press("Enter")
    expect(box.locator(".wm-ask-question")).to_have_text(question, timeout=30_000)
    expected = get_json(f"{server}/api/ask?q={quote(question)}")
    assert expected["intent"] == "open_alerts"
    expect(box.locator(".wm-ask-answer")).to_have_text(expected["answer"])
    # The input stops at 500 characters: a longer paste is cut there.
    box.locator("input").fill("x" * 600)
    assert len(box.locator("input").input_value()) == 500
    page.close()


def test_alerts_table_sorts_and_filters_in_the_browser(server, browser):
    page = open_page(browser, server)
    alerts = page.locator("table", has=page.locator("tr.wm-filters"))
    rows = alerts.locator("tr.wm-row")
    rows.first.wait_for(timeout=30_000)

    def turbines() -> list[str]:
        return [row.locator("td").first.inner_text() for row in rows.all()]

    assert turbines() == ["TURBINE_00002", "TURBINE_00003"]  # CRITICAL first
    level = alerts.locator("tr.wm-filters select")
    level.select_option("WARNING")
    assert turbines() == ["TURBINE_00003"]
    assert page.get_by_text("1 of 2 shown").count() == 1
    level.select_option("")
    fault = alerts.locator("tr.wm-filters input[placeholder=fault]")
    fault.fill("gear")  # case-insensitive, part of the code
    assert turbines() == ["TURBINE_00002"]
    fault.fill("")
    header = alerts.locator("th.wm-sort", has_text="turbine")
    header.click()
    assert turbines() == ["TURBINE_00002", "TURBINE_00003"]
    header.click()
    assert turbines() == ["TURBINE_00003", "TURBINE_00002"]
    alerts.locator("th.wm-sort", has_text="level").click()  # by severity, mildest first
    assert turbines() == ["TURBINE_00003", "TURBINE_00002"]
    page.close()


def test_a_refresh_updates_the_open_page(server, browser, home):
    page = open_page(browser, server)
    before = page.locator("#wm-refreshed").inner_text()
    assert kpi(page, "power") == "5.0"
    write_gold(home, power_bump=1000.0)  # the pipeline wrote new gold tables: +5 MW
    page.locator("#kpi-power", has_text="10.0").wait_for(timeout=30_000)
    assert page.locator("#wm-refreshed").inner_text() != before
    assert get_json(f"{server}/api/status")["fleet"]["power_now_mw"] == 10.0
    page.close()


def test_an_unreadable_table_marks_only_its_cards_stale(server, browser, home):
    from workloads import names

    page = open_page(browser, server)
    page.get_by_text("GEARBOX_OVERHEAT").first.wait_for()
    for table in (names.GOLD_FAULTS, names.GOLD_ALERTS):  # a chart card and the JS table
        for file in home.table(table).rglob("*.parquet"):
            file.write_bytes(b"not parquet" * 100)
    badges = page.locator(".wm-card-stale:visible")
    # The fault chart, the alerts table, and the KPIs (which count the open alerts).
    expect(badges).to_have_count(3, timeout=30_000)
    assert all("stale since 20" in text for text in badges.all_inner_texts())
    assert any(names.GOLD_FAULTS in text for text in badges.all_inner_texts())
    page.get_by_text("GEARBOX_OVERHEAT").first.wait_for()  # the last good rows stay
    status = get_json(f"{server}/api/status")
    assert status["parts"][names.GOLD_ALERTS]["stale"] is True
    assert status["parts"][names.GOLD_STATUS]["stale"] is False
    assert status["pipelines"]["total"] == 1  # the status still refreshes
    write_gold(home, power_bump=1000.0)  # readable again: the badges go
    expect(badges).to_have_count(0, timeout=30_000)
    page.close()


def test_a_failed_refresh_shows_the_stale_badge_and_keeps_data(server, browser, home):
    page = open_page(browser, server)
    page.locator("#kpi-turbines", has_text="5").wait_for()
    # The ledger becomes unreadable: every refresh now fails.
    for suffix in ("-wal", "-shm"):
        home.ledger.with_name(home.ledger.name + suffix).unlink(missing_ok=True)
    home.ledger.write_bytes(b"this is not a database" * 100)
    page.locator("#wm-stale").wait_for(timeout=30_000)
    assert "stale since 20" in page.locator("#wm-stale").inner_text()
    assert kpi(page, "turbines") == "5"  # last good data stays on screen
    status = get_json(f"{server}/api/status")
    assert status["stale"] is True and status["error"]
    assert get_json(f"{server}/api/health")["status"] == "ok"
    page.screenshot(path=str(ARTIFACTS / "dashboard-stale-laptop.png"))
    phone = open_page(browser, server, PHONE)
    phone.locator("#wm-stale").wait_for(timeout=30_000)
    phone.wait_for_timeout(500)
    phone.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"))
    phone.close()
    page.close()
