"""Alertmanager semantics with an injected clock: firing/resolved, grouping, repeat,
inhibition, ack, silence, closed history (no Spark, no sleeping)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.alerting.helpers import T0, Recorder, episode, frame, later
from workloads.alerting import actions
from workloads.alerting.notifier import Notifier, NotifierConfig
from workloads.alerting.store import AlertStore
from workloads.errors import WindmillError


class Scenario:
    def __init__(self, tmp_path, level="CRITICAL", **config):
        self.rows: list[dict] = []
        self.channel = Recorder()
        self.store = AlertStore(tmp_path / "alerting.sqlite")
        self.notifier = Notifier(
            self.store,
            [self.channel],
            lambda: frame(*self.rows) if self.rows else None,
            lambda turbine: "Whitelee" if turbine < "T5" else "Roscoe",
            NotifierConfig(notify_level=level, **config),
        )

    def at(self, seconds):
        return self.notifier.step(later(seconds))

    def statuses(self):
        return [(a["labels"]["turbine_id"], a["status"]) for a in self.channel.alerts()]


@pytest.fixture
def s(tmp_path):
    return Scenario(tmp_path)


def test_one_firing_and_one_resolved_per_episode(s):
    s.rows = [episode("T1")]
    for t in (0, 1, 4):
        s.at(t)
    assert s.channel.messages == []  # group_wait (5 s) not over
    for t in (5, 6, 60, 600):
        s.at(t)
    assert s.statuses() == [("T1", "firing")]
    s.rows = [episode("T1", ended=later(700))]
    for t in (700, 705, 706, 4000, 20000):
        s.at(t)
    assert s.statuses() == [("T1", "firing"), ("T1", "resolved")]
    resolved = s.channel.alerts()[1]
    assert resolved["endsAt"] == "2026-03-01T12:11:40Z"


def test_alerts_of_one_site_and_level_within_group_wait_are_one_message(s):
    s.rows = [episode("T1")]
    s.at(0)
    s.rows.append(episode("T2", start=later(3)))
    s.rows.append(episode("T7", start=later(3)))  # another site: its own group
    s.at(3)
    s.at(5)
    assert [len(m["alerts"]) for m in s.channel.messages] == [2]
    assert s.channel.messages[0]["groupLabels"] == {"severity": "critical", "site": "Whitelee"}
    s.at(8)
    assert [len(m["alerts"]) for m in s.channel.messages] == [2, 1]
    s.rows.append(episode("T3", start=later(20)))  # after the group went out: group_interval
    s.at(20)
    s.at(304)
    assert len(s.channel.messages) == 2
    s.at(305)  # 300 s after the group's message (at 5 s)
    assert [len(m["alerts"]) for m in s.channel.messages] == [2, 1, 1]


def test_a_second_alert_inside_group_interval_waits_for_it_then_a_quiet_group_starts_over(
    tmp_path,
):
    s = Scenario(tmp_path, group_wait_s=5, group_interval_s=60)
    s.rows = [episode("T1")]
    s.at(0)
    s.at(5)  # the group's first message
    s.rows.append(episode("T2", start=later(10)))
    s.at(10)
    s.rows.append(episode("T3", start=later(30)))  # joins the message waiting for 65 s
    s.at(30)
    s.at(64)
    assert s.statuses() == [("T1", "firing")]
    s.at(65)
    assert [len(m["alerts"]) for m in s.channel.messages] == [1, 2]
    # After the interval, a quiet group is a new group: group_wait again, not at once.
    s.rows.append(episode("T4", start=later(200)))
    s.at(200)
    s.at(204)
    assert len(s.channel.messages) == 2
    s.at(205)
    assert s.statuses()[-1] == ("T4", "firing")
    # A resolved within the interval of the group's last message waits for it too.
    s.rows[0] = episode("T1", ended=later(220))
    s.at(220)
    s.at(264)
    assert s.statuses()[-1] == ("T4", "firing")
    s.at(265)
    assert s.statuses()[-1] == ("T1", "resolved")
    # Another site's group has its own timers.
    s.rows.append(episode("T7", start=later(230)))
    s.at(230)
    s.at(235)
    assert ("T7", "firing") in s.statuses()


def test_group_interval_survives_a_restart(tmp_path):
    """The interval counts from the outbox, so a new notifier on the same store waits too."""
    s = Scenario(tmp_path, group_wait_s=5, group_interval_s=60)
    s.rows = [episode("T1")]
    s.at(0)
    s.at(5)
    again = Scenario(tmp_path, group_wait_s=5, group_interval_s=60)
    again.rows = [episode("T1"), episode("T2", start=later(20))]
    again.at(20)
    again.at(64)
    assert again.channel.messages == []
    again.at(65)
    assert again.statuses() == [("T2", "firing")]


def test_open_unacknowledged_critical_repeats_every_4h_and_ack_stops_it(s):
    s.rows = [episode("T1")]
    s.at(0)
    s.at(5)
    hour = 3600
    s.at(4 * hour - 10)
    assert len(s.channel.messages) == 1
    s.at(4 * hour + 5)
    s.at(4 * hour + 10)
    assert s.statuses() == [("T1", "firing")] * 2
    keys = [a["annotations"]["idempotency_key"] for a in s.channel.alerts()]
    assert keys[1] == keys[0] + "|repeat-1"
    open_rows = [{"turbine_id": "T1", "fault_code": "GEARBOX_OVERHEAT", "started_at": T0}]
    actions.acknowledge(s.store, open_rows, "T1", "GEARBOX_OVERHEAT", "ops@x", later(5 * hour))
    for t in (8 * hour + 10, 8 * hour + 20, 13 * hour):
        s.at(t)
    assert len(s.channel.messages) == 2
    s.rows = [episode("T1", ended=later(14 * hour))]
    s.at(14 * hour)
    s.at(14 * hour + 5)
    assert s.statuses()[-1] == ("T1", "resolved")  # an ack does not mute the resolved


def test_warning_is_inhibited_by_an_open_critical_of_the_same_turbine(tmp_path):
    s = Scenario(tmp_path, level="WARNING", group_interval_s=0)  # its own test above
    s.rows = [
        episode("T1"),
        episode("T1", "YAW_MISALIGNMENT", "WARNING"),
        episode("T2", "YAW_MISALIGNMENT", "WARNING"),
    ]
    s.at(0)
    s.at(5)
    sent = {(a["labels"]["turbine_id"], a["labels"]["fault_code"]) for a in s.channel.alerts()}
    assert sent == {("T1", "GEARBOX_OVERHEAT"), ("T2", "YAW_MISALIGNMENT")}
    # Once the critical ends, the warning still open is notified.
    s.rows[0] = episode("T1", ended=later(60))
    s.at(60)
    s.at(65)
    assert ("T1", "YAW_MISALIGNMENT") in {
        (a["labels"]["turbine_id"], a["labels"]["fault_code"]) for a in s.channel.alerts()
    }


def test_warning_and_info_do_not_notify_at_the_default_level(s):
    s.rows = [
        episode("T1", "YAW_MISALIGNMENT", "WARNING"),
        episode("T2", "LOW_POWER_OUTPUT", "INFO"),
    ]
    s.at(0)
    s.at(10)
    assert s.channel.messages == []


def test_info_never_notifies_even_at_warning_level(tmp_path):
    s = Scenario(tmp_path, level="WARNING")
    s.rows = [episode("T2", "LOW_POWER_OUTPUT", "INFO")]
    s.at(0)
    s.at(10)
    assert s.channel.messages == []


def test_a_silenced_turbine_sends_nothing_until_the_silence_ends(s):
    actions.silence(s.store, "T1", "2h", "ops@x", later(0), reason="crane on site")
    s.rows = [episode("T1"), episode("T2")]
    s.at(0)
    s.at(5)
    assert s.statuses() == [("T2", "firing")]
    s.at(7199)
    assert len(s.channel.alerts()) == 1
    s.at(7201)
    s.at(7206)
    assert s.statuses() == [("T2", "firing"), ("T1", "firing")]


def test_unsilence_ends_a_silence_and_is_recorded(s):
    actions.silence(s.store, "T1", "2h", "ops@x", later(0))
    s.rows = [episode("T1")]
    s.at(0)
    actions.unsilence(s.store, "T1", "lead@x", later(10))
    s.at(10)
    s.at(15)
    assert s.statuses() == [("T1", "firing")]
    assert [(a["action"], a["actor"]) for a in s.store.actions()] == [
        ("silence", "ops@x"),
        ("unsilence", "lead@x"),
    ]
    with pytest.raises(WindmillError, match="not silenced"):
        actions.unsilence(s.store, "T1", "lead@x", later(20))


def test_closed_history_never_notifies_and_open_episodes_at_first_start_notify_once(tmp_path):
    s = Scenario(tmp_path)
    s.rows = [
        episode("T1", start=T0 - timedelta(days=3), ended=T0 - timedelta(days=2)),
        episode("T2"),
    ]
    s.at(0)
    s.at(5)
    assert s.statuses() == [("T2", "firing")]
    # A restart (new notifier, same store) decides nothing again.
    again = Scenario.__new__(Scenario)
    again.__dict__.update(s.__dict__)
    again.notifier = Notifier(
        s.store, [s.channel], s.notifier.read_episodes, s.notifier.site_of, s.notifier.config
    )
    again.at(30)
    again.at(40)
    assert s.statuses() == [("T2", "firing")]


def test_ack_needs_an_open_episode_and_validates_its_input(s):
    with pytest.raises(WindmillError, match="no open GEARBOX_OVERHEAT episode"):
        actions.acknowledge(s.store, [], "T1", "GEARBOX_OVERHEAT", "ops", T0)
    with pytest.raises(WindmillError, match="turbine_id"):
        actions.acknowledge(s.store, [], "<script>", "GEARBOX_OVERHEAT", "ops", T0)
    with pytest.raises(WindmillError, match="fault_code"):
        actions.acknowledge(s.store, [], "T1", "x'; drop", "ops", T0)
    with pytest.raises(WindmillError, match="duration"):
        actions.silence(s.store, "T1", "forever", "ops", T0)
    with pytest.raises(WindmillError, match="30 days"):
        actions.silence(s.store, "T1", "40d", "ops", T0)


def test_a_failed_pipeline_update_notifies_once_and_resolves_on_the_next_success(tmp_path):
    from workloads.ledger import Ledger

    ledger = Ledger(tmp_path / "ledger.sqlite")
    s = Scenario(tmp_path, group_interval_s=0)  # group_interval has its own test above
    s.notifier.ledger = ledger
    pipeline = ledger.ensure_pipeline("Windmill IoT Lakeflow Pipeline")
    ok = ledger.start_update(pipeline, cause="API_CALL")
    ledger.finish_update(ok, "COMPLETED")
    s.at(0)
    s.at(10)
    assert s.channel.messages == []  # history: nothing failed since the last success
    failed = ledger.start_update(pipeline, cause="API_CALL")
    ledger.finish_update(failed, "FAILED", error="boom")
    s.at(20)
    s.at(25)
    s.at(60)
    alerts = s.channel.alerts()
    assert [(a["labels"]["alertname"], a["status"]) for a in alerts] == [
        ("PipelineUpdateFailed", "firing")
    ]
    assert alerts[0]["labels"]["source"] == "Windmill IoT Lakeflow Pipeline"
    assert alerts[0]["annotations"]["description"] == "boom"
    # Retries that keep failing are the same alert, even once the first failure has left
    # the ledger window the notifier reads (20 updates).
    for t in range(30):
        retry = ledger.start_update(pipeline, cause="RETRY_ON_FAILURE")
        ledger.finish_update(retry, "FAILED", error="boom again")
        s.at(30 + t)
    assert len(s.channel.alerts()) == 1
    again = ledger.start_update(pipeline, cause="API_CALL")
    ledger.finish_update(again, "COMPLETED")
    s.at(70)
    s.at(75)
    assert [a["status"] for a in s.channel.alerts()] == ["firing", "resolved"]
    assert s.channel.alerts()[1]["startsAt"] == alerts[0]["startsAt"]
    # A new failure after the success is a new alert.
    later_failure = ledger.start_update(pipeline, cause="API_CALL")
    ledger.finish_update(later_failure, "FAILED", error="boom")
    s.at(80)
    s.at(85)
    assert [a["status"] for a in s.channel.alerts()] == ["firing", "resolved", "firing"]
