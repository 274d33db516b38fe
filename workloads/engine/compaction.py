"""Small-file compaction for the local pipeline's streaming tables.

Each micro-batch of a streaming table (bronze, silver, quarantine, segments) adds a file
per task and partition folder, so a day of updates every few seconds leaves tens of
thousands of small files, and every reader lists and opens them all. Locally nothing
compacts them (Databricks' Delta does, with OPTIMIZE / auto-compaction), so the engine
calls `compact_tables` between updates.

How a table stays readable and exactly-once while its files are rewritten:

- A streaming table is exactly the files its file-sink log (`_spark_metadata`) lists, read
  from the newest `N.compact` file (Spark writes one every
  `spark.sql.streaming.fileSink.log.compactInterval` = 10 batches, listing every file so
  far) plus the batches after it. Spark 4's sink log has no "delete" entries, so the one
  way to take files out is to rewrite that `N.compact` file. We rewrite only it, with one
  atomic rename: a reader (Spark, or `storage.committed_files`) sees either the old
  listing or the new one, never both or neither. Batch numbers never change, so the
  stream's next batch is not mistaken for one "already committed".
- Only files the newest `N.compact` lists are compacted, and only once every streaming
  table that reads this one (silver and quarantine read bronze, segments read silver) has
  consumed them: their checkpoints' source logs list the file. A killed update that
  committed bronze but not silver therefore loses nothing.
- The merged file is listed with modificationTime 0. A downstream file stream ignores
  files older than its newest seen file minus `maxFileAge` (7 days), so it never reads
  the merged rows a second time; a stream started from nothing (a full refresh resets
  every table together) reads everything, merged files included.
- The replaced small files are not deleted at once: a reader may have listed them just
  before the rename. They are recorded as retired (before the rename, so a crash cannot
  leak them) and deleted by a later run once `GRACE_S` has passed and the log no longer
  lists them. A crash at any moment leaves the old listing or the new one; the next run
  removes half-written or unlisted merged files (never listed, so never read).
- Merged files are written with pyarrow in Spark's own physical layout (INT96 timestamps
  when the inputs have them, Spark's schema metadata), into the same partition folder.

Precondition: no update is running on the table (the engine calls this between updates;
a lock file keeps two compactions apart).

Bound: after a run, each partition folder holds its merged files (each at least
`SMALL_BYTES`, except at most one smaller one) plus the files of the batches written since
the newest `N.compact` (at most compactInterval - 1 = 9 batches, 2 files each with 2
shuffle partitions). See `file_bound`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from workloads import storage
from workloads.config import PIPELINE_DATABASE, Paths
from workloads.names import STREAMING_TABLES, UPSTREAM

log = logging.getLogger(__name__)

TARGET_BYTES = 128 * 1024 * 1024  # a merged file's size goal (Parquet row groups stay 1M rows)
SMALL_BYTES = TARGET_BYTES // 2  # files below this are merged; bigger ones are left alone
ROW_GROUP_BYTES = 64 * 1024 * 1024  # rows held in memory before a row group is written
MIN_FILES = 8  # a folder is compacted once its newest listing holds this many small files
GRACE_S = storage.GRACE_S  # a retired file may still be being read this long
SINK_LOG_INTERVAL = 10  # spark.sql.streaming.fileSink.log.compactInterval (Spark's default)
MERGED_PREFIX = "part-compacted-"
STATE_DIR = "_windmill_compaction"  # hidden from Spark and from storage.data_files
RETIRED = "retired.json"


@dataclass
class CompactionResult:
    """What one run did to one table."""

    table: str
    files_before: int = 0  # committed data files before the run
    files_after: int = 0
    merged: int = 0  # small files replaced
    written: int = 0  # merged files written
    deleted: int = 0  # retired or orphan files removed from disk
    reason: str = ""  # why nothing was merged, when nothing was
    folders: dict[str, int] = field(default_factory=dict)  # files per folder after the run


def file_bound(partition_folders: int, bytes_per_folder: int, files_per_batch: int = 2) -> int:
    """The most committed files a table holds right after a run (see the module docstring)."""
    merged_per_folder = bytes_per_folder // SMALL_BYTES + 1 + MIN_FILES - 1
    return partition_folders * merged_per_folder + (SINK_LOG_INTERVAL - 1) * files_per_batch


def compact_tables(
    paths: Paths, dirs: Mapping[str, Path] | None = None, **options
) -> list[CompactionResult]:
    """`compact_table` for each streaming table (folders `dirs`, default `paths.table`);
    a failure on one is logged, not raised: its old listing is intact."""
    results = []
    for table in STREAMING_TABLES:
        try:
            folder = dirs[table] if dirs is not None else None
            results.append(compact_table(paths, table, folder, **options))
        except Exception as exc:  # the old listing is intact; the next run tries again
            log.warning("compaction of %s failed: %s", table, exc)
    return results


def compact_table(
    paths: Paths,
    table: str,
    table_dir: Path | None = None,
    *,
    database: str = PIPELINE_DATABASE,
    target_bytes: int = TARGET_BYTES,
    small_bytes: int | None = None,
    min_files: int = MIN_FILES,
    grace_s: float = GRACE_S,
    now: float | None = None,
    on_step: Callable[[str], None] | None = None,
) -> CompactionResult:
    """Merge the small files of one streaming table's newest listing; see the module doc.

    `table_dir` is the table's folder (default `paths.table(table)`); `database` names the
    pipeline database whose checkpoints (under `paths.pipeline_storage`) say what the
    table's streaming readers consumed. `on_step(name)` is called after each step that
    changes files (crash tests kill the process at a chosen one).
    """
    small_bytes = target_bytes // 2 if small_bytes is None else small_bytes
    step = on_step or (lambda name: None)
    base = Path(table_dir) if table_dir is not None else paths.table(table)
    result = CompactionResult(table)
    if not (base / "_spark_metadata").is_dir():
        result.reason = "no commit log yet"
        return result
    state = base / STATE_DIR
    state.mkdir(exist_ok=True)
    with open(state / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        committed = _local(storage.committed_files(base))
        result.files_before = len(committed)
        result.deleted = _clean(base, committed, grace_s, time.time() if now is None else now)
        listing = _newest_compact(base / "_spark_metadata")
        if listing is None:
            result.reason = "no compacted log batch yet"
        else:
            consumed = _consumed_by_readers(paths, database, table)
            _merge(base, listing, consumed, target_bytes, small_bytes, min_files, step, result)
        final = _local(storage.committed_files(base))
        result.files_after = len(final)
        for file in final:
            folder = str(file.parent.relative_to(base)) if file.parent != base else "."
            result.folders[folder] = result.folders.get(folder, 0) + 1
    log.info(
        "compacted %s: %d -> %d files (%d merged into %d, %d deleted)%s",
        table,
        result.files_before,
        result.files_after,
        result.merged,
        result.written,
        result.deleted,
        f"; {result.reason}" if result.reason else "",
    )
    return result


# Steps -----------------------------------------------------------------------------------------


def _merge(base, listing, consumed, target_bytes, small_bytes, min_files, step, result):
    lines = listing.read_text(encoding="utf-8").splitlines()
    header, entries = lines[0], [json.loads(line) for line in lines[1:] if line.strip()]
    if consumed is None:
        result.reason = "a stream reading this table has not started yet"
        return
    folders: dict[Path, list[dict]] = {}
    for entry in entries:
        file = _path(entry["path"])
        # A merged file's rows came from consumed files (and readers skip it, see above).
        read = consumed is True or file in consumed or file.name.startswith(MERGED_PREFIX)
        if entry.get("size", 0) < small_bytes and file.exists() and read:
            folders.setdefault(file.parent, []).append(entry)
    bins = [
        b
        for group in folders.values()
        if len(group) >= min_files
        for b in _pack(group, target_bytes)
    ]
    if not bins:
        result.reason = "no folder with enough small files"
        return
    replaced: dict[str, dict] = {}  # input uri -> the merged file's entry
    for group in bins:
        merged = _write_merged(group)
        for entry in group:
            replaced[entry["path"]] = merged
        step("merged file written")
    _retire(base, [_path(uri) for uri in replaced])
    step("replaced files retired")
    kept = [e for e in entries if e["path"] not in replaced]
    added = list({id(m): m for m in replaced.values()}.values())
    text = "\n".join([header, *(json.dumps(e, separators=(",", ":")) for e in kept + added)])
    _replace_listing(listing, text)
    step("listing replaced")
    result.merged, result.written = len(replaced), len(added)


def _pack(group: list[dict], target_bytes: int) -> list[list[dict]]:
    """Small files of one folder in path order, cut into bins of about `target_bytes`."""
    bins: list[list[dict]] = [[]]
    size = 0
    for entry in sorted(group, key=lambda e: e["path"]):
        if bins[-1] and size + entry["size"] > target_bytes:
            bins.append([])
            size = 0
        bins[-1].append(entry)
        size += entry["size"]
    return [b for b in bins if len(b) > 1]


def _write_merged(group: list[dict]) -> dict:
    """One Parquet file with every row of `group`, in Spark's layout; its sink-log entry."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = [_path(e["path"]) for e in group]
    first = pq.ParquetFile(files[0])
    int96 = any(first.schema.column(i).physical_type == "INT96" for i in range(len(first.schema)))
    metadata = first.schema_arrow.metadata  # Spark's schema JSON and version
    name = f"{MERGED_PREFIX}{uuid.uuid4()}.snappy.parquet"
    tmp = files[0].parent / f".{name}.tmp"
    written, pending, writer = 0, [], None
    # One input at a time (bronze's raw text inflates several times in memory); rows are
    # written a row group of about ROW_GROUP_BYTES at a time.
    try:
        for file in files:
            pending.append(pq.read_table(file, coerce_int96_timestamp_unit="us"))
            if sum(t.nbytes for t in pending) >= ROW_GROUP_BYTES or file == files[-1]:
                batch = pa.concat_tables(pending, promote_options="none")
                batch = batch.replace_schema_metadata(metadata)
                if writer is None:
                    writer = pq.ParquetWriter(
                        tmp,
                        batch.schema,
                        compression="snappy",
                        use_deprecated_int96_timestamps=int96,
                    )
                writer.write_table(batch)
                written, pending = written + batch.num_rows, []
    finally:
        if writer is not None:
            writer.close()
    expected = sum(pq.read_metadata(f).num_rows for f in files)
    if written != expected or pq.read_metadata(tmp).num_rows != expected:
        tmp.unlink()
        raise RuntimeError(f"merged {written} rows, the inputs hold {expected}")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    final = tmp.with_name(name)
    os.replace(tmp, final)
    uri = group[0]["path"].rsplit("/", 1)[0] + "/" + name  # Spark's own encoding of the folder
    return {
        **group[0],
        "path": uri,
        "size": final.stat().st_size,
        "modificationTime": 0,  # older than maxFileAge: downstream streams skip it
        "action": "add",
    }


def _replace_listing(listing: Path, text: str) -> None:
    """Atomically replace a sink-log file. Its checksum goes first: Hadoop verifies a `.crc`
    when one exists, and a missing one just skips the check (a crash in between is safe)."""
    with contextlib.suppress(FileNotFoundError):
        (listing.parent / f".{listing.name}.crc").unlink()
    storage._write_atomically(listing, text)


def _retire(base: Path, files: list[Path]) -> None:
    retired = _read_retired(base)
    stamp = time.time()
    for file in files:
        retired.setdefault(str(file), stamp)
    storage._write_atomically(base / STATE_DIR / RETIRED, json.dumps(retired))


def _clean(base: Path, committed: set[Path], grace_s: float, now: float) -> int:
    """Delete retired files past their grace, merged files never listed, and temporaries."""
    deleted = 0
    retired = _read_retired(base)
    keep = {}
    for name, stamp in retired.items():
        file = Path(name)
        if file in committed:  # the listing was never replaced (a crash): still the table's
            continue
        if now - stamp < grace_s:
            keep[name] = stamp
            continue
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
            deleted += 1
    for file in _walk(base):
        orphan = file.name.startswith(MERGED_PREFIX) and file not in committed
        if orphan or (file.name.startswith(f".{MERGED_PREFIX}") and file.name.endswith(".tmp")):
            file.unlink()
            deleted += 1
    if keep != retired:
        storage._write_atomically(base / STATE_DIR / RETIRED, json.dumps(keep))
    return deleted


# Reading the engine's bookkeeping --------------------------------------------------------------


def _newest_compact(log_dir: Path) -> Path | None:
    numbers = [int(p.name.removesuffix(".compact")) for p in log_dir.glob("[0-9]*.compact")]
    return log_dir / f"{max(numbers)}.compact" if numbers else None


def _consumed_by_readers(paths: Paths, database: str, table: str) -> set[Path] | bool | None:
    """Files every streaming reader of `table` has consumed (True: it has none; None: one
    has no checkpoint yet). A reader's checkpoint is
    `_checkpoints/<catalog>/<db>/<reader>/<flow>/<n>/sources/<i>/`, the newest `<n>` used."""
    readers = [t for t, upstream in UPSTREAM.items() if upstream == table]
    if not readers:
        return True
    root = paths.pipeline_storage / "_checkpoints"
    consumed: set[Path] | None = None
    for reader in readers:
        seen: set[Path] = set()
        flows = [d for d in root.glob(f"*/{database}/{reader}/*") if d.is_dir()]
        for flow in flows:
            runs = [d for d in flow.iterdir() if d.name.isdigit() and (d / "sources").is_dir()]
            if not runs:
                continue
            run = max(runs, key=lambda d: int(d.name))
            for source_log in (run / "sources").iterdir():
                for entry in source_log.iterdir():
                    if entry.name.removesuffix(".compact").isdigit():
                        seen |= _source_paths(entry)
        if not seen:
            return None
        consumed = seen if consumed is None else consumed & seen
    return consumed


def _source_paths(log_file: Path) -> set[Path]:
    found = set()
    for line in log_file.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            found.add(_path(json.loads(line)["path"]))
    return found


def _read_retired(base: Path) -> dict[str, float]:
    try:
        return json.loads((base / STATE_DIR / RETIRED).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _walk(base: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(base):
        dirs[:] = [d for d in dirs if not d.startswith("_")]
        found += [Path(folder) / f for f in files]
    return found


def _path(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path)) if uri.startswith("file:") else Path(uri)


def _local(uris: Iterable[str]) -> set[Path]:
    return {_path(u) for u in uris}
