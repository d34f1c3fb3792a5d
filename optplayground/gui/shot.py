"""`optplayground shot`: open the real window, race N steps, save a screenshot of it."""
from __future__ import annotations

import time

from PySide6.QtCore import QEventLoop, QTimer

from ..core.atomic import write_atomic
from ..core.experiment import Experiment
from ..core.params import ConfigError


def take_screenshot(experiment: Experiment, out: str, size: tuple[int, int],
                    timeout_s: float = 300.0) -> float:
    """Race the experiment to its end in the window and save the window as PNG.

    Returns the seconds from opening the window to its first painted frame.
    """
    from .app import make_app
    from .main_window import MainWindow

    app = make_app()
    opened = time.perf_counter()
    window = MainWindow(experiment, settings=None, autoplay=True)
    window.resize(*size)
    window.show()
    app.processEvents()
    first_frame = time.perf_counter() - opened
    try:
        _wait_until(lambda: _race_over(window), timeout_s)
        window.on_frame()
        app.processEvents()
        image = window.grab()
        if image.isNull():
            raise ConfigError("output", "the window could not be rendered")
        write_atomic(out, lambda tmp: _save_png(image, tmp))
    finally:
        window.close()
        app.processEvents()
    return first_frame


def _save_png(image, path: str) -> None:
    if not image.save(path, "PNG"):
        raise OSError(f"could not encode {path}")


def _race_over(window) -> bool:
    live = window.live
    finished = live.step >= window.experiment.steps
    stopped = len(live) > 0 and all(live.run(i).status != "running" for i in range(len(live)))
    return live.generation == window.generation and (finished or stopped)


def _wait_until(condition, timeout_s: float) -> None:
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
        raise ConfigError("shot", f"the race did not finish within {timeout_s:.0f} s")
