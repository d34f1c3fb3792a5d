"""A step plot's cursor: a vertical line at a step and each run's value there.

The line stands at the timeline's step while the user scrubs, or under the mouse while it
hovers the plot; the readout in the plot's top-left corner lists every run's value at that
step in the run's colour (the last row at or before it: a run that stopped shows where).
"""
from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from ...core.i18n import tr
from .. import theme
from ..live import LiveRuns


def value_at(steps: np.ndarray, values: np.ndarray, step: float) -> float | None:
    """The value of the last row at or before `step` (None: no row yet)."""
    j = int(np.searchsorted(steps, step, side="right")) - 1
    return float(values[j]) if j >= 0 and j < len(values) else None


def format_value(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}" if math.isfinite(value) else str(value)


class StepCursor:
    """The line and the readout of one step plot (`plot`: a RunCurvesPlot)."""

    def __init__(self, plot, column: str):
        self.plot, self.column = plot, column
        self.scrub_step: int | None = None  # the timeline's step, None while it follows
        self.hover_step: float | None = None
        look = theme.current()
        self.line = pg.InfiniteLine(angle=90, movable=False,
                                    pen=pg.mkPen(look.cursor, width=1, style=Qt.PenStyle.DashLine))
        self.line.setZValue(50)
        self.line.hide()
        self.text = pg.TextItem(anchor=(0, 0), color=look.text, fill=look.badge_fill)
        self.text.setZValue(60)
        self.text.hide()
        plot.plotItem.addItem(self.line, ignoreBounds=True)
        plot.plotItem.addItem(self.text, ignoreBounds=True)
        self._proxy = pg.SignalProxy(plot.scene().sigMouseMoved, rateLimit=30,
                                     slot=self._on_mouse_moved)
        plot.plotItem.vb.sigRangeChanged.connect(lambda *_: self.update())

    def set_scrub(self, step: int | None) -> None:
        self.scrub_step = step
        self.update()

    def leave(self) -> None:
        self.hover_step = None
        self.update()

    def step(self) -> float | None:
        return self.hover_step if self.hover_step is not None else self.scrub_step

    def values(self, live: LiveRuns, step: float) -> list[tuple[str, str, float | None]]:
        """(name, colour, value at step) of every run the plot shows."""
        out = []
        for i, style in enumerate(live.styles):
            if i >= len(live.history.runs) or self.column not in live.history.columns:
                continue
            x = self.plot.x_column(live, i)
            out.append((style.name, style.color, value_at(x, live.column(i, self.column), step)))
        return out

    def update(self) -> None:
        step, live = self.step(), self.plot._live
        if step is None or live is None or not len(live.styles):
            self.line.hide()
            self.text.hide()
            return
        self.line.setPos(step)
        self.line.show()
        rows = [f"<span style='color:{color}'>■</span> {html.escape(name)}: {format_value(v)}"
                for name, color, v in self.values(live, step)]
        axis = self.plot.x_axis
        label = (tr("step {step}", step=f"{step:,.0f}") if axis == "step"
                 else tr("epoch {epoch}", epoch=f"{step:,.2f}"))
        self.text.setHtml(f"<div style='font-size:9pt'>{label}<br>"  # the item's colour
                          + "<br>".join(rows) + "</div>")
        (x0, _x1), (_y0, y1) = self.plot.plotItem.vb.viewRange()
        self.text.setPos(x0, y1)
        self.text.show()

    def _on_mouse_moved(self, event) -> None:
        pos = event[0]
        vb = self.plot.plotItem.vb
        if not vb.sceneBoundingRect().contains(pos):
            if self.hover_step is not None:
                self.leave()
            return
        x = vb.mapSceneToView(pos).x()
        self.hover_step = max(0.0, round(x) if self.plot.x_axis == "step" else x)
        self.update()
