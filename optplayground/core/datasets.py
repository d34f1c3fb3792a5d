"""Small generated datasets: the linear-regression tutorial and TensorFlow Playground's toys.

Nothing is downloaded. Every dataset is drawn from `numpy.random.default_rng(seed)` with the
experiment's seed (global RNG state is never touched), shuffled, and split into train and test
points. Inputs are float64 of shape (n, input_dim); targets are 1-D: float64 for regression,
int64 class indices for classification. The 2-D sets live in TF Playground's [-6, 6]² box.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np
import torch

if TYPE_CHECKING:
    from torch import Tensor

from .params import ConfigError, Param, Spec
from .i18n import tr

__all__ = ["DatasetSpec", "Dataset", "DATASETS", "get_dataset", "make_dataset", "n_classes_of"]

Box = tuple[tuple[float, float], tuple[float, float]]
# generator(rng, validated params) -> inputs (n, input_dim), targets (n,)
Generator = Callable[[np.random.Generator, dict], tuple[np.ndarray, np.ndarray]]

BOX: Box = ((-6.0, 6.0), (-6.0, 6.0))


@dataclass(frozen=True)
class DatasetSpec(Spec):
    """A named generated dataset with typed parameters (see `Spec`)."""

    task: str = "classification"  # regression | classification
    n_classes: int = 2  # default class count (the `n_classes` param overrides); 0 for regression
    input_dim: int = 2
    default_loss: str = "bce_with_logits"  # for two classes; more classes use cross_entropy
    generate: Generator | None = None
    bounds: Box = BOX  # 2-D: the input box; 1-D: the (x, y) box to plot data and fit in
    model: Mapping[str, Any] | None = None  # model parameter defaults that suit this dataset

    def __post_init__(self):
        if self.generate is None:
            raise TypeError(f"dataset {self.name!r} needs a generator")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test tensors of one generated dataset."""

    name: str
    task: str
    n_classes: int  # 0 for regression
    input_dim: int
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    bounds: Box = BOX

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def n_test(self) -> int:
        return len(self.x_test)

    def to(self, device, dtype: torch.dtype | None = None) -> "Dataset":
        """A copy on `device`; inputs (and regression targets) in `dtype` (default float64),
        labels stay int64."""
        dtype = torch.float64 if dtype is None else dtype
        def target(y: Tensor) -> Tensor:
            return y.to(device) if self.task == "classification" else y.to(device, dtype)

        return Dataset(self.name, self.task, self.n_classes, self.input_dim,
                       self.x_train.to(device, dtype), target(self.y_train),
                       self.x_test.to(device, dtype), target(self.y_test), self.bounds)


# --- parameters --------------------------------------------------------------------------

def _n_points(default: int) -> Param:
    return Param("n_points", default, "int", low=4, high=100_000, help="how many points to draw")


def _test_fraction(default: float = 0.2) -> Param:
    return Param("test_fraction", default, low=0.0, high=1.0, high_open=True,
                 help="share of the points held out as the test set (0: no test set)")


_CLASS_NOISE = Param("noise", 0.1, low=0.0, high=0.5,
                     help="label noise as in TF Playground: 0 clean, 0.5 very noisy")


def _regression_noise(default: float) -> Param:
    return Param("noise", default, low=0.0, high=100.0, help="σ of the Gaussian noise on y")


def _n_classes(high: int = 6) -> Param:
    return Param("n_classes", 2, "int", low=2, high=high, help="how many classes")


def _class_sizes(n: int, k: int) -> list[int]:
    """n points shared out as evenly as possible over k classes."""
    return [n // k + (c < n % k) for c in range(k)]


def _labels(sizes: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(sizes)), sizes)


# --- regression --------------------------------------------------------------------------

def _linear(rng, p):
    x = rng.uniform(-1.0, 1.0, p["n_points"])
    y = p["slope"] * x + p["intercept"] + p["noise"] * rng.standard_normal(p["n_points"])
    return x[:, None], y


def _uniform_box(rng, n: int) -> np.ndarray:
    return rng.uniform(-6.0, 6.0, (n, 2))


def _plane(rng, p):
    x = _uniform_box(rng, p["n_points"])
    y = p["a"] * x[:, 0] + p["b"] * x[:, 1] + p["noise"] * rng.standard_normal(len(x))
    return x, y


# (centre x, centre y, sign) of the six bumps, laid out as TF Playground's multi-Gaussian.
_BUMPS = ((-4.0, 2.5, 1.0), (0.0, 2.5, -1.0), (4.0, 2.5, 1.0),
          (-4.0, -2.5, -1.0), (0.0, -2.5, 1.0), (4.0, -2.5, -1.0))
_BUMP_WIDTH = 1.2


def _multi_gaussian(rng, p):
    x = _uniform_box(rng, p["n_points"])
    y = sum(sign * np.exp(-((x[:, 0] - cx) ** 2 + (x[:, 1] - cy) ** 2) / (2 * _BUMP_WIDTH ** 2))
            for cx, cy, sign in _BUMPS)
    return x, y + p["noise"] * rng.standard_normal(len(x))


# --- classification (TF Playground's generators; class 1 is its blue class) ---------------

def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.stack((r * np.sin(angle), r * np.cos(angle)), axis=1)


def _circle(rng, p):
    """Class 1 inside radius 2.5, class 0 in the ring 3.5..5; the label is taken at a point
    jittered by up to noise·5, so noise flips labels near the gap."""
    inner, outer = _class_sizes(p["n_points"], 2)[::-1]
    r = np.concatenate((rng.uniform(3.5, 5.0, outer), rng.uniform(0.0, 2.5, inner)))
    x = _polar(r, rng.uniform(0.0, 2 * math.pi, len(r)))
    jittered = x + rng.uniform(-5.0, 5.0, x.shape) * p["noise"]
    return x, (np.hypot(jittered[:, 0], jittered[:, 1]) < 3.0).astype(np.int64)


def _xor(rng, p):
    """Uniform points pushed 0.3 off the axes; class 1 where x·y > 0 (at a jittered point)."""
    x = rng.uniform(-5.0, 5.0, (p["n_points"], 2))
    x += np.where(x > 0, 0.3, -0.3)
    jittered = x + rng.uniform(-5.0, 5.0, x.shape) * p["noise"]
    return x, (jittered[:, 0] * jittered[:, 1] > 0).astype(np.int64)


def _gaussians(rng, p):
    """One blob per class on a circle of radius 2√2 (two classes: at (2, 2) and (-2, -2));
    variance 0.5 at noise 0 up to 4 at noise 0.5."""
    sizes = _class_sizes(p["n_points"], p["n_classes"])
    angles = math.pi / 4 + 2 * math.pi * np.arange(len(sizes)) / len(sizes)
    centres = 2 * math.sqrt(2) * np.stack((np.cos(angles), np.sin(angles)), axis=1)
    std = math.sqrt(0.5 + 7.0 * p["noise"])
    y = _labels(sizes)
    return centres[y] + std * rng.standard_normal((len(y), 2)), y


def _spiral(rng, p):
    """Interleaved arms r = 5t, angle 3.5πt + 2πc/k (t ∈ [0, 1)), jittered by ±noise."""
    sizes = _class_sizes(p["n_points"], p["n_classes"])
    y = _labels(sizes)
    t = np.concatenate([np.arange(m) / m for m in sizes])
    x = _polar(5 * t, 1.75 * 2 * math.pi * t + 2 * math.pi * y / len(sizes))
    return x + rng.uniform(-1.0, 1.0, x.shape) * p["noise"], y


def _moons(rng, p):
    """scikit-learn's two moons, scaled by 3 and centred; Gaussian noise σ = 3·noise."""
    upper, lower = _class_sizes(p["n_points"], 2)
    t = rng.uniform(0.0, math.pi, upper + lower)
    x = np.stack((np.cos(t), np.sin(t)), axis=1)
    x[upper:] = 1 - x[upper:] - (0.0, 0.5)
    x = 3 * (x - (0.5, 0.25))
    return x + 3 * p["noise"] * rng.standard_normal(x.shape), _labels([upper, lower])


# --- the registry --------------------------------------------------------------------------

def _regression(name, title, generate, params, help, formula, **kw) -> DatasetSpec:
    return DatasetSpec(name, title, params, help, formula, task="regression", n_classes=0,
                       default_loss="mse", generate=generate, **kw)


def _classification(name, title, generate, help, extra=(), **kw) -> DatasetSpec:
    params = (_n_points(200), _CLASS_NOISE, *extra, _test_fraction())
    return DatasetSpec(name, title, params, help, generate=generate, **kw)


_ALL = (
    _regression("linear", "Linear (tutorial)", _linear,
                (_n_points(100), _regression_noise(0.2), _test_fraction(0.0),
                 Param("slope", 2.0, help="true slope w"),
                 Param("intercept", 1.0, help="true intercept b")),
                "The classic first example: fit y = w·x + b to noisy points on a line. "
                "A linear model has exactly two parameters, so its loss surface is a map.",
                "y = slope·x + intercept + σ·ε,  x ~ U[−1, 1],  ε ~ N(0, 1)",
                input_dim=1, bounds=((-1.0, 1.0), (-2.0, 4.0)), model={"kind": "linear"}),
    _regression("plane", "Plane", _plane,
                (_n_points(200), _regression_noise(0.1), _test_fraction(),
                 Param("a", 0.2, help="slope along x1"), Param("b", -0.1, help="slope along x2")),
                "A tilted plane over the 2-D box.",
                "y = a·x1 + b·x2 + σ·ε,  x ~ U[−6, 6]²"),
    _regression("multi_gaussian", "Multi-Gaussian", _multi_gaussian,
                (_n_points(300), _regression_noise(0.05), _test_fraction()),
                "Six Gaussian bumps and dips on a 3 × 2 grid, as in TF Playground.",
                "y = Σₖ sₖ·exp(−|x − cₖ|² / (2·1.2²)) + σ·ε,  sₖ = ±1",
                model={"hidden": "16,16"}),
    _classification("circle", "Circle", _circle,
                    "A disc of one class inside a ring of the other."),
    _classification("xor", "XOR", _xor,
                    "Opposite quadrants share a class: no single line separates them."),
    _classification("gaussians", "Gaussian blobs", _gaussians,
                    "One Gaussian blob per class; noise widens the blobs until they overlap.",
                    extra=(_n_classes(),)),
    _classification("spiral", "Spiral", _spiral,
                    "Interleaved spiral arms, one per class: needs depth or extra features.",
                    extra=(_n_classes(),), model={"hidden": "16,16,16"}),
    _classification("moons", "Two moons", _moons,
                    "Two interlocking half circles (scikit-learn's make_moons)."),
)

DATASETS: dict[str, DatasetSpec] = {d.name: d for d in _ALL}  # insertion order = menu order


def get_dataset(name: str, where: str = "problem.dataset") -> DatasetSpec:
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        known = ", ".join(DATASETS)
        raise ConfigError(where, tr("unknown dataset {name} (known: {known})", name=repr(name), known=known)) from None


def n_classes_of(spec: DatasetSpec, params: Mapping[str, Any]) -> int:
    """The class count a dataset will have with these (validated) params; 0 for regression."""
    return int(params.get("n_classes", spec.n_classes))


def make_dataset(name: str, params: Mapping[str, Any] | None, seed: int,
                 where: str = "problem.data") -> Dataset:
    """Draw dataset `name` with `params` from seed `seed`, shuffle it and split off the test
    points (the first ⌊test_fraction·n⌋ of the shuffled order). Float64, on the CPU."""
    spec = get_dataset(name)
    p = spec.validate(params or {}, where)
    rng = np.random.default_rng(seed)
    x, y = spec.generate(rng, p)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    n_test = math.floor(p["test_fraction"] * len(x))
    x_t = torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float64)
    y_t = torch.as_tensor(np.ascontiguousarray(y),
                          dtype=torch.int64 if spec.task == "classification" else torch.float64)
    return Dataset(name, spec.task, n_classes_of(spec, p), spec.input_dim,
                   x_t[n_test:], y_t[n_test:], x_t[:n_test], y_t[:n_test], spec.bounds)
