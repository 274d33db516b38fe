"""Atomic batch files in the landing folder.

A job's batches are written by Spark under a hidden temporary name in the landing
folder itself (Spark's file sources skip names starting with "." or "_"): each part
file is one batch (or, for a job of one batch, the parts are joined into one hidden
file), flushed to disk, and renamed to its final name in one `os.replace`. A reader sees either the whole batch or nothing, and a killed
generator leaves only hidden temporary files, which the next start removes.
A streaming batch is written the same way from its Arrow text (`write_lines`), by the
generator's process itself.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from workloads.errors import WindmillError

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
BATCH_PREFIX = "batch-"
BATCH_SUFFIX = ".jsonl"
_TEMP_PID = re.compile(r"^\.tmp-(\d+)-")


def batch_file_name(first_reading: datetime, batch_id: str) -> str:
    """`batch-<UTC time of the first reading>-<batch_id>.jsonl`: names sort by time."""
    return f"{BATCH_PREFIX}{first_reading:%Y%m%dT%H%M%S}Z-{batch_id}{BATCH_SUFFIX}"


def _pid_alive(pid: int) -> bool:
    import psutil

    return pid == os.getpid() or psutil.pid_exists(pid)


def clean_stale_temporaries(landing: Path) -> int:
    """Remove temporary files and folders left by generators that are no longer running."""
    removed = 0
    if not landing.is_dir():
        return 0
    for entry in landing.iterdir():
        match = _TEMP_PID.match(entry.name)
        if not match or _pid_alive(int(match.group(1))):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("removed %d stale temporary file(s) from %s", removed, landing)
    return removed


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return "No space left on device" in str(exc)


def landing_error(landing: Path, exc: BaseException) -> WindmillError:
    """One clear sentence for a failed write to the landing folder."""
    if _disk_full(exc):
        return WindmillError(
            f"The disk holding the landing folder {landing} is full; free some space "
            "or point --landing at another disk."
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return WindmillError(
        f"Cannot write batch files to the landing folder {landing} ({reason}); "
        "make it writable or choose another with --landing."
    )


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some file systems (e.g. FUSE mounts) do not open folders
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_probe(folder: Path) -> OSError | None:
    """The error writing a small file into `folder` raises, or None if it is writable."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=TEMP_PREFIX + "probe-"):
            pass
    except OSError as exc:
        return exc
    return None


def _publish(parts: list[Path], finals: list[Path], landing: Path) -> None:
    """Flush each finished temporary to disk, then rename it to its final name, in order."""
    for part in parts:
        with open(part, "rb+") as out:
            os.fsync(out.fileno())
    for part, final in zip(parts, finals, strict=True):
        os.replace(part, final)  # same folder tree: a rename, no copy
    _fsync_dir(landing)


def write_lines(lines, landing: Path, final_name: str) -> Path:
    """Write an Arrow string array of JSON lines (each ending in a newline) as one file,
    atomically, straight from its buffer (the streaming generator: no Spark job).

    Returns the final path. Raises WindmillError if the folder is unwritable or full.
    """
    import numpy as np
    import pyarrow as pa

    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    data = b""
    if len(lines):
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
        first, last = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
        data = memoryview(lines.buffers()[2])[first:last]
    stem = final_name.removesuffix(BATCH_SUFFIX)
    temp_file = landing / f"{TEMP_PREFIX}{os.getpid()}-{stem}{BATCH_SUFFIX}"
    final = landing / final_name
    try:
        with open(temp_file, "wb") as out:
            out.write(data)
        _publish([temp_file], [final], landing)
    except OSError as exc:
        temp_file.unlink(missing_ok=True)
        raise landing_error(landing, exc) from None
    return final


def write_batch(lines, landing: Path, final_name: str) -> Path:
    """Write the single-column DataFrame `lines` as one JSON-lines file, atomically.

    Returns the final path. Raises WindmillError if the folder is unwritable or full.
    """
    return write_batches(lines, landing, [final_name])[0]


def write_batches(lines, landing: Path, final_names: list[str]) -> list[Path]:
    """Write the text DataFrame `lines` as len(final_names) files, each atomically.

    One Spark job: with one name, every part file joins into that file; with several,
    the DataFrame has one partition per name, in order, and part file i becomes file i.
    Files are published in order once the job has written all of them. Returns the
    final paths. Raises WindmillError if the folder is unwritable or full.
    """
    stem = final_names[0].removesuffix(BATCH_SUFFIX)
    temp_dir = landing / f"{TEMP_PREFIX}{os.getpid()}-{stem}.d"
    temp_file = landing / f"{TEMP_PREFIX}{os.getpid()}-{stem}{BATCH_SUFFIX}"
    finals = [landing / name for name in final_names]
    try:
        lines.write.mode("overwrite").text(str(temp_dir))
        parts = sorted(temp_dir.glob("part-*"))
        if len(finals) == 1 and len(parts) != 1:
            with open(temp_file, "wb") as out:
                for part in parts:
                    with open(part, "rb") as source:
                        shutil.copyfileobj(source, out, 4 * 1024 * 1024)
            parts = [temp_file]
        if len(parts) != len(finals):
            raise RuntimeError(f"expected {len(finals)} part files, Spark wrote {len(parts)}")
        _publish(parts, finals, landing)
    except Exception as exc:
        temp_file.unlink(missing_ok=True)
        if isinstance(exc, OSError) or _disk_full(exc) or "Permission denied" in str(exc):
            raise landing_error(landing, exc) from None
        # Spark reports a folder it cannot write to as a Java error; ask the folder itself.
        probe_error = _write_probe(landing)
        if probe_error is not None:
            raise landing_error(landing, probe_error) from None
        raise
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return finals
