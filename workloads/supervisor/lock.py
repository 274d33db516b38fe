"""One `windmill up` per `$WINDMILL_HOME`.

An exclusive `flock` on `run/supervisor.lock`, held for the supervisor's life. The
kernel drops it when the process dies, even on kill -9, so a crash never leaves a
stale lock behind; the file also records the holder's pid for the refusal message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from workloads.config import Paths, ensure_writable
from workloads.errors import WindmillError


def lock_file(paths: Paths) -> Path:
    return paths.supervisor_lock


def holder_pid(paths: Paths) -> int | None:
    """Pid written by the supervisor that holds (or last held) the lock."""
    try:
        return int(lock_file(paths).read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None


def is_locked(paths: Paths) -> bool:
    """Whether a live `windmill up` holds this home (without taking the lock)."""
    path = lock_file(paths)
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a shared lock we may have taken
    return False


class SupervisorLock:
    """Context manager: hold the home's supervisor lock or refuse with one clear sentence."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self._fd: int | None = None

    def acquire(self) -> None:
        ensure_writable(self.paths.run)
        path = lock_file(self.paths)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid = holder_pid(self.paths)
            who = f"pid {pid}" if pid else "another process"
            raise WindmillError(
                f"windmill up is already running on {self.paths.home} ({who}); "
                f"stop it first (Ctrl-C in its terminal or `kill {pid or '<pid>'}`) "
                "or set WINDMILL_HOME to another folder."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # the pid stays in the file; only the lock matters
            self._fd = None

    def __enter__(self) -> SupervisorLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
