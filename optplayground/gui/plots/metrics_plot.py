"""Dataset races: train and test loss, and accuracy, against the step or the epoch.

Rows are written once per update; with mini-batches many rows share an epoch. Against
epochs, a curve takes the first row of each epoch (the metrics at the epoch's start), so
full batch (one update per epoch) shows every row and mini-batches one point per epoch.
(The window's batch-level plots, loss, LR and gradient norm, keep every row against its
epoch instead: a mini-batch epoch is a vertical span of its batches' values.)
A surface race has no such columns: the curves stay empty.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from ..live import LiveRuns, RunStyle
from .base import RunCurvesPlot, run_curve, run_pen

TEST_DASH = Qt.PenStyle.DashLine


class _EpochAxisPlot(RunCurvesPlot):
    """A step plot of dataset columns whose x-axis can be the epoch instead."""

    def columns(self, live: LiveRuns, index: int, *names: str) -> list[np.ndarray]:
        """x and the named columns of a run (empty for a surface race)."""
        if names[0] not in live.history.columns:
            return [np.empty(0)] * (len(names) + 1)
        x = live.column(index, self.x_axis)
        values = [live.column(index, name) for name in names]
        if self.x_axis == "epoch" and len(x):
            first = np.concatenate(([True], np.diff(x) != 0))
            x, values = x[first], [v[first] for v in values]
        return [x, *values]


class MetricsPlot(_EpochAxisPlot):
    """Each run's train loss (solid) and test loss (dashed), measured in eval mode on the
    whole train / test set. Without a test set the dashed curve is empty."""

    title = "Train loss ─  test loss ┄"
    y_label = "loss"
    readout_column = "train_loss"
    coincide_columns = ("train_loss", "test_loss")

    def __init__(self, parent=None, log_y: bool = True):
        super().__init__(parent, log_y)

    def _make_items(self, style: RunStyle) -> list[pg.GraphicsObject]:
        return [run_curve(style), run_curve(style, TEST_DASH)]

    def _restyle(self, items: list[pg.GraphicsObject], style: RunStyle) -> None:
        items[0].setPen(run_pen(style))
        items[1].setPen(run_pen(style, TEST_DASH))

    def _draw_run(self, index: int, live: LiveRuns) -> None:
        x, train, test = self.columns(live, index, "train_loss", "test_loss")
        train_curve, test_curve = self._items[index]
        train_curve.setData(x, train)
        has_test = len(test) and np.isfinite(test).any()
        test_curve.setData(x if has_test else [], test if has_test else [])

    @property
    def test_curves(self) -> list[pg.PlotDataItem]:
        return [items[1] for items in self._items]


class AccuracyPlot(_EpochAxisPlot):
    """Each run's accuracy in percent: on the test set (on the train set when there is
    none). Regression has none: its curves stay empty."""

    title = "Accuracy"
    y_label = "accuracy (%)"
    readout_column = "accuracy"
    coincide_columns = ("accuracy",)

    def __init__(self, parent=None):
        super().__init__(parent, log_y=False)
        self.plotItem.setYRange(0, 100, padding=0.02)
        self.plotItem.enableAutoRange(y=False)

    def _make_items(self, style: RunStyle) -> list[pg.GraphicsObject]:
        return [run_curve(style)]

    def _draw_run(self, index: int, live: LiveRuns) -> None:
        x, accuracy = self.columns(live, index, "accuracy")
        if not (len(accuracy) and np.isfinite(accuracy).any()):
            x, accuracy = np.empty(0), np.empty(0)
        self.curves[index].setData(x, 100.0 * accuracy)
