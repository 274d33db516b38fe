"""Local table storage: which files make up a table, published versions, and the one reader.

Locally the tables are plain Parquet folders, and the pipeline rewrites every materialized
view's folder in place on each update (emptied, then `_temporary`, then the new files).
Readers must never see that, so the storage gives every table a committed state:

- Streaming tables (bronze, silver, quarantine) have the file sink's commit log
  (`_spark_metadata`): a table is exactly the files the log lists (`committed_files`).
- Every other table (the pipeline's materialized views and the tables written outside the
  pipeline, such as `gold_dispatch_plan`) is read through a *published version*: an
  immutable folder `$WINDMILL_HOME/warehouse/_versions/<table>/v<N>/` and a pointer
  `_versions/<table>/current.json` that names it, its files and its row count. Publishing
  writes the pointer to a temporary name, fsyncs it and renames it over the old one, so a
  reader sees the previous version or the new one, never a half-written table. The engine
  publishes each view after a completed update by hard-linking the view's files into a new
  version folder (no copy; the next in-place rewrite unlinks the view's names, not ours).
  Before the first publish a table does not exist yet (None).
- Old versions are removed once no reader can still hold them: the newest `KEEP_VERSIONS`
  stay, and so does every version superseded less than `GRACE_S` seconds ago.

`read_table` is the one reader of committed files (pyarrow, no JVM): the dashboard, the
dispatcher and every later reader use it. Spark readers go through the catalog, which the
engine points at the same published versions (`spark_catalog.publish_in_catalog`).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from workloads.config import Paths
from workloads.names import PIPELINE_TABLES, STREAMING_TABLES, UPSTREAM

KEEP_VERSIONS = 3  # newest versions always kept
GRACE_S = 120.0  # a version superseded this recently may still be being read: keep it
POINTER = "current.json"
READ_ATTEMPTS = 3


@dataclass(frozen=True)
class Version:
    """One published, immutable version of a table."""

    table: str
    number: int
    folder: Path
    files: tuple[str, ...]  # relative to `folder`
    rows: int
    published_at: float  # epoch seconds

    def paths(self) -> list[Path]:
        return [self.folder / name for name in self.files]


# Committed files -------------------------------------------------------------------------------


def committed_files(table_dir: Path) -> set[str]:
    """Data files (file:// URIs) a streaming table's commit log lists: the table's real content.

    A batch killed mid-write can leave Parquet files in the folder that never
    committed; readers that list the folder themselves (pyarrow) should read only these.
    """
    return logged_paths(table_dir / "_spark_metadata")


def logged_paths(log_dir: Path) -> set[str]:
    """The paths a Spark file log lists (a file sink's `_spark_metadata`, a file source's
    `sources/0`): batch files `N`, compacted every few batches into `N.compact`."""
    if not log_dir.is_dir():
        return set()
    batches: dict[int, Path] = {}
    for entry in log_dir.iterdir():
        name = entry.name.removesuffix(".compact")
        if name.isdigit():
            batches[int(name)] = entry
    files: set[str] = set()
    compacts = [b for b, p in batches.items() if p.name.endswith(".compact")]
    start = max(compacts) if compacts else 0
    for batch in sorted(b for b in batches if b >= start):
        for line in batches[batch].read_text().splitlines()[1:]:  # first line is the version
            entry = json.loads(line)
            if entry.get("action", "add") == "add":
                files.add(entry["path"])
            else:
                files.discard(entry["path"])
    return files


def _visible(name: str) -> bool:
    return not name.startswith(("_", "."))


def data_files(folder: Path) -> list[Path]:
    """The visible data files under `folder` (Spark's bookkeeping `_*`/`.*` names skipped)."""
    if not folder.is_dir():
        return []
    files: list[Path] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        for entry in sorted(current.iterdir()):
            if not _visible(entry.name):
                continue
            if entry.is_dir():
                stack.append(entry)
            elif entry.suffix == ".parquet" or entry.name.startswith("part-"):
                files.append(entry)
    return sorted(files)


def parquet_rows(files: Iterable[str | Path]) -> int:
    """Rows in these Parquet files (from their footers); unreadable files count 0."""
    import pyarrow.parquet as pq

    total = 0
    for file in files:
        text = str(file)
        path = unquote(urlparse(text).path) if text.startswith("file:") else text
        try:
            total += pq.read_metadata(path).num_rows
        except (OSError, ValueError):
            continue
    return total


# Published versions ----------------------------------------------------------------------------


def versions_dir(paths: Paths, table: str) -> Path:
    return paths.versions / table


def _numbers(folder: Path) -> list[int]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(int(n[1:]) for n in names if n.startswith("v") and n[1:].isdigit())


def _version_name(number: int) -> str:
    return f"v{number:06d}"


def new_version_folder(paths: Paths, table: str) -> Path:
    """Reserve an empty folder for the next version of `table` (for writers outside the
    pipeline: write the files there, then `publish` it)."""
    root = versions_dir(paths, table)
    root.mkdir(parents=True, exist_ok=True)
    while True:
        numbers = _numbers(root)
        folder = root / _version_name((numbers[-1] if numbers else 0) + 1)
        try:
            folder.mkdir()
            return folder
        except FileExistsError:  # another writer took that number first
            continue


def _link_tree(files: list[Path], source: Path, target: Path) -> None:
    for file in files:
        dest = target / file.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(file, dest)
        except OSError:  # another filesystem, or links not allowed: copy instead
            shutil.copy2(file, dest)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    try:  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def publish(paths: Paths, table: str, folder: Path, now: float | None = None) -> Version:
    """Make `folder`'s data files the committed content of `table`; returns the new Version.

    A folder already reserved with `new_version_folder` is published as it is; any other
    folder (the pipeline's table, rewritten in place) is hard-linked into a new version
    folder first. Old versions are pruned afterwards.
    """
    root = versions_dir(paths, table)
    folder = Path(folder)
    if folder.parent.resolve() == root.resolve() and folder.name.startswith("v"):
        target = folder
        files = data_files(target)
    else:
        source = data_files(folder)
        target = new_version_folder(paths, table)
        _link_tree(source, folder, target)
        files = data_files(target)
    version = Version(
        table=table,
        number=int(target.name[1:]),
        folder=target,
        files=tuple(str(f.relative_to(target)) for f in files),
        rows=parquet_rows(files),
        published_at=time.time() if now is None else now,
    )
    pointer = {
        "table": table,
        "version": version.number,
        "folder": target.name,
        "files": list(version.files),
        "rows": version.rows,
        "published_at": version.published_at,
    }
    _write_atomically(root / POINTER, json.dumps(pointer))
    prune(paths, table, now=version.published_at)
    return version


def current_version(paths: Paths, table: str) -> Version | None:
    """The published version readers see now, or None before the first publish."""
    root = versions_dir(paths, table)
    try:
        pointer = json.loads((root / POINTER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Version(
        table=table,
        number=int(pointer["version"]),
        folder=root / pointer["folder"],
        files=tuple(pointer["files"]),
        rows=int(pointer["rows"]),
        published_at=float(pointer["published_at"]),
    )


def prune(
    paths: Paths,
    table: str,
    *,
    keep: int = KEEP_VERSIONS,
    grace_s: float = GRACE_S,
    now: float | None = None,
) -> list[int]:
    """Remove versions no reader can still hold; returns the numbers removed.

    Kept: the newest `keep`, the current one, and every version whose successor was
    published less than `grace_s` ago (a reader may have resolved the pointer just before).
    """
    root = versions_dir(paths, table)
    numbers = _numbers(root)
    current = current_version(paths, table)
    now = time.time() if now is None else now
    removed = []
    for index, number in enumerate(numbers[:-keep] if keep else numbers):
        if current is not None and number >= current.number:
            continue
        successor = root / _version_name(numbers[index + 1])
        try:
            superseded_at = successor.stat().st_mtime
        except FileNotFoundError:
            superseded_at = now
        if now - superseded_at < grace_s:
            continue
        shutil.rmtree(root / _version_name(number), ignore_errors=True)
        removed.append(number)
    return removed


def remove_versions(paths: Paths, table: str) -> None:
    """Forget every published version of `table` (a full refresh, `windmill clean`)."""
    shutil.rmtree(versions_dir(paths, table), ignore_errors=True)


# The reader ------------------------------------------------------------------------------------


def table_files(
    paths: Paths, table: str, partitions: list[str] | None = None
) -> tuple[Path, list[Path]] | None:
    """(base folder, committed data files) of `table` now; None if it does not exist yet.

    `partitions` (e.g. `["reading_date=2026-01-05"]`) keeps only files under those folders.
    """
    if table in STREAMING_TABLES:
        base = paths.table(table)
        if not base.is_dir():
            return None
        committed = {Path(unquote(urlparse(uri).path)).resolve() for uri in committed_files(base)}
        files = [f for f in data_files(base) if f.resolve() in committed]
    else:
        version = current_version(paths, table)
        if version is None:
            return None
        base, files = version.folder, version.paths()
    if partitions is not None:
        wanted = set(partitions)
        files = [f for f in files if f.relative_to(base).parts[0] in wanted]
    return base, files


def partition_values(paths: Paths, table: str, column: str) -> list[str]:
    """Values of a Hive-style partition column present in the committed files, sorted."""
    found = table_files(paths, table)
    if found is None:
        return []
    base, files = found
    prefix = f"{column}="
    values = {
        f.relative_to(base).parts[0].removeprefix(prefix)
        for f in files
        if f.relative_to(base).parts[0].startswith(prefix)
    }
    return sorted(values)


def read_arrow(
    paths: Paths,
    table: str,
    columns: list[str] | None = None,
    filter_: Any = None,
    partitions: list[str] | None = None,
    attempts: int = READ_ATTEMPTS,
    retry_delay: float = 0.05,
):
    """The committed content of `table` as a pyarrow Table; None if it does not exist yet.

    A read resolves the committed files once and reads exactly those. Published versions
    are immutable, so a read fails only if its version was pruned under it (a reader
    slower than `GRACE_S`) or the files are damaged: it is retried from a fresh pointer,
    then the error (OSError or pyarrow's ArrowInvalid) propagates. Never returns a
    partial table.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    for attempt in range(1, attempts + 1):
        found = table_files(paths, table, partitions)
        if found is None:
            return None
        base, files = found
        if not files:  # nothing written yet (Spark writes a schema-only file for 0 rows)
            return None
        try:
            # Partition columns are added only when partitions were asked for (the trend).
            dataset = ds.dataset(
                [str(f) for f in files],
                format="parquet",
                partitioning=ds.partitioning(flavor="hive") if partitions is not None else None,
                partition_base_dir=str(base) if partitions is not None else None,
            )
            return dataset.to_table(columns=columns, filter=filter_)
        except (OSError, pa.ArrowInvalid):
            if attempt == attempts:
                raise
            time.sleep(retry_delay * attempt)
    return None


def read_table(
    paths: Paths,
    table: str,
    columns: list[str] | None = None,
    filter_: Any = None,
    partitions: list[str] | None = None,
    attempts: int = READ_ATTEMPTS,
    retry_delay: float = 0.05,
):
    """The committed content of `table` as pandas (timestamps in UTC); None if it does not
    exist yet; raises (see `read_arrow`) when a table that exists cannot be read."""
    arrow = read_arrow(paths, table, columns, filter_, partitions, attempts, retry_delay)
    return None if arrow is None else to_pandas(arrow)


def to_pandas(table):
    """pyarrow -> pandas with every timestamp column tz-aware UTC."""
    import pandas as pd

    frame = table.to_pandas()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            series = frame[column]
            frame[column] = (
                series.dt.tz_localize("UTC")
                if series.dt.tz is None
                else series.dt.tz_convert("UTC")
            )
    return frame


# The engine's side: metrics (the catalog side: workloads/spark_catalog.py) ----------------


def table_dirs(spark, database: str) -> dict[str, Path]:
    """Folder of each pipeline table in the engine's warehouse."""
    warehouse = spark.conf.get("spark.sql.warehouse.dir")
    root = Path(warehouse.removeprefix("file:"))
    return {name: root / f"{database}.db" / name for name in PIPELINE_TABLES}


def snapshot(dirs: Mapping[str, Path]) -> dict[str, set[str]]:
    """Committed files of each streaming table (to count what an update added)."""
    return {name: committed_files(dirs[name]) for name in STREAMING_TABLES}


def update_metrics(
    dirs: Mapping[str, Path],
    before: dict[str, set[str]],
    full_refresh: bool,
    published: Mapping[str, Version] | None = None,
    refreshed: Collection[str] | None = None,
) -> dict:
    """Rows written per table (and rows read by the streaming ones) by the update just run.

    A materialized view is rewritten whole: its rows are the published version's (whose
    number is recorded too), or its folder's when it was not published. `refreshed`: the
    tables the update ran (default all); the others wrote nothing (`"refreshed": False`).
    """
    published = published or {}
    after = snapshot(dirs)
    written: dict[str, int] = {}
    for name in STREAMING_TABLES:
        added = after[name] if full_refresh else after[name] - before.get(name, set())
        written[name] = parquet_rows(added)
    tables = {}
    for name in PIPELINE_TABLES:
        if refreshed and name not in refreshed:
            entry = {"rows_written": 0, "refreshed": False}
        elif name in published:
            entry: dict[str, Any] = {
                "rows_written": published[name].rows,
                "version": published[name].number,
            }
        else:
            rows = written.get(name)
            entry = {"rows_written": parquet_rows(data_files(dirs[name])) if rows is None else rows}
        if name in UPSTREAM:
            entry["rows_read"] = written[UPSTREAM[name]]
        tables[name] = entry
    return {"tables": tables}
