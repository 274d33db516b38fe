"""Small-file compaction on tables the real engine wrote: every row exactly once, across kill -9.

One module, one pipeline (shared engine session): two updates leave many small files in
each streaming table (one landing file per bronze batch, and the sink log compacted every
2 batches instead of 10 so a listing to compact exists after a few batches). Then a
compaction subprocess is killed -9 at a random step (fixed seed) four times, a rerun
completes, and the tables hold the same rows, for pyarrow and for Spark; the next update
adds exactly the new rows (no stream re-reads a merged file); retired files are deleted
once their grace is over.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.helpers import REPO, line, reading, write_landing
from workloads import storage
from workloads.config import Paths
from workloads.engine import compaction, runner
from workloads.names import BRONZE, QUARANTINE, SILVER, STREAMING_TABLES

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SETTINGS = {"as_of": "2026-01-05T12:00:00Z", "max_files_per_trigger": 1}
SINK_INTERVAL = "spark.sql.streaming.fileSink.log.compactInterval"


def landing_batch(paths: Paths, n: int) -> None:
    rows = [line(reading(t, 10 * n + m)) for t in range(1, 5) for m in range(5)]
    write_landing(paths.landing, f"batch-{n:03d}.jsonl", [*rows, f"broken {n} {{"])


def content(folder: Path) -> list[str]:
    """Every committed row of a streaming table, as sorted JSON (pyarrow, no JVM)."""
    import pyarrow.parquet as pq

    rows: list[str] = []
    for uri in storage.committed_files(folder):
        table = pq.read_table(compaction._path(uri), coerce_int96_timestamp_unit="us")
        rows += [json.dumps(r, default=str, sort_keys=True) for r in table.to_pylist()]
    return sorted(rows)


def spark_keys(spark, database: str) -> dict[str, list]:
    return {
        BRONZE: sorted(r.raw for r in spark.read.table(f"{database}.{BRONZE}").collect()),
        SILVER: sorted(
            (r.turbine_id, str(r.timestamp))
            for r in spark.read.table(f"{database}.{SILVER}").collect()
        ),
        QUARANTINE: spark.read.table(f"{database}.{QUARANTINE}").count(),
    }


def compact_in_subprocess(paths: Paths, dirs, database: str, kill_at_step: int) -> int:
    """Run a compaction in a subprocess and kill -9 it once it reports step `kill_at_step`
    (each step that changes files prints a line and waits a moment); returns the steps it
    had reported when killed (0 if it ended by itself first)."""
    args = {"home": str(paths.home), "db": database, "dirs": {k: str(v) for k, v in dirs.items()}}
    code = (
        "import json, sys, time; from pathlib import Path; from workloads.config import Paths; "
        "from workloads.engine.compaction import compact_tables; a = json.loads(sys.argv[1]); "
        "step = lambda name: (print('step', name, flush=True), time.sleep(0.3)); "
        "compact_tables(Paths(Path(a['home'])), {k: Path(v) for k, v in a['dirs'].items()}, "
        "database=a['db'], min_files=2, on_step=step)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, json.dumps(args)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    steps = 0
    for output in process.stdout:
        steps += output.startswith("step ")
        if steps == kill_at_step:
            os.kill(process.pid, signal.SIGKILL)
            break
    else:
        steps = 0
    process.wait(timeout=60)
    process.stdout.close()
    return steps


def test_compaction_keeps_every_row_once_across_kill_9(spark, tmp_path):
    paths, database = Paths(tmp_path / "home"), f"compact_{uuid.uuid4().hex[:8]}"
    spark.conf.set(SINK_INTERVAL, "2")
    try:
        for update in range(2):
            for n in range(3 * update, 3 * update + 3):
                landing_batch(paths, n)
            result = runner.run_update(spark, paths, database=database, overrides=SETTINGS)
            assert result.ok, result.error
    finally:
        spark.conf.unset(SINK_INTERVAL)
    dirs = storage.table_dirs(spark, database)
    before = {t: content(dirs[t]) for t in STREAMING_TABLES}
    files_before = {t: len(storage.committed_files(dirs[t])) for t in STREAMING_TABLES}
    keys_before = spark_keys(spark, database)
    assert len(before[BRONZE]) == 6 * 21 and keys_before[QUARANTINE] == 6

    rng = random.Random(15)
    killed = [compact_in_subprocess(paths, dirs, database, rng.randint(1, 3)) for _ in range(4)]
    assert killed[0] > 0, killed  # there was work to kill, and a kill landed inside it
    for table in STREAMING_TABLES:  # after each kill the table is whole
        assert content(dirs[table]) == before[table], table

    results = {
        r.table: r for r in compaction.compact_tables(paths, dirs, database=database, min_files=2)
    }
    for table in STREAMING_TABLES:
        assert content(dirs[table]) == before[table], table
    assert spark_keys(spark, database) == keys_before
    for table in (BRONZE, SILVER):
        assert results[table].files_after < files_before[table], results[table]
    # Replaced files stay on disk for readers that listed them, until their grace is over.
    retired = json.loads((dirs[BRONZE] / compaction.STATE_DIR / compaction.RETIRED).read_text())
    assert retired and all(Path(name).exists() for name in retired)

    landing_batch(paths, 6)
    result = runner.run_update(spark, paths, database=database, overrides=SETTINGS)
    assert result.ok, result.error
    after = spark_keys(spark, database)
    assert len(after[BRONZE]) == 7 * 21 and after[QUARANTINE] == 7
    assert len(after[SILVER]) == len(keys_before[SILVER]) + 20
    logs = (paths.pipeline_storage / "_checkpoints").rglob("sources/*/*")
    seen = [p for p in logs if p.name.removesuffix(".compact").isdigit()]
    assert seen and not any(compaction.MERGED_PREFIX in p.read_text() for p in seen)

    compaction.compact_tables(paths, dirs, database=database, min_files=2, grace_s=0)
    assert not any(Path(name).exists() for name in retired)
    for table in STREAMING_TABLES:
        committed = storage.committed_files(dirs[table])
        assert all(compaction._path(uri).exists() for uri in committed), table
    assert spark_keys(spark, database) == after
