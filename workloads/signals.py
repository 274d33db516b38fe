"""Stop on a signal: the first asks for a stop after the current unit of work, the second stops now.

One helper for every long-running command (the generator, the pipeline, the supervisor).
SIGINT (Ctrl-C), SIGTERM (`kill`, the supervisor's stop) and SIGHUP (the terminal was
closed) all mean "stop": the first sets an event that the work loop checks between units
of work (a batch, an update); a second one raises KeyboardInterrupt, or calls `on_second`
when the caller has a better way to hurry (the supervisor kills its children at once).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

log = logging.getLogger("windmill")

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopOnSignal:
    """Context manager: while inside, SIGINT/SIGTERM/SIGHUP set `event` instead of interrupting.

    Handlers are installed only in the main thread (Python delivers signals there) and
    the previous handlers come back on exit.
    """

    def __init__(
        self,
        event: threading.Event | None = None,
        *,
        unit: str = "the current unit of work",
        on_second: Callable[[], None] | None = None,
    ) -> None:
        self.event = event if event is not None else threading.Event()
        self.unit = unit
        self.on_second = on_second
        self.signals: list[str] = []  # names of the signals received, in order
        self._previous: dict[int, Any] = {}

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signals.append(signal.Signals(signum).name)
        if self.event.is_set():  # the second signal: stop now
            if self.on_second is not None:
                self.on_second()
                return
            raise KeyboardInterrupt
        log.info("%s received: stopping after %s (again to stop now)", self.signals[-1], self.unit)
        self.event.set()

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
