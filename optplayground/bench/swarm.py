"""The swarm views' figures, measured in the real window offscreen:

    whatif_ms            a slider move -> the what-if fan (4 runs × 500 steps) drawn, median of
                         20 moves once the drag's table of every slider position is raced
    swarm_updates_per_s  basin map frames drawn per second while a 256×256 basin (65,536
                         runs) races

One window and so one swarm child for both (its start, an import of torch, costs seconds).
--quick: 3 moves and a 64×64 basin for a second (rough; it keeps the test suite short).
"""
from __future__ import annotations

import statistics
import time

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication


def spin(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def _window(steps: int):
    from ..core.experiment import Experiment, Problem, Run
    from ..gui.headless import open_window as open_headless

    exp = Experiment(name="swarm bench", problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
                     runs=[Run("Momentum", "sgd", {"lr": 0.001, "momentum": 0.9}, color="#ff7f0e")],
                     steps=steps)
    app, window = open_headless(exp, autoplay=False)
    spin(1.0)
    return app, window


def swarm_figures(moves: int, seconds: float, grid_index: int) -> dict:
    _app, window = _window(2000)
    try:
        return {**whatif(window, moves), **swarm_updates(window, seconds, grid_index)}
    finally:
        window.close()
        QApplication.processEvents()


def whatif(window, moves: int) -> dict:
    """Drag the lr slider: each move -> the fan raced in the swarm child and drawn."""
    views = window.swarm
    slider = window.runs_panel.editor.hyper_form().slider("lr")
    slider.setSliderDown(True)
    spent = []
    try:
        views.request_fan(views.selected_run(), "lr")  # the child starts (imports torch)
        _wait(lambda: views.fan_latency_s, 120)
        slider.setValue(slider.value() + 1)  # a drag's first move: the fan table is raced
        _wait(lambda: views._fan_table is not None, 120)
        base = slider.value()
        for k in range(moves):
            count = len(views.fan_latency_s)
            started = time.perf_counter()
            slider.setValue(base + (k % 2 * 2 - 1) * (10 + k))
            _wait(lambda: len(views.fan_latency_s) > count, 30)
            window.map.viewport().repaint()
            spent.append(time.perf_counter() - started)
    finally:
        slider.setSliderDown(False)
    return {"whatif_ms": statistics.median(spent) * 1000,
            # before a drag's table is raced: the fan's 4 runs raced on their own in the child
            "whatif_direct_ms": views.fan_direct_s[-1] * 1000}


def swarm_updates(window, seconds: float, grid_index: int) -> dict:
    """A basin of Momentum on Rosenbrock (256×256): pictures drawn per second while it races."""
    views = window.swarm
    views.dock.show()
    views.panel.grid_size.setCurrentIndex(grid_index)
    views.panel.show_basin.setChecked(True)
    _wait(lambda: views.basin.updates >= 2, 180)
    first, started = views.basin.updates, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline and not (views.basin.frame and views.basin.frame.done):
        spin(0.05)
    took = time.perf_counter() - started
    return {"swarm_updates_per_s": (views.basin.updates - first) / took,
            "swarm_rows": len(views.basin.frame.x)}


def _wait(condition, timeout_s: float) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition() and time.perf_counter() < deadline:
        spin(0.002)
    if not condition():
        raise RuntimeError("the swarm child did not answer in time")


MEASUREMENTS = {
    "swarm": lambda quick: swarm_figures(3, 1.0, 1) if quick else swarm_figures(20, 8.0, 3),
}
