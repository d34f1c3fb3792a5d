"""Swarms: thousands of runs of one optimizer raced as the rows of one BatchedRace, shared by
`optplayground basin` / `sweep` (swarm_cli.py) and the window's basin map and sweep heat map.

    BasinJob   an N×N grid of start points over a box, one run's settings
    SweepJob   a 1-D or 2-D grid of hyperparameter values (SweepAxis), one start
    Swarm      races a job a chunk at a time; `frame()` is what a view draws so far

A frame holds per-row summaries only (final point, loss, status, the step it stopped, the
first step its loss reached a threshold): a basin of 65,536 rows never keeps paths.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .i18n import tr
from .params import ConfigError

MAX_ROWS = 1 << 20  # a million runs: about 100 MB of row state, seconds per update on a CPU
MINIMUM_TOLERANCE = 0.01  # `minimum`: within 1 % of the box's diagonal of a known minimum
Box = tuple[tuple[float, float], tuple[float, float]]


# ---------------------------------------------------------------- grids


def grid_starts(box: Box, n: int) -> list[tuple[float, float]]:
    """The centres of n×n equal cells over the box, x fastest (row r = j·n + i)."""
    (x0, x1), (y0, y1) = box
    xs = [x0 + (i + 0.5) * (x1 - x0) / n for i in range(n)]
    ys = [y0 + (j + 0.5) * (y1 - y0) / n for j in range(n)]
    return [(x, y) for y in ys for x in xs]


def spaced(low: float, high: float, count: int, log: bool) -> list[float]:
    """count values from low to high, both exact; evenly, or evenly in log space."""
    if count == 1:
        return [low]
    if log:
        inner = [low * (high / low) ** (i / (count - 1)) for i in range(1, count - 1)]
    else:
        inner = [low + (high - low) * i / (count - 1) for i in range(1, count - 1)]
    return [low, *inner, high]


@dataclass(frozen=True)
class SweepAxis:
    """One varied hyperparameter: `count` values from low to high (both included)."""

    name: str
    low: float
    high: float
    count: int
    log: bool = False

    def values(self) -> list[float]:
        return spaced(self.low, self.high, self.count, self.log)


def parse_axis(text: str, optimizer: str, where: str = "--vary") -> SweepAxis:
    """'lr=1e-4..1e-2:log:50' -> SweepAxis('lr', 1e-4, 1e-2, 50, log=True)."""
    from .optimizers import get_optimizer

    name, eq, rest = text.partition("=")
    name = name.strip()
    floats = [p.name for p in get_optimizer(optimizer).params if p.kind == "float"]
    if not eq or name not in floats:
        raise ConfigError(where, tr("expected PARAM=LOW..HIGH[:log]:COUNT with PARAM one of "
                                    "{optimizer}'s {params}; got {value}", optimizer=optimizer,
                                    params=", ".join(floats), value=repr(text)))
    pieces = rest.split(":")
    low_high, scale, count = pieces[0], pieces[1:-1], pieces[-1] if len(pieces) > 1 else ""
    try:
        low, high = (float(v) for v in low_high.split(".."))
        count = int(count)
    except ValueError:
        raise ConfigError(f"{where} {name}", tr("expected LOW..HIGH[:log]:COUNT, got {value}",
                                                       value=repr(rest))) from None
    if scale not in ([], ["log"]):
        raise ConfigError(f"{where} {name}", tr("expected :log or nothing before :COUNT, got {value}",
                                                       value=repr(rest)))
    if not 1 <= count <= MAX_ROWS:
        raise ConfigError(f"{where} {name}", tr("expected a whole number in [{low}, {high}], got {value}",
                                                       low=1, high=MAX_ROWS, value=count))
    if not (math.isfinite(low) and math.isfinite(high)) or (scale and not (low > 0 and high > 0)):
        raise ConfigError(f"{where} {name}", tr("expected finite bounds (positive for :log)"))
    return SweepAxis(name, low, high, count, bool(scale))


def default_axis(param, value: float | None, count: int = 32) -> SweepAxis:
    """An axis over a float Param's valid range (open ends nudged inside); where the range is
    open-ended, two decades either side of the current value."""
    centre = value if value is not None and value > 0 else (param.default or 1e-3)
    if param.log:
        low = param.low if param.low is not None and param.low > 0 else centre / 100
        high = param.high if param.high is not None else centre * 100
        low, high = max(low, centre / 100), min(high, centre * 100)
        if param.high_open and high == param.high:
            high *= 0.999
        return SweepAxis(param.name, float(low), float(max(high, low * 10)), count, True)
    low = float(param.low) if param.low is not None else (centre - 1.0)
    high = float(param.high) if param.high is not None else (centre + 1.0)
    span = high - low
    if param.low_open:
        low += 0.01 * span
    if param.high_open:
        high -= 0.01 * span
    return SweepAxis(param.name, low, high, count, False)


def sweep_cells(axes) -> list[tuple[float, ...]]:
    """(name, values) pairs -> one tuple of values per cell; the last axis runs fastest."""
    if len(axes) == 1:
        return [(v,) for v in axes[0][1]]
    return [(a, b) for a in axes[0][1] for b in axes[1][1]]


def sweep_runs(run, names: list[str], cells, where: str = "--vary") -> list:
    """One run per cell, its hyperparameters checked as `run --opt` checks them."""
    from .optimizers import get_optimizer

    spec = get_optimizer(run.optimizer)
    runs = []
    for c, values in enumerate(cells):
        hyper = dict(run.hyper, **dict(zip(names, values)))
        try:
            hyper = spec.validate(hyper)
        except ConfigError as error:
            cell = ", ".join(f"{n}={v!r}" for n, v in zip(names, values))
            raise ConfigError(where, tr("cell {n} ({cell}): {field}: {message}", n=c, cell=cell,
                                             field=error.field, message=error.message)) from None
        runs.append(replace(run, hyper=hyper))
    return runs


def nearest_minima(x: np.ndarray, y: np.ndarray, minima, tolerance: float) -> np.ndarray:
    """Per row: the index of the known minimum within `tolerance` of (x, y), else -1."""
    out = np.full(len(x), -1)
    with np.errstate(invalid="ignore"):
        for index, (mx, my) in enumerate(minima):
            close = np.hypot(x - mx, y - my) <= tolerance
            out[close & (out < 0)] = index
    return out


def minimum_tolerance(box: Box) -> float:
    (x0, x1), (y0, y1) = box
    return MINIMUM_TOLERANCE * math.hypot(x1 - x0, y1 - y0)


# ---------------------------------------------------------------- jobs


@dataclass(frozen=True)
class BasinJob:
    """Race `experiment.runs[run]`'s settings from every start of an n×n grid over `box`
    (None: the surface's view box)."""

    experiment: object  # a validated surface Experiment
    run: int
    grid: int
    box: Box | None = None
    threshold: float | None = None  # first step with loss ≤ this is recorded (None: none)


@dataclass(frozen=True)
class SweepJob:
    """Race `experiment.runs[run]` with every cell of the axes' grid of values, from the
    experiment's start."""

    experiment: object
    run: int
    axes: tuple[SweepAxis, ...]
    threshold: float | None = None


@dataclass
class SwarmFrame:
    """What a view draws: per row, the last point and loss, the status code (batched.race's
    STATUS), the update it stopped at (`steps` while running or done), the first step its
    loss reached the threshold (-1: not yet) and, in a basin, the known minimum it sits at."""

    kind: str  # "basin" or "sweep"
    step: int
    steps: int
    done: bool
    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    status: np.ndarray
    stopped: np.ndarray
    reached: np.ndarray
    minimum: np.ndarray | None = None
    best_loss: np.ndarray | None = None
    meta: dict = field(default_factory=dict)  # starts / axes and cells, the minima, the box


class Swarm:
    """A job's BatchedRace, advanced a chunk at a time (`advance`), read any time (`frame`)."""

    def __init__(self, job, device=None):
        import torch

        from . import experiment as xp
        from .batched.groups import batchable
        from .batched.race import BatchedRace
        from .engine import resolve_device

        exp = job.experiment
        if exp.problem.is_dataset:
            raise ConfigError("swarm", tr("basin maps and sweeps race on a surface, not a dataset"))
        run = exp.runs[job.run]
        if not batchable(run):
            raise ConfigError("swarm", tr("{optimizer} can't race as rows of a batched race",
                                          optimizer=run.optimizer))
        self.job = job
        self.surface = xp.surface_of(exp.problem)
        self.params = self.surface.validate(exp.problem.params)
        device = device or resolve_device(exp.device)[0]
        dtype = torch.float64 if device.type != "mps" else torch.float32
        if isinstance(job, BasinJob):
            self.kind, self.box = "basin", job.box or self.surface.bounds
            starts = grid_starts(self.box, job.grid)
            runs = [run] * len(starts)
            self.meta = {"starts": starts, "box": self.box, "grid": job.grid,
                         "minima": list(self.surface.minima_for(self.params))}
        else:
            self.kind, self.box = "sweep", self.surface.bounds
            pairs = [(axis.name, axis.values()) for axis in job.axes]
            cells = sweep_cells(pairs)
            runs = sweep_runs(run, [name for name, _ in pairs], cells, "sweep")
            starts = [exp.problem.start or self.surface.start] * len(runs)
            self.meta = {"axes": job.axes, "cells": cells, "current": _current(run, job.axes)}
        self.race = BatchedRace(self.surface, self.params, runs, starts, exp.steps, exp.seed,
                                device, dtype)
        self.reached = torch.full((len(runs),), -1, dtype=torch.long, device=device)
        self.threshold = job.threshold

    @property
    def done(self) -> bool:
        return self.race.done

    def advance(self, n: int) -> None:
        """Up to n updates of every running row, noting the first step each row's loss is
        at or below the threshold (the loss of row k is known after update k; the last
        update also records row `steps`)."""
        from .batched.race import CONVERGED, RUNNING

        race = self.race
        if self.threshold is None:
            race.advance(n)
            return
        for _ in range(n):
            if race.done:
                return
            race.advance(1)
            if not race.rows:
                continue
            rows = race.ids[race.prev_loss <= self.threshold]
            status = race.full_status[rows]
            fresh = rows[(self.reached[rows] < 0) & ((status == RUNNING) | (status == CONVERGED))]
            if len(fresh):
                self.reached[fresh] = race.steps if race.done else race.step - 1

    def frame(self) -> SwarmFrame:
        s = self.race.summary()
        stopped = stopped_at(s)
        minimum = None
        if self.kind == "basin":
            minimum = nearest_minima(s.x, s.y, self.meta["minima"], minimum_tolerance(self.box))
        return SwarmFrame(self.kind, self.race.step, self.race.steps, self.race.done,
                          s.x, s.y, s.loss, s.status, stopped, self.reached.cpu().numpy(),
                          minimum, s.best_loss, self.meta)


def stopped_at(s) -> np.ndarray:
    """Summary.stopped_at of every row at once."""
    from .batched.race import CONVERGED, LEFT_MAP, NOT_FINITE

    out = np.full(len(s.x), s.steps, dtype=np.int64)
    ended = (s.status == CONVERGED) | (s.status == LEFT_MAP)
    out[ended] = s.step[ended]
    bad = s.status == NOT_FINITE
    out[bad] = np.where(np.isnan(s.x[bad]), 0, s.step[bad] + 1)
    return out


def _current(run, axes) -> tuple[float, ...]:
    return tuple(float(run.hyper.get(axis.name, math.nan)) for axis in axes)


# ---------------------------------------------------------------- CSV rows


def cell_text(value: float) -> str:
    return "" if value != value or math.isinf(value) else repr(float(value))


def ending(summary, r: int) -> list[str]:
    """step, x, y, loss, status of the run's last CSV row (history.write_csv's cells)."""
    return [str(int(summary.step[r])), cell_text(summary.x[r]), cell_text(summary.y[r]),
            cell_text(summary.loss[r]), summary.status_of(r)]


BASIN_HEADER = ["start_x", "start_y", "step", "x", "y", "loss", "status", "minimum", "best_loss"]


def basin_rows(starts, summary, near):
    return ([repr(sx), repr(sy), *ending(summary, r), "" if near[r] < 0 else str(near[r]),
             cell_text(summary.best_loss[r])] for r, (sx, sy) in enumerate(starts))


def sweep_header(names) -> list[str]:
    return ["cell", *names, "step", "x", "y", "loss", "status", "best_loss"]


def sweep_rows(cells, summary):
    return ([str(c), *(repr(v) for v in values), *ending(summary, c),
             cell_text(summary.best_loss[c])] for c, values in enumerate(cells))


def swarm_csv(swarm: Swarm) -> tuple[list[str], object]:
    """The header and rows `optplayground basin` / `sweep` write for this swarm."""
    summary = swarm.race.summary()
    if swarm.kind == "basin":
        near = nearest_minima(summary.x, summary.y, swarm.meta["minima"], minimum_tolerance(swarm.box))
        return BASIN_HEADER, basin_rows(swarm.meta["starts"], summary, near)
    names = [axis.name for axis in swarm.meta["axes"]]
    return sweep_header(names), sweep_rows(swarm.meta["cells"], summary)
