"""The alert desk card: escaped tables from the overview and the SLA frame, and the
Acknowledge / Silence buttons calling the desk (no server)."""

from __future__ import annotations

import pandas as pd

from dashboard.alerts_panel import AlertsPanel, Feed, desk_html, sla_frame
from tests.unit.alerting.helpers import T0, Recorder, episode, frame
from workloads.alerting.desk import AlertDesk
from workloads.alerting.notifier import Notifier, NotifierConfig
from workloads.alerting.sla import sla_daily
from workloads.alerting.store import AlertStore


def desk(tmp_path, channel=None):
    rows = frame(episode("TURBINE_00001"), episode("TURBINE_<b>2</b>", "TOWER_LEAN"))
    store = AlertStore(tmp_path / "alerting.sqlite")
    if channel is not None:
        Notifier(
            store, [channel], lambda: rows, lambda _t: "Whitelee", NotifierConfig(group_wait_s=0)
        ).step(T0)
    return AlertDesk(
        store, lambda: rows, lambda: sla_daily(rows, store.actions()), clock=lambda: T0
    )


def test_tables_are_escaped_and_show_dead_letters(tmp_path):
    channel = Recorder("https://hooks.example.com/hook")
    channel.fail = 99
    d = desk(tmp_path, channel)
    d.store.mark_failed(
        channel.id,
        channel.name,
        list(d.store.decided()),
        T0,
        "HTTP 500 <x>",
        {k: None for k in d.store.decided()},
    )
    text = desk_html(d.overview(), d.sla())
    assert "TURBINE_&lt;b&gt;2&lt;/b&gt;" in text and "<b>2</b>" not in text
    assert "Dead letters (2)" in text and "HTTP 500 &lt;x&gt;" in text
    assert "SLA per day" in text and "2026-03-01" in text


def test_sla_frame_formats_shares_and_blanks():
    sla = pd.DataFrame(
        [
            {
                "day": "2026-03-01",
                "alert_level": "CRITICAL",
                "episodes_opened": 2,
                "episodes_closed": 1,
                "ack_p50_minutes": None,
                "ack_p90_minutes": None,
                "close_p50_minutes": 90.0,
                "close_p90_minutes": 90.0,
                "closed_within_deadline": 1.0,
                "energy_lost_mwh": 0.25,
            }
        ]
    )
    (row,) = sla_frame(sla).to_dict(orient="records")
    assert (
        row["within deadline"] == "100%"
        and row["ack p50 (min)"] == ""
        and row["energy lost (MWh)"] == "0.25"
    )


def test_the_buttons_acknowledge_and_silence(tmp_path):
    d = desk(tmp_path)
    card = AlertsPanel(Feed(d))
    assert len(card.choice.options) == 2
    card.act("ack")
    assert "Choose an open alert" in card.message.object
    card.choice.value = ("TURBINE_00001", "GEARBOX_OVERHEAT")
    card.act("ack")
    assert "Acknowledged TURBINE_00001 GEARBOX_OVERHEAT" in card.message.object
    card.duration.value = "1h"
    card.reason.value = "<script>alert(1)</script>"
    card.act("silence")
    assert [a["action"] for a in d.store.actions()] == ["ack", "silence"]
    assert d.store.actions()[1]["reason"] == "<script>alert(1)</script>"
    assert "<script>" not in card.tables.object
    card.duration.value = "forever"
    card.act("silence")
    assert "duration must look like" in card.message.object


def test_a_large_fleets_form_offers_its_first_open_alerts_critical_first(tmp_path):
    from dashboard.alerts_panel import CHOICES

    warnings = [episode(f"TURBINE_{n:05d}", "HIGH_VIBRATION", "WARNING") for n in range(600)]
    critical = [episode(f"TURBINE_{n:05d}") for n in range(600, 610)]
    rows = frame(*warnings, *critical)
    store = AlertStore(tmp_path / "alerting.sqlite")
    d = AlertDesk(store, lambda: rows, lambda: sla_daily(rows, store.actions()), clock=lambda: T0)
    card = AlertsPanel(Feed(d))
    offered = list(card.choice.options.values())
    assert len(offered) == CHOICES < 610
    assert {(f"TURBINE_{n:05d}", "GEARBOX_OVERHEAT") for n in range(600, 610)} <= set(offered)
    assert card.choice.label == f"Open alert ({CHOICES} of 610, CRITICAL first)"
