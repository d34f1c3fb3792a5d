"""The what-if fan: while a hyperparameter slider is dragged, the run's whole path for the
new value over the map, with faint ghost paths for nearby values (raced in the swarm
child as the rows of one batched race)."""
from __future__ import annotations

import math
from dataclasses import replace

import pyqtgraph as pg
from PySide6.QtCore import QObject

from .. import theme

FAN_STEPS = 500
# The value itself first, then its neighbours: × on a log scale, ± a share of the range else.
LOG_FACTORS = (1.0, 0.5, 0.7, 1.4)
LINEAR_SHARES = (0.0, -0.1, -0.05, 0.05)


def fan_values(param, value: float) -> list[float]:
    """The new value and three nearby ones inside the param's valid range."""
    if param.log:
        values = [value * f for f in LOG_FACTORS]
    else:
        span = ((param.high if param.high is not None else value + 1.0)
                - (param.low if param.low is not None else value - 1.0))
        values = [value + s * span for s in LINEAR_SHARES]
    return [v for v in values if _inside(param, v)]


def _inside(param, v: float) -> bool:
    if not math.isfinite(v):
        return False
    if param.low is not None and (v < param.low or (param.low_open and v == param.low)):
        return False
    if param.high is not None and (v > param.high or (param.high_open and v == param.high)):
        return False
    return True


def fan_runs(run, name: str, values: list[float]) -> list:
    return [replace(run, hyper=dict(run.hyper, **{name: v}), schedule=list(run.schedule))
            for v in values]


class WhatIfFan(QObject):
    """The fan's curves on a TrajectoryMap: the path (bold) and its ghosts (faint)."""

    def __init__(self, trajectory_map):
        super().__init__(trajectory_map)
        item = self.item = trajectory_map.plotItem
        self.curves = []
        for index in range(len(LOG_FACTORS)):
            curve = pg.PlotCurveItem(skipFiniteCheck=True)
            curve.setZValue(25 if index == 0 else 24)
            item.addItem(curve, ignoreBounds=True)
            curve.setVisible(False)
            self.curves.append(curve)
        look = theme.current()
        self.label = pg.TextItem(anchor=(0, 0), color=look.text, fill=look.badge_fill)
        self.label.setZValue(26)
        item.addItem(self.label, ignoreBounds=True)
        self.label.setVisible(False)

    def show(self, paths, color: str, text: str) -> None:
        """paths[0]: the new value's path (white: it stands apart from the run's own path
        under it; solid, a dashed one cost ~10 ms a paint); the others: ghosts in the run's
        colour, faint."""
        ghost = pg.mkColor(color).lighter(130)
        ghost.setAlpha(150)
        for index, curve in enumerate(self.curves):
            if index >= len(paths):
                curve.setVisible(False)
                continue
            pen = (pg.mkPen((255, 255, 255, 220), width=1.8, cosmetic=True) if index == 0
                   else pg.mkPen(ghost, width=1.2, cosmetic=True))
            curve.setPen(pen)
            curve.setData(paths[index][:, 0], paths[index][:, 1])
            curve.setVisible(True)
        if len(paths) and len(paths[0]):
            x, y = float(paths[0][0, 0]), float(paths[0][0, 1])
            (x0, x1), _ = self.item.vb.viewRange()
            self.label.setAnchor((1, 0) if x > (x0 + x1) / 2 else (0, 0))  # it stays on the map
            self.label.setText(text)
            self.label.setPos(x, y)
            self.label.setVisible(True)

    def hide(self) -> None:
        for curve in self.curves:
            curve.setVisible(False)
        self.label.setVisible(False)

    @property
    def shown(self) -> bool:
        return self.curves[0].isVisible()
