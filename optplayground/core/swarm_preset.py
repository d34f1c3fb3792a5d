"""A preset's swarm view: its `[swarm]` table says which view shows the experiment.

    [swarm]
    view = "basin"              # every batchable run's basin map (its grid of starts)
    grid = 64
    colour = "minimum"          # minimum | loss | steps

    [swarm]
    view = "sweep"              # run `run`'s hyperparameters over a grid
    run = 0
    vary = ["lr=1e-4..1e-2:log:40", "momentum=0..0.99:40"]
    colour = "loss"             # loss | steps | diverged

`run --preset` writes that view's CSV (a basin: one block of rows per run, `run` first),
`shot --preset` pictures the window with the view shown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .i18n import tr
from .params import ConfigError
from .swarm import BasinJob, SweepJob, parse_axis

BASIN_COLOURS = ("minimum", "loss", "steps")
SWEEP_COLOURS = ("loss", "steps", "diverged")


@dataclass(frozen=True)
class SwarmView:
    view: str  # "basin" or "sweep"
    run: int = 0
    grid: int = 64
    colour: str = ""
    vary: tuple[str, ...] = ()


def swarm_view(data: dict, where: str = "swarm") -> SwarmView:
    if not isinstance(data, dict):
        raise ConfigError(where, tr("expected a table"))
    known = {"view", "run", "grid", "colour", "vary"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}",
                          tr("unknown key (known: {known})", known=", ".join(sorted(known))))
    view = data.get("view")
    if view not in ("basin", "sweep"):
        raise ConfigError(f"{where}.view", tr("expected 'basin' or 'sweep', got {value}", value=repr(view)))
    colours = BASIN_COLOURS if view == "basin" else SWEEP_COLOURS
    colour = data.get("colour", colours[0])
    if colour not in colours:
        raise ConfigError(f"{where}.colour", tr("expected one of {choices}, got {value}",
                                                choices=", ".join(colours), value=repr(colour)))
    grid, run = data.get("grid", 64), data.get("run", 0)
    for key, value, high in (("grid", grid, 1024), ("run", run, 1 << 16)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise ConfigError(f"{where}.{key}", tr("expected a whole number in [{low}, {high}], got {value}",
                                                   low=0, high=high, value=repr(value)))
    vary = data.get("vary", [])
    if not isinstance(vary, list) or not all(isinstance(v, str) for v in vary) or \
            (view == "sweep" and not 1 <= len(vary) <= 2):
        raise ConfigError(f"{where}.vary",
                          tr("expected a list of one or two 'PARAM=LOW..HIGH[:log]:COUNT'"))
    return SwarmView(view, run, grid, colour, tuple(vary))


def threshold_for(exp) -> float | None:
    """The default loss threshold: the known minimum's loss + 0.001 (None: no known minimum)."""
    import torch

    from .experiment import surface_of

    surface = surface_of(exp.problem)
    minima = surface.minima_for(exp.problem.params)
    if not minima:
        return None
    best = surface.value(torch.tensor(minima, dtype=torch.float64), exp.problem.params)
    value = float(best.min()) + 1e-3
    return value if math.isfinite(value) else None


def jobs_for(view: SwarmView, exp) -> list[tuple[str, object]]:
    """(run name, job) for each run the view races: every batchable run of a basin, the one
    run of a sweep. `exp` is validated."""
    from dataclasses import replace

    from .batched.groups import batchable

    threshold = threshold_for(exp)
    if view.view == "sweep":
        if view.run >= len(exp.runs):
            raise ConfigError("swarm.run", tr("the experiment has {n} runs", n=len(exp.runs)))
        one = replace(exp, runs=[exp.runs[view.run]])
        axes = tuple(parse_axis(text, one.runs[0].optimizer, "swarm.vary") for text in view.vary)
        return [(one.runs[0].name, SweepJob(one, 0, axes, threshold))]
    return [(run.name, BasinJob(replace(exp, runs=[run]), 0, view.grid, threshold=threshold))
            for run in exp.runs if batchable(run)]
