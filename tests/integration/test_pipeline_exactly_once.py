"""Exactly once across kill -9: the real `windmill pipeline run` in subprocesses."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.helpers import REPO, line, reading, run_windmill, write_landing
from workloads.ledger import Ledger
from workloads.names import BRONZE, PIPELINE_NAME, QUARANTINE, SILVER

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SETTINGS = ["--set", "as_of=2026-01-05T12:00:00Z"]


def landing_lines(landing) -> list[str]:
    lines: list[str] = []
    for file in sorted(landing.glob("[!.]*.jsonl")):
        lines += file.read_text().splitlines()
    return lines


def kill_during_update(home, timeout: float = 300) -> None:
    """Start `windmill pipeline run` and kill -9 it once bronze has started writing."""
    process = subprocess.Popen(
        [sys.executable, "-m", "workloads.cli", "pipeline", "run", *SETTINGS],
        cwd=REPO,
        env={**os.environ, "WINDMILL_HOME": str(home.home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoint = home.pipeline_storage / "_checkpoints"
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if checkpoint.exists():  # the update is running: bronze has a checkpoint
                time.sleep(1.0)
                break
            time.sleep(0.2)
    finally:
        # The engine JVM is a child of the Python process: kill both, by pid, as a crash would.
        try:
            children = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        process.wait(timeout=60)


def test_kill_9_during_update_then_rerun_keeps_every_line_once(spark, windmill_home):
    home = windmill_home
    for n in range(3):
        batch = [line(reading(t, 10 * n + m)) for t in range(1, 6) for m in range(10)]
        write_landing(home.landing, f"batch-{n:03d}.jsonl", [*batch, batch[0], "broken {"])
    kill_during_update(home)
    write_landing(home.landing, "batch-after-kill.jsonl", [line(reading(9, 0))])

    run_windmill("pipeline", "run", *SETTINGS, timeout=900)

    dirs = {name: home.table(name) for name in (BRONZE, SILVER, QUARANTINE)}  # the pipeline's
    # Reading a streaming table's folder honours its commit log: files of a killed batch
    # that never committed are not part of the table.
    bronze = [r.raw for r in spark.read.parquet(str(dirs[BRONZE])).select("raw").collect()]
    assert sorted(bronze) == sorted(landing_lines(home.landing))
    silver = spark.read.parquet(str(dirs[SILVER])).count()
    quarantine = spark.read.parquet(str(dirs[QUARANTINE])).count()
    duplicates = 3  # one per batch file
    assert silver + quarantine == len(bronze) - duplicates
    assert quarantine == 3

    ledger = Ledger(home.ledger)
    (pipeline,) = [p for p in ledger.list_pipelines() if p["name"] == PIPELINE_NAME]
    states = [u["state"] for u in ledger.list_updates(pipeline["pipeline_id"])]
    assert states[0] == "COMPLETED"
    assert "RUNNING" not in states
