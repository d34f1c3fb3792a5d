"""The learning rate each run used at each step (after its schedule), one curve per run."""
from __future__ import annotations

import pyqtgraph as pg

from ..live import LiveRuns, RunStyle
from .base import RunCurvesPlot, run_curve


class LRPlot(RunCurvesPlot):
    title = "Learning rate"
    y_label = "learning rate"
    readout_column = "lr"
    coincide_columns = ("lr",)

    def __init__(self, parent=None, log_y: bool = False):
        super().__init__(parent, log_y)

    def _make_items(self, style: RunStyle) -> list[pg.GraphicsObject]:
        return [run_curve(style)]

    def _draw_run(self, index: int, live: LiveRuns) -> None:
        self._set_curve(self.curves[index], live.run(index), self.x_column(live, index),
                        live.column(index, "lr"))
