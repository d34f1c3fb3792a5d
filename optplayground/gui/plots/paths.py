"""A run's path on the map, thinned to what the screen can show.

Drawing a long path with a wide antialiased pen (and its halo) costs time in proportion to
its points: ten thousand points per run took ~20 ms per run and frame. Most of a long race
crawls along a valley in moves far below a pixel, so `PixelPath` keeps a point only where
the path enters another cell of a grid at most CELL_PIXELS wide: for a line over two pixels
wide the drawing looks the same, and it is kept up to date from the rows new since the last
frame. Pure numpy (no Qt).
"""
from __future__ import annotations

import math

import numpy as np

from .envelope import Growable

# Paths longer than this are thinned for drawing: the first PATH_EXACT points (where the
# interesting moves happen) exactly, the rest evenly, always ending at the last point.
PATH_EXACT = 2000
PATH_MAX = 5000
MIN_THIN = 500  # paths with at most this many points are drawn point by point
CELL_PIXELS = 2.0  # the grid's cells are at most this many pixels wide


def path_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points of a path worth drawing: finite ones, thinned past PATH_MAX by a stride
    that is a power of two, so a longer path keeps the points of a shorter one (but its
    last) until the stride doubles: the map draws the part it kept only once (RunPath)."""
    if not np.isfinite(x.sum() + y.sum()):
        finite = np.isfinite(x) & np.isfinite(y)
        x, y = x[finite], y[finite]
    n = len(x)
    if n <= PATH_MAX:
        return x, y
    room = PATH_MAX - PATH_EXACT - 1  # the last point is always kept
    stride = 1 << max(0, math.ceil(math.log2((n - PATH_EXACT) / room)))
    keep = np.concatenate([np.arange(PATH_EXACT), np.arange(PATH_EXACT, n - 1, stride), [n - 1]])
    return x[keep], y[keep]


def cell_size(pixel: float) -> float:
    """The largest power of two not above `pixel`: zooming a little keeps the grid."""
    return 2.0 ** math.floor(math.log2(pixel))


class PixelPath:
    """The points of one run's path where it moves to another grid cell, kept in step."""

    def __init__(self):
        self.source = None  # the RunHistory the path comes from
        self.cell: tuple[float, float] | None = None
        self.stride = 0  # its tail's stride when last seen (past the cap the tail thins)
        self.n = 0  # rows looked at
        self.xs, self.ys, self.rows = Growable(), Growable(), Growable()
        self.last: tuple[float, float] | None = None  # the last finite point looked at

    def points(self, x: np.ndarray, y: np.ndarray, source,
               pixel: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        """What to draw of the path (x, y), a column pair of `source`, with pixels of
        `pixel` data units: every finite point of a short path, else the thinned one
        ending at the last finite point."""
        if len(x) <= MIN_THIN or not all(math.isfinite(p) and p > 0 for p in pixel):
            return path_points(x, y)
        cell = (cell_size(CELL_PIXELS * pixel[0]), cell_size(CELL_PIXELS * pixel[1]))
        self._update(x, y, source, cell)
        xs, ys = self.xs.view(), self.ys.view()
        if self.last is not None and (not len(xs) or (xs[-1], ys[-1]) != self.last):
            xs, ys = np.append(xs, self.last[0]), np.append(ys, self.last[1])
        return path_points(xs, ys)

    def _update(self, x: np.ndarray, y: np.ndarray, source, cell: tuple[float, float]) -> None:
        tail = getattr(source, "tail", None)
        stride = tail.stride if tail is not None else 0
        if source is not self.source or cell != self.cell:
            self.source, self.cell = source, cell
            self._keep(0)
        elif stride != self.stride:
            self._keep(min(self.n, getattr(source, "cap", 0)))  # the exact rows never change
        if len(x) < self.n:
            self._keep(0)
        self.stride = stride
        new_x, new_y = x[self.n:], y[self.n:]
        finite = np.isfinite(new_x) & np.isfinite(new_y)
        rows = np.flatnonzero(finite) + self.n
        self.n = len(x)
        if not len(rows):
            return
        new_x, new_y = new_x[finite], new_y[finite]
        cx, cy = np.floor(new_x / cell[0]), np.floor(new_y / cell[1])
        moved = np.empty(len(cx), dtype=bool)
        moved[1:] = (cx[1:] != cx[:-1]) | (cy[1:] != cy[:-1])
        moved[0] = self.last is None or (cx[0], cy[0]) != (math.floor(self.last[0] / cell[0]),
                                                          math.floor(self.last[1] / cell[1]))
        self.xs.extend(new_x[moved])
        self.ys.extend(new_y[moved])
        self.rows.extend(rows[moved])
        self.last = (float(new_x[-1]), float(new_y[-1]))

    def _keep(self, n: int) -> None:
        """Forget what came from rows n and later."""
        kept = int(np.searchsorted(self.rows.view(), n))
        self.xs.n = self.ys.n = self.rows.n = kept
        self.n = n
        self.last = (float(self.xs.data[kept - 1]), float(self.ys.data[kept - 1])) if kept else None
