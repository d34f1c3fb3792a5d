"""The LR range test (Smith 2015, "Cyclical Learning Rates"), as pytorch-lr-finder does it.

From the model's initial weights, train with an LR that grows exponentially from start_lr
to end_lr over `steps` updates (update i uses start·(end/start)^(i/(steps−1))), one batch
per update, and record each batch's loss. The loss is smoothed with an exponential moving
average (smoothed_i = f·loss_i + (1−f)·smoothed_{i−1}, f = 0.05, not debiased, as
lr-finder's `smooth_f`); the test stops once the smoothed loss exceeds 5× the best one
(`diverge_th`) or is not finite. The suggested LR is where the smoothed loss falls
steepest: the argmin of numpy.gradient of the smoothed losses, leaving out the first 10
and the last 5 points (lr-finder's `plot(suggest_lr=True)`).

The run's optimizer and hyperparameters are used; its schedule, clipping and Lookahead are
not (the test sets the LR itself). Batches come from the run's batch size and the
experiment's seed, as in a race.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .i18n import tr
from .params import ConfigError

SMOOTH_F = 0.05
DIVERGE_TH = 5.0
SKIP_START, SKIP_END = 10, 5
MAX_STEPS = 100_000


@dataclass
class LRFindResult:
    lrs: np.ndarray  # the LR of each update made
    losses: np.ndarray  # its batch's loss
    smoothed: np.ndarray
    suggested_lr: float | None  # None: too few points for a suggestion
    diverged_at: int | None  # the update after which the test stopped, if it did

    def rows(self):
        """CSV rows: step, lr, loss, smoothed_loss (full precision)."""
        for i, (lr, loss, smooth) in enumerate(zip(self.lrs, self.losses, self.smoothed)):
            yield [str(i), repr(float(lr)), repr(float(loss)), repr(float(smooth))]


CSV_HEADER = ["step", "lr", "loss", "smoothed_loss"]


def exponential_lrs(start_lr: float, end_lr: float, steps: int) -> list[float]:
    if steps == 1:
        return [start_lr]
    return [start_lr * (end_lr / start_lr) ** (i / (steps - 1)) for i in range(steps)]


def check_range(start_lr: float, end_lr: float, steps: int) -> None:
    if not (math.isfinite(start_lr) and start_lr > 0):
        raise ConfigError("--start-lr", tr("expected a positive number, got {value}", value=repr(start_lr)))
    if not (math.isfinite(end_lr) and end_lr > start_lr):
        raise ConfigError("--end-lr", tr("expected a number above --start-lr, got {value}", value=repr(end_lr)))
    if not 2 <= steps <= MAX_STEPS:
        raise ConfigError("--steps", tr("expected a whole number in [{low}, {high}], got {value}",
                                     low=2, high=f"{MAX_STEPS:,}", value=steps))


def suggest(lrs: np.ndarray, smoothed: np.ndarray) -> float | None:
    """lr-finder's suggestion: the steepest descent of the smoothed loss (per update)."""
    lrs, losses = lrs[SKIP_START:-SKIP_END], smoothed[SKIP_START:-SKIP_END]
    if len(losses) < 2:
        return None
    return float(lrs[int(np.gradient(losses).argmin())])


def lr_range_test(experiment, run_index: int = 0, start_lr: float = 1e-7, end_lr: float = 10.0,
                  steps: int = 100, device: str | None = None) -> LRFindResult:
    """Run the test on a validated dataset experiment's run `run_index`."""
    from .engine import resolve_device
    from .optimizers import build_optimizer, get_optimizer
    from .training import TrainingTask

    check_range(start_lr, end_lr, steps)
    if not experiment.problem.is_dataset:
        raise ConfigError("lrfind", tr("the LR range test trains a model: give a dataset race"))
    run = experiment.runs[run_index]
    spec = get_optimizer(run.optimizer)
    if spec.needs_closure:
        raise ConfigError("--opt", tr("{optimizer} needs a closure; the LR range test steps "
                                      "one batch at a time", optimizer=run.optimizer))
    dev = resolve_device(device or experiment.device)[0]
    task = TrainingTask(experiment.problem.dataset_problem(), experiment.seed, dev)
    model = task.new_model()
    optimizer = build_optimizer(spec, list(model.parameters()), dict(run.hyper, lr=start_lr))
    sampler = task.new_sampler(run.batch_size, experiment.seed)
    lrs, losses, smoothed = [], [], []
    best, diverged_at = math.inf, None
    for i, lr in enumerate(exponential_lrs(start_lr, end_lr, steps)):
        for group in optimizer.param_groups:
            group["lr"] = lr
        indices, _, _ = sampler.next()
        optimizer.zero_grad()
        loss = task.batch_loss(model, indices)
        loss.backward()
        optimizer.step()
        value = float(loss.detach())
        smooth = value if i == 0 else SMOOTH_F * value + (1 - SMOOTH_F) * smoothed[-1]
        lrs.append(lr)
        losses.append(value)
        smoothed.append(smooth)
        best = min(best, smooth)
        if not math.isfinite(smooth) or smooth > DIVERGE_TH * best:
            diverged_at = i
            break
    lr_array, smoothed_array = np.array(lrs), np.array(smoothed)
    return LRFindResult(lr_array, np.array(losses), smoothed_array,
                        suggest(lr_array, smoothed_array), diverged_at)
