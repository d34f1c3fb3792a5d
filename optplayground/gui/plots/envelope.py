"""Peak-keeping reduction of a long curve to about two points per pixel column.

A step plot redraws every run each frame; handing pyqtgraph a million points per curve
costs tens of milliseconds per curve (log mapping, peak downsampling and bounds all walk
the whole array). `Envelope` keeps the minimum and maximum of every BLOCK consecutive values
of a growing column, updated only with the rows new since the last frame, and `points`
reduces whatever part of the curve is in view to the highest and lowest value of each
pixel column from those block extremes: every spike stays visible, and a frame costs time
in proportion to the plot's width, not to the length of the race. Pure numpy (no Qt).
"""
from __future__ import annotations

import math

import numpy as np

BLOCK = 64  # values per stored (min, max) pair
MIN_RAW = 2000  # a curve with at most this many points in view is drawn point by point


class Growable:
    """A float64 buffer that only grows; `view()` is its filled part."""

    def __init__(self):
        self.data = np.empty(256)
        self.n = 0

    def extend(self, values: np.ndarray) -> None:
        end = self.n + len(values)
        if end > len(self.data):
            grown = np.empty(max(end, 2 * len(self.data)))
            grown[:self.n] = self.data[:self.n]
            self.data = grown
        self.data[self.n:end] = values
        self.n = end

    def view(self) -> np.ndarray:
        return self.data[:self.n]


class Envelope:
    """Block minima and maxima of one column of one run, kept in step with it."""

    def __init__(self):
        self.source = None  # the RunHistory the column comes from
        self.tag = ""  # what was derived from it (e.g. a smoothing weight)
        self.stride = 0  # its tail's stride when last seen (past the cap the tail thins)
        self.n = 0  # values summarised: a multiple of BLOCK
        self.lo, self.hi = Growable(), Growable()

    def update(self, values: np.ndarray, source, tag: str = "") -> None:
        """Catch up with `values`, the whole column as it is now. Rows of a run only grow,
        except its decimated tail past the cap, which thins itself now and then."""
        tail = getattr(source, "tail", None)
        stride = tail.stride if tail is not None else 0
        if source is not self.source or tag != self.tag:
            self.source, self.tag = source, tag
            self._keep(0)
        elif stride != self.stride:
            self._keep(min(self.n, getattr(source, "cap", 0)))  # the exact rows never change
        if len(values) < self.n:
            self._keep(0)
        self.stride = stride
        full = len(values) - len(values) % BLOCK
        if full > self.n:
            blocks = values[self.n:full].reshape(-1, BLOCK)
            self.lo.extend(blocks.min(axis=1))
            self.hi.extend(blocks.max(axis=1))
            self.n = full

    def _keep(self, n: int) -> None:
        """Forget the blocks from value n on."""
        self.n = n - n % BLOCK
        self.lo.n = self.hi.n = self.n // BLOCK

    def points(self, x: np.ndarray, y: np.ndarray, i0: int, i1: int,
               width: float) -> tuple[np.ndarray, np.ndarray]:
        """What to draw of y[i0:i1] (against x) over `width` pixels: the points themselves
        when there are few, else each pixel column's highest then lowest value, at the x
        where its bucket starts."""
        n = i1 - i0
        if width <= 0 or n <= max(2 * width, MIN_RAW):
            return x[i0:i1], y[i0:i1]
        k = -(-n // int(width))  # values per pixel column
        if k >= 4 * BLOCK:
            k += -k % BLOCK  # whole blocks (at most a quarter coarser): read their extremes
        start = i0 - i0 % k
        lo, hi = self._extremes(y, start, i1, k)
        xs = np.repeat(x[start:i1:k], 2)
        ys = np.empty(len(xs))
        ys[0::2], ys[1::2] = hi, lo
        return xs, ys

    def _extremes(self, y: np.ndarray, start: int, stop: int,
                  k: int) -> tuple[np.ndarray, np.ndarray]:
        """Minimum and maximum of y over buckets of k from `start` (k a multiple of BLOCK
        uses the stored blocks as far as they go; the rest is read from y)."""
        los, his = [], []
        split = start
        if k % BLOCK == 0 and self.n > start:
            split = start + (min(stop, self.n) - start) // k * k
            per = k // BLOCK
            los.append(self.lo.data[start // BLOCK:split // BLOCK].reshape(-1, per).min(axis=1))
            his.append(self.hi.data[start // BLOCK:split // BLOCK].reshape(-1, per).max(axis=1))
        if split < stop:
            offsets = np.arange(0, stop - split, k)
            los.append(np.minimum.reduceat(y[split:stop], offsets))
            his.append(np.maximum.reduceat(y[split:stop], offsets))
        return np.concatenate(los), np.concatenate(his)


def last_point(x: np.ndarray, y: np.ndarray, look_back: int = 8
               ) -> tuple[float, float | None] | None:
    """The last x and the last finite y of a curve (None: none among its last `look_back`
    values: a run stops at its first non-finite row); None for an empty curve."""
    if not len(x):
        return None
    if math.isfinite(y[-1]):  # nearly always: the cheap way (this runs every frame)
        return float(x[-1]), float(y[-1])
    tail = y[-look_back:]
    finite = np.flatnonzero(np.isfinite(tail))
    return float(x[-1]), float(tail[finite[-1]]) if len(finite) else None
