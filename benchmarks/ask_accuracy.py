"""`windmill ask` accuracy and latency over the question set (workloads/ask/questions.yaml).

    .venv/bin/python benchmarks/ask_accuracy.py [--home H] [--repeat 3] [--json]

- accuracy: a question counts as right when `ask_local` picks its intent and returns
  exactly the result set of its reference SQL (same columns; same rows, in order when
  the reference orders, floats compared to 6 decimals) on the same data; out-of-scope
  questions count as right when they get the clarification. Target >= 95 %.
- latency: wall time of `ask_local` per question with a warm process (imports done,
  one warm-up pass), including opening DuckDB, resolving the committed files through
  workloads.storage and running the query. Target p95 <= 2 s.

Without `--home` the fixed dataset of the unit tests (tests/fakes/ask_dataset.py: 12
turbines, 2.5 days every 20 minutes) is written to a temporary home; `--turbines` and
`--step-minutes` make it bigger (same fault episodes) to measure latency at scale. With `--home` the
questions run against real pipeline output (e.g. after `windmill generate
--backfill-hours 24` and `windmill pipeline run`); references whose result is empty
there still count (both sides must agree) and are reported separately.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workloads.ask import ask_local, questions  # noqa: E402
from workloads.config import Paths  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(paths: Paths, repeat: int) -> dict:
    items, out_of_scope = questions.load()
    for item in items:  # warm-up: imports, file caches
        ask_local(item.question, paths)
    latencies: list[float] = []
    wrong: list[dict] = []
    empty = 0
    for item in items:
        for _ in range(repeat):
            started = time.perf_counter()
            answer = ask_local(item.question, paths)
            latencies.append(time.perf_counter() - started)
        columns, rows = questions.reference(paths, item)
        empty += not rows
        right = (
            answer.intent == item.intent
            and answer.columns == columns
            and questions.same_result(rows, answer.rows, item.ordered)
        )
        if not right:
            wrong.append({"question": item.question, "want": item.intent, "got": answer.intent})
    for text in out_of_scope:
        started = time.perf_counter()
        answer = ask_local(text, paths)
        latencies.append(time.perf_counter() - started)
        if answer.intent != "clarification":
            wrong.append({"question": text, "want": "clarification", "got": answer.intent})
    total = len(items) + len(out_of_scope)
    return {
        "questions": len(items),
        "out_of_scope": len(out_of_scope),
        "right": total - len(wrong),
        "accuracy": round((total - len(wrong)) / total, 4),
        "empty_references": empty,
        "wrong": wrong,
        "latency_s": {
            "samples": len(latencies),
            "p50": round(statistics.median(latencies), 4),
            "p95": round(percentile(latencies, 0.95), 4),
            "max": round(max(latencies), 4),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="WINDMILL_HOME with pipeline output (default: fixed set)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per question")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--turbines", type=int, default=12, help="fixed dataset: turbines")
    parser.add_argument("--step-minutes", type=float, default=20, help="fixed dataset: step")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ask-bench-") as tmp:
        if args.home:
            paths = Paths(Path(args.home).expanduser().resolve())
            data = f"pipeline output in {paths.home}"
        else:
            from datetime import timedelta

            from tests.fakes import ask_dataset

            paths = Paths(Path(tmp) / "home")
            step = timedelta(minutes=args.step_minutes)
            ask_dataset.write(paths, args.turbines, step)
            rows = len(ask_dataset.silver_rows(args.turbines, step))
            data = (
                f"the fixed dataset (tests/fakes/ask_dataset.py): {args.turbines} turbines,"
                f" a reading every {args.step_minutes:g} min, {rows} silver rows"
            )
        result = measure(paths, args.repeat)
    result["data"] = data
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    lat = result["latency_s"]
    print(f"data: {data}")
    print(
        f"accuracy: {result['right']}/{result['questions'] + result['out_of_scope']}"
        f" = {result['accuracy']:.1%} (target >= 95%;"
        f" {result['empty_references']} references empty on this data)"
    )
    print(
        f"latency: p50 {lat['p50'] * 1000:.0f} ms, p95 {lat['p95'] * 1000:.0f} ms,"
        f" max {lat['max'] * 1000:.0f} ms over {lat['samples']} asks (target p95 <= 2 s)"
    )
    for item in result["wrong"]:
        print(f"  wrong: {item['question']!r}: wanted {item['want']}, got {item['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
