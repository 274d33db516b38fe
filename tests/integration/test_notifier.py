"""The notifier as a process: kill -9 at ten random moments (no loss, duplicates only with
equal keys), and a real HTTP receiver that fails, hangs and recovers. No Spark: episodes
come from a JSON file (`windmill notify --episodes-file`)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import REPO
from workloads.alerting.channels import Channel
from workloads.alerting.delivery import DeliveryPolicy
from workloads.alerting.notifier import Notifier, NotifierConfig
from workloads.alerting.receiver import Receiver, free_port
from workloads.alerting.sources import read_episode_file
from workloads.alerting.store import SENT, AlertStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def episode(turbine: str, fault: str, start_min: int, end_min: int | None = None) -> dict:
    start = T0 + timedelta(minutes=start_min)
    end = None if end_min is None else T0 + timedelta(minutes=end_min)
    return {
        "turbine_id": turbine,
        "fault_code": fault,
        "alert_level": "CRITICAL",
        "started_at": start.isoformat(),
        "last_seen_at": (end or start).isoformat(),
        "ended_at": end.isoformat() if end else None,
        "readings": 4,
        "peak_value": 90.0,
        "energy_lost_kwh": 10.0,
    }


# Three phases of the episodes table: six open; three of them closed; all closed, two new.
TURBINES = [f"TURBINE_{n:05d}" for n in range(1, 7)]
PHASES = [
    [episode(t, "GEARBOX_OVERHEAT", i) for i, t in enumerate(TURBINES)],
    [episode(t, "GEARBOX_OVERHEAT", i, 60 if i < 3 else None) for i, t in enumerate(TURBINES)]
    + [episode("TURBINE_00007", "TOWER_LEAN", 70)],
    [episode(t, "GEARBOX_OVERHEAT", i, 60) for i, t in enumerate(TURBINES)]
    + [episode("TURBINE_00007", "TOWER_LEAN", 70, 90), episode("TURBINE_00008", "TOWER_LEAN", 95)],
]
# Firing for every episode seen open, resolved for every one that ended.
EXPECTED = 8 + 7


def write_phase(path, rows) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows))
    tmp.replace(path)  # the notifier reads a whole version, as readers of a table do


def start_notifier(home, episodes, url) -> subprocess.Popen:
    env = {**os.environ, "WINDMILL_HOME": str(home), "WINDMILL_NOTIFY": url}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workloads.cli",
            "notify",
            "--episodes-file",
            str(episodes),
            "--group-wait",
            "0.2",
            "--group-interval",
            "0.5",
            "--poll",
            "0.1",
            "--no-health",
            "--sla-every",
            "0",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def decided_keys(home) -> set[str]:
    store = home / "alerting.sqlite"
    return set(AlertStore(store).decided()) if store.exists() else set()


def test_outbox_survives_kill_9_at_ten_random_moments(tmp_path):
    home, episodes = tmp_path / "home", tmp_path / "episodes.json"
    receiver = Receiver(free_port()).start()
    rng = random.Random(17)
    phase = 0
    write_phase(episodes, PHASES[phase])
    try:
        for kill in range(10):
            proc = start_notifier(home, episodes, receiver.url)
            time.sleep(rng.uniform(0.3, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            # Move to the next phase once this one's notifications were all decided
            # (an episode never seen open is closed history, by design).
            want = {0: 6, 1: 10}.get(phase)
            if want is not None and kill >= 2 and len(decided_keys(home)) >= want:
                phase += 1
                write_phase(episodes, PHASES[phase])
        while phase < 2:  # finish the phases with a notifier that is not killed
            proc = start_notifier(home, episodes, receiver.url)
            want = {0: 6, 1: 10}[phase]
            deadline = time.monotonic() + 30
            while len(decided_keys(home)) < want and time.monotonic() < deadline:
                time.sleep(0.1)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            phase += 1
            write_phase(episodes, PHASES[phase])
        proc = start_notifier(home, episodes, receiver.url)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            keys = {a["annotations"]["idempotency_key"] for a in receiver.alerts()}
            if len(keys) >= EXPECTED:
                break
            time.sleep(0.1)
        proc.terminate()
        proc.wait(timeout=20)
    finally:
        receiver.stop()
    decided = decided_keys(home)
    assert len(decided) == EXPECTED
    got: dict[str, dict] = {}
    for alert in receiver.alerts():
        key = alert["annotations"]["idempotency_key"]
        body = {k: v for k, v in alert.items() if k != "received_at"}
        assert got.setdefault(key, body) == body  # a duplicate is the same notification
    assert set(got) == decided  # no loss
    statuses = sorted(a["status"] for a in got.values())
    assert statuses.count("firing") == 8 and statuses.count("resolved") == 7


def test_a_receiver_that_fails_hangs_and_recovers_gets_everything(tmp_path):
    # Requests 1-2: HTTP 503; request 3: hangs past the timeout; then answers.
    behaviour = {1: (503, 0.0), 2: (503, 0.0), 3: ("ok", 2.0)}
    receiver = Receiver(free_port(), lambda n: behaviour.get(n, ("ok", 0.0))).start()
    episodes = tmp_path / "episodes.json"
    write_phase(episodes, PHASES[0])
    store = AlertStore(tmp_path / "alerting.sqlite")
    # Userinfo in the URL goes as Basic auth, as Alertmanager's HTTP client sends it.
    channel = Channel(receiver.url.replace("http://", "http://ops:pw@"), timeout_s=0.5)
    notifier = Notifier(
        store,
        [channel],
        lambda: read_episode_file(episodes),
        lambda _t: "Whitelee",
        NotifierConfig(
            group_wait_s=0,
            group_interval_s=0,
            policy=DeliveryPolicy(backoff_base_s=1, max_tries=6),
        ),
    )
    clock = T0
    try:
        for _ in range(12):
            notifier.step(clock)
            clock += timedelta(seconds=1)
    finally:
        time.sleep(2.0)  # let the hung request finish, then stop
        receiver.stop()
    rows = store.notifications()
    assert len(rows) == 6 and {r["state"] for r in rows} == {SENT}
    assert receiver.requests >= 4
    keys = [a["annotations"]["idempotency_key"] for a in receiver.alerts()]
    assert set(keys) == set(store.decided())  # all six, the hung try possibly twice
    assert all(item["content_type"] == "application/json" for item in receiver.received)
    assert {item["authorization"] for item in receiver.received} == {"Basic b3BzOnB3"}


@pytest.mark.parametrize("url", ["json://127.0.0.1:{port}/hook"])
def test_an_apprise_url_is_sent_with_apprise(tmp_path, url):
    receiver = Receiver(free_port()).start()
    try:
        channel = Channel(url.format(port=receiver.port), timeout_s=5)
        store = AlertStore(tmp_path / "alerting.sqlite")
        episodes = tmp_path / "episodes.json"
        write_phase(episodes, PHASES[0][:1])
        notifier = Notifier(
            store,
            [channel],
            lambda: read_episode_file(episodes),
            lambda _t: "Whitelee",
            NotifierConfig(group_wait_s=0, group_interval_s=0),
        )
        notifier.step(T0)
    finally:
        receiver.stop()
    (item,) = receiver.received
    assert "GEARBOX_OVERHEAT" in json.dumps(item["body"])


def test_gold_sla_daily_is_written_like_every_outside_table(spark, tmp_path):
    import pandas as pd

    from workloads import names, storage
    from workloads.alerting.sla import SLA_COLUMNS, sla_daily, write_sla
    from workloads.config import Paths

    rows = [
        episode("TURBINE_00001", "GEARBOX_OVERHEAT", 0, 90),
        episode("TURBINE_00002", "TOWER_LEAN", 5),
    ]
    episodes = tmp_path / "episodes.json"
    write_phase(episodes, rows)
    frame = sla_daily(read_episode_file(episodes), [])
    paths = Paths(tmp_path / "home")
    version = write_sla(spark, frame, paths=paths)
    back = storage.read_table(paths, names.GOLD_SLA)
    assert version.rows == 1 and list(back.columns) == list(SLA_COLUMNS)
    assert back["episodes_opened"].tolist() == [2] and back["episodes_closed"].tolist() == [1]
    assert pd.isna(back["ack_p50_minutes"][0]) and back["close_p50_minutes"][0] == 90.0
    assert spark.table(f"windmill.{names.GOLD_SLA}").count() == 1


def test_a_secret_in_a_channel_url_is_never_in_the_notifiers_log_or_state(tmp_path):
    receiver = Receiver(free_port(), lambda _n: (500, 0.0)).start()  # always fails
    secret_url = (
        f"http://alice:s3cr3tpass@127.0.0.1:{receiver.port}/hook/AbCdEf0123456789?token=tok98765"
    )
    home, episodes = tmp_path / "home", tmp_path / "episodes.json"
    write_phase(episodes, PHASES[0][:2])
    proc = start_notifier(home, episodes, secret_url)
    try:
        deadline = time.monotonic() + 30
        while receiver.requests < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
        receiver.stop()
    assert receiver.requests >= 2  # it did try (with the userinfo as Basic auth), and failed
    text = stderr.decode()
    assert "not delivered" in text and "127.0.0.1" in text
    files = [p.read_bytes() for p in home.glob("alerting.sqlite*")]
    for secret in ("s3cr3tpass", "tok98765", "AbCdEf0123456789", "alice"):
        assert secret not in text
        assert all(secret.encode() not in raw for raw in files)


def test_the_alerts_cli_acks_silences_and_lists(tmp_path, windmill):
    env = {"WINDMILL_HOME": str(tmp_path / "home")}
    listing = windmill("alerts", "list", env=env)
    assert "open alerts (0)" in listing.stdout
    refused = windmill("alerts", "ack", "TURBINE_00001", "GEARBOX_OVERHEAT", env=env, check=False)
    assert refused.returncode == 2 and "no open GEARBOX_OVERHEAT episode" in refused.stderr
    done = windmill(
        "alerts", "silence", "--turbine", "TURBINE_00001", "--for", "2h", "--by", "ana", env=env
    )
    assert "silenced TURBINE_00001 until" in done.stdout and "by ana" in done.stdout
    body = json.loads(windmill("alerts", "list", "--json", env=env).stdout)
    assert body["silences"][0]["actor"] == "ana"
    bad = windmill(
        "alerts", "silence", "--turbine", "TURBINE_00001", "--for", "soon", env=env, check=False
    )
    assert bad.returncode == 2 and "duration must look like" in bad.stderr
    missing = windmill("notify", env={**env, "WINDMILL_NOTIFY": ""}, check=False)
    assert missing.returncode == 2 and "no notification channel" in missing.stderr
