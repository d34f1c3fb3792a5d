"""What a run minimises: a point on a 2-D surface, or a tiny model on a small dataset.

The engine steps both the same way; an objective owns the run's parameters, the loss of the
next update, and the problem-specific parts of a row.
"""
from __future__ import annotations

import math

import torch

from .history import COLUMNS, DATASET_COLUMNS
from .training import TrainingTask, two_parameters

# Converged: the point stops moving and the raw gradient vanishes (engine and batched race).
CONVERGED_GRAD = 1e-10
CONVERGED_MOVE = 1e-14
# A run is stopped as diverged once it is farther outside the view box than this many box sizes.
ESCAPE_MARGIN = 10.0
NAN = float("nan")


class SurfaceObjective:
    """The run's one parameter is the point (x, y), shape (2,)."""

    columns = COLUMNS

    def __init__(self, surface, params: dict, start, seed: int, device, dtype):
        self.surface, self.surface_params = surface, surface.validate(params)
        self.point = torch.tensor(start, dtype=dtype, device=device, requires_grad=True)
        self.params = [self.point]
        self.generator = None
        if surface.stochastic:
            self.generator = torch.Generator(device=device).manual_seed(seed)
        (x0, x1), (y0, y1) = surface.bounds
        mx, my = ESCAPE_MARGIN * (x1 - x0), ESCAPE_MARGIN * (y1 - y0)
        self.escape_box = (x0 - mx, x1 + mx, y0 - my, y1 + my)
        self.can_converge = not surface.stochastic

    def param_groups(self, factors: dict[str, float]) -> list:
        """A point is one parameter: Run.lr_factors (for a model's groups) do not apply."""
        return self.params

    def next_batch(self) -> None:
        """Nothing to draw: the noise of a stochastic surface is drawn by `loss`."""

    def loss(self) -> torch.Tensor:
        return self.surface.checked_objective(self.point, self.surface_params, self.generator)

    def measure(self, loss: torch.Tensor) -> list[float]:
        """x, y and the clean loss f(x, y) of the current point."""
        x, y = self.point.detach().tolist()
        if self.generator is not None:
            with torch.no_grad():
                loss = self.surface.fn(self.point, self.surface_params)
        return [x, y, loss.item()]

    def extras(self) -> list[float]:
        return []

    def plateau_metric(self, loss: torch.Tensor, extras: list[float]) -> float:
        """What ReduceLROnPlateau watches: the loss of the update (noisy on a noisy surface)."""
        return float(loss.detach())

    def check(self, row: list[float]) -> tuple[bool, str]:
        """(keep the row, why the run stops or "")."""
        x, y, loss = row[1], row[2], row[3]
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(loss)):
            return False, "not finite"
        x0, x1, y0, y1 = self.escape_box
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return True, "left the map"
        return True, ""


def dropout_seed(seed: int, forward: int) -> int:
    """The global seed set before training forward `forward` of a model with dropout."""
    return (seed * 1_000_003 + forward) % (1 << 63)


class DatasetObjective:
    """A fresh copy of the task's model (same initial weights for every run) and a sampler."""

    columns = COLUMNS + DATASET_COLUMNS
    can_converge = False

    def __init__(self, task: TrainingTask, batch_size: int, seed: int):
        self.task = task
        self.model = task.new_model()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.sampler = task.new_sampler(batch_size, seed)
        self.indices, self.epoch = None, 0
        self.dropout = any(isinstance(m, torch.nn.Dropout) for m in self.model.modules())
        self.seed, self.forwards = seed, 0

    def next_batch(self) -> None:
        self.indices, self.epoch, _ = self.sampler.next()

    def param_groups(self, factors: dict[str, float]) -> list[dict]:
        """torch param groups by the end of each parameter's name (Run.lr_factors): every
        weight, then every bias, each group with its `lr_factor`."""
        groups: dict[str, list] = {"weight": [], "bias": []}
        for name, p in self.model.named_parameters():
            if p.requires_grad:
                groups["bias" if name.endswith("bias") else "weight"].append(p)
        return [{"params": params, "lr_factor": factors.get(kind, 1.0)}
                for kind, params in groups.items() if params]

    def loss(self) -> torch.Tensor:
        if self.dropout:  # forward k draws its masks from seed·1_000_003 + k: every run of a
            # race gets the same masks at the same forward, whatever the other runs draw
            torch.manual_seed(dropout_seed(self.seed, self.forwards))
            self.forwards += 1
        return self.task.batch_loss(self.model, self.indices)

    def measure(self, loss: torch.Tensor) -> list[float]:
        """w, b for a two-parameter model (else NaN) and the loss of the update's batch."""
        pair = two_parameters(self.model)
        w, b = (float(pair[0].detach()), float(pair[1].detach())) if pair else (NAN, NAN)
        return [w, b, float(loss.detach())]

    def extras(self) -> list[float]:
        train, test, accuracy = self.task.evaluate(self.model)
        return [float(self.epoch), train, test, accuracy]

    def plateau_metric(self, loss: torch.Tensor, extras: list[float]) -> float:
        """What ReduceLROnPlateau watches: the test loss, as a validation loss is watched;
        the whole training set's loss when there is no test split."""
        _, train, test, _ = extras
        return test if math.isfinite(test) else train

    def check(self, row: list[float]) -> tuple[bool, str]:
        loss, train = row[3], row[len(COLUMNS) + 1]
        if not (math.isfinite(loss) and math.isfinite(train)):
            return False, "not finite"
        return True, ""
