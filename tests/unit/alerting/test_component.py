"""The notifier component of `windmill up`: channel URLs in its environment, not its argv."""

from __future__ import annotations

from types import SimpleNamespace

from workloads.alerting.component import notifier
from workloads.config import Paths

URL = "https://u:p4ss@hooks.example.com/x?token=t0k"


def test_the_urls_go_in_the_environment_never_on_the_command_line(tmp_path, monkeypatch):
    monkeypatch.delenv("WINDMILL_NOTIFY", raising=False)
    ctx = SimpleNamespace(
        paths=Paths(tmp_path),
        options=SimpleNamespace(notify=(URL,), notify_level="WARNING"),
        after=("backfill",),
    )
    component = notifier(ctx)
    assert component.name == "notifier" and component.after == ("backfill",)
    assert "notify" in component.argv and "WARNING" in component.argv
    assert not any("p4ss" in a or "t0k" in a for a in component.argv)
    assert component.env["WINDMILL_NOTIFY"] == URL


def test_no_channel_no_component(tmp_path, monkeypatch):
    monkeypatch.delenv("WINDMILL_NOTIFY", raising=False)
    ctx = SimpleNamespace(paths=Paths(tmp_path), options=SimpleNamespace(), after=())
    assert notifier(ctx) is None
    monkeypatch.setenv("WINDMILL_NOTIFY", URL)
    assert notifier(ctx).env["WINDMILL_NOTIFY"] == URL


def test_up_passes_its_group_timers_to_the_notifier(tmp_path, monkeypatch):
    monkeypatch.delenv("WINDMILL_NOTIFY", raising=False)
    options = SimpleNamespace(notify=(URL,), group_wait=2.0, group_interval=60.0)
    component = notifier(SimpleNamespace(paths=Paths(tmp_path), options=options, after=()))
    argv = list(component.argv)
    assert argv[argv.index("--group-wait") + 1] == "2"
    assert argv[argv.index("--group-interval") + 1] == "60"
    bare = notifier(
        SimpleNamespace(paths=Paths(tmp_path), options=SimpleNamespace(notify=(URL,)), after=())
    )
    assert "--group-interval" not in bare.argv  # the notifier's own default (5 m)
