"""Measurements of the real main window (offscreen): frame intervals, steps per second,
redraw time with a full history, time to the first frame.

Each measurement runs in a process of its own (`python -m optplayground.bench gui NAME`),
so a window, a heap or a collector state never leaks from one into the next. A frame is a
repaint the user would see: the paint events of the window's widgets that Qt delivers
together in one backing-store sync, timed when that sync has finished.
"""
from __future__ import annotations

import json
import time

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ..core.engine import Engine
from ..gui.frames import FRAME_PAINTED
from .core import MEASUREMENTS as CORE_MEASUREMENTS
from .core import feed, race, rss_bytes
from .swarm import MEASUREMENTS as SWARM_MEASUREMENTS


class FrameClock(QObject):
    """Watches a window's widgets for paint events; `frames` holds the perf_counter time at
    which each repaint (all paint events of one sync) had finished, `window_frames` when
    each of the main window's frames (the plots it redrew, each painted in a sync of its
    own) had, and `plot_paints` when each plot given to `time_plots` began a repaint."""

    def __init__(self, window: QWidget):
        super().__init__()
        self.window = window
        self.frames: list[float] = []
        self.window_frames: list[float] = []
        self.plot_paints: dict[str, list[float]] = {}
        self._plots: dict[int, str] = {}  # id of a plot's viewport -> its name
        self._pending = False
        self._watched: set[int] = set()
        self.watch()

    def time_plots(self, plots: dict[str, QWidget]) -> None:
        for name, plot in plots.items():
            self._plots[id(plot.viewport())] = name
            self.plot_paints[name] = []

    def watch(self) -> None:
        """Watch the window and every widget in it now (call again after panels change)."""
        # FRAME_PAINTED goes to the window's Frames (gui/frames.py), paints to its widgets
        for obj in [self.window, self.window.frames, *self.window.findChildren(QWidget)]:
            if id(obj) not in self._watched:
                self._watched.add(id(obj))
                obj.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            name = self._plots.get(id(watched))
            if name is not None:
                self.plot_paints[name].append(time.perf_counter())
            if not self._pending:
                self._pending = True  # the rest of this sync paints too: time it once over
                QTimer.singleShot(0, self._frame_done)
        elif event.type() == FRAME_PAINTED and watched is self.window.frames:
            self.window_frames.append(time.perf_counter())
        return False

    def _frame_done(self) -> None:
        self._pending = False
        self.frames.append(time.perf_counter())

    def wait_frame(self, timeout_s: float = 5.0) -> float:
        """Process events until a new frame has been painted; its time."""
        count = len(self.frames)
        deadline = time.perf_counter() + timeout_s
        while len(self.frames) == count and time.perf_counter() < deadline:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
        if len(self.frames) == count:
            raise RuntimeError("the window painted no frame")
        return self.frames[-1]


def spin(seconds: float) -> None:
    """Run the event loop for `seconds`."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def open_window(runs: int, steps: int, autoplay: bool):
    """The real window on a benchmark race, shown and settled as `run_app` does."""
    from ..gui.app import settle_heap
    from ..gui.headless import open_window as open_headless

    app, window = open_headless(race(runs, steps), autoplay=autoplay)
    clock = FrameClock(window)
    clock.wait_frame(30.0)
    settle_heap()
    return app, window, clock


def wait_race(window, steps: int = 20, timeout_s: float = 120.0) -> None:
    """Run the event loop until the race has made `steps` steps: the first optimizer step
    of a process imports torch._dynamo (seconds), which is start-up, not racing."""
    deadline = time.perf_counter() + timeout_s
    while window.live.step < steps and time.perf_counter() < deadline:
        spin(0.05)


def close(window) -> None:
    window.close()
    QApplication.processEvents()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


# ---------------------------------------------------------------- the measurements

def frames(seconds: float, runs: int = 8) -> dict:
    """Intervals between the window's frames while `runs` runs race at full speed, and
    between the repaints of the map and of each step plot."""
    app, window, clock = open_window(runs, 100_000_000, autoplay=True)
    clock.time_plots({"map": window.map, **{f"step{i}": p for i, p in enumerate(window.step_plots)}})
    wait_race(window)
    spin(1.0)  # caches warm up
    start_step, t0 = window.live.step, time.perf_counter()
    spin(seconds)
    steps = window.live.step - start_step
    close(window)

    def gaps(times: list[float]) -> list[float]:
        times = [t for t in times if t > t0]
        return [(b - a) * 1000 for a, b in zip(times, times[1:])]

    frame = gaps(clock.window_frames)
    step_plots = [g for name, times in clock.plot_paints.items() if name != "map"
                  for g in gaps(times)]
    return {"ui_frame_p50_ms": percentile(frame, 50), "ui_frame_p99_ms": percentile(frame, 99),
            "ui_frame_max_ms": max(frame, default=float("nan")), "ui_frames": len(frame),
            "ui_map_frame_p99_ms": percentile(gaps(clock.plot_paints["map"]), 99),
            "ui_step_plot_frame_p50_ms": percentile(step_plots, 50),
            "ui_step_plot_frame_p99_ms": percentile(step_plots, 99),
            "ui_steps_per_s": steps / seconds}


def rates(seconds: float, counts=(1, 4, 8, 16)) -> dict:
    """Steps per second per run in the window at full speed, for each number of runs."""
    out = {}
    for runs in counts:
        app, window, clock = open_window(runs, 100_000_000, autoplay=True)
        wait_race(window)
        spin(min(1.0, seconds))
        step0, t0 = window.live.step, time.perf_counter()
        spin(seconds)
        out[str(runs)] = (window.live.step - step0) / (time.perf_counter() - t0)
        close(window)
    return {"gui_steps_per_s": out}


def memory_and_redraw(runs: int, steps: int, repeats: int, real_steps: int = 2000) -> dict:
    """RSS growth per run-step while the window's LiveRuns takes `steps` steps of `runs`
    runs (the worker's data path), then the time to redraw every plot with that history."""
    import gc

    app, window, clock = open_window(runs, steps, autoplay=False)
    Engine(race(1, 2)).run_to_end()  # the first optimizer step imports torch._dynamo
    spin(0.3)
    gc.collect()
    before = rss_bytes()
    feed(window.live, window.generation, window.experiment, steps, real_steps)
    gc.collect()
    fed = rss_bytes()
    clock.watch()
    timings, prepare = [], []
    for _ in range(repeats):
        _forget_drawn(window)
        t0 = time.perf_counter()
        window.on_frame()
        prepare.append(time.perf_counter() - t0)
        timings.append(clock.wait_frame() - t0)
    drawn = rss_bytes()
    close(window)
    timings, prepare = timings[1:] or timings, prepare[1:] or prepare  # first: auto-range
    return {"bytes_per_run_step": (fed - before) / (runs * steps),
            "bytes_per_run_step_drawn": (drawn - before) / (runs * steps),
            "redraw_ms": percentile(timings, 50) * 1000,
            "redraw_max_ms": max(timings) * 1000,
            "redraw_prepare_ms": percentile(prepare, 50) * 1000,
            "history_steps": steps}


def _forget_drawn(window) -> None:
    """Make every plot draw all its data again at the next frame."""
    window.frames.invalidate()
    for view in (window.map, window.grid, *window.step_plots):
        for item in [view, *getattr(view, "maps", [])]:
            if hasattr(item, "_forget_drawn"):
                item._forget_drawn()


def first_frame() -> dict:
    """Open the app as a user does (`run_app`) and report when its first frame is painted;
    the parent started the clock when it launched this process."""
    from ..gui.app import make_app, run_app

    app = make_app()
    watcher = _FirstFrame()
    app.installEventFilter(watcher)
    run_app([])
    return {"first_frame_at": watcher.at}


class _FirstFrame(QObject):
    """App-wide filter: the first paint of a main window; records when that repaint ended
    (time.monotonic, comparable across processes) and closes the window."""

    def __init__(self):
        super().__init__()
        self.at = None
        self._seen = False

    def eventFilter(self, watched, event) -> bool:
        if (not self._seen and event.type() == QEvent.Type.Paint and isinstance(watched, QWidget)
                and watched.window().inherits("QMainWindow")):
            self._seen = True
            QTimer.singleShot(0, lambda: self._done(watched.window()))
        return False

    def _done(self, window) -> None:
        self.at = time.monotonic()
        # Printed now: a close while the first engine is still being built ends the
        # process with os._exit (app.leave), before first_frame() could return it.
        print(json.dumps({"first_frame_at": self.at}), flush=True)
        window.close()


MEASUREMENTS = {
    **CORE_MEASUREMENTS,  # --quick measures everything in one process
    "frames": lambda quick: frames(1.0 if quick else 10.0),
    "rates": lambda quick: rates(0.3 if quick else 3.0),
    "memory": lambda quick: (memory_and_redraw(8, 20_000, 3, real_steps=200) if quick
                             else memory_and_redraw(8, 1_000_000, 9)),
    "first-frame": lambda quick: first_frame(),
    **SWARM_MEASUREMENTS,  # (--quick: in this one process too)
}

