"""What the window draws of a dataset race besides the rows: each run's fit and BatchNorm.

The model lives in the worker thread, so the pictures of it are computed there: `run_views`
snapshots every run's prediction over the dataset's box (`TrainingTask.predict_grid`), its
metrics and, with BatchNorm, the first hidden layer's pre-activations. Plain numpy arrays
go to the window; nothing here holds on to a model.

`weight_surface` is the bridge to surface mode: a model with exactly two parameters (the
line fit w·x + b) has a loss surface over (w, b) that a trajectory map can draw like any
2-D test function, with each optimizer's path on it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.func import functional_call

from .training import TrainingTask, two_parameters

__all__ = ["RunView", "view_axes", "run_views", "WeightSurface", "weight_surface"]

Box = tuple[tuple[float, float], tuple[float, float]]

CURVE_FACTOR = 4  # a 1-D fit is a curve: four times the points of a grid side cost nothing
# BatchNorm snapshots: enough points and units for a histogram, bounded for big datasets.
MAX_SAMPLES = 2000
MAX_UNITS = 16
GRID_ELEMENTS = 2_000_000  # (w, b) points × train points evaluated at once


@dataclass(frozen=True, eq=False)
class RunView:
    """One run's model at one moment, as the window draws it."""

    index: int  # among the enabled runs, as in the engine and the history
    step: int  # updates the model has had
    xs: np.ndarray  # sample positions of the grid (1-D inputs: of the curve)
    ys: np.ndarray
    grid: np.ndarray  # predict_grid(model, xs, ys): Z[j, i] at (xs[i], ys[j]); 1-D: Z[i]
    train_loss: float  # the metrics of exactly this model (row `step` will repeat them)
    test_loss: float
    accuracy: float
    # BatchNorm: the first hidden layer's values entering / leaving the normalisation,
    # shape (≤ MAX_SAMPLES, ≤ MAX_UNITS); None without BatchNorm.
    preactivations: tuple[np.ndarray, np.ndarray] | None = None


def view_axes(task: TrainingTask, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample positions over the dataset's box: a side of `resolution` points for 2-D
    inputs, CURVE_FACTOR times as many x positions for 1-D ones."""
    (x0, x1), (y0, y1) = task.dataset.bounds
    across = resolution * CURVE_FACTOR if task.dataset.input_dim == 1 else resolution
    return np.linspace(x0, x1, across), np.linspace(y0, y1, resolution)


def run_views(engine, resolution: int = 64) -> list[RunView]:
    """A snapshot of every run of a dataset race (an empty list for a surface race)."""
    task: TrainingTask | None = engine.task
    if task is None:
        return []
    xs, ys = view_axes(task, resolution)
    views = []
    for index, state in enumerate(engine.runs):
        model = state.objective.model
        train, test, accuracy = task.evaluate(model)
        pre = task.preactivations(model) if task.has_batchnorm else None
        if pre is not None:
            pre = tuple(np.ascontiguousarray(a[:MAX_SAMPLES, :MAX_UNITS]) for a in pre)
        views.append(RunView(index, state.step, xs, ys, task.predict_grid(model, xs, ys),
                             train, test, accuracy, pre))
    return views


# ---------------------------------------------------------------- the (w, b) plane

class WeightSurface:
    """The full-batch train loss of a two-parameter model as a function of (w, b).

    Quacks like a `surfaces.Surface` where a trajectory map needs one: `bounds`, `grid`,
    `minima_for`, `value`. The loss is the task's own criterion on the model's own forward
    pass (train mode, as the optimizer sees it), vectorized over the plane with vmap.
    """

    title = "Train loss over (w, b)"
    stochastic = False
    params = ()

    def __init__(self, task: TrainingTask):
        self.task = task
        self.model = task.new_model()
        pair = two_parameters(self.model)
        if pair is None:
            raise ValueError("the model does not have exactly two parameters")
        self.start = (float(pair[0].detach()), float(pair[1].detach()))
        self._names = [name for name, _ in self.model.named_parameters()]
        self._shapes = [p.shape for p in pair]
        self.minimum = self._minimum()
        self.bounds = _box_around((self.start, self.minimum))

    def value(self, wb: Tensor) -> Tensor:
        """The train loss at every point of wb[..., 2] (w, b)."""
        wb = torch.as_tensor(wb, dtype=self.task.dtype, device=self.task.device)
        flat = wb.reshape(-1, 2)
        chunk = max(1, GRID_ELEMENTS // self.task.dataset.n_train)
        self.model.train()
        with torch.no_grad():
            losses = torch.vmap(self._loss_at, chunk_size=chunk)(flat[:, 0], flat[:, 1])
        return losses.reshape(wb.shape[:-1])

    def grid(self, box: Box | None = None, resolution: int = 200,
             params: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """xs (w), ys (b) and Z[j, i] = loss(xs[i], ys[j]) in float64, for the heat map."""
        (x0, x1), (y0, y1) = box or self.bounds
        xs = torch.linspace(x0, x1, int(resolution), dtype=torch.float64)
        ys = torch.linspace(y0, y1, int(resolution), dtype=torch.float64)
        gx, gy = torch.meshgrid(xs, ys, indexing="xy")
        z = self.value(torch.stack((gx, gy), dim=-1))
        return xs.numpy(), ys.numpy(), z.to("cpu", torch.float64).numpy()

    def predict(self, w: float, b: float, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """The model's `predict_grid` with weights (w, b): any step's fit from its row."""
        with torch.no_grad():
            for param, value in zip(two_parameters(self.model), (w, b)):
                param.fill_(value)
        return self.task.predict_grid(self.model, xs, ys)

    def minima_for(self, params: dict | None = None) -> tuple[tuple[float, float], ...]:
        return (self.minimum,)

    def _loss_at(self, w: Tensor, b: Tensor) -> Tensor:
        data = self.task.dataset
        weights = {self._names[0]: w.reshape(self._shapes[0]),
                   self._names[1]: b.reshape(self._shapes[1])}
        return self.task.criterion(functional_call(self.model, weights, (data.x_train,)),
                                   data.y_train)

    def _minimum(self) -> tuple[float, float]:
        """Least squares, exact for MSE; other losses refine it with L-BFGS."""
        data = self.task.dataset
        x = data.x_train[:, 0].to("cpu", torch.float64)  # CPU: its solver takes any rank
        design = torch.stack((x, torch.ones_like(x)), dim=1)
        target = data.y_train.to("cpu", torch.float64)[:, None]
        w, b = torch.linalg.lstsq(design, target).solution[:, 0].tolist()
        if self.task.loss_name == "mse":
            return (w, b)
        point = torch.tensor([w, b], dtype=self.task.dtype, device=self.task.device,
                             requires_grad=True)
        solver = torch.optim.LBFGS([point], lr=1.0, max_iter=500, tolerance_grad=1e-12,
                                   tolerance_change=1e-15, line_search_fn="strong_wolfe")

        def closure():
            solver.zero_grad()
            loss = self._loss_at(point[0], point[1])
            loss.backward()
            return loss

        with torch.enable_grad():
            solver.step(closure)
        return tuple(float(v) for v in point.detach())


def _box_around(points) -> Box:
    """A box holding the points with room around them: paths that overshoot stay in view."""
    ws, bs = [p[0] for p in points], [p[1] for p in points]
    span = max(max(ws) - min(ws), max(bs) - min(bs), 0.5)
    pad = 0.75 * span
    return ((min(ws) - pad, max(ws) + pad), (min(bs) - pad, max(bs) + pad))


def weight_surface(task: TrainingTask) -> WeightSurface | None:
    """The (w, b) loss surface when the task's model has exactly two parameters, else None."""
    if two_parameters(task.new_model()) is None:
        return None
    return WeightSurface(task)
