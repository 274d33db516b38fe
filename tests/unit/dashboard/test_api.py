"""JSON bodies of /api/*, from the shared snapshot; log lines never carry secrets."""

from __future__ import annotations

import json
import logging

import pytest

from dashboard.api import ENDPOINTS, _default, body_for
from dashboard.logbuffer import LogBuffer, redact
from dashboard.sources import LocalGoldSource, LocalStatusSource
from dashboard.state import Poller
from tests.fakes.gold_tables import write_all
from workloads.config import Paths

pytestmark = pytest.mark.unit


@pytest.fixture
def poller(tmp_path) -> Poller:
    home = Paths(tmp_path / "home")
    write_all(home)
    poller = Poller(LocalStatusSource(home), LocalGoldSource(home))
    poller.refresh()
    return poller


def dumps(body) -> dict:
    return json.loads(json.dumps(body, default=_default, allow_nan=False))


def test_every_endpoint_is_valid_json(poller):
    for endpoint in ENDPOINTS:
        assert isinstance(dumps(body_for(endpoint, poller, LogBuffer())), dict)


def test_status_counts_and_meta(poller):
    body = dumps(body_for("status", poller, None))
    assert body["source"] == "local" and body["stale"] is False
    assert body["pipelines"] == {"total": 1, "active": 0, "idle": 1}
    assert body["jobs"] == {"total": 2, "active": 0, "idle": 2}
    assert body["filter_path"] == "local ledger"
    assert body["fleet"]["turbines_reporting"] == 5
    assert body["refreshed_at"].endswith("+00:00")


def test_lists_are_under_their_own_name(poller):
    pipelines = dumps(body_for("pipelines", poller, None))
    assert pipelines["pipelines"][0]["latest_update"]["state"] == "COMPLETED"
    assert "refreshed_at" in pipelines
    jobs = dumps(body_for("jobs", poller, None))["jobs"]
    assert all(job["latest_runs"] for job in jobs)
    alerts = dumps(body_for("alerts", poller, None))["alerts"]
    assert [a["alert_level"] for a in alerts] == ["CRITICAL", "WARNING"]
    assert alerts[0]["opened_at"] == "2026-01-05T10:00:00+00:00"


def test_health_before_the_first_refresh(tmp_path):
    poller = Poller(LocalStatusSource(Paths(tmp_path)), LocalGoldSource(Paths(tmp_path)))
    body = body_for("health", poller, None)
    assert body["status"] == "ok" and body["ready"] is False


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer dapi0123456789abcdef0123456789abcdef",
        "using token=dapi0123456789abcdef0123456789abcdef",
        'config {"client_secret": "s3cr3t-value"}',
        "password=hunter2",
    ],
)
def test_secrets_are_redacted(line):
    cleaned = redact(line)
    for secret in ("dapi0123456789abcdef", "s3cr3t-value", "hunter2"):
        assert secret not in cleaned
    assert "***" in cleaned


def test_log_buffer_keeps_recent_lines_newest_first():
    buffer = LogBuffer(capacity=3)
    log = logging.getLogger("windmill.dashboard.test-buffer")
    log.addHandler(buffer)
    log.setLevel(logging.INFO)
    try:
        for i in range(5):
            log.info("line %d token=%s", i, "dapiabcdef0123456789abcdef")
    finally:
        log.removeHandler(buffer)
    lines = buffer.lines()
    assert [line["message"].split(" token")[0] for line in lines] == ["line 4", "line 3", "line 2"]
    assert all("dapiabcdef" not in line["message"] for line in lines)


def test_bodies_are_serialized_once_per_snapshot_version(poller):
    from dashboard.api import ApiBodies

    bodies = ApiBodies(poller, LogBuffer())
    first = bodies.get("status")
    assert bodies.get("status") is first  # cached
    poller.refresh()
    second = bodies.get("status")
    assert second is not first and json.loads(second)["source"] == "local"
