"""2-D loss surfaces: f(xy[..., 2]) -> loss[...], written in torch ops so autograd works.

Every surface is vectorized (any leading shape), keeps the input's dtype and device, and
carries what the app needs around it: a view box, its known global minima, a default start
that makes a race interesting, and its definition as text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch

if TYPE_CHECKING:
    from torch import Tensor

from .params import ConfigError, Param, Spec
from .i18n import tr

Box = tuple[tuple[float, float], tuple[float, float]]
Point = tuple[float, float]


@dataclass(frozen=True)
class Surface(Spec):
    """A named 2-D test function with typed parameters (see `Spec`)."""

    fn: Callable[[Tensor, dict], Tensor] | None = None  # clean loss, vectorized over xy[..., 2]
    bounds: Box = ((-2.0, 2.0), (-1.0, 3.0))  # view box ((xmin, xmax), (ymin, ymax))
    minima: tuple[Point, ...] = ()  # known global minima, for markers
    start: Point = (0.0, 0.0)
    # Stochastic surfaces only: noise(xy, params, generator, shared) -> term added to the loss;
    # shared: one draw for all points, the draw a single point makes (a batched race's rows).
    noise: Callable[[Tensor, dict, torch.Generator | None, bool], Tensor] | None = None
    bounded_below: bool = True  # False where a run can fall forever (the saddles)
    minima_fn: Callable[[dict], tuple[Point, ...]] | None = None  # minima that move with params

    def __post_init__(self):
        if self.fn is None:
            raise TypeError(f"surface {self.name!r} needs a function")

    @property
    def stochastic(self) -> bool:
        return self.noise is not None

    def value(self, xy: Tensor, params: dict | None = None) -> Tensor:
        """The clean loss at every point of `xy[..., 2]`."""
        return self.fn(_as_points(xy), self.validate(params or {}))

    def objective(self, xy: Tensor, params: dict | None = None,
                  generator: torch.Generator | None = None) -> Tensor:
        """What optimizers minimise: the clean loss plus, on stochastic surfaces, a noise term
        drawn from `generator` (which must live on xy's device)."""
        return self.checked_objective(_as_points(xy), self.validate(params or {}), generator)

    def checked_objective(self, xy: Tensor, params: dict,
                          generator: torch.Generator | None = None,
                          shared_noise: bool = False) -> Tensor:
        """`objective` for validated params and float points: the engine's every-step path,
        which checks them once per race instead of once per step. shared_noise: every point
        gets the noise draw one point alone would get (the rows of a batched race are runs
        that each draw from the same seed)."""
        loss = self.fn(xy, params)
        if self.noise is None:
            return loss
        return loss + self.noise(xy, params, generator, shared_noise)

    def minima_for(self, params: dict | None = None) -> tuple[Point, ...]:
        if self.minima_fn is None:
            return self.minima
        return self.minima_fn(self.validate(params or {}))

    def grid(self, box: Box | None = None, resolution: int = 200,
             params: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """xs, ys and Z with Z[j, i] = f(xs[i], ys[j]) in float64, for the heat map."""
        if int(resolution) < 2:
            raise ConfigError("resolution", f"must be at least 2, got {resolution!r}")
        (x0, x1), (y0, y1) = box or self.bounds
        xs = torch.linspace(x0, x1, int(resolution), dtype=torch.float64)
        ys = torch.linspace(y0, y1, int(resolution), dtype=torch.float64)
        gx, gy = torch.meshgrid(xs, ys, indexing="xy")  # both [len(ys), len(xs)]
        with torch.no_grad():
            z = self.value(torch.stack((gx, gy), dim=-1), params)
        return xs.numpy(), ys.numpy(), z.numpy()


def _as_points(xy: Tensor) -> Tensor:
    xy = torch.as_tensor(xy)
    if xy.ndim == 0 or xy.shape[-1] != 2:
        raise ValueError(f"expected points of shape (..., 2), got {tuple(xy.shape)}")
    return xy if xy.is_floating_point() else xy.to(torch.float64)


# --- the functions ---------------------------------------------------------------------

def _quadratic(xy, p):
    x, y = xy.unbind(-1)
    return x * x + y * y


def _rosenbrock(xy, p):
    x, y = xy.unbind(-1)
    return (p["a"] - x) ** 2 + p["b"] * (y - x * x) ** 2


def _saddle(xy, p):
    x, y = xy.unbind(-1)
    return x * x - y * y


def _monkey_saddle(xy, p):
    x, y = xy.unbind(-1)
    return x ** 3 - 3 * x * y * y


def _noisy_quadratic(xy, p):
    x, y = xy.unbind(-1)
    return 0.5 * (p["h1"] * x * x + p["h2"] * y * y)


def _noisy_quadratic_noise(xy, p, generator, shared=False):
    """ξ·xy with ξ ~ N(0, noise_scale²·H / batch_size): the gradient becomes H·xy + ξ.
    One draw of ξ per point, or with `shared` one draw (shape (2,)) for all points."""
    if p["noise_scale"] == 0:
        return torch.zeros_like(xy[..., 0])
    shape = xy.shape[-1:] if shared else xy.shape
    z = torch.randn(shape, generator=generator, dtype=xy.dtype, device=xy.device)
    scale = p["noise_scale"] / math.sqrt(p["batch_size"])
    std = torch.tensor([math.sqrt(p["h1"]), math.sqrt(p["h2"])], dtype=xy.dtype,
                       device=xy.device) * scale
    return (z * std * xy).sum(-1)


def _rastrigin(xy, p):
    a = p["A"]
    return 2 * a + (xy * xy - a * torch.cos(2 * math.pi * xy)).sum(-1)


def _beale(xy, p):
    x, y = xy.unbind(-1)
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


def _himmelblau(xy, p):
    x, y = xy.unbind(-1)
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _ackley(xy, p):
    r2 = (xy * xy).mean(-1)
    # sqrt has an infinite slope at 0: take the gradient there as 0 instead of NaN.
    positive = r2 > 0
    r = torch.where(positive, torch.where(positive, r2, 1.0).sqrt(), 0.0)
    return (-20 * torch.exp(-0.2 * r) - torch.exp(torch.cos(2 * math.pi * xy).mean(-1))
            + math.e + 20)


def _booth(xy, p):
    x, y = xy.unbind(-1)
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def _styblinski_tang(xy, p):
    return 0.5 * (xy ** 4 - 16 * xy ** 2 + 5 * xy).sum(-1)


def _six_hump_camel(xy, p):
    x, y = xy.unbind(-1)
    return (4 - 2.1 * x ** 2 + x ** 4 / 3) * x ** 2 + x * y + (4 * y ** 2 - 4) * y ** 2


_HIMMELBLAU_MINIMA = ((3.0, 2.0), (-2.805118086952745, 3.131312518250573),
                      (-3.779310253377747, -3.2831859912861696),
                      (3.5844283403304917, -1.8481265269644034))
_ST = -2.9035340277711774  # Styblinski–Tang minimiser of each coordinate
_CAMEL = (0.08984201310031806, -0.7126564030207396)

_ALL = (
    Surface("rosenbrock", "Rosenbrock", fn=_rosenbrock,
            params=(Param("a", 1.0, help="position of the minimum (a, a²)"),
                    Param("b", 100.0, low=0.0, low_open=True, log=True,
                          help="steepness of the valley walls")),
            help="A long, curved, flat-bottomed valley: easy to find, slow to follow.",
            formula="f = (a − x)² + b·(y − x²)²;  minimum (a, a²)",
            bounds=((-2.0, 2.0), (-1.0, 3.0)), minima=((1.0, 1.0),), start=(-1.5, 2.0),
            minima_fn=lambda p: ((p["a"], p["a"] ** 2),)),
    Surface("saddle", "Saddle", fn=_saddle, bounded_below=False,
            help="x² − y²: a start near the ridge tests how fast a method escapes.",
            formula="f = x² − y²  (unbounded below)", bounds=((-2.0, 2.0), (-2.0, 2.0)),
            start=(-1.8, 0.01)),
    Surface("monkey_saddle", "Monkey saddle", fn=_monkey_saddle, bounded_below=False,
            help="x³ − 3xy²: a flat saddle with three valleys; the gradient vanishes at 0.",
            formula="f = x³ − 3·x·y²  (unbounded below)", bounds=((-2.0, 2.0), (-2.0, 2.0)),
            start=(1.5, 0.2)),
    Surface("noisy_quadratic", "Noisy quadratic", fn=_noisy_quadratic,
            noise=_noisy_quadratic_noise,
            params=(Param("h1", 1.0, low=0.0, low_open=True, log=True,
                          help="curvature along x"),
                    Param("h2", 0.01, low=0.0, low_open=True, log=True,
                          help="curvature along y"),
                    Param("noise_scale", 0.1, low=0.0,
                          help="gradient noise; 0 makes the surface deterministic"),
                    Param("batch_size", 1, kind="int", low=1,
                          help="noise covariance shrinks as 1 / batch size")),
            help="Noisy quadratic model (Zhang et al. 2019): an ill-conditioned bowl "
                 "with stochastic gradients.",
            formula="f = ½(h1·x² + h2·y²);  gradient H·p + ξ,  "
                    "ξ ~ N(0, noise_scale²·H / batch_size),  H = diag(h1, h2)",
            bounds=((-3.0, 3.0), (-3.0, 3.0)), minima=((0.0, 0.0),), start=(-2.5, 2.5)),
    Surface("rastrigin", "Rastrigin", fn=_rastrigin,
            params=(Param("A", 10.0, low=0.0, help="depth of the ripples"),),
            help="A bowl covered in regular ripples: many local minima.",
            formula="f = 2A + Σᵢ (xᵢ² − A·cos(2π·xᵢ))", bounds=((-5.12, 5.12), (-5.12, 5.12)),
            minima=((0.0, 0.0),), start=(-4.4, 3.8)),
    Surface("beale", "Beale", fn=_beale,
            help="Flat plateaus and sharp ridges around a narrow valley to (3, 0.5).",
            formula="f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
            bounds=((-4.5, 4.5), (-4.5, 4.5)), minima=((3.0, 0.5),), start=(0.7, 1.4)),
    Surface("himmelblau", "Himmelblau", fn=_himmelblau,
            help="Four equal minima: which one a method finds depends on its path.",
            formula="f = (x² + y − 11)² + (x + y² − 7)²", bounds=((-5.0, 5.0), (-5.0, 5.0)),
            minima=_HIMMELBLAU_MINIMA, start=(-0.3, -0.9)),
    Surface("ackley", "Ackley", fn=_ackley,
            help="A nearly flat, rippled plain with one deep hole at the origin.",
            formula="f = −20·exp(−0.2·√(½(x² + y²))) − exp(½(cos 2πx + cos 2πy)) + e + 20",
            bounds=((-5.0, 5.0), (-5.0, 5.0)), minima=((0.0, 0.0),), start=(-3.7, 3.2)),
    Surface("booth", "Booth", fn=_booth,
            help="A tilted elongated bowl (condition number 9).",
            formula="f = (x + 2y − 7)² + (2x + y − 5)²", bounds=((-10.0, 10.0), (-10.0, 10.0)),
            minima=((1.0, 3.0),), start=(-7.0, -6.0)),
    Surface("styblinski_tang", "Styblinski–Tang", fn=_styblinski_tang,
            help="Four basins of different depth; the deepest is at (−2.90, −2.90).",
            formula="f = ½ Σᵢ (xᵢ⁴ − 16xᵢ² + 5xᵢ);  minimum −78.33233",
            bounds=((-5.0, 5.0), (-5.0, 5.0)), minima=((_ST, _ST),), start=(4.5, 4.0)),
    Surface("quadratic", "Quadratic bowl", fn=_quadratic,
            help="A round, well-conditioned bowl: every method should just walk in.",
            formula="f = x² + y²", bounds=((-3.0, 3.0), (-3.0, 3.0)),
            minima=((0.0, 0.0),), start=(-2.5, 2.0)),
    Surface("six_hump_camel", "Six-hump camel", fn=_six_hump_camel,
            help="Six local minima, two of them global and mirror images.",
            formula="f = (4 − 2.1x² + x⁴/3)·x² + xy + (4y² − 4)·y²",
            bounds=((-2.0, 2.0), (-1.2, 1.2)),
            minima=(_CAMEL, (-_CAMEL[0], -_CAMEL[1])), start=(-1.7, -0.9)),
)

SURFACES: dict[str, Surface] = {s.name: s for s in _ALL}  # insertion order = menu order


def get_surface(name: str) -> Surface:
    try:
        return SURFACES[name]
    except (KeyError, TypeError):
        known = ", ".join(SURFACES)
        raise ConfigError("problem.surface", tr("unknown surface {name} (known: {known})", name=repr(name), known=known)) from None


__all__ = ["Surface", "SURFACES", "get_surface"]
