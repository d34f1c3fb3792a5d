"""While the window draws a frame, a thread of this process that shares the GIL (the CSV
export) stays off it: `hold`/`release` mark the frame, `wait` keeps the other thread out.

A hold lapses after HOLD_S, so a frame that never paints cannot stall the export. The race
steps in a child process (core/remote.py) and never waits here.
"""
from __future__ import annotations

import threading
import time


class FrameHold:
    HOLD_S = 0.1

    def __init__(self):
        self._open = threading.Event()
        self._open.set()
        self._until = 0.0

    def hold(self) -> None:
        self._until = time.perf_counter() + self.HOLD_S
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    @property
    def held(self) -> bool:
        return not self._open.is_set()

    def wait(self) -> None:
        """Return once the window is not drawing (or its hold lapsed)."""
        remaining = self._until - time.perf_counter()
        if remaining > 0 and not self._open.is_set():
            self._open.wait(remaining)
