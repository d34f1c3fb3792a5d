"""Training a tiny model on a small dataset: the pieces the engine steps a dataset race with.

`TrainingTask` owns the dataset (on the device), the loss, and a recipe for the model: every
`new_model()` has the same initial weights, so optimizers race fairly. `Sampler` hands out
batches of train indices and counts epochs. The math is plain torch: a run here takes the
same steps as a hand-written loop with the same data, weights and batches.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .datasets import Dataset, get_dataset, make_dataset, n_classes_of
from .i18n import tr
from .models import (build_model, default_loss_for, get_loss, loss_task_error,
                     make_criterion, two_parameters, validate_loss_params, validate_model)
from .params import ConfigError

__all__ = ["DatasetProblem", "validate_dataset_problem", "TrainingTask", "Sampler",
           "two_parameters"]


@dataclass
class DatasetProblem:
    """A dataset by name and its parameters, the model trained on it and the loss."""

    dataset: str = "linear"
    data: dict[str, Any] = field(default_factory=dict)  # the dataset's params
    model: dict[str, Any] = field(default_factory=dict)  # MODEL_PARAMS values
    loss: str = ""  # "" = the dataset's default (see models.default_loss)
    loss_params: dict[str, Any] = field(default_factory=dict)


def validate_dataset_problem(p: DatasetProblem, where: str = "problem") -> DatasetProblem:
    """A checked copy with every default filled in (model defaults suit the dataset); `loss`
    stays "" when it was, so a saved file follows the dataset's default. ConfigError names
    the field, e.g. ``problem.model.hidden``."""
    spec = get_dataset(p.dataset, f"{where}.dataset")
    data = spec.validate(_table(p.data, f"{where}.data"), f"{where}.data")
    n_classes = n_classes_of(spec, data)
    model = validate_model({**(spec.model or {}), **_table(p.model, f"{where}.model")},
                           spec.input_dim, f"{where}.model")
    if not isinstance(p.loss, str):
        raise ConfigError(f"{where}.loss", tr("expected a loss name, got {value}", value=repr(p.loss)))
    loss = p.loss or default_loss_for(spec.task, n_classes)
    get_loss(loss, f"{where}.loss")
    error = loss_task_error(loss, spec.task, n_classes)
    if error:
        raise ConfigError(f"{where}.loss", error)
    loss_params = validate_loss_params(loss, _table(p.loss_params, f"{where}.loss_params"),
                                       n_classes, f"{where}.loss_params")
    return DatasetProblem(p.dataset, data, model, p.loss, loss_params)


def _table(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(where, tr("expected a table of parameters, got {value}", value=repr(value)))
    return value


class Sampler:
    """Batches of train indices, one per `next()`.

    Full batch (batch_size 0, or at least the train size): all indices in order every step,
    and every step is an epoch. Mini-batches: at the start of each epoch a CPU
    `torch.Generator().manual_seed(seed)` draws `torch.randperm(n)`, which is cut into
    batches of batch_size in order; the last batch keeps the remainder. The same seed gives
    every run of a race the same batches.
    """

    def __init__(self, n: int, batch_size: int, seed: int, device=None):
        if n < 1 or batch_size < 0:
            raise ValueError(f"need n >= 1 and batch_size >= 0, got {n}, {batch_size}")
        self.n = n
        self.batch_size = batch_size if 0 < batch_size < n else n
        self.full_batch = self.batch_size == n
        self.steps_per_epoch = math.ceil(n / self.batch_size)
        self.device = device
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch = -1
        self._order = torch.arange(n, device=device)
        self._position = n  # the first next() starts epoch 0

    def next(self) -> tuple[Tensor, int, bool]:
        """(indices, the 0-based epoch they belong to, whether they start that epoch)."""
        new_epoch = self._position >= self.n
        if new_epoch:
            self.epoch += 1
            self._position = 0
            if not self.full_batch:
                self._order = torch.randperm(self.n, generator=self.generator).to(self.device)
        start, self._position = self._position, self._position + self.batch_size
        return self._order[start:self._position], self.epoch, new_epoch


class TrainingTask:
    """A validated DatasetProblem made concrete for one seed and device."""

    def __init__(self, problem: DatasetProblem, seed: int, device="cpu",
                 dtype: torch.dtype = torch.float64):
        self.problem = validate_dataset_problem(problem)
        self.seed = seed
        self.device = torch.device(device)
        self.dtype = dtype
        p = self.problem
        self.spec = get_dataset(p.dataset)
        self.dataset: Dataset = make_dataset(p.dataset, p.data, seed).to(self.device, dtype)
        self.loss_name = p.loss or default_loss_for(self.dataset.task, self.dataset.n_classes)
        self.criterion = make_criterion(self.loss_name, p.loss_params, self.dataset,
                                        self.device, dtype)
        self.has_batchnorm = p.model["kind"] == "mlp" and p.model["batchnorm"]

    # ------------------------------------------------------------ models and batches

    def new_model(self) -> nn.Module:
        """The model with its initial weights: identical on every call (same seed)."""
        model = build_model(self.problem.model, self.dataset, self.seed, self.loss_name)
        return model.to(self.device, self.dtype)

    def validate_batch_size(self, batch_size: Any, where: str = "batch_size") -> int:
        """0 = full batch, k >= 1 = mini-batches of k. With BatchNorm every batch (the last,
        partial one too) needs at least two points."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 0:
            raise ConfigError(where, tr("expected 0 (full batch) or a positive whole number, "
                                        "got {value}", value=repr(batch_size)))
        n = self.dataset.n_train
        size = batch_size if 0 < batch_size < n else n
        smallest = min(size, n % size or size)
        if self.has_batchnorm and smallest < 2:
            raise ConfigError(where, tr("BatchNorm needs at least 2 points per batch; batch size "
                                        "{size} on {n} training points makes a batch of {smallest}",
                                        size=batch_size, n=n, smallest=smallest))
        return batch_size

    def new_sampler(self, batch_size: int, seed: int) -> Sampler:
        self.validate_batch_size(batch_size)
        return Sampler(self.dataset.n_train, batch_size, seed, self.device)

    def batch_loss(self, model: nn.Module, indices: Tensor) -> Tensor:
        """The loss the optimizer minimises: train mode, on the train points `indices`."""
        model.train()
        data = self.dataset
        return self.criterion(model(data.x_train[indices]), data.y_train[indices])

    # ------------------------------------------------------------ measuring

    def evaluate(self, model: nn.Module) -> tuple[float, float, float]:
        """(train loss, test loss, accuracy) in eval mode without grad. The test loss is NaN
        without a test set; accuracy is on the test set (the train set when there is none),
        NaN for regression."""
        data = self.dataset
        with _evaluating(model):
            train_out = model(data.x_train)
            train_loss = float(self.criterion(train_out, data.y_train))
            test_loss, accuracy = math.nan, math.nan
            if data.n_test:
                test_out = model(data.x_test)
                test_loss = float(self.criterion(test_out, data.y_test))
            if data.task == "classification":
                out, y = (test_out, data.y_test) if data.n_test else (train_out, data.y_train)
                accuracy = float((self._classes(out) == y).double().mean())
        return train_loss, test_loss, accuracy

    @staticmethod
    def _classes(output: Tensor) -> Tensor:
        if output.shape[-1] == 1:
            return (output.squeeze(-1) > 0).long()
        return output.argmax(-1)

    def predict_grid(self, model: nn.Module, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """In eval mode (the model's mode is restored), as float64:
        2-D inputs: Z[j, i] at (xs[i], ys[j]) — P(class 1) for two classes, the argmax class
        for more, the prediction for regression; 1-D inputs: the predictions at xs."""
        data = self.dataset
        xs_t = self._tensor(xs)
        if data.input_dim == 1:
            points, shape = xs_t[:, None], (len(xs_t),)
        else:
            ys_t = self._tensor(ys)
            gx, gy = torch.meshgrid(xs_t, ys_t, indexing="xy")  # both [len(ys), len(xs)]
            points, shape = torch.stack((gx.reshape(-1), gy.reshape(-1)), dim=1), gx.shape
        with _evaluating(model):
            out = model(points)
        if data.task == "regression":
            values = out.squeeze(-1)
        elif out.shape[-1] == 1:
            values = torch.sigmoid(out.squeeze(-1))
        elif data.n_classes == 2:
            values = torch.softmax(out, dim=-1)[:, 1]
        else:
            values = out.argmax(-1)
        return _numpy(values.reshape(shape))

    def _tensor(self, values: np.ndarray) -> Tensor:
        return torch.as_tensor(np.asarray(values, dtype=np.float64)).to(self.device, self.dtype)

    def preactivations(self, model: nn.Module,
                       layer: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
        """The train set's values entering and leaving BatchNorm layer `layer` (the hidden
        layer's pre-activations before and after normalisation, shape (n_train, width)),
        normalised with batch statistics as in training. No grad, and the model is left
        untouched (running statistics are not updated). None without that BatchNorm layer."""
        norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
        if not 0 <= layer < len(norms) or not isinstance(model, nn.Sequential):
            return None
        x = self.dataset.x_train
        count = 0
        with torch.no_grad():
            for module in model:
                if not isinstance(module, nn.BatchNorm1d):
                    x = module(x)
                    continue
                normed = F.batch_norm(x, None, None, module.weight, module.bias, True, 0.0,
                                      module.eps)
                if count == layer:
                    return _numpy(x), _numpy(normed)
                x, count = normed, count + 1
        return None


def _numpy(t: Tensor) -> np.ndarray:
    return t.to("cpu", torch.float64).numpy()


@contextmanager
def _evaluating(model: nn.Module) -> Iterator[None]:
    """Eval mode and no grad inside; the model's previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)
