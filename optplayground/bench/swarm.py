"""The swarm views' figures, measured in the real window offscreen:

    whatif_ms            a slider move -> the what-if fan (4 runs × 500 steps) raced and drawn,
                         median of 20 moves
    swarm_updates_per_s  basin map frames drawn per second while a 256×256 basin (65,536
                         runs) races
"""
from __future__ import annotations

import statistics
import time

from .gui import close, spin


def _window(steps: int):
    from ..core.experiment import Experiment, Problem, Run
    from ..gui.headless import open_window as open_headless

    exp = Experiment(name="swarm bench", problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
                     runs=[Run("Momentum", "sgd", {"lr": 0.001, "momentum": 0.9}, color="#ff7f0e")],
                     steps=steps)
    app, window = open_headless(exp, autoplay=False)
    spin(1.0)
    return app, window


def whatif(moves: int = 20) -> dict:
    """Drag the lr slider: each move -> the fan raced in the swarm child and drawn."""
    _app, window = _window(500)
    views = window.swarm
    slider = window.runs_panel.editor.hyper_form().slider("lr")
    slider.setSliderDown(True)
    spent = []
    try:
        views.request_fan(views.selected_run(), "lr")  # the child starts (imports torch)
        _wait(lambda: views.fan_latency_s, 120)
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
        close(window)
    return {"whatif_ms": statistics.median(spent) * 1000,
            "whatif_child_ms": statistics.median(views.fan_latency_s[1:]) * 1000}


def swarm_updates(seconds: float) -> dict:
    """A 256×256 basin of Momentum on Rosenbrock: frames drawn per second while it races."""
    _app, window = _window(2000)
    views = window.swarm
    views.dock.show()
    views.panel.grid_size.setCurrentIndex(3)  # 256×256
    views.panel.show_basin.setChecked(True)
    try:
        _wait(lambda: views.basin.updates >= 2, 180)
        first, started = views.basin.updates, time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline and not (views.basin.frame and views.basin.frame.done):
            spin(0.05)
        took = time.perf_counter() - started
        rate = (views.basin.updates - first) / took
        rows = len(views.basin.frame.x)
    finally:
        close(window)
    return {"swarm_updates_per_s": rate, "swarm_rows": rows}


def _wait(condition, timeout_s: float) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition() and time.perf_counter() < deadline:
        spin(0.002)
    if not condition():
        raise RuntimeError("the swarm child did not answer in time")


MEASUREMENTS = {
    "whatif": lambda quick: whatif(5 if quick else 20),
    "swarm": lambda quick: swarm_updates(2.0 if quick else 8.0),
}
