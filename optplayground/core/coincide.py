"""Which runs' drawn series coincide, so that a view can keep both visible.

Two runs with the same path (a copy of a run, SGD and SGD with momentum 0) draw exactly on
top of each other: the user sees one and thinks the other vanished. `Coincidence` finds
them for one series (the map's x and y, or a step plot's column): a pair coincides up to
a step when every row up to that step agrees within RTOL. It is kept up to date from the
rows new since the last call, and a pair that parts is never compared again: it keeps the
step it parted at, so the pair still coincides for a timeline cursor before that step.

The tolerance is relative, 1e-9 of the values (and of `floor`, the series' scale, where
values cross zero: the map's box size). Rounding differences (a different order of the
same float64 operations) stay around 1e-16 and a chaotic path that really differs grows
past 1e-9 within steps; nothing that coincides under this tolerance can be told apart on
a screen: 1e-9 is below a pixel even zoomed in 10,000 times on a 10,000-pixel display.
A pixel-based tolerance would change with every zoom and need a rescan each time.

Rows are matched by their step (a run that stopped has fewer; past the history's cap the
kept rows thin out), so the history may thin its tail and the comparison goes on from the
last step compared. NaN equals NaN (neither is drawn), ±inf only itself. Pure numpy.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

RTOL = 1e-9


def agree(a: np.ndarray, b: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Per row (the last axis), whether every series of `a` equals `b`'s within RTOL."""
    if a.shape == b.shape and np.array_equal(a, b):  # the common case: bitwise equal
        return np.ones(a.shape[-1], dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(a - b)
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
        same = (a == b) | (np.isnan(a) & np.isnan(b)) | (np.isfinite(gap) & (gap <= RTOL * scale))
    return same.all(axis=0)


class Coincidence:
    """For each pair of runs, the step where their series first differ (None: not yet)."""

    def __init__(self, columns: Sequence[str], floor: float = 0.0):
        self.columns = tuple(columns)
        self.floor = float(floor)
        self._runs: list = []  # the run histories compared (a new race starts over)
        self._checked: dict[tuple[int, int], float] = {}  # pair: the last step compared
        self._parted: dict[tuple[int, int], int] = {}  # pair: the first step they differ

    def update(self, runs: Sequence) -> None:
        """Compare the rows new since the last call (`runs`: RunHistory-like objects with
        `column(name)` and a sorted "step" column)."""
        if len(runs) != len(self._runs) or any(a is not b for a, b in zip(runs, self._runs)):
            self._runs = list(runs)
            self._checked = {(i, j): -1.0 for i in range(len(runs)) for j in range(i + 1, len(runs))}
            self._parted.clear()
        steps: dict[int, np.ndarray] = {}  # each run's step column, read once
        for pair, after in self._checked.items():
            if pair in self._parted:
                continue  # parted for good: never compared again
            for k in pair:
                if k not in steps:
                    steps[k] = runs[k].column("step")
            i, j = pair
            si, sj = steps[i], steps[j]
            if not len(si) or not len(sj) or min(si[-1], sj[-1]) <= after:
                continue
            end = float(min(si[-1], sj[-1]))
            parted = self._compare(runs[i], runs[j], si, sj, after, end)
            self._checked[pair] = end
            if parted is not None:
                self._parted[pair] = parted

    def parted_at(self, i: int, j: int) -> int | None:
        """The first step at which runs i and j differ (None: they agree so far)."""
        return self._parted.get((min(i, j), max(i, j)))

    def coincide(self, i: int, j: int, step: float | None = None) -> bool:
        """Whether runs i and j agree on every row compared (up to `step`: None, all)."""
        if i == j:
            return True
        pair = (min(i, j), max(i, j))
        if self._checked.get(pair, -1.0) < 0:
            return False  # nothing compared yet (no rows)
        parted = self._parted.get(pair)
        return parted is None or (step is not None and parted > step)

    def groups(self, step: float | None = None, among: Iterable[int] | None = None
               ) -> list[list[int]]:
        """The groups of two or more runs (of `among`, default all) that coincide up to
        `step`, each in run order: its first run leads, the others are drawn over it. A run
        joins the group of the first earlier run it coincides with."""
        shown = sorted(range(len(self._runs)) if among is None else among)
        group_of: dict[int, list[int]] = {}
        for n, j in enumerate(shown):
            leader = next((i for i in shown[:n] if self.coincide(i, j, step)), None)
            group_of[j] = group_of[leader] if leader is not None else []
            group_of[j].append(j)
        unique = {id(g): g for g in group_of.values()}
        return sorted((g for g in unique.values() if len(g) > 1), key=lambda g: g[0])

    # ---------------------------------------------------------------- internals

    def _compare(self, run_a, run_b, sa: np.ndarray, sb: np.ndarray, after: float,
                 end: float) -> int | None:
        """The first step in (after, end] where the two runs' series differ (None: none)."""
        ia = slice(np.searchsorted(sa, after, "right"), np.searchsorted(sa, end, "right"))
        ib = slice(np.searchsorted(sb, after, "right"), np.searchsorted(sb, end, "right"))
        steps, other = sa[ia], sb[ib]
        left = np.stack([run_a.column(name)[ia] for name in self.columns])
        right = np.stack([run_b.column(name)[ib] for name in self.columns])
        if len(steps) != len(other) or not np.array_equal(steps, other):  # thinned apart
            steps, ka, kb = np.intersect1d(steps, other, assume_unique=True, return_indices=True)
            left, right = left[:, ka], right[:, kb]
        same = agree(left, right, self.floor)
        return None if same.all() else int(steps[np.argmin(same)])
