"""Failure-risk model quality on the issue's "Done when" data, against both baselines.

Runs, in a fresh home (default /tmp/windmill-model-bench):
  windmill generate --backfill-hours 336 --turbines 100 --reading-interval 300 --start FIXED
  windmill pipeline run
  windmill train
  windmill score
then prints the evaluation table (model, rules, threshold proximity), the targets met, the
history it came from, and each step's wall time. `--reuse` keeps an existing home's silver
(only train and score run again). Fixed start and seeds: the figures are reproducible; the
times depend on the machine (run it on a quiet one).

Run: .venv/bin/python benchmarks/model_quality.py [--home DIR] [--reuse] [--turbines N] [--hours H]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WINDMILL = [sys.executable, "-m", "workloads.cli"]
START = "2026-11-01T00:00:00Z"


def step(name: str, argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([*WINDMILL, *argv], env=env, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}")
    print(f"{name}: {seconds:.1f} s")
    if name in ("train", "score"):
        print(done.stdout.strip())
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=Path("/tmp/windmill-model-bench"))
    parser.add_argument(
        "--reuse", action="store_true", help="keep the home's silver; train and score only"
    )
    parser.add_argument("--turbines", type=int, default=100)
    parser.add_argument("--hours", type=float, default=336.0)
    args = parser.parse_args()
    env = {**os.environ, "WINDMILL_HOME": str(args.home)}
    if not args.reuse:
        shutil.rmtree(args.home, ignore_errors=True)
        generate = [
            "generate",
            "--backfill-hours",
            f"{args.hours:g}",
            "--turbines",
            str(args.turbines),
        ]
        step("generate", [*generate, "--reading-interval", "300", "--start", START], env)
        step("pipeline run", ["pipeline", "run"], env)
    step("train", ["train"], env)
    step("score", ["score"], env)
    meta = json.loads((args.home / "models" / "latest" / "model.json").read_text())
    print(
        json.dumps(
            {
                "history": meta["history"],
                "threshold": meta["threshold"],
                "targets": meta["targets"],
            },
            indent=2,
        )
    )
    return 0 if all(meta["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
