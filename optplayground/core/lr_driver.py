"""`LRDriver`: the LR each update of a run uses, from its schedule (core/schedules.py).

A run's stages become one torch scheduler (a chain: torch's `SequentialLR`), stepped once
per update on a shadow optimizer; ReduceLROnPlateau is given the run's loss. A change of
the schedule or the base lr mid-run is a fresh scheduler fast-forwarded to the update the
run is at.
"""
from __future__ import annotations

import math
from array import array
from itertools import accumulate
from typing import TYPE_CHECKING

import torch

from .params import ConfigError
from .schedules import SCHEDULES, Stage, sched, stage_spans, validate_stages

if TYPE_CHECKING:
    from torch.optim import Optimizer
    from torch.optim.lr_scheduler import LRScheduler as Scheduler  # ReduceLROnPlateau too


def _unit(t: int) -> float:
    return 1.0


def build_scheduler(optimizer: Optimizer, stages: list[Stage],
                    total_steps: int) -> Scheduler | None:
    """One stage -> its torch scheduler; several -> SequentialLR; none or constant -> None."""
    stages = validate_stages(stages)
    chained = len(stages) > 1
    built = []
    for i, (stage, (_, length)) in enumerate(zip(stages, stage_spans(stages, total_steps))):
        try:
            scheduler = SCHEDULES[stage.name].factory(optimizer, stage.params, length)
        except ConfigError as e:
            raise ConfigError(f"schedule[{i}].{e.field}", e.message) from None
        if scheduler is None and chained:  # SequentialLR needs a scheduler for every stage
            scheduler = sched.LambdaLR(optimizer, _unit)
        built.append(scheduler)
    if not chained:
        return built[0] if built else None
    milestones = list(accumulate(s.steps for s in stages[:-1]))
    return sched.SequentialLR(optimizer, built, milestones)


def _last_allowed_step(stages: list[Stage], total_steps: int) -> float:
    """OneCycleLR refuses to step past its total_steps: the driver holds the LR from there."""
    if not stages or stages[-1].name != "onecycle":
        return math.inf
    start, length = stage_spans(stages, total_steps)[-1]
    return start + length


class LRDriver:
    """Gives the LR each update uses; lets a run change its base lr or schedule mid-run.

    The torch scheduler runs on a private shadow optimizer, never on the real one: the
    engine copies `lr` into the real optimizer before each update. Scheduler internals
    (initial_lr, momentum cycling) thus never touch the real optimizer, any optimizer or
    wrapper works, and a change of settings is a fresh scheduler fast-forwarded through
    the updates done so far.
    """

    def __init__(self, stages: list[Stage], base_lr: float, total_steps: int):
        self.total_steps = total_steps
        self._steps = 0
        self._losses: array | None = None  # kept only while the schedule watches the loss
        self.rebuild(stages, base_lr)

    @property
    def lr(self) -> float:
        """The LR the next update uses."""
        return float(self._shadow.param_groups[0]["lr"])

    @property
    def steps_done(self) -> int:
        return self._steps

    @property
    def watches_loss(self) -> bool:
        """True when `step` needs the loss (ReduceLROnPlateau)."""
        return self._losses is not None

    def step(self, loss: float | None = None) -> None:
        """One update happened; `loss` is the current loss (plateau needs it)."""
        if self._losses is not None:
            if loss is None:
                raise ValueError("the plateau schedule needs the loss of every update")
            self._losses.append(float(loss))
        self._steps += 1
        self._advance(self._steps, loss)

    def rebuild(self, stages: list[Stage], base_lr: float, total_steps: int | None = None) -> None:
        """New settings: `lr` becomes what they give at the current step.

        A plateau schedule replays the losses recorded since plateau was chosen; one chosen
        mid-run starts watching the loss from the current update.
        """
        stages = validate_stages(stages)
        total = self.total_steps if total_steps is None else total_steps
        shadow = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr, momentum=0.9)
        scheduler = build_scheduler(shadow, stages, total)
        if scheduler is not None:
            # torch warns when a scheduler steps before its optimizer ever did. It checks only
            # at the scheduler's first step, so one no-op step (no grads) covers them all.
            shadow.step()
        plateau = isinstance(scheduler, sched.ReduceLROnPlateau)
        self.total_steps = total
        self._shadow, self._scheduler = shadow, scheduler
        self._last_step = _last_allowed_step(stages, total)
        if not plateau:
            self._losses = None
        elif self._losses is None:
            self._losses = array("d")
        self._fast_forward()

    def _advance(self, step: int, loss: float | None) -> None:
        if self._scheduler is None or step > self._last_step:
            return
        if self._losses is not None:
            self._scheduler.step(loss)
        else:
            self._scheduler.step()

    def _fast_forward(self) -> None:
        if self._scheduler is None:
            return
        if self._losses is not None:
            for loss in self._losses:
                self._scheduler.step(loss)
            return
        for _ in range(int(min(self._steps, self._last_step))):
            self._scheduler.step()
