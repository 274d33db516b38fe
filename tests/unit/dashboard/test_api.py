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


def test_status_before_the_first_refresh_says_not_ready_instead_of_zeros(tmp_path):
    poller = Poller(LocalStatusSource(Paths(tmp_path)), LocalGoldSource(Paths(tmp_path)))
    body = dumps(body_for("status", poller, None))
    assert body["ready"] is False and body["refreshed_at"] is None
    assert "pipelines" not in body and "jobs" not in body and "fleet" not in body
    poller.refresh()
    body = dumps(body_for("status", poller, None))
    assert body["ready"] is True and body["pipelines"] == {"total": 0, "active": 0, "idle": 0}


def test_status_never_read_is_unknown_not_zero(tmp_path):
    class Broken:
        name = "local"

        def fetch_status(self):
            raise OSError("ledger unreadable")

    poller = Poller(Broken(), LocalGoldSource(Paths(tmp_path)))
    poller.refresh()
    body = dumps(body_for("status", poller, None))
    assert body["ready"] is True and body["stale"] is True
    assert body["pipelines"] is None and body["jobs"] is None


def test_logs_carry_refreshed_at_and_stale_like_every_list(poller):
    body = dumps(body_for("logs", poller, LogBuffer()))
    assert body["refreshed_at"] == dumps(body_for("status", poller, None))["refreshed_at"]
    assert body["stale"] is False and isinstance(body["logs"], list)


def test_each_part_says_whether_it_is_stale(poller, monkeypatch):
    from workloads import names

    source = poller.gold_source
    real = source.read_table

    def read(table, *args, **kwargs):
        if table == names.GOLD_ALERTS:
            raise PermissionError("gold_maintenance_alerts: no SELECT")
        return real(table, *args, **kwargs)

    monkeypatch.setattr(source, "read_table", read)
    assert poller.refresh() is False
    status = dumps(body_for("status", poller, None))
    assert status["stale"] is True and status["pipelines"]["total"] == 1
    assert status["parts"][names.GOLD_ALERTS]["stale"] is True
    assert "no SELECT" in status["parts"][names.GOLD_ALERTS]["error"]
    assert status["parts"][names.GOLD_STATUS]["stale"] is False
    assert status["parts"]["status"]["stale"] is False
    alerts = dumps(body_for("alerts", poller, None))
    assert alerts["stale"] is True and len(alerts["alerts"]) == 2  # the last good rows
    assert dumps(body_for("pipelines", poller, None))["stale"] is False
