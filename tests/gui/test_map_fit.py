"""At a race's end the map takes in the paths of the runs that stayed, not where a
diverged run flew to (lookahead_wrapper: SGD at lr 0.12 leaves Booth's ±10 box)."""
from __future__ import annotations

from optplayground.core.engine import Engine
from optplayground.core.experiment import surface_of, validate
from optplayground.core.presets import load_preset
from optplayground.gui.live import LiveRuns
from optplayground.gui.plots import TrajectoryMap


def test_the_end_of_race_fit_follows_the_runs_that_stayed(qtbot):
    exp = load_preset("lookahead_wrapper")
    exp.steps = 60  # SGD 0.12 leaves at step 22
    exp = validate(exp)
    live = LiveRuns()
    live.reset(exp, 1)
    live.add_batch(1, Engine(exp, keep_history=False).advance(exp.steps))
    escaped = [i for i, run in enumerate(live.history.runs) if run.status == "diverged"]
    assert escaped  # SGD 0.12
    surface = surface_of(exp.problem)
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.resize(500, 700)  # a tall map: 1:1 widens y
    view.set_surface(surface, exp.problem.params, exp.problem.start)
    view.refresh(live)
    view.vb.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)  # zoomed in: paths run outside
    view.fit_runs()
    (x0, x1), (y0, y1) = view.view_box()
    (bx0, bx1), (by0, by1) = surface.bounds
    assert x0 <= bx0 and x1 >= bx1 and y0 <= by0 and y1 >= by1  # the box and the paths in it
    stayed = [i for i in range(len(live.history.runs)) if i not in escaped]
    for i in stayed:
        x, y = live.column(i, "x"), live.column(i, "y")
        assert x0 <= x.min() and x.max() <= x1 and y0 <= y.min() and y.max() <= y1
    width = bx1 - bx0
    assert x1 - x0 < 2 * width  # not out to where the diverged run flew (±70 before)
    view.view_all()  # View All (A) may show it up to VIEW_ALL_REACH boxes away
    (a0, a1), _ = view.view_box()
    assert a1 - a0 > x1 - x0
