"""Registry of optimizers: name -> typed spec (hyperparameters, update rule, factory).

Built-ins wrap torch.optim with torch's own defaults, so a run here takes exactly the steps
a plain torch loop with the same arguments takes. Any other optimizer class can be named by
import path ("package.module:ClassName"); its hyperparameters are read from its signature
(core/import_path.py).
Lookahead is not in the registry: it wraps any optimizer (see `ranger.Lookahead`).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import torch

from .params import ConfigError, Param, Spec
from .i18n import tr
from .import_path import constructs, import_class, signature_params
from .trust import (POLICY, ImportNotAllowed, check_allowed, is_import_path, is_shipped,
                    split_import_path)

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["OptimizerSpec", "OPTIMIZERS", "LOOKAHEAD", "get_optimizer", "import_optimizer",
           "build_optimizer", "set_hyper", "current_hyper"]

Factory = Callable[[list, dict], "torch.optim.Optimizer"]

LOOKAHEAD = Spec(
    name="lookahead",
    title="Lookahead",
    params=(
        Param("k", 5, kind="int", low=1, high=1000,
              help="inner (fast) steps between two syncs with the slow weights"),
        Param("alpha", 0.5, low=0.0, high=1.0, low_open=True,  # 0: never leaves the start
              help="how far the slow weights move toward the fast ones at a sync"),
    ),
    help="Wraps any optimizer: let it take k steps, then pull back part of the way. "
         "Damps oscillation and makes the run less sensitive to the learning rate.",
    formula="k inner steps: θ ← inner step(θ)\n"
            "then: φ ← φ + α·(θ − φ)\n"
            "      θ ← φ",
)


@dataclass(frozen=True)
class OptimizerSpec(Spec):
    """A Spec whose `factory(tensors, validated_hyper)` builds the torch optimizer."""

    factory: Factory | None = None
    needs_closure: bool = False  # step() must be given a closure that recomputes the loss

    def __post_init__(self):
        if not callable(self.factory):
            raise TypeError(f"optimizer spec {self.name!r} needs a factory")


# --- shared parameters -------------------------------------------------------------------

def _lr(default: float) -> Param:
    return Param("lr", default, low=0.0, log=True, help="learning rate: how big each step is")


def _betas(default: tuple = (0.9, 0.999)) -> Param:
    return Param("betas", default, kind="floats", low=0.0, high=1.0, high_open=True,
                 help="(β₁, β₂): decay of the running mean of gradients and of squared gradients")


def _eps(default: float) -> Param:
    return Param("eps", default, low=0.0, low_open=True, log=True,
                 help="small number added to the denominator so it is never zero")


def _weight_decay(default: float = 0.0, decoupled: bool = False) -> Param:
    if decoupled:  # AdamW, Ranger: θ ← θ − lr·λθ, not through the gradient
        return Param("weight_decay", default, low=0.0, log=True,
                     help="decoupled weight decay: shrinks the weights toward zero by lr·λθ "
                          "on every step, directly rather than through the gradient")
    return Param("weight_decay", default, low=0.0, log=True,
                 help="L2 penalty: pulls the weights toward zero on every step")


def _momentum(default: float) -> Param:
    return Param("momentum", default, low=0.0, high=1.0,
                 help="how much of the previous step's velocity is kept (a heavy ball)")


def _dampening() -> Param:
    return Param("dampening", 0.0, low=0.0, high=1.0,
                 help="scales down the new gradient's share of the velocity by (1 − dampening)")


_MAXIMIZE = Param("maximize", False, kind="bool",
                  help="climb uphill instead (gradient ascent)")
_AMSGRAD = Param("amsgrad", False, kind="bool",
                 help="divide by the largest v seen so far, so steps never grow back (AMSGrad)")
_DECOUPLED = Param("decoupled_weight_decay", False, kind="bool",
                   help="shrink the weights directly (AdamW style) instead of adding λθ to g")

_WD_LINE = "g ← ∇f(θ) + λθ"
_ADAM_LINES = ("m ← β₁m + (1−β₁)g\n"
               "v ← β₂v + (1−β₂)g²\n"
               "m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)\n"
               "θ ← θ − lr·m̂/(√v̂ + ε)")
_AMSGRAD_LINE = "amsgrad: vₘₐₓ ← max(vₘₐₓ, v), v̂ = vₘₐₓ/(1−β₂ᵗ)"
_DECOUPLED_LINE = "(decoupled: θ ← θ − lr·λθ instead)"


def _torch(class_name: str, **fixed: Any) -> Factory:
    """Factory for torch.optim's class `class_name` (or ranger.py's, "ranger.Name"); `fixed`
    are arguments the user does not choose. The class is looked up when the optimizer is
    built: reading the registry needs no torch (`optplayground list` answers at once)."""
    def factory(tensors: list, hyper: dict) -> torch.optim.Optimizer:
        kwargs = {name: _to_torch(value) for name, value in hyper.items()}
        return _optimizer_class(class_name)(tensors, **fixed, **kwargs)
    return factory


def _optimizer_class(name: str) -> type:
    if name.startswith("ranger."):
        from . import ranger

        return getattr(ranger, name.removeprefix("ranger."))
    return getattr(torch.optim, name)


def _to_torch(value: Any) -> Any:
    return None if value == "none" else value  # choice "none" means torch's None


def _nesterov_rule(values: Mapping[str, Any]) -> str | None:
    if values["momentum"] <= 0 or values["dampening"] != 0:
        return tr("Nesterov momentum needs momentum > 0 and dampening = 0")
    return None


def _sgd_rule(values: Mapping[str, Any]) -> str | None:
    return _nesterov_rule(values) if values["nesterov"] else None


def _rprop_rule(values: Mapping[str, Any]) -> str | None:
    eta_minus, eta_plus = values["etas"]
    if not eta_minus < 1.0 < eta_plus:
        return tr("etas must satisfy 0 < η₋ < 1 < η₊")
    low, high = values["step_sizes"]
    if low > high:
        return tr("step_sizes must be (min, max) with min ≤ max")
    return None


_SGD_PARAMS = (_lr(1e-3), _momentum(0.9), _dampening(), _weight_decay(), _MAXIMIZE)

_SPECS = [
    OptimizerSpec(
        name="sgd", title="SGD",
        params=(_lr(1e-3), _momentum(0.0), _dampening(),
                Param("nesterov", False, kind="bool",
                      help="look-ahead momentum (needs momentum > 0 and dampening 0)"),
                _weight_decay(), _MAXIMIZE),
        help="Gradient descent: step straight downhill, lr times the gradient. With momentum 0 "
             "(the default) you see the bare method; Momentum and Nesterov are presets of it.",
        formula=f"{_WD_LINE}\nmomentum 0: θ ← θ − lr·g\nelse: b ← μb + (1−τ)g, θ ← θ − lr·b\n"
                "nesterov: b ← μb + g, θ ← θ − lr·(g + μb)",
        rules=(_sgd_rule,),
        factory=_torch("SGD")),
    OptimizerSpec(
        name="momentum", title="SGD + momentum",
        params=_SGD_PARAMS,
        help="A heavy ball rolling downhill: velocity builds up along consistent directions "
             "and zig-zags cancel out. Shines in long narrow valleys.",
        formula=f"{_WD_LINE}\nb ← μb + (1−τ)g   (first step: b = g)\nθ ← θ − lr·b",
        factory=_torch("SGD")),
    OptimizerSpec(
        name="nesterov", title="SGD + Nesterov",
        params=_SGD_PARAMS,
        help="Momentum that looks ahead: the step uses the gradient plus the velocity it is "
             "about to add, so it brakes earlier before overshooting.",
        formula=f"{_WD_LINE}\nb ← μb + g   (first step: b = g)\ng ← g + μb\nθ ← θ − lr·g",
        rules=(_nesterov_rule,),
        factory=_torch("SGD", nesterov=True)),
    OptimizerSpec(
        name="rmsprop", title="RMSprop",
        params=(_lr(1e-2),
                Param("alpha", 0.99, low=0.0, high=1.0,
                      help="decay of the running mean of squared gradients"),
                _eps(1e-8), _weight_decay(), _momentum(0.0),
                Param("centered", False, kind="bool",
                      help="divide by the gradient's variance instead of its raw second moment"),
                _MAXIMIZE),
        help="Divides each coordinate's step by the recent size of its gradient, so steep "
             "and flat directions move at similar speed. Good on badly scaled surfaces.",
        formula=f"{_WD_LINE}\nv ← αv + (1−α)g²\n"
                "centered: ḡ ← αḡ + (1−α)g, ṽ = v − ḡ²   (else ṽ = v)\n"
                "b ← μb + g/(√ṽ + ε)\nθ ← θ − lr·b",
        factory=_torch("RMSprop")),
    OptimizerSpec(
        name="adagrad", title="Adagrad",
        params=(_lr(1e-2),
                Param("lr_decay", 0.0, low=0.0, log=True,
                      help="shrinks lr over time: lr / (1 + (t−1)·lr_decay)"),
                _weight_decay(),
                Param("initial_accumulator_value", 0.0, low=0.0,
                      help="starting value of the sum of squared gradients"),
                _eps(1e-10), _MAXIMIZE),
        help="Divides by the square root of ALL past squared gradients, so steps only shrink. "
             "Great for sparse features, but it can stall before reaching the minimum.",
        formula=f"{_WD_LINE}\nη = lr/(1 + (t−1)·lr_decay)\n"
                "s ← s + g²   (s₀ = initial_accumulator_value)\nθ ← θ − η·g/(√s + ε)",
        factory=_torch("Adagrad")),
    OptimizerSpec(
        name="adadelta", title="Adadelta",
        params=(_lr(1.0),
                Param("rho", 0.9, low=0.0, high=1.0,
                      help="decay of the running means of squared gradients and squared steps"),
                _eps(1e-6), _weight_decay(), _MAXIMIZE),
        help="Fixes Adagrad's ever-shrinking steps with running means, and scales steps by the "
             "size of recent steps, so it needs almost no learning-rate tuning.",
        formula=f"{_WD_LINE}\nv ← ρv + (1−ρ)g²\nΔ = √(u + ε)/√(v + ε) · g\n"
                "u ← ρu + (1−ρ)Δ²\nθ ← θ − lr·Δ",
        factory=_torch("Adadelta")),
    OptimizerSpec(
        name="adam", title="Adam",
        params=(_lr(1e-3), _betas(), _eps(1e-8), _weight_decay(), _AMSGRAD, _DECOUPLED,
                _MAXIMIZE),
        help="Momentum plus per-coordinate step sizes (RMSprop), with bias correction for the "
             "first steps. The default choice for most deep-learning problems.",
        formula=f"{_WD_LINE}   {_DECOUPLED_LINE}\n{_ADAM_LINES}\n{_AMSGRAD_LINE}",
        factory=_torch("Adam")),
    OptimizerSpec(
        name="adamw", title="AdamW",
        params=(_lr(1e-3), _betas(), _eps(1e-8), _weight_decay(1e-2, decoupled=True), _AMSGRAD,
                _MAXIMIZE),
        help="Adam with decoupled weight decay: the weights shrink directly instead of through "
             "the gradient, so decay is not rescaled by Adam's denominator.",
        formula=f"θ ← θ − lr·λθ\n{_ADAM_LINES}\n{_AMSGRAD_LINE}",
        factory=_torch("AdamW")),
    OptimizerSpec(
        name="amsgrad", title="AMSGrad",
        params=(_lr(1e-3), _betas(), _eps(1e-8), _weight_decay(), _DECOUPLED, _MAXIMIZE),
        help="Adam that divides by the largest second moment seen so far, so a coordinate's "
             "step size never grows back; fixes cases where Adam fails to converge.",
        formula=f"{_WD_LINE}   {_DECOUPLED_LINE}\nm ← β₁m + (1−β₁)g\nv ← β₂v + (1−β₂)g²\n"
                "vₘₐₓ ← max(vₘₐₓ, v)\nm̂ = m/(1−β₁ᵗ), v̂ = vₘₐₓ/(1−β₂ᵗ)\n"
                "θ ← θ − lr·m̂/(√v̂ + ε)",
        factory=_torch("Adam", amsgrad=True)),
    OptimizerSpec(
        name="adamax", title="Adamax",
        params=(_lr(2e-3), _betas(), _eps(1e-8), _weight_decay(), _MAXIMIZE),
        help="Adam with the infinity norm: divides by the largest recent gradient size "
             "instead of a root-mean-square, which is robust to rare huge gradients.",
        formula=f"{_WD_LINE}\nm ← β₁m + (1−β₁)g\nu ← max(β₂u, |g| + ε)\n"
                "θ ← θ − lr/(1−β₁ᵗ) · m/u",
        factory=_torch("Adamax")),
    OptimizerSpec(
        name="nadam", title="NAdam",
        params=(_lr(2e-3), _betas(), _eps(1e-8), _weight_decay(),
                Param("momentum_decay", 4e-3, low=0.0, log=True,
                      help="ψ: how quickly the momentum schedule μₜ warms up to β₁"),
                _DECOUPLED, _MAXIMIZE),
        help="Adam with Nesterov momentum: the step already includes the momentum it is about "
             "to take, which often converges a little faster than Adam.",
        formula=f"{_WD_LINE}   {_DECOUPLED_LINE}\n"
                "μₜ = β₁(1 − ½·0.96^(tψ))\n"
                "m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²\n"
                "m̂ = μₜ₊₁m/(1 − Πᵢ≤ₜ₊₁μᵢ) + (1−μₜ)g/(1 − Πᵢ≤ₜμᵢ)\n"
                "v̂ = v/(1−β₂ᵗ)\nθ ← θ − lr·m̂/(√v̂ + ε)",
        factory=_torch("NAdam")),
    OptimizerSpec(
        name="radam", title="RAdam",
        params=(_lr(1e-3), _betas(), _eps(1e-8), _weight_decay(), _DECOUPLED, _MAXIMIZE),
        help="Rectified Adam: takes plain momentum steps while the variance estimate is still "
             "unreliable (the first steps), then switches to Adam. A built-in warm-up.",
        formula=f"{_WD_LINE}   {_DECOUPLED_LINE}\n"
                "m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  m̂ = m/(1−β₁ᵗ)\n"
                "ρ∞ = 2/(1−β₂) − 1,  ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ)\n"
                "ρₜ > 5: r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ))\n"
                "        θ ← θ − lr·r·m̂·√(1−β₂ᵗ)/(√v + ε)\n"
                "else:   θ ← θ − lr·m̂",
        factory=_torch("RAdam")),
    OptimizerSpec(
        name="rprop", title="Rprop",
        params=(_lr(1e-2),
                Param("etas", (0.5, 1.2), kind="floats", low=0.0, low_open=True,
                      help="(η₋, η₊): shrink a step size when the gradient flips sign, grow it "
                           "when the sign holds"),
                Param("step_sizes", (1e-6, 50.0), kind="floats", low=0.0, low_open=True,
                      log=True, help="(min, max) allowed step size per coordinate"),
                _MAXIMIZE),
        help="Uses only the SIGN of each gradient coordinate and adapts a step size per "
             "coordinate. Meant for full-batch problems like these surfaces; breaks with noise.",
        formula="per coordinate, s = g·g_prev:\n"
                "s > 0: η ← min(η·η₊, η_max)\n"
                "s < 0: η ← max(η·η₋, η_min), g ← 0\n"
                "θ ← θ − η·sign(g)   (η starts at lr)",
        rules=(_rprop_rule,),
        factory=_torch("Rprop")),
    OptimizerSpec(
        name="asgd", title="ASGD",
        params=(_lr(1e-2),
                Param("lambd", 1e-4, low=0.0, log=True,
                      help="decay term: how fast the step size shrinks and the weights shrink"),
                Param("alpha", 0.75, low=0.0,
                      help="power of the step-size decay: η = lr/(1 + λ·lr·t)^α"),
                Param("t0", 1e6, low=0.0, log=True,
                      help="step at which averaging of the weights starts"),
                _weight_decay(), _MAXIMIZE),
        help="SGD with a slowly decaying step size that also keeps a running average of the "
             "weights (Polyak averaging); the plotted point is the SGD iterate, not the average.",
        formula=f"{_WD_LINE}\nη = lr/(1 + λ·lr·(t−1))^α\nθ ← θ·(1 − λη) − η·g\n"
                "θ̄ ← θ̄ + μ(θ − θ̄),  μ = 1/max(1, t − t₀)",
        factory=_torch("ASGD")),
    OptimizerSpec(
        name="lbfgs", title="L-BFGS",
        params=(_lr(1.0),
                Param("max_iter", 20, kind="int", low=1, high=1000,  # more would stall a race
                      help="inner iterations per step (each is one quasi-Newton move)"),
                Param("max_eval", None, kind="int", low=1, optional=True,
                      help="most function evaluations per step (empty: max_iter × 5/4)"),
                Param("tolerance_grad", 1e-7, low=0.0, log=True,
                      help="stop the step early when every gradient coordinate is this small"),
                Param("tolerance_change", 1e-9, low=0.0, log=True,
                      help="stop the step early when the loss or position barely changes"),
                Param("history_size", 100, kind="int", low=1,
                      help="how many past steps are remembered to estimate the curvature"),
                Param("line_search_fn", "none", kind="choice", choices=("none", "strong_wolfe"),
                      help="none: fixed step lr; strong_wolfe: search the step length")),
        help="A quasi-Newton method: estimates the curvature from recent steps and jumps "
             "toward the bottom of the local bowl. Very fast on smooth, noise-free problems.",
        formula="d = −H·g   (H ≈ inverse Hessian from the last m pairs (Δθ, Δg))\n"
                "θ ← θ + a·d,  a = lr   (or a strong-Wolfe line search)\n"
                "repeated up to max_iter times per step",
        needs_closure=True,
        factory=_torch("ranger.LBFGS")),
    OptimizerSpec(
        name="ranger", title="Ranger",
        params=(Param("lr", 1e-3, low=0.0, low_open=True, log=True,
                      help="learning rate: how big each step is"),
                _betas((0.95, 0.999)), _eps(1e-5), _weight_decay(decoupled=True),
                Param("k", 6, kind="int", low=1,
                      help="Lookahead: steps between syncs with the slow weights"),
                Param("alpha", 0.5, low=0.0, high=1.0, low_open=True,
                      help="Lookahead: how far the slow weights move toward the fast ones"),
                Param("n_sma_threshold", 5, kind="int", low=4,
                      help="RAdam: take adaptive steps once the variance estimate's length "
                           "N_sma exceeds this (at least 4: the rectification's square root "
                           "is of a negative number while 2 < N_sma < 4)"),
                Param("use_gc", True, kind="bool",
                      help="gradient centralization (acts only on weights with 2+ dims)")),
        help="RAdam + Lookahead + gradient centralization in one optimizer: a warm-up-free "
             "start and damped oscillation. Popular for training image models.",
        formula="g ← g − mean(g over all but the first dim)   (GC, tensors with 2+ dims)\n"
                "θ ← θ − lr·λθ\n"
                "m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²\n"
                "N∞ = 2/(1−β₂) − 1,  Nₜ = N∞ − 2tβ₂ᵗ/(1−β₂ᵗ)\n"
                "Nₜ > threshold: r = √((Nₜ−4)(Nₜ−2)N∞ / ((N∞−4)(N∞−2)Nₜ))\n"
                "                θ ← θ − lr·r·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)\n"
                "else:           θ ← θ − lr·m/(1−β₁ᵗ)\n"
                "every k steps:  φ ← φ + α(θ − φ), θ ← φ",
        factory=_torch("ranger.Ranger")),
]

OPTIMIZERS: dict[str, OptimizerSpec] = {spec.name: spec for spec in _SPECS}


# --- lookup ------------------------------------------------------------------------------

def get_optimizer(name: str, where: str = "optimizer") -> OptimizerSpec:
    """A built-in by name, or any optimizer class by import path "package.module:ClassName".

    A ConfigError names `where` (e.g. ``runs[1].optimizer``)."""
    try:
        return _lookup(name)
    except ImportNotAllowed as e:
        raise ImportNotAllowed(where, e.module) from None
    except ConfigError as e:
        raise ConfigError(where, e.message) from None


def _lookup(name: str) -> OptimizerSpec:
    if not isinstance(name, str):
        raise ConfigError("optimizer", tr("expected an optimizer name, got {value}", value=repr(name)))
    if name in OPTIMIZERS:
        return OPTIMIZERS[name]
    if is_import_path(name):
        check_allowed(name, "optimizer")  # before anything is imported: see core/trust.py
        return import_optimizer(name)
    if name == LOOKAHEAD.name:
        raise ConfigError("optimizer", tr("lookahead is not an optimizer on its own: it wraps one "
                                          "(turn it on for a run and set k and alpha)"))
    raise ConfigError("optimizer", tr("unknown optimizer {name}; choose one of {known} or an import "
                                      "path 'package.module:ClassName'",
                                      name=repr(name), known=", ".join(OPTIMIZERS)))


_IMPORTED: dict[str, OptimizerSpec] = {}


def import_optimizer(path: str) -> OptimizerSpec:
    """Spec for the optimizer class at `path` ("module:Class"), params from its signature.

    Imports the module whatever the policy says: call it for a path the user typed in
    person; files go through `get_optimizer`, which asks the policy first. The module is
    allowed for this process from then on. A class of a shipped package (torch) steps here;
    any other class builds and steps in a child process of its own, under a time limit
    (core/isolated.py)."""
    if path not in _IMPORTED:
        module, _ = split_import_path(path)
        cls = import_class(path)
        shipped = is_shipped(module)
        if shipped:
            factory = lambda tensors, hyper, cls=cls: cls(tensors, **hyper)  # noqa: E731
        else:
            from .isolated import IsolatedOptimizer

            factory = lambda tensors, hyper: IsolatedOptimizer(path, tensors, hyper)  # noqa: E731
        _IMPORTED[path] = OptimizerSpec(
            name=path, title=cls.__name__,
            params=signature_params(cls, path),
            help=(inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " "),
            formula=f"(see the documentation of {cls.__module__}.{cls.__qualname__})",
            needs_closure=issubclass(cls, torch.optim.LBFGS),
            # A user's constructor runs only in its run's child process, under a time limit:
            # values it refuses end that run with an error.
            rules=(constructs(cls),) if shipped else (),
            factory=factory)
        POLICY.allow(module)
    return _IMPORTED[path]


# --- building and changing ---------------------------------------------------------------

def build_optimizer(spec: OptimizerSpec, tensors: list[Tensor], hyper: Mapping[str, Any],
                    where: str = "") -> torch.optim.Optimizer:
    """Validate `hyper` (defaults filled in) and build the optimizer over `tensors`."""
    return spec.factory(list(tensors), spec.validate(hyper, where))


def set_hyper(optimizer: torch.optim.Optimizer, spec: OptimizerSpec, hyper: Mapping[str, Any],
              lookahead: Mapping[str, Any] | None = None, where: str = "") -> None:
    """Change hyperparameters mid-run; torch reads group keys on every step, so the new
    values apply from the next step. For a Lookahead wrapper, `hyper` goes to the inner
    optimizer and `lookahead` ({"k", "alpha"}) to the wrapper. Values are checked together
    with the current ones, so cross-field rules (e.g. Nesterov's) still hold."""
    from .ranger import Lookahead

    target = optimizer.inner if isinstance(optimizer, Lookahead) else optimizer
    if hyper:
        values = spec.validate({**current_hyper(target, spec), **hyper}, where)
        for group in target.param_groups:
            for name in hyper:
                group[name] = _to_torch(values[name])
    if lookahead:
        if not isinstance(optimizer, Lookahead):
            raise ConfigError(where or "lookahead", "this run has no Lookahead wrapper")
        values = LOOKAHEAD.validate({"k": optimizer.k, "alpha": optimizer.alpha, **lookahead},
                                    where)
        optimizer.k, optimizer.alpha = values["k"], values["alpha"]


def current_hyper(optimizer: torch.optim.Optimizer, spec: OptimizerSpec) -> dict[str, Any]:
    """The spec's hyperparameters as the optimizer's first param group holds them now."""
    group = optimizer.param_groups[0]
    out = {}
    for p in spec.params:
        value = group.get(p.name, p.default)
        if value is None and p.kind == "choice" and "none" in p.choices:
            value = "none"
        out[p.name] = value
    return out
