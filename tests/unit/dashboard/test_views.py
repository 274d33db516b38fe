"""Page pieces without a browser: charts rendered once per data version, escaped tables."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from dashboard.charts import warm
from dashboard.rendering import INTERACTIVE, ChartCache
from dashboard.sources import LocalGoldSource, LocalStatusSource
from dashboard.state import Poller
from dashboard.store import DataStore
from dashboard.tables import PipelinesTable, html_table
from tests.fakes.gold_tables import write_all, write_gold
from workloads import names
from workloads.config import Paths

pytestmark = pytest.mark.unit


def line():
    import hvplot.pandas  # noqa: F401

    return pd.DataFrame({"x": [1, 2, 3], "y": [4, 5, 6]}).hvplot.line(x="x", y="y")


def test_a_chart_is_rendered_once_per_data_version_for_every_session():
    charts = ChartCache()
    first = charts.get(("power",), 1, line)
    second = charts.get(("power",), 1, lambda: pytest.fail("rendered twice"))
    assert charts.renders == 1
    assert first == second and first["message"] == "" and len(first["images"]) == 1
    assert first["images"][0].startswith("<?xml") and "<svg" in first["images"][0]
    charts.get(("power",), 2, line)
    assert charts.renders == 2


def test_the_interactive_render_is_a_bokeh_item_made_on_demand_and_kept():
    charts = ChartCache()
    charts.get(("power",), 1, line)
    interactive = charts.get(("power",), 1, line, INTERACTIVE)
    again = charts.get(("power",), 1, lambda: pytest.fail("rendered twice"), INTERACTIVE)
    assert charts.renders == 2 and interactive == again
    assert interactive["message"] == "" and len(interactive["items"]) == 1
    item = json.loads(interactive["items"][0])
    assert {"doc", "root_id"} <= set(item)
    # Drawn on a canvas, never WebGL (the page does not load BokehJS's GL bundle).
    assert '"webgl"' not in interactive["items"][0]


def test_the_picture_follows_the_charts_colours_and_is_the_same_every_time():
    import hvplot.pandas  # noqa: F401

    frame = pd.DataFrame({"x": [1, 2, 3], "y": [4, 5, 6]})
    chart = lambda: frame.hvplot.line(x="x", y="y", color="#c62828")  # noqa: E731
    first = ChartCache().get(("line",), 1, chart)["images"][0]
    assert "#c62828" in first  # hvplot's options reach the matplotlib render
    assert ChartCache().get(("line",), 1, chart)["images"][0] == first


def test_old_data_versions_are_forgotten():
    charts = ChartCache(keep_versions=2)
    for version in (1, 2, 3):
        charts.get(("power",), version, line)
    charts.get(("power",), 3, lambda: pytest.fail("version 3 is kept"))
    charts.get(("power",), 1, line)  # version 1 was dropped: rendered again
    assert charts.renders == 4


def test_no_data_is_a_text_and_several_figures_stack():
    charts = ChartCache()
    assert charts.get(("map",), 1, lambda: "No data yet.") == {
        "images": [],
        "message": "No data yet.",
    }
    assert charts.get(("map",), 1, lambda: "No data yet.", INTERACTIVE)["items"] == []
    both = charts.get(("trend", "T1"), 1, lambda: [line(), line()])
    assert both["message"] == "" and len(both["images"]) == 2
    both = charts.get(("trend", "T1"), 1, lambda: [line(), line()], INTERACTIVE)
    assert len({json.loads(text)["root_id"] for text in both["items"]}) == 2  # two figures


def test_html_table_escapes_every_value_and_links():
    frame = pd.DataFrame(
        [
            {"name": "<script>x()</script> 100% _a_", "runs": 3.0, "link": "https://h/?a=1&b=2"},
            {"name": "plain", "runs": None, "link": ""},
        ]
    )
    out = html_table(frame, links=("link",))
    assert "<script>" not in out
    assert "&lt;script&gt;x()&lt;/script&gt; 100% _a_" in out
    assert '<td class="num" data-label="runs">3</td>' in out  # a count, not 3.0
    assert 'href="https://h/?a=1&amp;b=2"' in out
    assert out.count(">open</a>") == 1  # no link for an empty one
    assert "No rows" in html_table(frame.iloc[0:0], empty="No rows")


def test_html_table_groups_rows():
    frame = pd.DataFrame({"crew_id": ["C1", "C1", "C2"], "stop": [1, 2, 1]})
    out = html_table(frame, group_by="crew_id")
    assert out.count('class="wm-group"') == 2
    assert "<th>crew_id</th>" not in out


def test_new_data_is_charted_in_the_poller_before_any_session_asks(tmp_path):
    home = Paths(tmp_path / "home")
    write_all(home)
    poller = Poller(LocalStatusSource(home), LocalGoldSource(home))
    charts = ChartCache()
    poller.on_new_data.append(lambda snapshot: warm(charts, poller, snapshot))
    poller.refresh()
    assert charts.renders == 4  # fleet power, faults, map, trend of the worst turbine
    version = poller.snapshot.data_version
    for key in [
        ("FleetPowerChart",),
        ("FaultChart",),
        ("TurbineMap",),
        ("TurbineTrend", "TURBINE_00002"),
    ]:
        charts.get(key, version, lambda key=key: pytest.fail(f"{key} not ready"))
    poller.refresh()  # same data: nothing to render
    assert charts.renders == 4
    write_gold(home, power_bump=1000.0)
    poller.refresh()
    assert charts.renders == 8


def test_a_failing_new_data_handler_does_not_break_the_refresh(tmp_path):
    home = Paths(tmp_path / "home")
    write_all(home)
    poller = Poller(LocalStatusSource(home), LocalGoldSource(home))
    poller.on_new_data.append(lambda snapshot: 1 / 0)
    assert poller.refresh() is True
    assert not poller.snapshot.stale


def test_new_data_is_handled_before_pages_see_it(tmp_path):
    home = Paths(tmp_path / "home")
    write_all(home)
    poller = Poller(LocalStatusSource(home), LocalGoldSource(home))
    published = []  # what pages saw while each new snapshot was being handled
    poller.on_new_data.append(lambda snapshot: published.append(poller.snapshot.data_version))
    poller.refresh()
    write_gold(home, power_bump=1000.0)
    poller.refresh()
    assert published == [0, 1] and poller.snapshot.data_version == 2


def test_open_pages_share_one_render_of_each_snapshot(tmp_path):
    home = Paths(tmp_path / "home")
    write_all(home)
    poller = Poller(LocalStatusSource(home), LocalGoldSource(home))
    poller.refresh()
    renders = []

    class CountingTable(PipelinesTable):
        def html(self, snapshot):
            renders.append(snapshot.version)
            return super().html(snapshot)

    first, second = (CountingTable(DataStore(poller)) for _ in range(2))
    assert renders == [poller.snapshot.version]
    assert first.view.object == second.view.object and "Windmill IoT" in first.view.object
    write_gold(home, power_bump=1000.0)
    poller.refresh()  # new data: each page's store picks it up, one render for both
    for page in (first, second):
        page.store.sync()
    assert renders == [1, poller.snapshot.version] and poller.snapshot.version == 2


def test_only_the_card_of_an_unreadable_table_shows_a_stale_badge(tmp_path, monkeypatch):
    from dashboard.header import FleetKpis
    from dashboard.tables import CrewPlanTable
    from workloads import names

    home = Paths(tmp_path / "home")
    write_all(home)
    source = LocalGoldSource(home)
    poller = Poller(LocalStatusSource(home), source)
    poller.refresh()
    plan, pipelines = CrewPlanTable(DataStore(poller)), PipelinesTable(DataStore(poller))
    assert "wm-card-stale" not in plan.view.object
    real = source.read_table

    def read(table, *args, **kwargs):
        if table == names.GOLD_DISPATCH:
            raise PermissionError("no SELECT on <gold_dispatch_plan>")
        return real(table, *args, **kwargs)

    monkeypatch.setattr(source, "read_table", read)
    poller.refresh()
    for view in (plan, pipelines):
        view.store.sync()
    assert "wm-card-stale" in plan.view.object
    assert "no SELECT on &lt;gold_dispatch_plan&gt;" in plan.view.object  # escaped
    assert "CREW_01" in plan.view.object  # the last good plan stays
    assert "wm-card-stale" not in pipelines.view.object
    assert "wm-card-stale" not in FleetKpis(DataStore(poller)).view.object


def test_counts_never_read_show_a_dash_not_zero(tmp_path):
    from dashboard.header import FleetKpis

    class Broken:
        name = "local"

        def fetch_status(self):
            raise OSError("ledger unreadable")

    poller = Poller(Broken(), LocalGoldSource(Paths(tmp_path)))
    poller.refresh()
    kpis = FleetKpis(DataStore(poller)).view.object
    assert '<b id="pipelines-total">–</b>' in kpis and '<b id="jobs-idle">–</b>' in kpis
    assert "wm-card-stale" in kpis and "ledger unreadable" in kpis


def test_tables_show_what_an_operator_reads_first(tmp_path):
    from dashboard.tables import AlertsTable, CrewPlanTable, EventsTable, JobsTable

    home = Paths(tmp_path / "home")
    write_all(home)
    poller = Poller(LocalStatusSource(home), LocalGoldSource(home))
    poller.refresh()
    store = DataStore(poller)
    # The crew plan counts the task no crew could take apart from the stops.
    plan = CrewPlanTable(store).view.object
    assert "1 crew, 2 stops, 1 unassigned, cost 0.4" in plan
    assert "Unassigned: no crew could take these" in plan
    for header in ("start (UTC)", "finish (UTC)", "deadline (UTC)", "late (h)"):
        assert f"<th>{header}</th>" in plan
    # Pipelines: when the last update ran, how long, its result; never its UUID.
    pipelines = PipelinesTable(store).view.object
    update = poller.snapshot.status.pipelines[0]["latest_update"]
    assert update["update_id"] not in pipelines
    assert re.search(r"COMPLETED \w{3} \d\d \d\d:\d\d, took \d+\.\d s", pipelines)
    # Alerts: the last reading, the readings and where the turbine is.
    alerts = AlertsTable(store).frame(poller.snapshot)
    assert list(alerts.columns) == [
        "turbine",
        "fault",
        "level",
        "opened (UTC)",
        "last seen (UTC)",
        "readings",
        "location",
    ]
    assert alerts.iloc[0].to_dict() == {
        "turbine": "TURBINE_00002",
        "fault": "GEARBOX_OVERHEAT",
        "level": "CRITICAL",
        "opened (UTC)": "Jan 05 10:00",
        "last seen (UTC)": "Jan 05 12:00",
        "readings": 24,
        "location": "Whitelee 55.680, -4.261",
    }
    # Event messages and job messages wrap; every cell names its column for a phone.
    events = EventsTable(store).view.object
    assert '<td class="long" data-label="message">disk full while writing batch 7</td>' in events
    assert 'data-label="last run (UTC)"' in JobsTable(store).view.object


def test_a_large_fleets_crew_plan_shows_its_first_rows_and_says_how_many(tmp_path):
    from dashboard.tables import PLAN_ROWS, CrewPlanTable
    from tests.fakes.gold_tables import write_fleet_day

    home = Paths(tmp_path / "home")
    write_fleet_day(home, turbines=2000, interval_minutes=240)  # ~240 open alerts
    poller = Poller(LocalStatusSource(home), LocalGoldSource(home))
    poller.refresh()
    table = CrewPlanTable(DataStore(poller))
    planned = len(table.frame(poller.snapshot))
    assert planned > PLAN_ROWS
    shown = table.view.object
    assert f"The first {PLAN_ROWS} of {planned:,} rows" in shown
    assert shown.count('data-label="turbine"') == PLAN_ROWS  # a turbine a row
    crews = poller.snapshot.table(names.GOLD_DISPATCH)["crew_id"].dropna().unique()
    assert len(crews) and all(crew in shown for crew in crews)  # the crews' stops come first
