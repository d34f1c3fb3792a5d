"""How a race takes an edit: the one table both the window and the engine follow.

| what changed                                                     | `Edit`    |
|------------------------------------------------------------------|-----------|
| nothing                                                          | NONE      |
| a run's name or colour                                           | STYLE     |
| a value: lr and the other numbers, clipping, a schedule stage's  | LIVE      |
| parameters or length, Lookahead's k/alpha, the switch's values   |           |
| momentum from 0 (state torch creates only at the first step)     | REBUILD   |
| the optimizer, Lookahead on/off, the switch (on/off, its step or | RESTART   |
| optimizer), a flag of the optimizer (bool or choice: what it     |           |
| keeps in its state), the schedule's stages (added, removed,      |           |
| another kind), the batch size, which runs race and their order   |           |
| the problem, seed, steps, rows kept, device (the window's edits) | RESTART   |

LIVE and REBUILD edits apply from the next update of that run: the engine sets the new
values (`Engine.update_run`), and for REBUILD builds a fresh optimizer on the run's current
point (of a race that is over, a new race: core/race_model.py). A RESTART is a new race
(a new engine). The engine can rebuild for a flag too
(`needs_fresh_optimizer`): the window races anew instead, as the algorithm changed.
"""
from __future__ import annotations

import enum
from dataclasses import replace

from .experiment import Run
from .optimizers import OptimizerSpec, get_optimizer


class Edit(enum.IntEnum):
    """Ordered: a list of edits takes the largest."""

    NONE = 0
    STYLE = 1
    LIVE = 2
    REBUILD = 3
    RESTART = 4


def structure(run: Run) -> tuple:
    """What the engine cannot change in place: the optimizers and how they are wrapped,
    the batches a run draws, whether it races, its parameter groups."""
    switch = (run.switch.optimizer, run.switch.at) if run.switch else None
    return (run.optimizer, run.lookahead is None, switch, run.batch_size, run.enabled,
            tuple(sorted(run.lr_factors.items())))


def needs_fresh_optimizer(spec: OptimizerSpec, old: dict, new: dict) -> bool:
    """Hyperparameter edits that need optimizer state torch only creates at the first step
    (amsgrad's max buffer, RMSprop's centered mean, a momentum buffer): a new optimizer."""
    for param in spec.params:
        before, after = old.get(param.name), new.get(param.name)
        if before != after and (param.kind in ("bool", "choice")
                                or (param.name == "momentum" and before == 0)):
            return True
    return False


def _flag_flipped(old: Run, new: Run) -> bool:
    return any(p.kind in ("bool", "choice") and old.hyper.get(p.name) != new.hyper.get(p.name)
               for p in get_optimizer(new.optimizer).params)


def run_edit(old: Run, new: Run) -> Edit:
    """How the race takes the edit of one run from `old` to `new` (the table above)."""
    if old == new:
        return Edit.NONE
    if replace(new, name=old.name, color=old.color) == old:
        return Edit.STYLE
    if (structure(old) != structure(new) or _flag_flipped(old, new)
            or [s.name for s in old.schedule] != [s.name for s in new.schedule]):
        return Edit.RESTART
    if needs_fresh_optimizer(get_optimizer(new.optimizer), old.hyper, new.hyper):
        return Edit.REBUILD
    return Edit.LIVE


def runs_edit(old: list[Run], new: list[Run]) -> Edit:
    """How the race takes a new list of runs: another number of runs is a new race, else
    the largest edit of run i (runs are matched by position: only a RESTART can add,
    remove or move one)."""
    if len(old) != len(new):
        return Edit.RESTART
    return max((run_edit(a, b) for a, b in zip(old, new)), default=Edit.NONE)


def live_edits(old: list[Run], new: list[Run]) -> list[tuple[int, Run]]:
    """(index among the racing runs, run) of every run whose LIVE or REBUILD edit the engine
    must be told of; call when `runs_edit` is below RESTART."""
    racing = [(a, b) for a, b in zip(old, new) if b.enabled]
    return [(i, b) for i, (a, b) in enumerate(racing)
            if run_edit(a, b) in (Edit.LIVE, Edit.REBUILD)]
