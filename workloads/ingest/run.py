"""`windmill ingest`'s work: exports in, registry and landing files out.

For each export: check its columns against the mapping, stream it in batches, regroup
the rows into chunks of exactly `chunk_rows` (so chunk boundaries, hence file names, do
not depend on the reader's block sizes), map each chunk to the contract (`convert`),
encode it as JSON lines (`jsonl`) and write it atomically (`landing`), skipping chunks a
previous run already wrote. The registry rows of the [assets] file are merged into the
turbine registry first, so the pipeline knows the turbines when the readings arrive.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from workloads.config import Paths, ensure_writable
from workloads.ingest import convert, jsonl, landing, readers
from workloads.ingest.mapping import Mapping

log = logging.getLogger("windmill.ingest")
CHUNK_ROWS = 100_000


@dataclass
class Summary:
    files: int = 0
    rows: int = 0
    chunks_written: int = 0
    chunks_skipped: int = 0
    registered: int = 0  # turbines in the assets file
    unregistered_rows: int = 0  # rows of turbines neither registered nor TURBINE_00001-like
    first_reading: datetime | None = None
    last_reading: datetime | None = None
    written: list[Path] = field(default_factory=list)

    def saw(self, table) -> None:
        import pyarrow.compute as pc

        bounds = pc.min_max(table.column("timestamp"))
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        if low is not None:
            self.first_reading = low if self.first_reading is None else min(self.first_reading, low)
            self.last_reading = high if self.last_reading is None else max(self.last_reading, high)


def _chunks(batches: Iterator[tuple[int, object]], rows: int) -> Iterator[tuple[int, object]]:
    """(index of the first row, table of exactly `rows` rows; the last may be shorter)."""
    import pyarrow as pa

    pending: list = []
    held = 0
    start = 0
    for _offset, batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= rows:
            table = pa.Table.from_batches(pending)
            yield start, table.slice(0, rows)
            rest = table.slice(rows)
            pending, held, start = rest.to_batches(), held - rows, start + rows
    if held:
        yield start, pa.Table.from_batches(pending)


def _unknown_rows(table, known: set[str]) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc

    from workloads.contract import TURBINE_ID_PATTERN

    turbines = table.column("turbine_id")
    registered = pc.is_in(turbines, value_set=pa.array(sorted(known), pa.string()))
    generated = pc.match_substring_regex(turbines, TURBINE_ID_PATTERN)
    ok = pc.or_(pc.fill_null(registered, False), pc.fill_null(generated, False))
    return int(pc.sum(pc.and_(pc.is_valid(turbines), pc.invert(ok))).as_py() or 0)


def ingest_file(
    path: Path,
    mapping: Mapping,
    target: Path,
    summary: Summary,
    positions: dict[str, tuple[float, float]],
    known: set[str],
    chunk_rows: int = CHUNK_ROWS,
    show_progress: bool = True,
    ingested_at: datetime | None = None,
) -> None:
    from tqdm import tqdm

    progress, batches = readers.open_export(path, mapping, convert.numeric_source_columns(mapping))
    digest = landing.export_digest(path)
    existing = {entry.name for entry in target.iterdir()}
    stamp = ingested_at or datetime.now(UTC)
    with tqdm(
        total=progress.total,
        unit=progress.unit,
        unit_scale=True,
        desc=path.name[:30],
        file=sys.stderr,
        mininterval=1.0,
        disable=not show_progress,
    ) as bar:
        for index, (first_row, table) in enumerate(_chunks(batches(), chunk_rows)):
            chunk = convert.Chunk(path, mapping.format, first_row, f"{digest}-{index:06d}", stamp)
            rows = convert.to_contract(table, mapping, chunk, positions)
            summary.rows += rows.num_rows
            summary.saw(rows)
            summary.unregistered_rows += _unknown_rows(rows, known)
            name = landing.chunk_name(path, digest, index)
            if name in existing:
                summary.chunks_skipped += 1
            else:
                data = jsonl.encode(rows, convert.landing_metadata(chunk))
                summary.written.append(landing.write_chunk(target, name, data))
                summary.chunks_written += 1
            bar.update(progress.done - bar.n)
    summary.files += 1


def ingest(
    files: list[Path],
    mapping: Mapping,
    target: Path,
    paths: Paths,
    *,
    chunk_rows: int = CHUNK_ROWS,
    show_progress: bool = True,
    registry_table: str | None = None,
    spark=None,
    ingested_at: datetime | None = None,
) -> Summary:
    """Ingest `files` into the landing folder `target`; the registry first (see module doc)."""
    from workloads import registry
    from workloads.generator.writer import _fsync_dir, clean_stale_temporaries
    from workloads.ingest import assets

    ensure_writable(target, "the landing folder")
    clean_stale_temporaries(target)
    summary = Summary()
    positions: dict[str, tuple[float, float]] = {}
    known: set[str] = set()
    if mapping.assets is not None:
        rows = assets.registry_rows(mapping.assets)
        if registry_table:
            registry.write_table(spark, rows, registry_table)
        else:
            registry.write_local(paths, rows)
        summary.registered = len(rows)
        positions = {
            r.turbine_id: (r.latitude, r.longitude)
            for r in rows.itertuples()
            if r.latitude == r.latitude and r.longitude == r.longitude  # not NaN
        }
    current = None if registry_table else registry.read(paths)
    known = set(current["turbine_id"]) if current is not None else set(positions)
    for path in files:
        ingest_file(
            Path(path),
            mapping,
            target,
            summary,
            positions,
            known,
            chunk_rows,
            show_progress,
            ingested_at,
        )
    _fsync_dir(target)
    return summary
