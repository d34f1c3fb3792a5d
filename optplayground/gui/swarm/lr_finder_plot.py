"""The LR range test's plot: the smoothed loss (and, faint, each batch's loss) against the
LR on a log axis, the suggested LR marked."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ...core.i18n import tr
from .. import theme
from ..plots.chrome import style_plot

SMOOTHED_PEN = pg.mkPen("#ffb000", width=2.2, cosmetic=True)
RAW_PEN = pg.mkPen((140, 140, 150, 90), width=1, cosmetic=True)  # faint on black and white


class LRFinderPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        item = self.plotItem
        style_plot(item, "LR range test", "loss", "learning rate (log scale)")  # it translates
        item.setLogMode(x=True, y=False)
        item.getAxis("bottom").enableAutoSIPrefix(False)
        self.raw = item.plot(pen=RAW_PEN, name=tr("batch loss"))
        self.smoothed = item.plot(pen=SMOOTHED_PEN, name=tr("smoothed loss"))
        self.marker = pg.InfiniteLine(angle=90, movable=False,
                                      pen=pg.mkPen("#56b4e9", width=1.5, style=pg.QtCore.Qt.DashLine))
        item.addItem(self.marker, ignoreBounds=True)
        self.marker.setVisible(False)
        look = theme.current()
        self.note = pg.TextItem(color=look.text, anchor=(0, 0), fill=look.badge_fill)
        item.addItem(self.note, ignoreBounds=True)
        self.note.setVisible(False)
        self.result = None
        self._label_lrs(False)

    def _label_lrs(self, shown: bool) -> None:
        """An empty log axis spans 1..10 and labels 2..9: no LRs to show until a test ran."""
        self.plotItem.getAxis("bottom").setStyle(showValues=shown)

    def show_result(self, result) -> None:
        self.result = result
        self._label_lrs(True)
        self.raw.setData(result.lrs, result.losses)
        self.smoothed.setData(result.lrs, result.smoothed)
        finite = result.smoothed[np.isfinite(result.smoothed)]
        top = 1.0
        if finite.size:  # the ramp's end blows up: keep the interesting part in view
            lo, hi = float(finite.min()), float(min(finite.max(), 5 * finite[0] + 1e-12))
            pad = 0.05 * (hi - lo or 1.0)
            self.plotItem.setYRange(lo - pad, hi + pad, padding=0)
            top = hi
        self.plotItem.setXRange(np.log10(result.lrs[0]), np.log10(result.lrs[-1]), padding=0.02)
        shown = result.suggested_lr is not None
        if shown:
            self.marker.setPos(np.log10(result.suggested_lr))
            self.note.setText(tr("suggested lr {lr}", lr=f"{result.suggested_lr:.3g}"))
            self.note.setPos(np.log10(result.suggested_lr), top)
        self.marker.setVisible(shown)
        self.note.setVisible(shown)

    def clear_result(self) -> None:
        self.result = None
        self._label_lrs(False)
        self.raw.setData([], [])
        self.smoothed.setData([], [])
        self.marker.setVisible(False)
        self.note.setVisible(False)
