"""The marks at the end of each run's path on the map: its head (the last point), its last
TRAIL_DOTS steps as dots fading with age, and an ✕ where it left the surface's box or
diverged. Each kind is one scatter item for every run: a frame moves and paints eight heads
for the cost of one (eight items cost ~1.5 ms a frame).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg

from ..live import RunStyle

TRAIL_DOTS = 40  # a path's last steps are dots, fading with age: each step shows
HEAD_SIZE = 12


def exit_point(x: np.ndarray, y: np.ndarray, box, diverged: bool) -> tuple[float, float] | None:
    """Where a path (its finite points) left the box for good — its last point inside —
    or, for a run that diverged inside it, its last point; None if it ends inside."""
    if not len(x):
        return None
    if box is not None:
        (x0, x1), (y0, y1) = box
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        if not inside[-1]:
            was = np.flatnonzero(inside)
            k = int(was[-1]) if len(was) else 0
            return float(x[k]), float(y[k])
    return (float(x[-1]), float(y[-1])) if diverged else None


def faded(color: str, alpha: int) -> pg.QtGui.QColor:
    qcolor = pg.mkColor(color)
    qcolor.setAlpha(alpha)
    return qcolor


class RunMarks:
    """Heads, trail dots and ✕ marks of a map's runs, added to `plot_item`."""

    def __init__(self, plot_item: pg.PlotItem, followers):
        """`followers`: the runs drawn on another's path (plots/coincide.py): a smaller head
        inside its twin's, trail dots taking turns."""
        self.followers = followers
        self.heads = pg.ScatterPlotItem(size=HEAD_SIZE, pen=pg.mkPen("w", width=1.5))
        self.heads.setZValue(35)  # above the minimum's star: a run that got there shows
        self.trail = pg.ScatterPlotItem(size=4, pen=None)  # every run's last steps, as dots
        self.trail.setZValue(20)
        # ✕ where a run left the surface's box or diverged (its last finite point there)
        self.exits = pg.ScatterPlotItem(symbol="x", size=15, pen=pg.mkPen("w", width=1))
        self.exits.setZValue(36)
        for item in (self.heads, self.trail, self.exits):
            plot_item.addItem(item, ignoreBounds=True)
        self.racing = False  # at full speed: no trail dots (2.5 ms a frame for eight runs)
        self._head_at: list[tuple[float, float] | None] = []  # per run: its last point
        self._trail_at: list[tuple[np.ndarray, np.ndarray, int]] = []  # per run: its dots, from
        self._exit_at: list[tuple[float, float] | None] = []
        self._exits_drawn: list = []  # what `exits` shows
        self._brushes: list[pg.QtGui.QBrush] = []  # per run: its head's fill
        self._trail_brushes: list[list[pg.QtGui.QBrush]] = []  # per run: oldest to newest

    def reset(self, runs: int) -> None:
        """A new race of `runs` runs: no marks yet."""
        self._head_at = [None] * runs
        self._trail_at = [(np.empty(0), np.empty(0), 0) for _ in range(runs)]
        self._exit_at = [None] * runs

    def restyle(self, styles: Sequence[RunStyle]) -> None:
        self._exits_drawn = [None]  # their colours may have changed: draw them again
        self._brushes = [pg.mkBrush(style.color) for style in styles]
        alphas = np.linspace(40, 230, TRAIL_DOTS).astype(int)
        self._trail_brushes = [[pg.mkBrush(faded(style.color, int(a))) for a in alphas]
                               for style in styles]

    def follow(self, index: int, x: np.ndarray, y: np.ndarray, box, diverged: bool) -> None:
        """Run `index`'s path as drawn now: where its marks stand (`place` draws them)."""
        self._head_at[index] = (float(x[-1]), float(y[-1])) if len(x) else None
        self._trail_at[index] = (x[-TRAIL_DOTS:].copy(), y[-TRAIL_DOTS:].copy(),
                                 max(len(x) - TRAIL_DOTS, 0))
        self._exit_at[index] = exit_point(x, y, box, diverged)

    def head(self, index: int) -> tuple[float, float] | None:
        return self._head_at[index]

    def exit(self, index: int) -> tuple[float, float] | None:
        return self._exit_at[index]

    def place(self, shown: Sequence[int]) -> None:
        """Draw the marks of the runs `shown`."""
        heads = [(i, self._head_at[i]) for i in shown if self._head_at[i] is not None]
        self.heads.setData(x=[p[0] for _, p in heads], y=[p[1] for _, p in heads],
                           brush=[self._brushes[i] for i, _ in heads],
                           size=[self.followers.head_size(i, HEAD_SIZE) for i, _ in heads])
        dots = [] if self.racing else [self._dots(i) for i, _ in heads]
        if dots or len(self.trail.data):  # an empty setData costs a frame ~0.3 ms too
            self.trail.setData(x=np.concatenate([x for x, _y, _b in dots] or [np.empty(0)]),
                               y=np.concatenate([y for _x, y, _b in dots] or [np.empty(0)]),
                               brush=[b for _x, _y, brushes in dots for b in brushes])
        exits = [(i, self._exit_at[i]) for i in shown if self._exit_at[i] is not None]
        if exits != self._exits_drawn:
            self._exits_drawn = exits
            self.exits.setData(x=[p[0] for _, p in exits], y=[p[1] for _, p in exits],
                               brush=[self._brushes[i] for i, _ in exits])

    def _dots(self, index: int) -> tuple[np.ndarray, np.ndarray, list]:
        """Run `index`'s trail dots and their brushes; a run on another's path shows its
        turns only, as its dashes do."""
        x, y, first = self._trail_at[index]
        brushes = self._trail_brushes[index][TRAIL_DOTS - len(x):]
        keep = self.followers.turns(index, first, len(x))
        return x[keep], y[keep], [brushes[k] for k in keep]
