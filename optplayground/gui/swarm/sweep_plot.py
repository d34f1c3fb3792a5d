"""The sweep heat map: one cell per setting of one or two hyperparameters, coloured by the
final loss, the steps to a loss threshold, or the step it diverged at, filling in live.

Axes carry the hyperparameters' names; a log range is drawn in log10 coordinates with
decade tick labels. Hover names a cell's values and result; a click asks to race that
setting (`cellPicked`); a ring marks the run's current setting.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal

from ...core.i18n import tr
from .. import theme
from ..plots.chrome import style_plot
from .basin_layer import SwarmColorBar, fill_number_legend
from . import colors

METRICS = {"loss": "final loss", "steps": "steps to loss ≤ threshold", "diverged": "diverged at step"}  # tr() where shown
STATUS = ("running", "done", "converged", "diverged", "diverged", "detached")


def log_axis_ticks(lo: float, hi: float) -> list[list[tuple[float, str]]]:
    """Ticks of an axis in log10 coordinates: decades labelled (1e-3), 2..9 × unlabelled."""
    major = colors.log_ticks(lo, hi)
    minor = [(math.log10(m * 10.0 ** k), "") for k in range(math.floor(lo), math.ceil(hi) + 1)
             for m in range(2, 10) if lo <= math.log10(m * 10.0 ** k) <= hi]
    return [major, minor]


class SweepHeatMap(pg.PlotWidget):
    cellPicked = Signal(object)  # dict name -> value of the cell clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        item = self.plotItem
        style_plot(item, "", "", "")
        item.showGrid(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image)
        self.current = pg.ScatterPlotItem(symbol="o", size=16, brush=None,
                                          pen=pg.mkPen("w", width=2.5))
        self.current.setZValue(10)
        item.addItem(self.current)
        self.bar = SwarmColorBar()
        item.layout.addItem(self.bar, 2, 5)
        self.bar.setVisible(False)  # until there is a sweep
        look = theme.current()
        self.hover = pg.TextItem(color=look.text, anchor=(0, 1), fill=look.badge_fill)
        self.hover.setZValue(20)
        self.hover.setVisible(False)
        item.addItem(self.hover, ignoreBounds=True)
        # No tooltip: it would cover the hover label; the hint says it before the first sweep.
        self.hint = pg.TextItem(tr("Pick one or two hyperparameters and press Sweep;\n"
                                   "hover a cell for its values, click it to race that setting"),
                                color=look.text, anchor=(0.5, 0.5))
        item.addItem(self.hint, ignoreBounds=True)
        self.legend = pg.LegendItem(brush=look.legend_brush, pen=look.legend_pen,
                                    labelTextColor=look.text, labelTextSize="9pt", verSpacing=-4)
        self.legend.setParentItem(item.vb)  # the colours the colour bar does not show
        self.legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(6, 6))
        self.legend.setVisible(False)
        self.shown_metric = "loss"
        self.threshold: float | None = None
        self.axes: tuple = ()
        self.cells: list = []
        self.frame = None
        self.updates = 0
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)

    # ------------------------------------------------------------ public

    def start_job(self, axes, cells, current) -> None:
        self.axes, self.cells, self.frame = tuple(axes), list(cells), None
        self.hint.setVisible(False)
        self.image.clear()
        item = self.plotItem
        extent = self._extent()
        text = theme.current().text
        for side, axis, (lo, hi) in zip(("bottom", "left"), axes, extent):
            item.setLabel(side, axis.name + (tr(" (log scale)") if axis.log else ""), color=text)
            item.getAxis(side).setTicks(log_axis_ticks(lo, hi) if axis.log else None)
            item.getAxis(side).setStyle(showValues=True)
        if len(axes) == 1:
            item.setLabel("left", "", color=text)
            item.getAxis("left").setStyle(showValues=False)
        (x0, x1), (y0, y1) = extent
        item.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        point = [self._coord(a, v) for a, v in zip(axes, current)]
        if all(math.isfinite(p) for p in point):
            self.current.setData([point[0]], [point[1] if len(point) == 2 else 0.5])
        else:
            self.current.setData([], [])

    def set_metric(self, metric: str) -> None:
        self.shown_metric = metric
        if self.frame is not None:
            self.show_frame(self.frame)

    def show_frame(self, frame) -> None:
        self.frame = frame
        if len(frame.x) != len(self.cells):
            return
        values, scale = self.values(frame)
        no_value = colors.NO_VALUE if self.shown_metric != "loss" else colors.DIVERGED
        diverged = (frame.status == 3) | (frame.status == 4)
        rgba = colors.numbers_rgba(values, scale, missing=no_value, diverged=diverged)
        counts = [a.count for a in self.axes]
        if len(counts) == 1:
            image = rgba.reshape(1, counts[0], 4)
        else:  # cell c = i1·n2 + i2: i1 along x, i2 along y -> image[i2, i1]
            image = rgba.reshape(counts[0], counts[1], 4).transpose(1, 0, 2)
        self.image.setImage(np.ascontiguousarray(image), autoLevels=False)
        (x0, x1), (y0, y1) = self._extent()  # after setImage: the rect scales the image's pixels
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.bar.show_scale(scale)
        self.bar.setVisible(True)
        self.legend.clear()
        fill_number_legend(self.legend, self.shown_metric)
        self.legend.setVisible(True)
        self.updates += 1

    def values(self, frame) -> tuple[np.ndarray, colors.Scale]:
        diverged = (frame.status == 3) | (frame.status == 4)
        if self.shown_metric == "loss":
            loss = np.where(diverged, np.nan, frame.loss.astype(np.float64))
            finite = loss[np.isfinite(loss)]
            shift = min(float(finite.min()), 0.0) if finite.size else 0.0
            floor = max(1e-12, 1e-9 * float(np.abs(finite).max())) if finite.size else 1e-12
            values = loss - shift + floor
            return values, colors.scale_for(values, True, tr("log10 final loss"))
        if self.shown_metric == "steps":
            values = np.where(frame.reached >= 0, frame.reached, np.nan).astype(np.float64)
            label = (tr("steps to loss ≤ {threshold}", threshold=f"{self.threshold:g}")
                     if self.threshold is not None else tr("steps"))
            return values, colors.scale_for(values, False, label)
        values = np.where(diverged, frame.stopped, np.nan).astype(np.float64)
        return values, colors.scale_for(values, False, tr("diverged at step"))

    def cell_at(self, x: float, y: float) -> int | None:
        """The cell under a point in view coordinates."""
        if not self.axes:
            return None
        (x0, x1), (y0, y1) = self._extent()
        counts = [a.count for a in self.axes]
        i1 = int((x - x0) / (x1 - x0) * counts[0])
        if not 0 <= i1 < counts[0]:
            return None
        if len(counts) == 1:
            return i1 if 0 <= y <= 1 else None
        i2 = int((y - y0) / (y1 - y0) * counts[1])
        return i1 * counts[1] + i2 if 0 <= i2 < counts[1] else None

    def describe(self, cell: int) -> str:
        values = ", ".join(f"{a.name} = {v:.4g}" for a, v in zip(self.axes, self.cells[cell]))
        frame = self.frame
        if frame is None or cell >= len(frame.x):
            return values
        status = STATUS[int(frame.status[cell])]
        loss = f"{float(frame.loss[cell]):.4g}"
        if status in ("diverged", "converged"):
            text = tr("loss {loss} ({status} at step {step})", loss=loss, status=tr(status),
                      step=int(frame.stopped[cell]))
        else:
            text = tr("loss {loss} ({status})", loss=loss, status=tr(status))
        text = f"{values}\n{text}"
        if self.threshold is not None and frame.reached[cell] >= 0:
            text += "\n" + tr("loss ≤ {threshold} at step {step}", threshold=f"{self.threshold:g}",
                               step=int(frame.reached[cell]))
        elif self.threshold is not None and frame.done:
            text += "\n" + tr("never reached loss ≤ {threshold}", threshold=f"{self.threshold:g}")
        return text

    # ------------------------------------------------------------ internals

    def _coord(self, axis, value: float) -> float:
        if not math.isfinite(value) or (axis.log and value <= 0):
            return math.nan
        return math.log10(value) if axis.log else value

    def _extent(self):
        """The image's rectangle: cell edges half a step beyond the first and last value."""
        out = []
        for axis in self.axes:
            lo, hi = self._coord(axis, axis.low), self._coord(axis, axis.high)
            half = (hi - lo) / (2 * (axis.count - 1)) if axis.count > 1 else 0.5
            out.append((lo - half, hi + half))
        if len(out) == 1:
            out.append((0.0, 1.0))
        return out

    def _on_move(self, pos) -> None:
        vb = self.plotItem.vb
        if not self.axes or not vb.sceneBoundingRect().contains(pos):
            self.hover.setVisible(False)
            return
        point = vb.mapSceneToView(pos)
        cell = self.cell_at(point.x(), point.y())
        if cell is None:
            self.hover.setVisible(False)
            return
        self.hover.setText(self.describe(cell))
        (x0, x1), (y0, y1) = vb.viewRange()
        self.hover.setAnchor((1 if point.x() > (x0 + x1) / 2 else 0, 0 if point.y() > (y0 + y1) / 2 else 1))
        self.hover.setPos(point)
        self.hover.setVisible(True)

    def leaveEvent(self, event) -> None:
        """The scene sees no move once the mouse has left: the label would stay."""
        self.hover.setVisible(False)
        super().leaveEvent(event)

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        vb = self.plotItem.vb
        if not self.axes or not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        point = vb.mapSceneToView(event.scenePos())
        cell = self.cell_at(point.x(), point.y())
        if cell is not None:
            self.cellPicked.emit(dict(zip((a.name for a in self.axes), self.cells[cell])))
