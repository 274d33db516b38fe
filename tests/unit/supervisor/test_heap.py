"""A process's JVM heap: `WINDMILL_DRIVER_MEMORY` overrides the default (no JVM: the Spark
conf each process would launch its JVM with)."""

from __future__ import annotations

import pytest

from workloads import spark

pytestmark = pytest.mark.unit


def test_a_process_can_ask_for_its_own_heap(monkeypatch):
    monkeypatch.delenv(spark.DRIVER_MEMORY_ENV, raising=False)
    assert spark._base_conf()["spark.driver.memory"] == spark.BASE_CONF["spark.driver.memory"]
    monkeypatch.setenv(spark.DRIVER_MEMORY_ENV, "512m")
    assert spark._base_conf()["spark.driver.memory"] == "512m"
    assert spark.BASE_CONF["spark.driver.memory"] != "512m"  # the default is left alone
