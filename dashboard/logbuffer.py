"""Recent application log lines for `/api/logs`, with secrets removed."""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from datetime import UTC, datetime

LOGGER_NAME = "windmill.dashboard"

# Anything that looks like a credential is replaced before a line is stored.
_SECRET_PATTERNS = [
    re.compile(r"dapi[0-9a-f]{16,}[-0-9a-z]*", re.IGNORECASE),
    re.compile(r"(bearer\s+)[^\s'\"]+", re.IGNORECASE),
    re.compile(
        r"((?:token|password|secret|client_secret|authorization)[\"']?\s*[=:]\s*[\"']?)[^\s'\",}]+",
        re.IGNORECASE,
    ),
]


def redact(text: str) -> str:
    """`text` with tokens, passwords and bearer headers replaced by `***`."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


class LogBuffer(logging.Handler):
    """Keeps the last `capacity` log records as redacted dicts."""

    def __init__(self, capacity: int = 500) -> None:
        super().__init__(level=logging.INFO)
        self._lines: deque[dict[str, str]] = deque(maxlen=capacity)
        self._lock_lines = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = redact(record.getMessage())
        except Exception:  # a bad format string must not break logging
            message = redact(str(record.msg))
        line = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        with self._lock_lines:
            self._lines.append(line)

    def lines(self, limit: int = 200) -> list[dict[str, str]]:
        with self._lock_lines:
            items = list(self._lines)
        return items[-limit:][::-1]


_buffer: LogBuffer | None = None


def install(level: int = logging.INFO) -> LogBuffer:
    """Attach one process-wide buffer (idempotent) to the dashboard's logger."""
    global _buffer
    if _buffer is None:
        _buffer = LogBuffer()
        logger = logging.getLogger(LOGGER_NAME)
        logger.setLevel(level)
        logger.addHandler(_buffer)
    return _buffer


def logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)
