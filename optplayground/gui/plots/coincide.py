"""Runs whose curves coincide stay visible (core/coincide.py finds them).

In a group of coincident runs the first keeps its solid line; each later one is drawn over
it dashed: a dash, then a gap as long as the other later runs' dashes, each run's dashes
offset by one dash, so the group's colours take turns along the line (a curve dashed
already, a test loss, keeps its dashes: they take turns). Its legend entry says which
run it coincides with. A run that parts from its group draws as usual again
(from the step it parted at: the timeline's cursor before it shows the group again).
"""
from __future__ import annotations

import html
from typing import Iterable, Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPen

from ...core.coincide import Coincidence
from ...core.i18n import tr

DASH = 5.0  # a dash's length, in pen widths: ~9 px on a step plot, ~7 px on the map


def follower_pen(pen: QPen, rank: int, size: int) -> QPen:
    """`pen` for the `rank`-th (1 … size − 1) later run of a group of `size` runs, drawn
    over the first run's line: of every `size` dashes along the line (a solid line: dashes
    of DASH) it draws the rank-th, and the first run shows in the last."""
    solid = pen.style() == Qt.PenStyle.SolidLine
    on, off = (DASH, 0.0) if solid else pen.dashPattern()[:2]
    period = on + off
    dashed = QPen(pen)
    dashed.setDashPattern([on, off + (size - 1) * period])
    dashed.setDashOffset((size - rank + 1) * period % (size * period))
    return dashed


class Followers:
    """The runs of one view that coincide at the step shown: who is drawn over whom."""

    def __init__(self, columns: Sequence[str], floor: float = 0.0):
        self.columns = tuple(columns)
        self.detector = Coincidence(self.columns, floor)
        self.groups: list[list[int]] = []
        self._found_for: tuple | None = None  # what `groups` was found for

    def reset(self, floor: float | None = None) -> None:
        """A new race, or a new surface: `floor` is its scale (core/coincide.py; None: the
        same as before)."""
        self.detector = Coincidence(self.columns, self.detector.floor if floor is None else floor)
        self.groups = []
        self._found_for = None

    def update(self, history, step: int | None = None,
               among: Iterable[int] | None = None) -> bool:
        """Compare the new rows of `history`'s runs and find the groups at `step` (None:
        now) among the runs shown; True when the groups changed (restyle then)."""
        among = None if among is None else list(among)
        groups = []
        if (self.columns and set(self.columns) <= set(history.columns)
                and (among is None or len(among) > 1)):
            self.detector.update(history.runs)
            found_for = (self.detector.changes, step, among)
            if found_for == self._found_for:
                return False  # nothing new to group
            self._found_for = found_for
            groups = self.detector.groups(step, among)
        changed, self.groups = groups != self.groups, groups
        return changed

    def role(self, index: int) -> tuple[int, int, int] | None:
        """(leader, rank, group size) of a run drawn over its group's first run; None for
        a run that draws as usual (alone, or the first of its group)."""
        for group in self.groups:
            if index in group[1:]:
                return group[0], group.index(index), len(group)
        return None

    def pen(self, index: int, pen: QPen) -> QPen:
        """The run's pen: dashed if it is drawn over another run."""
        role = self.role(index)
        return follower_pen(pen, role[1], role[2]) if role else pen

    def head_size(self, index: int, size: float) -> float:
        """The size of the run's head marker: a run on another's path gets a smaller one
        inside it (rings of the group's colours)."""
        role = self.role(index)
        return size * (role[2] - role[1]) / role[2] if role else size

    def turns(self, index: int, first: int, count: int) -> np.ndarray:
        """Which of `count` markers along the path (its points first, first + 1, …) the run
        draws: all, or for a run on another's path every group-size-th from its rank, so
        the group's markers take turns as its dashes do."""
        role = self.role(index)
        kept = np.arange(count)
        return kept if role is None else kept[(first + kept) % role[2] == role[1]]

    def label(self, index: int, names: Sequence[str], path: bool = False) -> str:
        """The run's legend entry: its name, and the run it coincides with (as HTML, which
        a legend's label is: a name "<b>x</b>" is shown as typed)."""
        role = self.role(index)
        name = html.escape(names[index])
        if role is None:
            return name
        other = html.escape(names[role[0]])
        if path:
            return tr("{name} (same path as {other})", name=name, other=other)
        return tr("{name} = {other}", name=name, other=other)
