"""Landing files of `windmill ingest`: deterministic names, atomic writes, safe reruns.

A chunk of `chunk_rows` source rows is one JSON-lines file named after the export (its
file name and size) and the chunk's index: `ingest-<stem>-<digest>-<chunk>.jsonl`. It is
written under the generator's hidden temporary prefix (`.tmp-<pid>-`, skipped by the
pipeline's glob and cleaned by `writer.clean_stale_temporaries`), flushed, then renamed in
one `os.replace`, so the pipeline sees a whole chunk or nothing. A chunk whose file exists
already is not written again: a rerun (or a run resumed after Ctrl-C) adds no duplicates.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from workloads.generator.writer import TEMP_PREFIX, landing_error

PREFIX = "ingest-"
SUFFIX = ".jsonl"


def export_digest(path: Path) -> str:
    """Eight hex digits naming an export by its file name and size (stable across copies)."""
    key = f"{path.name}|{path.stat().st_size}"
    return hashlib.sha1(key.encode()).hexdigest()[:8]


def chunk_name(path: Path, digest: str, chunk: int) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem)[:40] or "export"
    return f"{PREFIX}{stem}-{digest}-{chunk:06d}{SUFFIX}"


def write_chunk(landing: Path, name: str, data) -> Path:
    """Write `data` (bytes-like) as `landing/name`, atomically; WindmillError if it cannot."""
    final = landing / name
    temp = landing / f"{TEMP_PREFIX}{os.getpid()}-{name}"
    try:
        with open(temp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, final)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise landing_error(landing, exc) from None
    return final
