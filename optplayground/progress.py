"""A progress line on the terminal for long headless work (`run` and the like). No Qt.

It writes to stderr, so stdout stays clean for tables and pipes, and only when stderr is a
terminal: logs and CI output get no control characters. Work that ends within `delay`
seconds shows nothing at all.

    with Progress(total=5000, label="race", unit="steps", quiet=args.quiet) as progress:
        for ... :
            progress.update(done)
"""
from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

WIDTH = 24  # characters of the bar


class Progress:
    def __init__(self, total: int, label: str, unit: str = "", *, quiet: bool = False,
                 stream: TextIO | None = None, delay: float = 2.0, interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic):
        self.total, self.label, self.unit = max(int(total), 0), label, unit
        self.stream = sys.stderr if stream is None else stream
        self.enabled = not quiet and _is_terminal(self.stream)
        self.delay, self.interval, self.clock = delay, interval, clock
        self.start = clock()
        self._drawn_at: float | None = None  # when the line was last written; None: not shown
        self._width = 0  # of the line on screen, to blank it out

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.start < self.delay:
            return
        if self._drawn_at is not None and now - self._drawn_at < self.interval:
            return
        self._write(self.line(done, now - self.start))
        self._drawn_at = now

    def line(self, done: int, elapsed: float) -> str:
        """`race [#########-------]  2,000/5,000 steps  40%  3 s, about 5 s left`"""
        fraction = min(done / self.total, 1.0) if self.total else 1.0
        filled = round(fraction * WIDTH)
        unit = f" {self.unit}" if self.unit else ""
        text = (f"{self.label} [{'#' * filled}{'-' * (WIDTH - filled)}] "
                f"{done:,}/{self.total:,}{unit}  {fraction:4.0%}  {_seconds(elapsed)}")
        if 0 < fraction < 1:
            text += f", about {_seconds(elapsed * (1 - fraction) / fraction)} left"
        return text

    def close(self) -> None:
        """Blank the line out: what follows (a summary table) starts on a clean line."""
        if self._drawn_at is not None:
            self._write("")
            self._drawn_at = None

    def _write(self, text: str) -> None:
        pad = " " * max(self._width - len(text), 0)
        self.stream.write(f"\r{text}{pad}" + ("\r" if not text else ""))
        self.stream.flush()
        self._width = len(text)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _seconds(value: float) -> str:
    value = round(value)
    return f"{value // 60}:{value % 60:02d} min" if value >= 60 else f"{value} s"
