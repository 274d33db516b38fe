"""A reader process for the snapshot-read test: reads every gold table as fast as it can.

`python -m tests.integration.snapshot_reader MODE OUT STOP` with WINDMILL_HOME set. Each
read appends `{"table", "rows", "error"}` (rows null: the table was missing) to OUT,
until the file STOP exists. MODE is how the table is read:

- dashboard: the dashboard's LocalGoldSource (pyarrow, no JVM);
- dispatcher: the dispatcher's reader (`instance_from_gold`'s `storage.read_table`);
- sql: `windmill sql`'s run_query through the running engine (Spark), alternating
  qualified `windmill.<table>` and unqualified names.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from workloads import names
from workloads.config import paths as home_paths


def main(mode: str, out: Path, stop: Path) -> int:
    paths = home_paths()
    tables = names.DASHBOARD_GOLD_TABLES
    with out.open("a", encoding="utf-8") as sink:

        def record(table: str, rows: int | None, error: str | None = None) -> None:
            sink.write(json.dumps({"table": table, "rows": rows, "error": error}) + "\n")
            sink.flush()

        if mode == "dashboard":
            from dashboard.sources import LocalGoldSource

            source = LocalGoldSource(paths)

            def read_all() -> None:
                for table, frame in source.fetch_gold().items():
                    record(table, None if frame is None else len(frame))

        elif mode == "dispatcher":
            from workloads import storage
            from workloads.dispatch.builder import instance_from_gold, load_roster

            crews = load_roster()

            def read_all() -> None:
                for table in tables:
                    frame = storage.read_table(paths, table)
                    record(table, None if frame is None else len(frame))
                instance_from_gold(paths, crews)  # the dispatcher's own path must not fail

        elif mode == "sql":
            from workloads.engine.attach import running_engine
            from workloads.engine.sql import run_query
            from workloads.errors import WindmillError
            from workloads.spark import connect_to_engine

            spark = connect_to_engine(running_engine(paths))
            qualified = [False]

            def read_all() -> None:
                qualified[0] = not qualified[0]
                for table in tables:
                    name = f"windmill.{table}" if qualified[0] else table
                    try:
                        _, rows = run_query(spark, paths, f"SELECT count(*) AS n FROM {name}")
                    except WindmillError as exc:
                        if "TABLE_OR_VIEW_NOT_FOUND" in str(exc):
                            record(table, None)
                            continue
                        raise
                    record(table, rows[0]["n"])

        else:
            raise SystemExit(f"unknown mode {mode}")

        while not stop.exists():
            try:
                read_all()
            except Exception as exc:  # a failed read is a finding, not a crash
                record("*", None, f"{type(exc).__name__}: {exc}"[:500])
                time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
