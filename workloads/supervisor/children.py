"""Child processes at the OS level: die with the supervisor, kill a group, copy output,
and say how a run ended (its exit and the last meaningful line of its log).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import sys
from pathlib import Path
from typing import IO


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def last_message(log_path: Path, offset: int, limit: int = 400) -> str:
    """The last meaningful line a run wrote to its log (the error, for a crash)."""
    try:
        with open(log_path, "rb") as handle:
            handle.seek(offset)
            tail = handle.read()[-64_000:]
    except OSError:
        return ""
    lines = [line.strip() for line in tail.decode(errors="replace").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    # A CLI error sentence, else the Python exception that ended the run (a Java stack
    # trace printed after it ends with "... 1 more", which says nothing), else the last line.
    for pattern in (_CLI_ERROR, _PYTHON_ERROR):
        for index in range(len(lines) - 1, -1, -1):
            if pattern.match(lines[index]):
                line = lines[index]
                cause = lines[index + 1] if index + 1 < len(lines) else ""
                if cause.startswith(": "):  # py4j puts the Java exception on the next line
                    line = f"{line} {cause[2:]}"
                return line[:limit]
    return lines[-1][:limit]


_CLI_ERROR = re.compile(r"^windmill [\w-]+: ")
_PYTHON_ERROR = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b(: |$)")


def die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the supervisor dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def tee(source: IO[bytes], log_handle: IO[bytes]) -> None:
    """Copy a child's output to its log and to our stderr, chunk by chunk (keeps \\r bars)."""
    try:
        while True:
            chunk = os.read(source.fileno(), 65536)
            if not chunk:
                break
            log_handle.write(chunk)
            log_handle.flush()
            try:
                sys.stderr.buffer.write(chunk)
                sys.stderr.flush()
            except (OSError, ValueError, AttributeError):
                pass
    finally:
        log_handle.close()
        source.close()
