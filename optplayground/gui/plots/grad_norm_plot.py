"""Gradient norm against step: raw (solid) and after clipping (dashed, same colour).

A run that clips by norm also gets a dotted horizontal line at its max_norm. The dashed
curve is hidden for runs that do not clip (it would equal the solid one).
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ..live import LiveRuns, RunStyle
from .base import RunCurvesPlot, run_curve, run_pen

CLIPPED_DASH = Qt.PenStyle.DashLine
THRESHOLD_DASH = Qt.PenStyle.DotLine


class GradNormPlot(RunCurvesPlot):
    title = "Gradient norm: raw ─ clipped ┄"
    y_label = "‖g‖"
    readout_column = "grad_norm"
    coincide_columns = ("grad_norm", "grad_norm_clipped")

    def __init__(self, parent=None, log_y: bool = True):
        super().__init__(parent, log_y)

    def _make_items(self, style: RunStyle) -> list[pg.GraphicsObject]:
        """[raw curve, clipped curve, max_norm line]."""
        line = pg.InfiniteLine(angle=0, movable=False)
        items = [run_curve(style), run_curve(style, CLIPPED_DASH), line]
        self._restyle(items, style)
        return items

    def _restyle(self, items: list[pg.GraphicsObject], style: RunStyle) -> None:
        raw, clipped, line = items
        raw.setPen(run_pen(style))
        clipped.setPen(run_pen(style, CLIPPED_DASH))
        clipped.setVisible(style.clip.mode != "none")
        line.setPen(run_pen(style, THRESHOLD_DASH, width=1.5))
        line.setVisible(style.clip.mode == "norm")
        self._place_line(line, style)

    def _place_line(self, line: pg.InfiniteLine, style: RunStyle) -> None:
        # InfiniteLine knows nothing of log mode: its position is in view coordinates.
        value = style.clip.max_norm
        line.setValue(math.log10(value) if self.log_y else value)

    def _log_mode_changed(self) -> None:
        for items, style in zip(self._items, self._styles):
            self._place_line(items[2], style)

    def _draw_run(self, index: int, live: LiveRuns) -> None:
        raw, clipped, _line = self._items[index]
        run, step = live.run(index), self.x_column(live, index)
        self._set_curve(raw, run, step, live.column(index, "grad_norm"))
        if self._styles[index].clip.mode != "none":
            self._set_curve(clipped, run, step, live.column(index, "grad_norm_clipped"))

    def thresholds(self) -> list[float | None]:
        """Each run's max_norm line in data units, None where it has none (for tests/export)."""
        out = []
        for items, style in zip(self._items, self._styles):
            value = items[2].value()
            out.append((10 ** value if self.log_y else value) if style.clip.mode == "norm" else None)
        return out
