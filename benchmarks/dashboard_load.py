"""Dashboard load: page render time, /api/status latency under load, workspace calls/min.

    .venv/bin/python benchmarks/dashboard_load.py [--home H] [--api-seconds 30]

- page: time from navigation until the page is fully rendered in headless Chromium, 1400 px
  wide (KPIs filled; every chart figure - fleet power, faults, the trend's temperatures
  and vibration, and one map per site - drawn; alerts table filled; the page's Bokeh
  document idle), local source with a day of
  data (by default a generated day for 100 turbines on the four sites in the contract
  schemas; pass
  `--home` to use real pipeline output, e.g. after `windmill generate --backfill-hours 24`
  and `windmill pipeline run`);
- api: /api/status p50/p99 with 50 concurrent keep-alive clients for 30 s, and errors;
- cpu: the server's CPU seconds per refresh cycle, with nothing new and with new gold data
  every cycle (the generated snapshot's status table republished; left out with `--home`,
  whose tables it does not touch);
- `--turbines 10000`: the generated snapshot is a 10,000-turbine fleet (four sites of
  2,500; page target <= 1.5 s, /api/status p99 <= 50 ms);
- workspace: calls the dashboard makes to a fake Databricks workspace per refresh cycle
  (and per minute) with 1 and with 50 open sessions (server-side Bokeh sessions opened
  with `pull_session`). Calls are counted between two completed refreshes (seen in
  `/api/status`), over whole cycles, so a window never cuts a refresh in half.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.browser import (  # noqa: E402
    FULLY_RENDERED,
    LAPTOP,
    OFF_FEATURES,
    chromium,
    served_dashboard,
)
from tests.fakes.gold_tables import write_fleet_day  # noqa: E402
from tests.fakes.workspace import FakeWorkspace, populate  # noqa: E402
from workloads.config import Paths  # noqa: E402


def page_load(base: str, loads: int, figures: int, omnibox_popup: bool) -> list[float]:
    times = []
    with chromium(off_features=() if omnibox_popup else OFF_FEATURES) as browser:
        for i in range(loads + 1):
            page = browser.new_page(viewport=LAPTOP)
            started = time.perf_counter()
            page.goto(base, wait_until="commit")
            page.wait_for_function(FULLY_RENDERED % figures, timeout=120_000, polling="raf")
            elapsed = time.perf_counter() - started
            if i:  # the first load warms the server's imports
                times.append(elapsed)
            page.close()
    return times


async def _client(
    host: str, port: int, stop_at: float, latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET /api/status HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200") or b'"pipelines"' not in body:
                errors.append(head.split(b"\r\n")[0].decode())
    except (OSError, asyncio.IncompleteReadError) as exc:
        errors.append(repr(exc))
    finally:
        writer.close()


def api_load(base: str, clients: int, seconds: float) -> tuple[list[float], list[str]]:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: list[str] = []

    async def run() -> None:
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(
            *(_client(host, int(port), stop_at, latencies, errors) for _ in range(clients))
        )

    asyncio.run(run())
    return latencies, errors


def _next_refresh(base: str, after: str | None, timeout: float) -> str:
    """Wait until /api/status shows a refresh completed after `after`; returns its time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = json.loads(urllib.request.urlopen(f"{base}/api/status", timeout=10).read())
        if status["refreshed_at"] and status["refreshed_at"] != after and not status["stale"]:
            return status["refreshed_at"]
        time.sleep(0.05)
    raise RuntimeError(f"no refresh completed within {timeout:.0f} s")


def workspace_calls(sessions: int, cycles: int, refresh: float) -> float:
    """Workspace API calls per refresh cycle with `sessions` open sessions."""
    import importlib
    import pkgutil

    import panel.models
    from bokeh.client import pull_session

    # The client side of a session must know every model class Panel may send.
    for module in pkgutil.iter_modules(panel.models.__path__):
        importlib.import_module(f"panel.models.{module.name}")
    # ...and the page's own components (the chart card and sortable table models).
    for module in ("dashboard.charts", "dashboard.tables"):
        importlib.import_module(module)

    ws = FakeWorkspace(page_size=25)
    populate(ws)
    ws.start()
    env = {
        "DATABRICKS_HOST": ws.url,
        "DATABRICKS_TOKEN": "dapi-benchmark-token",
        "HOME": tempfile.mkdtemp(prefix="bench-home-"),
    }
    args = (
        "--workspace",
        "databricks",
        "--warehouse-id",
        "bench",
        "--refresh-seconds",
        str(refresh),
    )
    wait = refresh * 3 + 30
    try:
        with served_dashboard(*args, env=env) as base:
            opened = [pull_session(url=base) for _ in range(sessions)]
            # One whole cycle with every session open before counting.
            stamp = _next_refresh(base, _next_refresh(base, None, wait), wait)
            before = ws.api_calls()
            for _ in range(cycles):
                stamp = _next_refresh(base, stamp, wait)
            calls = ws.api_calls() - before
            for session in opened:
                session.close()
    finally:
        ws.stop()
    return calls / cycles


def _server(base: str):
    """The served dashboard's process (psutil), found by its --port among our children."""
    import psutil

    port = base.rsplit(":", 1)[1]
    for child in psutil.Process().children(recursive=True):
        try:
            args = child.cmdline()
        except psutil.Error:
            continue
        if "dashboard" in args and port in args:
            return child
    raise RuntimeError(f"no dashboard process on port {port}")


def _bump_status(home: Path, step: int) -> None:
    """New gold data: every turbine's power moved, published as the engine publishes."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from tests.fakes.gold_tables import publish
    from workloads import names

    paths = Paths(home)
    folder = paths.table(names.GOLD_STATUS)
    files = sorted(folder.glob("*.parquet"))
    table = pq.read_table(files)
    power = table.column("power_output")
    table = table.set_column(
        table.schema.get_field_index("power_output"), "power_output", pc.add(power, 1.0)
    )
    for old in files:  # unlinked, not rewritten: published versions share these files
        old.unlink()
    pq.write_table(table, folder / f"part-{step:05d}-bench.parquet")
    publish(paths, [names.GOLD_STATUS])


def refresh_cpu(home: Path, cycles: int, refresh: float) -> dict[str, float]:
    """CPU seconds of the server per refresh cycle with no page open: with nothing new
    (the poller's reads of versions and the platform status), and with new gold data each
    cycle (the tables read again, the charts' pictures rendered)."""
    wait = refresh * 3 + 60
    with served_dashboard("--home", str(home), "--refresh-seconds", str(refresh)) as base:
        process = _server(base)
        stamp = _next_refresh(base, _next_refresh(base, None, wait), wait)
        before = process.cpu_times()
        for _ in range(cycles):
            stamp = _next_refresh(base, stamp, wait)
        after = process.cpu_times()
        idle = (after.user + after.system - before.user - before.system) / cycles
        before = after
        for step in range(1, cycles + 1):
            power = json.loads(urllib.request.urlopen(f"{base}/api/status").read())["fleet"]
            _bump_status(home, step)
            deadline = time.monotonic() + wait
            while True:  # until a refresh shows the new data (its charts are warm by then)
                stamp = _next_refresh(base, stamp, wait)
                now = json.loads(urllib.request.urlopen(f"{base}/api/status").read())["fleet"]
                if now != power or time.monotonic() > deadline:
                    break
        after = process.cpu_times()
        new = (after.user + after.system - before.user - before.system) / cycles
    return {"idle_cpu_s": idle, "new_data_cpu_s": new}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", help="WINDMILL_HOME with real pipeline output")
    parser.add_argument(
        "--turbines",
        type=int,
        default=100,
        help="turbines of the generated snapshot (without --home); 10000 for the large fleet",
    )
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--api-seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--cycles", type=int, default=6, help="refresh cycles to count workspace calls over"
    )
    parser.add_argument(
        "--refresh", type=float, default=10, help="--refresh-seconds for the call count"
    )
    parser.add_argument(
        "--parts",
        default="page,api,cpu,workspace",
        help="comma-separated subset of page,api,cpu,workspace",
    )
    parser.add_argument(
        "--cpu-refresh", type=float, default=2, help="--refresh-seconds for the CPU per cycle"
    )
    parser.add_argument(
        "--with-omnibox-popup",
        action="store_true",
        help="leave Chromium's omnibox WebUI popup on (~0.9 s of CPU per new tab; see "
        "tests/e2e/browser.py): the page's figure with that contention",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    results: dict[str, object] = {}
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="bench-dash-")) / "home"
    if not args.home:
        # Silver's readings thinned as the fleet grows (the page reads one turbine's trend):
        # a minute apart for 100 turbines, ten for 10,000 (1.4 M readings a day).
        write_fleet_day(
            Paths(home), turbines=args.turbines, interval_minutes=max(1, args.turbines // 1000)
        )
    with served_dashboard("--home", str(home), "--refresh-seconds", "60") as base:
        if "page" in parts:
            # At least the fleet power, faults, the trend's two and one site's map.
            loads = page_load(base, args.loads, figures=5, omnibox_popup=args.with_omnibox_popup)
            results["page_render_s"] = {
                "median": statistics.median(loads),
                "max": max(loads),
                "loads": len(loads),
            }
            print(
                f"page fully rendered: median {statistics.median(loads):.2f} s, "
                f"max {max(loads):.2f} s over {len(loads)} loads, {args.turbines} turbines "
                f"(target <= {1.0 if args.turbines <= 100 else 1.5} s)"
                + (", Chromium's omnibox popup on" if args.with_omnibox_popup else ""),
                flush=True,
            )
        if "api" in parts:
            latencies, errors = api_load(base, args.clients, args.api_seconds)
            p50, p99 = pct(latencies, 0.50) * 1000, pct(latencies, 0.99) * 1000
            results["api_status"] = {
                "p50_ms": p50,
                "p99_ms": p99,
                "requests": len(latencies),
                "errors": len(errors),
            }
            print(
                f"/api/status, {args.clients} clients for {args.api_seconds:.0f} s: "
                f"{len(latencies)} requests, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                f"errors {len(errors)} (target p99 <= 50 ms, 0 errors)",
                flush=True,
            )
        status = json.loads(urllib.request.urlopen(f"{base}/api/status").read())
        results["fleet"] = status["fleet"]
    if "cpu" in parts and not args.home:
        cpu = refresh_cpu(home, args.cycles, args.cpu_refresh)
        results["refresh_cpu_s_per_cycle"] = cpu
        print(
            f"refresh CPU per cycle (server, no page open, {args.cycles} cycles each): "
            f"{cpu['idle_cpu_s']:.3f} s with nothing new, {cpu['new_data_cpu_s']:.3f} s with "
            "new gold data (tables read, charts rendered)",
            flush=True,
        )
    for sessions in (1, 50) if "workspace" in parts else ():
        per_cycle = workspace_calls(sessions, args.cycles, args.refresh)
        results[f"workspace_calls_per_refresh_{sessions}"] = per_cycle
        results[f"workspace_calls_per_min_{sessions}"] = per_cycle * 60 / args.refresh
        print(
            f"workspace calls with {sessions} session(s): {per_cycle:g} per refresh, "
            f"{per_cycle * 60 / args.refresh:g}/min (refresh every {args.refresh:g} s, "
            f"{args.cycles} whole cycles counted; target: equal)",
            flush=True,
        )
    print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
