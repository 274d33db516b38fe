"""Outbox delivery: retries with exponential backoff, dead letters, the rate limit's
summary, the Alertmanager payload's documented fields, secrets never shown."""

from __future__ import annotations

import logging

from tests.unit.alerting.helpers import Recorder, episode, frame, later
from workloads.alerting.delivery import DeliveryPolicy
from workloads.alerting.notifier import Notifier, NotifierConfig
from workloads.alerting.secrets import install_redaction, mask_url, redact
from workloads.alerting.store import DEAD, SENT, AlertStore

# Fields of Alertmanager's webhook_config body (version 4) and of each alert.
PAYLOAD_FIELDS = {
    "version",
    "groupKey",
    "truncatedAlerts",
    "status",
    "receiver",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "alerts",
}
ALERT_FIELDS = {
    "status",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
    "fingerprint",
}


def notifier(tmp_path, rows, channel, **policy):
    store = AlertStore(tmp_path / "alerting.sqlite")
    return store, Notifier(
        store,
        [channel],
        lambda: frame(*rows),
        lambda _t: "Whitelee",
        NotifierConfig(group_wait_s=0, policy=DeliveryPolicy(**policy)),
    )


def test_payload_has_alertmanagers_documented_fields(tmp_path):
    channel = Recorder()
    _, n = notifier(tmp_path, [episode("TURBINE_00001")], channel)
    n.step(later(0))
    (payload,) = channel.messages
    assert set(payload) == PAYLOAD_FIELDS
    assert payload["version"] == "4" and payload["status"] == "firing"
    assert payload["groupKey"] == '{}:{severity="critical", site="Whitelee"}'
    (alert,) = payload["alerts"]
    assert set(alert) == ALERT_FIELDS
    assert alert["labels"] == {
        "alertname": "TurbineFault",
        "turbine_id": "TURBINE_00001",
        "fault_code": "GEARBOX_OVERHEAT",
        "severity": "critical",
        "site": "Whitelee",
    }
    assert alert["startsAt"] == "2026-03-01T12:00:00Z"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert len(alert["fingerprint"]) == 16 and int(alert["fingerprint"], 16) >= 0
    assert payload["commonLabels"] == alert["labels"]


def test_failed_tries_back_off_exponentially_then_recover(tmp_path):
    channel = Recorder()
    channel.fail = 3
    store, n = notifier(tmp_path, [episode("T1")], channel, backoff_base_s=2, max_tries=8)
    tries = []
    for t in range(0, 40):
        before = channel.fail
        n.step(later(t))
        if before != channel.fail or (channel.messages and tries[-1:] != ["ok"]):
            tries.append(t if before != channel.fail else "ok")
    assert tries == [0, 2, 6, "ok"]  # tries at 0, +2, +4 after that, then sent at 14
    assert len(channel.messages) == 1
    (row,) = store.notifications()
    assert row["state"] == SENT and row["attempts"] == 4


def test_after_max_tries_a_notification_is_a_dead_letter(tmp_path):
    channel = Recorder()
    channel.fail = 100
    store, n = notifier(tmp_path, [episode("T1")], channel, backoff_base_s=1, max_tries=3)
    for t in range(0, 30):
        n.step(later(t))
    (row,) = store.notifications()
    assert row["state"] == DEAD and row["attempts"] == 3
    assert row["last_error"] == "HTTP 500 from the receiver"


def test_a_burst_beyond_the_rate_limit_is_folded_into_one_summary(tmp_path):
    channel = Recorder()
    rows = [episode(f"T{i}") for i in range(1, 9)]
    store = AlertStore(tmp_path / "alerting.sqlite")
    sites = {f"T{i}": f"site{i}" for i in range(1, 9)}  # 8 groups
    n = Notifier(
        store,
        [channel],
        lambda: frame(*rows),
        sites.__getitem__,
        NotifierConfig(
            group_wait_s=0,
            group_interval_s=0,  # the rate limit alone holds the second burst back
            policy=DeliveryPolicy(rate_limit=3, rate_window_s=60),
        ),
    )
    n.step(later(0))
    assert [len(m["alerts"]) for m in channel.messages] == [1, 1, 6]
    assert channel.messages[-1]["groupLabels"] == {}  # the summary
    rows += [episode(f"T{i}", start=later(10)) for i in range(1, 4)]
    n.step(later(10))
    assert len(channel.messages) == 3  # held back: the window is full
    n.step(later(61))
    assert [len(m["alerts"]) for m in channel.messages] == [1, 1, 6, 1, 1, 1]
    assert len({a["annotations"]["idempotency_key"] for a in channel.alerts()}) == 11


SECRET = "https://alice:s3cr3t-pass@hooks.example.com/services/T000/B000/XXXXsecrettokenXXXX?token=abcd1234"
APPRISE = "slack://TOKENAAAA/TOKENBBBB/TOKENCCCCCCCCCCCC/#alerts"


def test_secrets_in_urls_are_masked_everywhere(tmp_path, caplog):
    masked = mask_url(SECRET)
    for piece in ("alice", "s3cr3t-pass", "XXXXsecrettokenXXXX", "abcd1234"):
        assert piece not in masked
    assert masked.startswith("https://***@hooks.example.com/services/")
    assert "TOKEN" not in mask_url(APPRISE) and mask_url(APPRISE).startswith("slack://***")
    text = f"could not post to {SECRET} (password s3cr3t-pass); also {APPRISE}"
    clean = redact(text, [SECRET, APPRISE])
    assert "s3cr3t" not in clean and "TOKEN" not in clean and "secrettoken" not in clean
    install_redaction([SECRET])
    with caplog.at_level(logging.INFO):
        logging.getLogger("windmill.notifier").warning("sending to %s", SECRET)
    assert "s3cr3t" not in caplog.text


def test_the_outbox_and_the_dashboard_rows_never_hold_the_url(tmp_path):
    from workloads.alerting.channels import Channel

    class Failing(Channel):
        def send(self, payload, key):
            from workloads.alerting.channels import DeliveryError

            raise DeliveryError(f"cannot reach {SECRET}")

    channel = Failing(SECRET)
    store, n = notifier(tmp_path, [episode("T1")], channel)
    n.step(later(0))
    (row,) = store.notifications()
    assert row["channel_name"] == mask_url(SECRET)
    raw = (tmp_path / "alerting.sqlite").read_bytes()
    assert b"s3cr3t" not in raw and b"secrettoken" not in raw


def test_a_masked_name_is_not_masked_twice():
    plain = "http://127.0.0.1:7200/hook"
    assert redact(f"notify {mask_url(plain)}: sent", [plain]) == f"notify {mask_url(plain)}: sent"
    assert redact(f"post to {plain} failed", [plain]) == f"post to {mask_url(plain)} failed"
