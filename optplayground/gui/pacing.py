"""Which step plots a frame redraws while a race runs at full speed.

Redrawing the map and every step plot costs a 2-core machine ~20 ms a frame, more than a
60 Hz frame lasts, so the window fell to ~25 frames a second. Now the map (the race
itself) is drawn every frame and the step plots share what is left of FRAME_BUDGET_S, the
one that has waited longest first: on a slow machine each is redrawn every second or third
frame, on a fast one all of them every frame. A paused, finished or slowed race redraws
every plot at once. Costs are measured (refresh and paint, smoothed), not guessed.
Pure Python (no Qt).
"""
from __future__ import annotations

from typing import Hashable, Sequence

FRAME_BUDGET_S = 0.014  # a frame's own cost: the rest of 16.7 ms is for the worker and Qt
SMOOTHING = 0.25  # weight of a new measurement in the running costs


class FramePacer:
    def __init__(self, budget_s: float = FRAME_BUDGET_S):
        self.budget_s = budget_s
        self.cost: dict[Hashable, float] = {}  # per plot: seconds to refresh and paint it
        self.rest: float | None = None  # a frame's seconds besides these plots (the map, …)
        self._waited: dict[Hashable, int] = {}  # per plot: frames since it was last chosen

    def choose(self, plots: Sequence[Hashable]) -> list[Hashable]:
        """The plots to redraw this frame: the longest waiting first while the budget lasts,
        always at least one, so each plot is redrawn at least every len(plots) frames."""
        ranked = sorted(plots, key=lambda p: -self._waited.get(p, 1 << 30))  # never drawn: first
        left = self.budget_s - (self.rest or 0.0)
        chosen = []
        for plot in ranked:
            cost = self.cost.get(plot, 0.0)
            if not chosen or cost <= left:
                chosen.append(plot)
                left -= cost
        for plot in plots:
            self._waited[plot] = 0 if plot in chosen else self._waited.get(plot, 0) + 1
        return chosen

    def measured(self, frame_s: float, plot_costs: dict[Hashable, float]) -> None:
        """A frame took `frame_s` in all, of which each redrawn plot took its cost."""
        for plot, cost in plot_costs.items():
            self.cost[plot] = self._smooth(self.cost.get(plot), cost)
        self.rest = self._smooth(self.rest, max(0.0, frame_s - sum(plot_costs.values())))

    @staticmethod
    def _smooth(old: float | None, new: float) -> float:
        return new if old is None else old + SMOOTHING * (new - old)
