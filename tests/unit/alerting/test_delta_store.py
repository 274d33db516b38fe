"""The Databricks outbox and actions as Delta tables, through the real SDK's statement
execution against the fake workspace, whose warehouse runs the SQL for real (DuckDB).

The same notifier, rules and desk as locally; what is checked is what the statements
do (one firing and one resolved, no duplicate on a rerun, retries, dead letters, acks
that stop repeats) and that no value ever reaches the SQL text.
"""

from __future__ import annotations

import pytest

from tests.fakes.workspace import DuckDbWarehouse, FakeWorkspace
from tests.unit.alerting.helpers import T0, Recorder, episode, frame, later
from workloads.alerting import actions
from workloads.alerting.delivery import DeliveryPolicy
from workloads.alerting.delta import ALERT_ACTIONS, ALERT_OUTBOX, DeltaAlertStore, quoted_schema
from workloads.alerting.notifier import Notifier, NotifierConfig
from workloads.alerting.warehouse import warehouse_runner
from workloads.errors import WindmillError

CATALOG, SCHEMA = "main", "wind`mill"  # a backtick in a name stays a name


@pytest.fixture
def ws():
    ws = FakeWorkspace()
    ws.sql_engine = DuckDbWarehouse()
    ws.start()
    yield ws
    ws.stop()


def client_for(ws):
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=ws.url, token="fake", auth_type="pat")


@pytest.fixture
def store(ws):
    store = DeltaAlertStore(warehouse_runner(client_for(ws), "w-1"), quoted_schema(CATALOG, SCHEMA))
    store.create_tables()
    return store


def notifier(store, rows, channel, **config):
    return Notifier(
        store,
        [channel],
        lambda: frame(*rows) if rows else None,
        lambda _t: "Whitelee",
        NotifierConfig(**config),
    )


def test_one_firing_one_resolved_and_a_rerun_never_duplicates(ws, store):
    rows = [episode("T1"), episode("T2")]
    channel = Recorder()
    n = notifier(store, rows, channel)
    n.step(later(0))
    n.step(later(5))
    assert [len(m["alerts"]) for m in channel.messages] == [2]  # one group, one message
    # A second notifier (the job's next run) on the same tables decides nothing again.
    again = notifier(store, rows, Recorder())
    again.channels = n.channels
    assert again.step(later(10)).decided == 0
    rows[0] = episode("T1", ended=later(400))
    n.step(later(400))
    n.step(later(405))
    statuses = [(a["labels"]["turbine_id"], a["status"]) for a in channel.alerts()]
    assert statuses == [("T1", "firing"), ("T2", "firing"), ("T1", "resolved")]
    outbox = ws.sql_engine.execute(f'SELECT key, state FROM "{SCHEMA}".{ALERT_OUTBOX}', [])
    assert len(outbox) == 3 and set(outbox["state"]) == {"sent"}
    assert outbox["key"].is_unique


def test_the_same_decisions_recorded_twice_are_one_row_each(store):
    """The MERGE only inserts keys it does not hold: a statement retried after a lost
    reply (or a rerun that decided again after a crash) adds nothing."""
    body = {"group": "Whitelee|CRITICAL", "labels": {"severity": "critical"}}
    item = (
        "fp|2026-03-01T12:00:00+00:00|firing",
        "fp",
        "2026-03-01T12:00:00+00:00",
        "firing",
        body,
    )
    channels = [("c1", "http://x/…"), ("c2", "slack://…")]
    store._merge_new([(item, c) for c in channels], later(0), later(5))
    store._merge_new([(item, c) for c in channels], later(1), later(6))
    assert store.enqueue([item], channels, later(2), later(7)) == 0
    assert len(store.due("c1", later(60))) == 1 and len(store.due("c2", later(60))) == 1
    assert store.due("c1", later(60))[0]["decided_at"] == later(0).isoformat()


def test_failed_tries_retry_then_dead_letter(store):
    channel = Recorder()
    channel.fail = 99
    n = notifier(
        store,
        [episode("T1")],
        channel,
        group_wait_s=0,
        policy=DeliveryPolicy(max_tries=2, backoff_base_s=10),
    )
    n.step(later(0))
    [row] = store.due(channel.id, later(10))
    assert (row["attempts"], row["last_error"]) == (1, "HTTP 500 from the receiver")
    assert store.due(channel.id, later(9)) == []  # backing off
    n.step(later(10))
    [dead] = [r for r in store.notifications() if r["state"] == "dead"]
    assert dead["attempts"] == 2 and dead["turbine_id"] == "T1"
    assert store.sent_since(channel.id, later(-1)) == 0


def test_an_ack_in_the_actions_table_stops_repeats(store):
    rows = [episode("T1")]
    channel = Recorder()
    n = notifier(store, rows, channel, repeat_interval_s=3600)
    n.step(later(0))
    n.step(later(5))
    n.step(later(3605))
    n.step(later(3610))  # after group_wait
    assert len(channel.messages) == 2  # the first repeat
    open_rows = [{"turbine_id": "T1", "fault_code": "GEARBOX_OVERHEAT", "started_at": T0}]
    row = actions.acknowledge(store, open_rows, "T1", "GEARBOX_OVERHEAT", "ops@x.com", later(3700))
    assert row["actor"] == "ops@x.com" and row["episode_started_at"] == T0.isoformat()
    for t in (7300, 7305, 7310, 11000):
        n.step(later(t))
    assert len(channel.messages) == 2


def test_silence_and_unsilence_are_recorded_with_who_and_when_in_order(store):
    actions.silence(store, "T1", "2h", "ops@x.com", later(0), reason="crane on site")
    actions.unsilence(store, "T1", "lead@x.com", later(60))
    got = [(r["action"], r["actor"], r["reason"]) for r in store.actions()]
    assert got == [("silence", "ops@x.com", "crane on site"), ("unsilence", "lead@x.com", None)]
    assert [r["action"] for r in store.actions(limit=1)] == ["unsilence"]
    assert store.actions()[0]["until"] == later(7200).isoformat()
    with pytest.raises(WindmillError, match="not silenced"):
        actions.unsilence(store, "T1", "lead@x.com", later(120))


def test_values_travel_as_parameters_never_in_the_sql_text(ws, store):
    reason = "'); DROP TABLE alert_actions; --"
    actions.silence(store, "T9", "30m", "ops@x.com", later(0), reason=reason)
    insert = [s for s in ws.statements if s["statement"].startswith("INSERT INTO")][-1]
    assert "ops@x.com" not in insert["statement"] and "DROP" not in insert["statement"]
    assert {"name": "reason", "value": reason, "type": "STRING"} in insert["parameters"]
    assert insert["statement"].startswith(f"INSERT INTO `main`.`wind``mill`.`{ALERT_ACTIONS}`")
    assert store.actions()[-1]["reason"] == reason  # stored as given, shown escaped


def test_a_failed_statement_is_one_clear_error(ws):
    store = DeltaAlertStore(
        warehouse_runner(client_for(ws), "w-1"), quoted_schema(CATALOG, "nowhere")
    )
    with pytest.raises(WindmillError, match="the alert tables: .*TABLE_OR_VIEW_NOT_FOUND"):
        store.actions()


def test_a_burst_of_many_alerts_is_recorded_and_sent_in_bounded_statements(ws, store):
    """A first start with many open episodes: every one recorded once, in statements of
    a bounded number of parameters, and one message per group."""
    rows = [episode(f"T{i:03d}") for i in range(1, 131)]
    channel = Recorder()
    channel.fail = 1  # the first try fails: the retry path takes all 130 keys too
    n = notifier(store, rows, channel, group_wait_s=0, policy=DeliveryPolicy(backoff_base_s=1))
    first = len(ws.statements)
    assert n.step(later(0)).decided == 130
    n.step(later(1))
    assert len(channel.alerts()) == 130 and len(channel.messages) == 1
    assert max(len(s.get("parameters") or []) for s in ws.statements[first:]) <= 170
    assert n.step(later(2)).decided == 0
