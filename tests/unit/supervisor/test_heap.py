"""Heap sizes under `windmill up`: the streaming generator asks for a small one, others get
the default (no JVM: the Spark conf each process would launch its JVM with)."""

from __future__ import annotations

import pytest

from workloads import spark
from workloads.config import Paths
from workloads.ledger import Ledger
from workloads.supervisor.stack import STREAMING_GENERATOR_HEAP, StackOptions, components

pytestmark = pytest.mark.unit


def test_a_process_can_ask_for_its_own_heap(monkeypatch):
    monkeypatch.delenv(spark.DRIVER_MEMORY_ENV, raising=False)
    assert spark._base_conf()["spark.driver.memory"] == spark.BASE_CONF["spark.driver.memory"]
    monkeypatch.setenv(spark.DRIVER_MEMORY_ENV, "512m")
    assert spark._base_conf()["spark.driver.memory"] == "512m"
    assert spark.BASE_CONF["spark.driver.memory"] != "512m"  # the default is left alone


def test_only_the_streaming_generator_asks_for_a_small_heap(tmp_path):
    paths = Paths(tmp_path / "home")
    stack = {
        c.name: c for c in components(paths, StackOptions(backfill_hours=1), Ledger(paths.ledger))
    }
    assert stack["generator"].env[spark.DRIVER_MEMORY_ENV] == STREAMING_GENERATOR_HEAP
    for name in ("backfill", "pipeline", "dispatch", "dashboard"):
        assert spark.DRIVER_MEMORY_ENV not in (stack[name].env or {}), name
