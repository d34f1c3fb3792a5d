"""The basin map: a layer over the trajectory map, one cell per start point of the grid,
coloured by where that start ends up (swarm frames from the child, filling in live).

Colour by the known minimum reached (a legend names them; darker = got there later), by
final loss (log colour bar) or by the steps it took to reach the loss threshold. A click on
a cell picks that cell's start (the click does not reach the map's own start picking).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal

from ...core.i18n import tr
from .. import theme
from . import colors

MODES = {"minimum": "minimum reached", "loss": "final loss", "steps": "steps to loss ≤ threshold"}  # tr() where shown
ALPHA = 215  # the contours (drawn above) and a little of the surface show through


class _CellImage(pg.ImageItem):
    clicked = Signal(float, float)  # the point clicked, in data coordinates

    def mouseClickEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        event.accept()  # the map's start picking sees an accepted click and leaves it
        point = self.mapToView(event.pos())
        self.clicked.emit(float(point.x()), float(point.y()))


class SwarmColorBar(pg.ColorBarItem):
    """A colour bar for swarm numbers (cividis), labelled; log scales get decade ticks."""

    def __init__(self):
        super().__init__(values=(0, 1), colorMap=colors.colormap(), interactive=False,
                         colorMapMenu=False, width=14)
        self.axis.setWidth(58)

    def show_scale(self, scale: colors.Scale) -> None:
        """Log scales are shown in log10 units: the axis's own ticks, the label says so."""
        self.setLevels((scale.lo, scale.hi))
        self.axis.setLabel(scale.label, color=theme.current().text)


class BasinLayer(QObject):
    cellPicked = Signal(float, float)  # the start point of the cell clicked

    def __init__(self, trajectory_map):
        super().__init__(trajectory_map)
        self.map = trajectory_map
        item = trajectory_map.plotItem
        self.image = _CellImage(axisOrder="row-major")
        self.image.setZValue(-60)  # over the surface picture (−100), under the contours (−50)
        item.addItem(self.image, ignoreBounds=True)
        self.image.clicked.connect(self._on_click)
        # A legend of its own, top left over the map: the plot's one (bottom right) lists the
        # runs, and on a narrow map the two met at the bottom.
        look = theme.current()
        self.legend = pg.LegendItem(brush=look.legend_brush, pen=look.legend_pen,
                                    labelTextColor=look.text, labelTextSize="9pt", verSpacing=-4)
        self.legend.setParentItem(item.vb)
        self.legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(8, 8))
        self.legend.setVisible(False)
        self.bar = SwarmColorBar()
        item.layout.addItem(self.bar, 2, 6)
        self.bar.setVisible(False)
        self.mode = "minimum"
        self.threshold: float | None = None
        self.grid = 0
        self.box = ((0.0, 1.0), (0.0, 1.0))
        self.minima: list = []
        self.frame = None
        self._placed = False
        self._legend_for = None  # what the legend lists now
        self.updates = 0  # frames drawn (the bench counts them)

    # ------------------------------------------------------------ public

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if self.frame is not None:
            self.show_frame(self.frame)

    def start_job(self, grid: int, box, minima) -> None:
        """A new basin: forget the old picture."""
        self.grid, self.box, self.minima = grid, box, list(minima)
        self.frame = None
        self.image.clear()
        self._placed = False
        self._fill_legend()

    def show_frame(self, frame) -> None:
        self.frame = frame
        n = self.grid
        if n * n != len(frame.x):
            return
        diverged = (frame.status == 3) | (frame.status == 4)  # batched.race LEFT_MAP, NOT_FINITE
        if self.mode == "minimum":
            rgba = colors.minima_rgba(frame.minimum, frame.stopped, frame.steps, diverged, ALPHA)
            if not frame.done:  # a run still on its way counts once it sits at a minimum
                rgba[(frame.minimum < 0) & ~diverged] = (*colors.RUNNING, ALPHA)
            self.bar.setVisible(False)
        else:
            values, scale = self.values(frame)
            rgba = colors.numbers_rgba(values, scale, ALPHA, missing=colors.NO_VALUE, diverged=diverged)
            self.bar.show_scale(scale)
            self.bar.setVisible(True)
        self._fill_legend(numbers=self.mode)
        self.legend.setVisible(True)
        self.image.setImage(rgba.reshape(n, n, 4), autoLevels=False)
        if not self._placed:  # after the first setImage: the rect scales the image's pixels
            (x0, x1), (y0, y1) = self.box
            self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            self._placed = True
        self.image.setVisible(True)
        self.updates += 1

    def values(self, frame) -> tuple[np.ndarray, colors.Scale]:
        if self.mode == "loss":
            loss = frame.loss.astype(np.float64)
            shift = np.nanmin(loss) if np.isfinite(loss).any() else 0.0
            floor = max(1e-12, 1e-6 * float(np.nanmax(np.abs(loss[np.isfinite(loss)]), initial=1)))
            values = loss - min(shift, 0.0) + floor  # log of a loss that may be negative
            return values, colors.scale_for(values, True, tr("log10 final loss"))
        steps = np.where(frame.reached >= 0, frame.reached, np.nan).astype(np.float64)
        label = (tr("steps to loss ≤ {threshold}", threshold=f"{self.threshold:g}")
                 if self.threshold is not None else tr("steps"))
        return steps, colors.scale_for(steps, False, label)  # the steps seen: a fixed 0..steps was one colour

    def hide(self) -> None:
        self.image.setVisible(False)
        self.legend.setVisible(False)
        self.bar.setVisible(False)

    def cell_start(self, x: float, y: float) -> tuple[float, float] | None:
        """The start point of the cell under (x, y) (None outside the grid)."""
        (x0, x1), (y0, y1) = self.box
        n = self.grid
        i, j = int((x - x0) / (x1 - x0) * n), int((y - y0) / (y1 - y0) * n)
        if not (n and 0 <= i < n and 0 <= j < n):
            return None
        return x0 + (i + 0.5) * (x1 - x0) / n, y0 + (j + 0.5) * (y1 - y0) / n

    # ------------------------------------------------------------ internals

    def _fill_legend(self, numbers: str = "") -> None:
        """`numbers`: the measure a colour bar shows ("" or "minimum": none)."""
        numbers = "" if numbers == "minimum" else numbers
        if self._legend_for == (numbers, tuple(self.minima)):
            return
        self._legend_for = (numbers, tuple(self.minima))
        self.legend.clear()
        if numbers:  # the colour bar says the rest
            fill_number_legend(self.legend, numbers)
            return
        for index, (mx, my) in enumerate(self.minima):
            rgb = colors.MINIMUM_COLORS[index % len(colors.MINIMUM_COLORS)]
            self.legend.addItem(_swatch(rgb), tr("minimum {index} ({x}, {y})", index=index, x=f"{mx:.3g}", y=f"{my:.3g}"))
        self.legend.addItem(_swatch(colors.NO_MINIMUM), tr("no known minimum"))
        self.legend.addItem(_swatch(colors.DIVERGED), tr("diverged"))

    def _on_click(self, x: float, y: float) -> None:
        start = self.cell_start(x, y)
        if start is not None:
            self.cellPicked.emit(*start)


NO_VALUE_TEXT = {"steps": "never reached the threshold", "diverged": "did not diverge"}  # tr() where shown


def fill_number_legend(legend: pg.LegendItem, measure: str) -> None:
    """The colours a colour bar does not show: diverged, and where the measure has no value."""
    legend.addItem(_swatch(colors.DIVERGED), tr("diverged"))
    if measure in NO_VALUE_TEXT:
        legend.addItem(_swatch(colors.NO_VALUE), tr(NO_VALUE_TEXT[measure]))


def _swatch(rgb) -> pg.ScatterPlotItem:
    return pg.ScatterPlotItem(symbol="s", size=11, brush=pg.mkBrush(*rgb), pen=pg.mkPen(None))
