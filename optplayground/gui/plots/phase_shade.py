"""RAdam's two phases on the loss plot: a shade over the momentum-SGD steps before the
rectifier turns on, and a line at the step it does (core/update_math.rectifier_step)."""
from __future__ import annotations

import pyqtgraph as pg

from ...core.i18n import tr
from .. import theme

SHADE_BRUSH = (255, 200, 90, 40)


class RectifierShade:
    """Items on a step plot; `show(step, name)` places them, `show(None)` hides them."""

    def __init__(self, plot: pg.PlotWidget):
        self.region = pg.LinearRegionItem(values=(0, 1), movable=False, brush=SHADE_BRUSH,
                                          pen=pg.mkPen(None))
        look = theme.current()
        self.line = pg.InfiniteLine(angle=90, movable=False,
                                    pen=pg.mkPen(look.marker, width=1.5, style=pg.QtCore.Qt.DashLine),
                                    label="", labelOpts={"position": 0.1, "color": look.marker,
                                                         "anchors": [(0, 0.5), (0, 0.5)],
                                                         "fill": look.badge_fill})
        for item in (self.region, self.line):
            item.setZValue(-10)
            plot.plotItem.addItem(item, ignoreBounds=True)
        self.enabled = True
        self._step: int | None = None
        self._name = ""
        self._place()

    def show(self, step: int | None, name: str = "") -> None:
        """`step`: the first rectified update of run `name` (None: no RAdam phase to show)."""
        self._step, self._name = step, name
        self._place()

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        self._place()

    def _place(self) -> None:
        on = self.enabled and self._step is not None
        self.region.setVisible(on)
        self.line.setVisible(on)
        if on:
            # row k is the point after k updates: updates 1..step−1 were momentum steps
            self.region.setRegion((0, self._step - 1))
            self.line.setValue(self._step - 1)
            self.line.label.setFormat(tr("{run}: rectifier on\nfrom update {n}", run=self._name,
                                         n=self._step))
