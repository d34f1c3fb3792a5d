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
last step compared. A run that stopped parts from one that goes on past its end. NaN
equals NaN (neither is drawn), ±inf only itself. Pure numpy.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

RTOL = 1e-9
BLOCK = 4096  # rows compared at a time: a pair that parts early stops costing


def agree(a: np.ndarray, b: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Per row (the last axis), whether every series (the axis before) of `a` equals
    `b`'s within RTOL: shape (..., series, rows) -> (..., rows)."""
    if np.array_equal(a, b):  # the common case: bitwise equal
        return np.ones(a.shape[:-2] + a.shape[-1:], dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(a - b)
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
        same = (a == b) | (np.isnan(a) & np.isnan(b)) | (np.isfinite(gap) & (gap <= RTOL * scale))
    return same.all(axis=-2)


class Coincidence:
    """For each pair of runs, the step where their series first differ (None: not yet)."""

    def __init__(self, columns: Sequence[str], floor: float = 0.0):
        self.columns = tuple(columns)
        self.floor = float(floor)
        self._runs: list = []  # the run histories compared (a new race starts over)
        self._checked: dict[tuple[int, int], float] = {}  # pair: the last step compared
        self._parted: dict[tuple[int, int], int] = {}  # pair: the first step they differ
        self.changes = 0  # grows when what groups() finds may have changed

    def update(self, runs: Sequence) -> None:
        """Compare the rows new since the last call (`runs`: RunHistory-like objects with
        `column(name)` and a sorted "step" column). Pairs with the same rows to compare
        (all of them, in a race in lockstep) are compared together, in a few numpy calls."""
        if len(runs) != len(self._runs) or any(a is not b for a, b in zip(runs, self._runs)):
            self._runs = list(runs)
            self._checked = {(i, j): -1.0 for i in range(len(runs)) for j in range(i + 1, len(runs))}
            self._parted.clear()
            self.changes += 1
        steps = [run.column("step") for run in runs]
        last = [float(s[-1]) if len(s) else -1.0 for s in steps]
        todo: dict[tuple[float, float], list[tuple[int, int]]] = {}  # (after, end): pairs
        for pair, after in self._checked.items():
            end = min(last[pair[0]], last[pair[1]])
            if end > after and pair not in self._parted:  # a pair that parted is done
                todo.setdefault((after, end), []).append(pair)
        parted = len(self._parted)
        for (after, end), pairs in todo.items():
            self._compare(runs, steps, pairs, after, end)
            for pair in pairs:
                self._checked[pair] = end
            self.changes += after < 0  # first rows compared: these pairs may coincide
        for pair in self._checked:
            if pair not in self._parted:
                self._part_if_one_stopped(runs, steps, last, *pair)
        self.changes += len(self._parted) != parted

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

    def _compare(self, runs, steps, pairs, after: float, end: float) -> None:
        """Compare `pairs` on their rows of steps in (after, end]; note where each parts."""
        members = sorted({k for pair in pairs for k in pair})
        rows = {k: slice(np.searchsorted(steps[k], after, "right"),
                         np.searchsorted(steps[k], end, "right")) for k in members}
        common = steps[members[0]][rows[members[0]]]
        if any(not np.array_equal(steps[k][rows[k]], common) for k in members[1:]):
            for i, j in pairs:  # past the cap runs that stopped apart keep other steps
                self._compare_pair(runs, steps, rows, i, j)
            return
        at = {k: n for n, k in enumerate(members)}
        columns = [[runs[k].column(name)[rows[k]] for name in self.columns] for k in members]
        left, right = (np.array([at[pair[side]] for pair in pairs]) for side in (0, 1))
        for start in range(0, len(common), BLOCK):
            block = slice(start, start + BLOCK)
            values = np.array([[column[block] for column in run] for run in columns])
            same = agree(values[left], values[right], self.floor)
            parted = ~same.all(axis=1)
            for p in np.flatnonzero(parted):
                self._parted[pairs[p]] = int(common[start + np.argmin(same[p])])
            pairs = [pair for pair, gone in zip(pairs, parted) if not gone]
            left, right = left[~parted], right[~parted]
            if not pairs:
                return

    def _part_if_one_stopped(self, runs, steps, last, i: int, j: int) -> None:
        """Runs equal as far as both went, where one stopped (diverged, converged, failed)
        and the other goes on: they part at the other's first step past the end (its
        line drawn dashed "= the stopped run" for a thousand steps said what was not so)."""
        for stopped, going in ((i, j), (j, i)):
            if getattr(runs[stopped], "status", "running") != "running" and last[going] > last[stopped]:
                after = np.searchsorted(steps[going], last[stopped], "right")
                self._parted[(i, j)] = int(steps[going][after])
                return

    def _compare_pair(self, runs, steps, rows, i: int, j: int) -> None:
        """One pair whose kept steps differ: compared on the steps both kept."""
        common, ki, kj = np.intersect1d(steps[i][rows[i]], steps[j][rows[j]],
                                        assume_unique=True, return_indices=True)
        left = np.stack([runs[i].column(name)[rows[i]][ki] for name in self.columns])
        right = np.stack([runs[j].column(name)[rows[j]][kj] for name in self.columns])
        same = agree(left, right, self.floor)
        if not same.all():
            self._parted[(i, j)] = int(common[np.argmin(same)])
