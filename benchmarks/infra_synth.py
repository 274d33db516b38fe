"""Time CDKTF synthesis: `python -m infra.main` and `npx cdktf synth` (all four stacks).

Run from anywhere: `.venv/bin/python benchmarks/infra_synth.py [--repeat N]`.
Prints the median wall time of each; writes into a temporary output folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = {
        **os.environ,
        "CHECKPOINT_DISABLE": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
    }
    env.pop("WINDMILL_ENV", None)
    with tempfile.TemporaryDirectory() as tmp:
        python_env = {**env, "CDKTF_OUTDIR": str(Path(tmp) / "py")}
        python_times = [
            timed([sys.executable, "-m", "infra.main"], python_env) for _ in range(args.repeat)
        ]
        cli = ["npx", "--no-install", "cdktf", "synth", "--output", str(Path(tmp) / "cli")]
        cli_times = [timed(cli, env) for _ in range(args.repeat)]
    print(
        f"python -m infra.main (4 stacks): median {statistics.median(python_times):.1f} s "
        f"over {args.repeat} runs"
    )
    print(
        f"npx cdktf synth      (4 stacks): median {statistics.median(cli_times):.1f} s "
        f"over {args.repeat} runs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
