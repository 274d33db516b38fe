"""A first start's order of history on the real engine: the last slice of the history
first, the older part after the first update, then live data (workloads/supervisor/stack.py).

The episodes must come out as if the history had arrived in time order: the older
readings arrive after newer ones, which the pipeline accepts up to
`episode_lateness_hours` of data time. Scaled down: 5 h of minute readings with a 5 h
lateness stand for `windmill up`'s 24 h history and 24 h lateness.
"""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import line, write_landing
from tests.integration.test_pipeline import fault_history, minute_of
from workloads.config import Paths
from workloads.engine import runner
from workloads.names import GOLD_ALERTS, GOLD_EPISODES, GOLD_SEGMENTS, GOLD_STATUS, SILVER
from workloads.pipeline import gold

pytestmark = pytest.mark.integration

HISTORY_MIN = 300  # the planned history
RECENT_MIN = 60  # written first, like the stack's last hour
LIVE_MIN = 120  # streamed after the history


def test_the_last_hour_first_then_the_older_history_then_live_data_gives_true_episodes(
    spark, tmp_path
):
    from pyspark.testing import assertDataFrameEqual

    paths, db = Paths(tmp_path / "home"), f"history_{uuid.uuid4().hex[:8]}"
    settings = {"as_of": "latest", "alert_window_hours": 1, "episode_lateness_hours": 5}
    readings = sorted(fault_history(minutes=HISTORY_MIN + LIVE_MIN), key=lambda r: r["timestamp"])

    def land(name: str, first: int, end: int) -> None:
        chunk = [r for r in readings if first <= minute_of(r) < end]
        write_landing(paths.landing, f"{name}.jsonl", [line(r) for r in chunk])
        result = runner.run_update(spark, paths, database=db, overrides=settings)
        assert result.ok, result.error

    def assert_episodes_equal_the_oracle() -> None:
        kept = spark.read.table(f"{db}.{GOLD_EPISODES}")
        oracle = gold.fault_episodes(spark.read.table(f"{db}.{SILVER}"), 30.0)
        assertDataFrameEqual(kept, oracle, rtol=1e-9)

    # The first update sees only the last hour: every turbine reports, and the long fault
    # of turbine 1 (open since minute 20) looks as if it opened when the hour began.
    land("recent", HISTORY_MIN - RECENT_MIN, HISTORY_MIN)
    assert spark.read.table(f"{db}.{GOLD_STATUS}").count() == 5
    alerts = {
        (r.turbine_id, r.fault_code): r for r in spark.read.table(f"{db}.{GOLD_ALERTS}").collect()
    }
    opened = alerts["TURBINE_00001", "TOWER_LEAN"].opened_at
    assert opened.hour * 60 + opened.minute == HISTORY_MIN - RECENT_MIN

    # The older history arrives after it: nothing of it is late, and the episodes are the
    # batch oracle's over all of silver, opened_at back at its true start.
    land("older", 0, HISTORY_MIN - RECENT_MIN)
    assert spark.read.table(f"{db}.{SILVER}").count() == 5 * HISTORY_MIN
    assert_episodes_equal_the_oracle()
    alerts = {
        (r.turbine_id, r.fault_code): r for r in spark.read.table(f"{db}.{GOLD_ALERTS}").collect()
    }
    opened = alerts["TURBINE_00001", "TOWER_LEAN"].opened_at
    assert (opened.hour, opened.minute) == (0, 20)

    # Live data moves the watermark past the history's first hours; the segments behind
    # it are written by the micro-batch after that (the engine runs no empty batches), so
    # by the second live file: the episodes still equal the oracle.
    land("live-1", HISTORY_MIN, HISTORY_MIN + LIVE_MIN // 2)
    land("live-2", HISTORY_MIN + LIVE_MIN // 2, HISTORY_MIN + LIVE_MIN)
    assert spark.read.table(f"{db}.{GOLD_SEGMENTS}").count() > 0
    assert_episodes_equal_the_oracle()
