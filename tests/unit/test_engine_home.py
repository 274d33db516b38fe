"""One engine home per process: a second engine on another home is one clear error, before
any JVM starts (the JVM outlives a stopped engine; an engine started in it for another
home ran updates whose gold views came out empty)."""

from __future__ import annotations

import pytest

from workloads import spark
from workloads.config import Paths
from workloads.errors import WindmillError

pytestmark = pytest.mark.unit


def test_an_engine_on_another_home_needs_its_own_process(tmp_path, monkeypatch):
    first, second = Paths(tmp_path / "first"), Paths(tmp_path / "second")
    monkeypatch.setattr(spark, "_ENGINE_HOME", first.home.resolve())
    started = []
    monkeypatch.setattr(spark, "require_java", lambda: started.append("jvm"))
    with pytest.raises(WindmillError, match="needs a process of its own") as refused:
        spark.engine_session(second)
    assert str(first.home.resolve()) in str(refused.value)
    assert str(second.home.resolve()) in str(refused.value)
    assert started == []  # refused before anything was started
    assert not second.metastore.exists()


def test_the_same_home_is_not_refused(tmp_path, monkeypatch):
    home = Paths(tmp_path / "home")
    monkeypatch.setattr(spark, "_ENGINE_HOME", home.home.resolve())

    class Stop(Exception):
        pass

    def no_java():
        raise Stop  # past the guard: the engine would start here

    monkeypatch.setattr(spark, "require_java", no_java)
    with pytest.raises(Stop):
        spark.engine_session(Paths(tmp_path / "home"))
