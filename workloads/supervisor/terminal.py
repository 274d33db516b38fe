"""The supervisor's terminal: written to while it is there, never a reason to crash.

`windmill up` often runs with its output in a pipe (`make run 2>&1 | tee run.log`,
`| head`) or in a terminal window that can be closed. When the reader goes away a
write fails (EPIPE, or EIO for a closed terminal); unguarded, that exception would
end the supervisor at its next line of output and take every component down without
a clean stop. Everything the supervisor says goes to its log file first; the terminal
gets a copy only while it can take one. After the first failed write a stream goes
quiet for good, and its descriptor is pointed at /dev/null so that the interpreter's
last flush at exit cannot fail either.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import IO, Any


class _Quiet:
    """What a stream's descriptor is pointed at once it failed (shared by text and bytes)."""

    def __init__(self) -> None:
        self.gone = False

    def silence(self, stream: IO[Any]) -> None:
        self.gone = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, stream.fileno())
            finally:
                os.close(devnull)


class SafeStream:
    """A text or binary stream whose writes never raise; quiet once the other end is gone."""

    def __init__(self, stream: IO[Any], quiet: _Quiet | None = None) -> None:
        self._stream = stream
        self._quiet = quiet or _Quiet()

    @property
    def gone(self) -> bool:
        return self._quiet.gone

    def write(self, data: Any) -> int:
        if not self._quiet.gone:
            try:
                self._stream.write(data)
                self._stream.flush()
            except (OSError, ValueError):
                self._quiet.silence(self._stream)
        return len(data)

    def flush(self) -> None:
        if not self._quiet.gone:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._quiet.silence(self._stream)

    @property
    def buffer(self) -> SafeStream:
        return SafeStream(self._stream.buffer, self._quiet)

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding ...
        return getattr(self._stream, name)


def guard_terminal() -> None:
    """Make this process's stdout and stderr (and the log handlers on them) safe to write."""
    for name in ("stdout", "stderr"):
        current = getattr(sys, name)
        if current is None or isinstance(current, SafeStream):
            continue
        safe = SafeStream(current)
        setattr(sys, name, safe)
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is current:
                handler.setStream(safe)
