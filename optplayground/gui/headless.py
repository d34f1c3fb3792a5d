"""The window without a user: build it, race an experiment to its end, capture it.

One place for `optplayground shot` (the window as a PNG), `optplayground run --png/--svg`
(every plot as PNG and SVG) and the bench (the window on a benchmark race). The window is
the real one, so a picture from the command line is what a user sees.
"""
from __future__ import annotations

import os
import time
from typing import Callable, Iterator

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ..core.experiment import Experiment
from ..core.params import ConfigError
from . import export, theme
from .app import make_app
from .dataset_area import BATCHNORM_TAB, FIT_TAB, SURFACE_TAB
from .main_window import MainWindow


# ---------------------------------------------------------------- build and race

def open_window(experiment: Experiment, size: tuple[int, int] | None = None,
                autoplay: bool = True, look: str = "dark") -> tuple[QApplication, MainWindow]:
    """The application and a shown main window on `experiment` (no settings are read or
    written: a user's saved window is not touched), in theme `look` ("dark" or "light"),
    whatever the desktop's: a picture from the command line is the same on every machine."""
    app = make_app()
    theme.apply(theme.THEMES[look])
    window = MainWindow(experiment, settings=None, autoplay=autoplay)
    if size is not None:
        window.resize(*size)
    window.show()
    return app, window


def race_over(window: MainWindow) -> bool:
    """The current race reached its last step, or every run stopped before it."""
    live = window.live
    finished = live.step >= window.experiment.steps
    stopped = len(live) > 0 and all(live.run(i).status != "running" for i in range(len(live)))
    return live.generation == window.generation and (finished or stopped)


def wait_until(condition: Callable[[], bool], timeout_s: float,
               what: str = "the race did not finish") -> None:
    """Run the event loop until `condition()` holds; ConfigError if it does not in time."""
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if condition() else None)
    timer.start(20)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(timeout_s * 1000))
    if not condition():
        loop.exec()
    timer.stop()
    deadline.stop()
    if not condition():
        raise ConfigError("shot", f"{what} within {timeout_s:.0f} s")


def race_to_end(app: QApplication, window: MainWindow, timeout_s: float) -> None:
    """Wait for the race's end, then draw its last rows."""
    wait_until(lambda: race_over(window), timeout_s)
    window.on_frame()
    app.processEvents()


def close(app: QApplication, window: MainWindow) -> None:
    window.close()
    app.processEvents()


# ---------------------------------------------------------------- capture

def take_screenshot(experiment: Experiment, out: str, size: tuple[int, int],
                    timeout_s: float = 300.0, then=None, look: str = "dark") -> float:
    """`optplayground shot`: race the experiment to its end in the window and save the
    window as PNG. Returns the seconds from opening the window to its first painted frame.
    `then(app, window)`, if given, runs after the race and before the capture (a preset's
    swarm view, say). `look`: the theme, "dark" or "light"."""
    opened = time.perf_counter()
    app, window = open_window(experiment, size, look=look)
    app.processEvents()
    first_frame = time.perf_counter() - opened
    try:
        race_to_end(app, window, timeout_s)
        if then is not None:
            then(app, window)
        export.save_png(window.grab(), out)
    finally:
        close(app, window)
    return first_frame


def export_race(experiment: Experiment, png: str | None = None, svg: str | None = None,
                scale: int = 1, size: tuple[int, int] = (1600, 1000),
                timeout_s: float = 3600.0, look: str = "dark") -> list[str]:
    """`optplayground run --png/--svg [--scale]`: race the experiment in the real window,
    offscreen, then write the dashboard as `png` and every plot beside it as PNG (at
    `scale`) and beside `svg` as SVG: OUT-map, OUT-loss, OUT-lr, OUT-grad, and in a dataset
    race OUT-metrics, OUT-accuracy and each other view that applies (see `every_plot`).
    Returns the paths written: the dashboard, the SVGs, then the plots' PNGs. `look`: the
    theme, "dark" or "light"."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # never flash a window
    app, window = open_window(experiment, size, look=look)
    dashboard, svgs, pngs = [], [], []
    try:
        race_to_end(app, window, timeout_s)
        if png:
            widget, rect = window.dashboard()
            export.save_plot_png(widget, png, scale, rect)
            dashboard.append(png)
        for name, widget in every_plot(window):
            if svg:
                svgs.append(export.per_plot_paths(svg, [name])[name])
                export.save_plot_svg(widget, svgs[-1])
            if png:
                pngs.append(export.per_plot_paths(png, [name], ".png")[name])
                export.save_plot_png(widget, pngs[-1], scale)
    finally:
        close(app, window)
    return dashboard + svgs + pngs


def every_plot(window: MainWindow) -> Iterator[tuple[str, QWidget]]:
    """(name, plot) of every plot the window has: its `plot_widgets()` (the map: the
    dataset view in front), then in a dataset race each other view that applies, under
    its own name (OUT-surface: the (w, b) loss surface, OUT-batchnorm), brought in front
    in turn (a tab behind is neither laid out nor painted) and put back after."""
    yield from window.plot_widgets().items()
    area = window.dataset_area
    if not window.experiment.problem.is_dataset:
        return
    front = area.currentIndex()
    try:
        for tab, name in ((FIT_TAB, "fit"), (SURFACE_TAB, "surface"),
                          (BATCHNORM_TAB, "batchnorm")):
            if tab != front and area.isTabVisible(tab):
                area.setCurrentIndex(tab)
                _settle(area.widget(tab))
                yield name, area.widget(tab)
    finally:
        area.setCurrentIndex(front)


def _settle(widget: QWidget, timeout_s: float = 10.0) -> None:
    """Let a view just shown lay itself out and run its pending redraws (the (w, b) map
    recomputes its heat map a moment after it is shown)."""
    QApplication.processEvents()
    wait_until(lambda: not any(t.isActive() and t.isSingleShot()
                               for t in widget.findChildren(QTimer)), timeout_s,
               "a view did not settle")
    QApplication.processEvents()
