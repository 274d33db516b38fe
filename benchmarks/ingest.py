"""Benchmark: `windmill ingest` rows/s on a 1,000,000-row vendor-style export, beside the limit.

Builds a semicolon CSV export (workloads/ingest/sample.py: vendor column names, 10-minute
means, Paris time stamps with offsets, gaps, duplicates, negative power, 360 degrees; not
timed), then times, in one process:

- ingest: `workloads.ingest.run.ingest` (mapping, streamed read, conversion to the contract,
  JSON-lines encoding, atomic chunk files, registry), i.e. `windmill ingest` minus start-up;
- limit: the same file read by pyarrow's own streaming CSV reader (its type inference, no
  mapping) and the same rows written as JSON lines (the same Arrow encoder, one file).

Each side runs `--repeat` times (default 2), alternating, each ingest into a fresh landing
folder and registry; the best run of each counts, so a burst of load on a shared machine
does not decide the ratio. Prints rows/s of both and their ratio (goal >= 0.5). Then, unless --no-pipeline, the
pipeline's first update over the landed files on a fresh local engine (bronze, silver,
quarantine, gold) with its time and rows per second.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--turbines 100] [--no-pipeline]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workloads.config import Paths  # noqa: E402


def build_export(folder: Path, rows: int, turbines: int) -> tuple[Path, Path, int]:
    """(export.csv, mapping.toml, data lines) of about `rows` rows (pyarrow writes the CSV)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from workloads.ingest import sample

    # The sample appends a duplicate of one row in 250: about `rows` rows with them.
    steps = max(1, round(rows / turbines / 1.004))
    _export, _assets, mapping = sample.write(folder, turbines, sample.dst_start(), 1)
    frame, _ = sample.export(turbines, sample.dst_start(), steps)
    path = folder / "export.csv"
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pcsv.write_csv(
        table,
        path,
        write_options=pcsv.WriteOptions(delimiter=";", quoting_style="needed"),
    )
    return path, mapping, len(frame)


def time_ingest(export: Path, mapping_file: Path, paths: Paths):
    """(seconds, the ingest Summary)."""
    from workloads.ingest import mapping
    from workloads.ingest import run as ingest_run

    started = time.perf_counter()
    summary = ingest_run.ingest(
        [export], mapping.load(mapping_file), paths.landing, paths, show_progress=False
    )
    return time.perf_counter() - started, summary


def time_limit(export: Path, out: Path) -> tuple[float, int]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from workloads.ingest import jsonl

    started = time.perf_counter()
    rows = 0
    reader = pcsv.open_csv(
        export,
        read_options=pcsv.ReadOptions(block_size=8 << 20),
        parse_options=pcsv.ParseOptions(delimiter=";"),
    )
    with open(out, "wb") as handle:
        for batch in reader:
            handle.write(jsonl.encode(pa.Table.from_batches([batch])))
            rows += batch.num_rows
        handle.flush()
        os.fsync(handle.fileno())
    return time.perf_counter() - started, rows


def time_first_update(paths: Paths, as_of: str) -> tuple[float, dict]:
    from workloads.engine import runner
    from workloads.spark import engine_session

    spark, _port = engine_session(paths, app_name="windmill-bench-ingest")
    try:
        started = time.perf_counter()
        result = runner.run_update(spark, paths, overrides={"as_of": as_of})
        elapsed = time.perf_counter() - started
        if not result.ok:
            raise SystemExit(f"first update failed: {result.error}")
        return elapsed, result.metrics.get("tables", {})
    finally:
        spark.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--turbines", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each side (best counts)")
    parser.add_argument("--no-pipeline", action="store_true", help="skip the first update")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="windmill-bench-ingest-"))
    try:
        paths = Paths(folder / "home")
        export, mapping_file, lines = build_export(folder / "export", args.rows, args.turbines)
        size_mb = export.stat().st_size / 1e6
        print(f"export: {lines:,} rows, {size_mb:.0f} MB semicolon CSV ({args.turbines} turbines)")
        limit_s = ingest_s = float("inf")
        for attempt in range(args.repeat):
            seconds, limit_rows = time_limit(export, folder / "limit.jsonl")
            limit_s = min(limit_s, seconds)
            if attempt:  # a fresh landing folder and registry for every ingest run
                shutil.rmtree(paths.home, ignore_errors=True)
            seconds, summary = time_ingest(export, mapping_file, paths)
            ingest_s = min(ingest_s, seconds)
        ingest_rows = summary.rows
        ingest_rate, limit_rate = ingest_rows / ingest_s, limit_rows / limit_s
        load = os.getloadavg()[0]
        print(
            f"ingest: {ingest_rate:,.0f} rows/s ({ingest_rows:,} rows in {ingest_s:.2f} s, "
            f"best of {args.repeat})"
        )
        print(
            f"limit (pyarrow CSV read + JSON-lines write): {limit_rate:,.0f} rows/s "
            f"({limit_rows:,} rows in {limit_s:.2f} s, best of {args.repeat})"
        )
        print(
            f"ratio ingest/limit: {ingest_rate / limit_rate:.2f} (goal >= 0.5); "
            f"{os.cpu_count()} cores, load average {load:.1f} at the end"
        )
        if not args.no_pipeline:
            as_of = summary.last_reading.isoformat()  # gold windows end at the data's end
            update_s, tables = time_first_update(paths, as_of)
            silver = tables.get("silver_sensor_data", {}).get("rows_written", 0)
            quarantine = tables.get("silver_quarantine", {}).get("rows_written", 0)
            print(
                f"first update over the landed export: {update_s:.1f} s "
                f"({ingest_rows / update_s:,.0f} rows/s; silver {silver:,}, "
                f"quarantine {quarantine:,})"
            )
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
