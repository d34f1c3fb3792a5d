"""BatchNorm at work: the first hidden layer's pre-activations before and after it.

For the selected run, one histogram per unit (a colour each, up to UNITS of them) of the
values the train set gives: before the normalisation each unit has its own centre and
spread, which drift as the weights learn; after it every unit sits at its β with spread γ
(0 and 1 at the start). The snapshots come from the worker (core/views.py).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.views import RunView
from ...core.i18n import tr
from ..live import LiveRuns, RunStyle
from .chrome import set_title, style_plot

UNITS = 4  # more overlaid histograms blur into one another
MAX_BINS = 40
UNIT_COLORS = ("#4e9de6", "#f28e2b", "#59c26b", "#e15759")
TITLES = ("before BatchNorm:  z = W·x + b", "after:  γ·(z − mean) / std + β")


def histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Density over `edges` (integrates to 1), so units compare whatever their counts."""
    counts, _ = np.histogram(values, bins=edges, density=True)
    return counts


def shared_edges(values: np.ndarray) -> np.ndarray:
    """Bins over the finite range of all shown units' values: √(points per unit) of them
    (8 to MAX_BINS), so a small train set does not turn into spikes."""
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    bins = int(min(MAX_BINS, max(8, np.sqrt(len(values)))))
    return np.linspace(low, high, bins + 1)


class BatchNormHistogram(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._styles: list[RunStyle] = []
        self._views: list[RunView] = []
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("run")))
        self.run_combo = QComboBox()
        self.run_combo.setToolTip(tr("Whose first hidden layer to show"))
        self.run_combo.currentIndexChanged.connect(self._run_selected)
        row.addWidget(self.run_combo)
        self.step_label = QLabel()
        row.addWidget(self.step_label, 1)
        row.addWidget(QLabel(tr("one colour per unit (the first {units})", units=UNITS)))
        column.addLayout(row)
        self.canvas = pg.GraphicsLayoutWidget()
        column.addWidget(self.canvas, 1)
        self.plots = []
        self.curves: tuple[list[pg.PlotCurveItem], list[pg.PlotCurveItem]] = ([], [])
        for side, title in enumerate(TITLES):
            plot = self.canvas.addPlot(0, side)
            style_plot(plot, "", "density", "pre-activation")
            plot.getAxis("left").enableAutoSIPrefix(False)
            set_title(plot, tr(title), size="10pt")
            plot.hideButtons()
            for unit in range(UNITS):
                color = pg.mkColor(UNIT_COLORS[unit])
                pen = pg.mkPen(color, width=1.6)
                fill = pg.mkColor(color)
                fill.setAlpha(45)
                curve = pg.PlotCurveItem(fillLevel=0, pen=pen, brush=fill)
                plot.addItem(curve)
                self.curves[side].append(curve)
            self.plots.append(plot)

    # ---------------------------------------------------------------- public API

    @property
    def before_curves(self) -> list[pg.PlotCurveItem]:
        return self.curves[0]

    @property
    def after_curves(self) -> list[pg.PlotCurveItem]:
        return self.curves[1]

    def selected(self) -> int:
        return self.run_combo.currentIndex()

    def select(self, index: int) -> None:
        self.run_combo.setCurrentIndex(index)

    def set_runs(self, styles: Sequence[RunStyle]) -> None:
        keep = max(0, self.selected())
        self._views = []
        self._fill_combo(styles, keep)
        self._draw()

    def set_styles(self, styles: Sequence[RunStyle]) -> None:
        if len(styles) != len(self._styles):
            self.set_runs(styles)
        else:
            self._fill_combo(styles, self.selected())

    def set_views(self, views: Sequence[RunView]) -> None:
        self._views = list(views)
        self._draw()

    def refresh(self, live: LiveRuns) -> None:
        if live.styles != self._styles:
            self.set_styles(live.styles)

    # ---------------------------------------------------------------- internals

    def _fill_combo(self, styles: Sequence[RunStyle], keep: int) -> None:
        self._styles = list(styles)
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for style in self._styles:
            self.run_combo.addItem(style.name)
        self.run_combo.setCurrentIndex(min(keep, len(self._styles) - 1))
        self.run_combo.blockSignals(False)

    @Slot(int)
    def _run_selected(self, _index: int) -> None:
        self._draw()

    def _draw(self) -> None:
        view = next((v for v in self._views if v.index == self.selected()), None)
        pre = view.preactivations if view is not None else None
        self.step_label.setText("  " + tr("step {step}", step=view.step) if pre is not None else "")
        for side in (0, 1):
            values = pre[side][:, :UNITS] if pre is not None else np.empty((0, 0))
            edges = shared_edges(values) if values.size else None
            for unit, curve in enumerate(self.curves[side]):
                if edges is None or unit >= values.shape[1]:
                    curve.clear()
                    continue
                curve.setData(edges, histogram(values[:, unit], edges), stepMode="center")
