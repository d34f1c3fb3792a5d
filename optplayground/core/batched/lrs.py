"""The LR of every row of a batched race, exactly as `LRDriver` gives it to a run alone.

Rows whose schedule and base lr agree share one driver: a schedule without ReduceLROnPlateau
depends on the update count only, and every row of a race is at the same update. A plateau
schedule watches its own row's loss, so each such row gets a driver of its own (its cost
grows with the rows; a swarm of plateau rows is the one slow case). The engine asks for a
driver per row anyway, so that a live edit can rebuild one row's schedule.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

from ..lr_driver import LRDriver
from ..schedules import Stage


def _key(stages: Sequence[Stage], lr: float) -> tuple:
    return (lr, tuple((s.name, tuple(sorted(s.params.items())), s.steps) for s in stages))


class RowLRs:
    """`drivers[d]` drives the rows whose `driver_of[row]` is d (rows are the race's
    original row numbers: compaction never renumbers them here)."""

    def __init__(self, schedules: Sequence[Sequence[Stage]], lrs: Sequence[float],
                 total_steps: int, dtype, device, per_row: bool = False):
        self.dtype, self.device = dtype, device
        self.drivers: list[LRDriver] = []
        self.driver_of: list[int] = []
        shared: dict[tuple, int] = {}
        last: tuple | None = None  # (stages, lr, key): a basin repeats one schedule N times
        for row, (stages, lr) in enumerate(zip(schedules, lrs)):
            own = per_row or any(stage.name == "plateau" for stage in stages)
            if own:
                key = (row,)
            elif last is not None and last[0] is stages and last[1] == lr:
                key = last[2]
            else:
                key = _key(stages, lr)
                last = (stages, lr, key)
            if key not in shared:
                shared[key] = len(self.drivers)
                self.drivers.append(LRDriver(list(stages), lr, total_steps))
            self.driver_of.append(shared[key])
        self._values: list[float] | None = None
        self._current: torch.Tensor | None = None
        self.all_finite = True
        self.set_live(list(range(len(self.driver_of))))

    def set_live(self, rows: list[int]) -> None:
        """The rows (original numbers) that the next updates make, in the race's order."""
        self._live = sorted({self.driver_of[row] for row in rows})
        self._watching = [(self.drivers[self.driver_of[row]], i) for i, row in enumerate(rows)
                          if self.drivers[self.driver_of[row]].watches_loss]
        self.watches_loss = bool(self._watching)  # `step` needs the live rows' losses
        self._live_index = torch.tensor([self.driver_of[row] for row in rows],
                                        dtype=torch.long, device=self.device)
        self._current = None

    def current(self) -> torch.Tensor:
        """The LR the next update of each live row uses, shape (live rows, 1). The table goes
        to the device only when one of its values changed."""
        values = [driver.lr for driver in self.drivers]
        if values != self._values or self._current is None:
            self._values = values
            self.all_finite = all(math.isfinite(v) for v in values)
            table = torch.tensor(values, dtype=self.dtype, device=self.device)
            self._current = table[self._live_index].unsqueeze(-1)
        return self._current

    def step(self, losses: list[float] | None = None) -> None:
        """One update of the live rows happened; `losses` (in live order) are what a plateau
        schedule watches, needed only when `watches_loss`."""
        for d in self._live:
            if not self.drivers[d].watches_loss:
                self.drivers[d].step()
        for driver, i in self._watching:
            driver.step(losses[i])

    def rebuild(self, row: int, stages: Sequence[Stage], lr: float) -> None:
        """A live edit of one row (its driver must be its own: per_row=True)."""
        self.drivers[self.driver_of[row]].rebuild(list(stages), lr)

    def driver(self, row: int) -> LRDriver:
        return self.drivers[self.driver_of[row]]
