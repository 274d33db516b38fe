"""A class-data-sharing archive (AppCDS) of the classes a local engine loads.

A Spark driver JVM loads and verifies about 20,000 classes from Spark's jars before it
answers its first query: most of the engine's start. `make setup` records them once
(`python -m workloads.jvm_archive`, ~35 s: an engine on a scratch home reads a few JSON
lines, writes them as a Parquet table and aggregates them; at its exit the JVM writes the
classes it loaded to an archive in the virtualenv, ~230 MiB). Every local driver JVM
(engine, generator, backfill) then maps the archive instead (`flags()`, added by
`workloads.spark`). Measured on the 2-core machine, quiet:
an engine session in 6.2 s instead of 9.9 s (three A/B pairs); a cold `windmill up` shows
data after 24.1-25.2 s instead of 29.1-30.7 s (`benchmarks/local_stack.py`).

The archive belongs to one Java build and one set of Spark jars. A JVM that finds it
stale (pyspark or Java changed) ignores it and loads classes as before (`-Xshare:auto`,
Java's default; its warnings are off): slower, never wrong. `make setup` rebuilds it
when the Python packages change. `WINDMILL_JVM_ARCHIVE=off` disables it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ARCHIVE_ENV = "WINDMILL_JVM_ARCHIVE"  # "off", or the path of another archive
# Without these, a JVM that cannot use the archive says so on stderr at every start.
QUIET = ("-Xlog:cds=off", "-Xlog:cds+dynamic=off")


def default_path() -> Path:
    """Where `make setup` puts the archive: next to the pyspark it was recorded with."""
    from pyspark.version import __version__

    return Path(sys.prefix) / "share" / "windmill" / f"spark-{__version__}.jsa"


def archive_path() -> Path | None:
    """The archive to use, or None (none built yet, or disabled)."""
    chosen = os.environ.get(ARCHIVE_ENV, "").strip()
    if chosen.lower() == "off":
        return None
    path = Path(chosen) if chosen else default_path()
    return path if path.is_file() else None


def flags() -> tuple[str, ...]:
    """JVM options that map the archive, if there is one."""
    path = archive_path()
    return (f"-XX:SharedArchiveFile={path}", *QUIET) if path else ()


def _record(target: Path) -> None:
    """Run an engine and a small read-write-aggregate; the JVM writes `target` as it exits."""
    import numpy as np
    from pyspark import SparkContext

    from workloads.config import LOCAL_DATABASE, Paths
    from workloads.contract import raw_schema
    from workloads.generator import spec, writer
    from workloads.spark import engine_session

    os.environ[ARCHIVE_ENV] = "off"  # record from the jars, not from an older archive
    dump = (f"-XX:ArchiveClassesAtExit={target}", *QUIET)  # it lists every class it skips
    with tempfile.TemporaryDirectory(prefix="windmill-jvm-archive-") as scratch:
        paths = Paths(Path(scratch))
        paths.landing.mkdir(parents=True)
        minutes = np.arange(20, dtype=np.int64)  # two turbines, ten readings each
        lines = spec.reading_lines(
            42,
            minutes % 2 + 1,
            1_767_571_200_000 + minutes * 60_000,
            batch_id="jvm-archive",
            ingestion_ms=1_767_572_400_000,
        )
        writer.write_lines(lines, paths.landing, "batch-jvm-archive.jsonl")
        session, _port = engine_session(paths, app_name="windmill-jvm-archive", java_options=dump)
        jvm = SparkContext._gateway.proc
        # What every engine's start and first update do: the metastore, reading JSON lines,
        # writing Parquet, an aggregate. (A whole pipeline update recorded 20 s longer and
        # gave no shorter first insight: 24.1-24.5 s either way.)
        readings = session.read.schema(raw_schema()).json(str(paths.landing))
        readings.write.mode("overwrite").saveAsTable(f"{LOCAL_DATABASE}.jvm_archive_readings")
        session.sql(
            "SELECT turbine_id, max(gearbox_temperature) AS hottest "
            f"FROM {LOCAL_DATABASE}.jvm_archive_readings GROUP BY turbine_id"
        ).collect()
        session.stop()
        # The JVM ends when its stdin closes, and writes the archive on the way out.
        jvm.stdin.close()
        jvm.wait(timeout=600)


def build(target: Path | None = None) -> Path:
    """Record the archive at `target` (default `default_path()`); replaces it whole."""
    target = target or default_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # The JVM's start-up chatter goes to a log, shown only if the recording fails.
    with tempfile.TemporaryFile() as log_file:
        saved = os.dup(2)
        os.dup2(log_file.fileno(), 2)
        try:
            _record(partial)
            failure = None
        except Exception as exc:
            failure = exc
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        if failure is not None:
            log_file.seek(0)
            sys.stderr.write(log_file.read().decode(errors="replace")[-4000:])
            raise RuntimeError(str(failure))
    if not partial.is_file() or partial.stat().st_size == 0:
        raise RuntimeError("the JVM wrote no class archive")
    partial.replace(target)
    return target


def main() -> int:
    started = time.monotonic()
    try:
        path = build(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    except Exception as exc:  # set-up goes on: engines start without it, only slower
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"JVM class archive not built ({first}); engines start ~5 s slower.")
        return 0
    size = path.stat().st_size / 2**20
    print(f"JVM class archive: {path} ({size:.0f} MiB, {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
