"""Peak resident memory of a process and its children, sampled in a thread."""

from __future__ import annotations

import contextlib
import threading


class PeakMemory(threading.Thread):
    """Samples the RSS of process `pid` (default this one) with all its children every
    `every` seconds until `stop()`; `peak` holds the largest sum, in bytes."""

    def __init__(self, pid: int | None = None, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        import psutil

        root = psutil.Process(self.pid)
        while not self._done.is_set():
            total = 0
            with contextlib.suppress(psutil.Error):  # the root ended
                for proc in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):  # ended while being listed
                        total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self._done.wait(self.every)

    def stop(self) -> int:
        """Stop sampling; returns the peak."""
        self._done.set()
        self.join()
        return self.peak
