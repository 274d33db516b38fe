"""What the whole-stack benchmarks share: `windmill up` on a fresh temporary home."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workloads.spark import free_port  # noqa: E402


@dataclass
class Stack:
    home: Path
    port: int
    process: subprocess.Popen
    log: IO[str]  # `windmill up`'s own output, next to the home


def launch_up(prefix: str, turbines: int, backfill_hours: float, refresh_seconds: float) -> Stack:
    """Start `windmill up` on a new empty home with these flags, its output to a log file."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    port = free_port()
    env = {**os.environ, "WINDMILL_HOME": str(home)}
    command = [
        sys.executable, "-m", "workloads.cli", "up",
        "--turbines", str(turbines),
        "--backfill-hours", str(backfill_hours),
        "--refresh-seconds", str(refresh_seconds),
        "--port", str(port),
    ]  # fmt: skip
    print(f"home {home}; dashboard port {port}; {' '.join(command[3:])}", flush=True)
    log = open(home.parent / f"{home.name}.log", "w")  # noqa: SIM115
    up = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    return Stack(home, port, up, log)
