"""LR schedules: torch's schedulers with typed parameters, and chains of them (the registry).

`t` counts the updates done so far: the first update uses the LR at t = 0. In a chain every
stage counts its own t from the update it starts at. The numbers are torch's own: a single
stage is that torch scheduler, a chain is torch's `SequentialLR` (quirks included).
core/lr_driver.py builds them and steps them for a run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .lazy import Deferred
from .i18n import tr
from .params import ConfigError, Param, Spec

if TYPE_CHECKING:
    from torch.optim import Optimizer
    from torch.optim.lr_scheduler import LRScheduler as Scheduler  # ReduceLROnPlateau too

sched = Deferred("torch.optim.lr_scheduler")  # `list schedules` needs no torch
Factory = Callable[["Optimizer", dict, int], "Scheduler | None"]


def _no_scheduler(optimizer: Optimizer, params: dict, total_steps: int) -> None:
    return None


@dataclass(frozen=True)
class ScheduleSpec(Spec):
    """A schedule picked by name.

    `factory(optimizer, params, total_steps)` builds the torch scheduler from validated
    params (None: the LR stays put); `total_steps` is the length of the stage it drives.
    `prepare(values)` may normalise raw values before validation (raising
    ConfigError(param name, ...)), e.g. milestone text into its canonical form.
    """

    factory: Factory = field(default=_no_scheduler, kw_only=True, repr=False)
    prepare: Callable[[dict], dict] | None = field(default=None, kw_only=True, repr=False)

    def validate(self, values: Mapping[str, Any], where: str = "") -> dict[str, Any]:
        if self.prepare is not None:
            try:
                values = self.prepare(dict(values))
            except ConfigError as e:
                raise ConfigError(f"{where}.{e.field}" if where else e.field, e.message) from None
        return super().validate(values, where)


# ---------------------------------------------------------------- parameter helpers

def _run_lr(optimizer: Optimizer) -> float:
    """The lr the optimizer was created with: schedulers change the groups, never this."""
    return optimizer.defaults["lr"]


def _stage_length(name: str, help: str) -> Param:
    """An int Param where 0 means "as long as the stage" (the rest of the run for the last)."""
    return Param(name, 0, kind="int", low=0, help=f"{help}; 0 = the stage's length")


_MILESTONE = Param("milestones", 1, kind="int", low=1)


def _milestone_list(value: Any) -> list[int]:
    """'100,200' (or ';' / spaces), or a list of ints -> strictly increasing update counts."""
    if isinstance(value, str):
        items = value.replace(",", " ").replace(";", " ").split()
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ConfigError("milestones", tr("expected update counts like 100,200, got {value}",
                                             value=repr(value)))
    if not items:
        raise ConfigError("milestones", tr("give at least one update count, e.g. 100,200"))
    numbers = [_MILESTONE.coerce(item) for item in items]
    for a, b in zip(numbers, numbers[1:]):
        if b <= a:
            raise ConfigError("milestones", tr("must increase, got {b} after {a}", a=a, b=b))
    return numbers


def _prepare_milestones(values: dict) -> dict:
    if "milestones" in values:
        values["milestones"] = ",".join(map(str, _milestone_list(values["milestones"])))
    return values


def _three_phase_rule(values: Mapping[str, Any]) -> str | None:
    if values["three_phase"] and values["pct_start"] >= 0.5:
        return tr("three_phase needs pct_start < 0.5 (warm-up and cool-down each take pct_start)")
    return None


def _check_onecycle_phases(pct_start: float, total: int, three_phase: bool) -> None:
    """torch divides by each phase's length: refuse settings that make one exactly zero."""
    warm_end = pct_start * total - 1
    ends = [warm_end] + ([2 * pct_start * total - 2] if three_phase else []) + [total - 1]
    if any(end == start for start, end in zip([0.0] + ends, ends)):
        raise ConfigError("pct_start", tr("gives a phase of zero updates over {total} steps; pick "
                                          "another pct_start", total=total))


def inverse_sqrt_factor(t: int, warmup_steps: int) -> float:
    """The lr factor of "Attention is all you need", d^-0.5·min(s^-0.5, s·warmup^-1.5) with
    s = t + 1, scaled by d^0.5·warmup^0.5 so its peak (at s = warmup) is exactly 1."""
    s = t + 1
    return min(s / warmup_steps, math.sqrt(warmup_steps / s))


# ---------------------------------------------------------------- factories

def _step(opt, p, n):
    return sched.StepLR(opt, p["step_size"], p["gamma"])


def _multistep(opt, p, n):
    return sched.MultiStepLR(opt, _milestone_list(p["milestones"]), p["gamma"])


def _exponential(opt, p, n):
    return sched.ExponentialLR(opt, p["gamma"])


def _cosine(opt, p, n):
    return sched.CosineAnnealingLR(opt, p["T_max"] or n, p["eta_min"])


def _cosine_restarts(opt, p, n):
    return sched.CosineAnnealingWarmRestarts(opt, p["T_0"], p["T_mult"], p["eta_min"])


def _linear(opt, p, n):
    return sched.LinearLR(opt, p["start_factor"], p["end_factor"], p["total_iters"] or n)


def _onecycle(opt, p, n):
    _check_onecycle_phases(p["pct_start"], n, p["three_phase"])
    max_lr = _run_lr(opt) if p["max_lr"] is None else p["max_lr"]
    return sched.OneCycleLR(opt, max_lr, total_steps=n, pct_start=p["pct_start"],
                            anneal_strategy=p["anneal_strategy"], div_factor=p["div_factor"],
                            final_div_factor=p["final_div_factor"], three_phase=p["three_phase"])


def _cyclic(opt, p, n):
    max_lr = _run_lr(opt) if p["max_lr"] is None else p["max_lr"]
    base_lr = max_lr / 10 if p["base_lr"] is None else p["base_lr"]
    return sched.CyclicLR(opt, base_lr, max_lr, p["step_size_up"], p["step_size_down"],
                          p["mode"], p["gamma"])


def _plateau(opt, p, n):
    return sched.ReduceLROnPlateau(opt, **p)  # our names are torch's


def _inverse_sqrt(opt, p, n):
    warmup = p["warmup_steps"]
    return sched.LambdaLR(opt, lambda t: inverse_sqrt_factor(t, warmup))


def _lambda(opt, p, n):
    return sched.LambdaLR(opt, lambda_factor(p["factor"]))


def lambda_factor(text: str) -> Callable[[int], float]:
    """The LambdaLR multiplier of a formula in `step`/`epoch` (core/expression.py: parsed,
    never eval'd). A value that is not a finite number ≥ 0 stops the run with a message."""
    from .expression import compile_factor

    f = compile_factor(text)

    def factor(t: int) -> float:
        value = f(t)
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(tr("the lambda schedule's factor {formula} is {value} at step {t} "
                                "(it must be a finite number ≥ 0)",
                                formula=repr(text), value=repr(value), t=t))
        return value
    return factor


def _prepare_lambda(values: dict) -> dict:
    """Parse the formula now (its errors name the column) and try it at steps 0 and 1."""
    if "factor" in values:
        from .expression import FormulaError

        try:
            factor = lambda_factor(values["factor"])
            factor(0), factor(1)
        except FormulaError as e:
            raise ConfigError("factor", e.message) from None
        except ValueError as e:
            raise ConfigError("factor", str(e)) from None
    return values


def _polynomial(opt, p, n):
    return sched.PolynomialLR(opt, p["total_iters"] or n, p["power"])


# ---------------------------------------------------------------- the registry

_GAMMA_DECAY = Param("gamma", 0.1, low=0, high=1, low_open=True,
                     help="factor the lr is multiplied by at each drop")
_ETA_MIN = Param("eta_min", 0.0, low=0, help="lowest lr the cosine reaches")

_SPECS = (
    ScheduleSpec(
        "constant", "Constant", help="The lr stays at the run's lr.",
        formula="lr_t = lr₀"),
    ScheduleSpec(
        "step", "Step decay", factory=_step,
        params=(Param("step_size", 100, kind="int", low=1, help="updates between two drops"),
                _GAMMA_DECAY),
        help="Multiplies the lr by gamma every step_size updates (torch StepLR).",
        formula="lr_t = lr₀·γ^⌊t/step_size⌋"),
    ScheduleSpec(
        "multistep", "Multi-step decay", factory=_multistep, prepare=_prepare_milestones,
        params=(Param("milestones", "100,200", kind="str",
                      help="increasing update counts at which the lr drops, e.g. 100,200"),
                _GAMMA_DECAY),
        help="Multiplies the lr by gamma at each milestone (torch MultiStepLR).",
        formula="lr_t = lr₀·γ^(number of milestones ≤ t)"),
    ScheduleSpec(
        "exponential", "Exponential", factory=_exponential,
        params=(Param("gamma", 0.99, low=0, high=2, low_open=True,
                      help="factor per update: < 1 decays, > 1 grows (an LR range test)"),),
        help="Multiplies the lr by gamma after every update (torch ExponentialLR).",
        formula="lr_t = lr₀·γ^t"),
    ScheduleSpec(
        "cosine", "Cosine annealing", factory=_cosine,
        params=(_stage_length("T_max", "updates from lr₀ down to eta_min"),
                _ETA_MIN),
        help="Half a cosine from the run's lr down to eta_min (torch CosineAnnealingLR, "
             "computed recursively as torch does; past T_max it rises again).",
        formula="lr_t = η_min + (lr₀ − η_min)·(1 + cos(π·t/T_max))/2"),
    ScheduleSpec(
        "cosine_restarts", "Cosine with warm restarts", factory=_cosine_restarts,
        params=(Param("T_0", 100, kind="int", low=1, help="updates in the first cycle"),
                Param("T_mult", 1, kind="int", low=1, help="each cycle is T_mult times longer"),
                _ETA_MIN),
        help="SGDR: cosine cycles that jump back to the run's lr "
             "(torch CosineAnnealingWarmRestarts).",
        formula="lr_t = η_min + (lr₀ − η_min)·(1 + cos(π·T_cur/T_i))/2; "
                "T_cur restarts at 0 after T_i updates, then T_i ← T_i·T_mult (T_i from T_0)"),
    ScheduleSpec(
        "linear", "Linear (warm-up)", factory=_linear,
        params=(Param("start_factor", 1 / 3, low=0, high=1, low_open=True,
                      help="lr multiplier at the first update"),
                Param("end_factor", 1.0, low=0, high=1, help="lr multiplier from total_iters on"),
                _stage_length("total_iters", "updates the ramp takes")),
        help="Ramps the lr multiplier linearly from start_factor to end_factor (torch "
             "LinearLR); chain it before another schedule as a warm-up.",
        formula="lr_t = lr₀·(start + (end − start)·min(t, total_iters)/total_iters)"),
    ScheduleSpec(
        "onecycle", "One cycle", factory=_onecycle, rules=(_three_phase_rule,),
        params=(Param("max_lr", None, low=0, low_open=True, log=True, optional=True,
                      help="peak lr; empty = the run's lr"),
                Param("pct_start", 0.3, low=0, high=1, low_open=True, high_open=True,
                      help="share of the updates spent rising to max_lr"),
                Param("anneal_strategy", "cos", kind="choice", choices=("cos", "linear"),
                      help="shape of the rise and fall"),
                Param("div_factor", 25.0, low=1, log=True,
                      help="the first lr is max_lr/div_factor"),
                Param("final_div_factor", 1e4, low=1, log=True,
                      help="the last lr is max_lr/(div_factor·final_div_factor)"),
                Param("three_phase", False, kind="bool",
                      help="fall back to the first lr symmetrically before the final anneal")),
        help="Smith's 1cycle over the stage (torch OneCycleLR; the LR only, the optimizer's "
             "momentum is not cycled). After its last step the lr holds.",
        formula="lr rises from max_lr/div_factor to max_lr over pct_start of the updates, then "
                "anneals to max_lr/(div_factor·final_div_factor)"),
    ScheduleSpec(
        "cyclic", "Cyclic", factory=_cyclic,
        params=(Param("base_lr", None, low=0, log=True, optional=True,
                      help="lowest lr of a cycle; empty = max_lr/10"),
                Param("max_lr", None, low=0, low_open=True, log=True, optional=True,
                      help="highest lr of a cycle; empty = the run's lr"),
                Param("step_size_up", 100, kind="int", low=1,
                      help="updates from base_lr up to max_lr"),
                Param("step_size_down", None, kind="int", low=1, optional=True,
                      help="updates back down; empty = step_size_up"),
                Param("mode", "triangular", kind="choice",
                      choices=("triangular", "triangular2", "exp_range"),
                      help="triangular2 halves the amplitude each cycle; "
                           "exp_range scales it by gamma^t"),
                Param("gamma", 1.0, low=0, high=1, low_open=True,
                      help="amplitude factor per update in exp_range mode")),
        help="A triangle wave between base_lr and max_lr (torch CyclicLR; the LR only).",
        formula="lr_t = base_lr + (max_lr − base_lr)·h_t·scale; h_t rises 0→1 over step_size_up "
                "updates, falls 1→0 over step_size_down; scale = 1 (triangular), "
                "2^−(cycles done) (triangular2), γ^t (exp_range)"),
    ScheduleSpec(
        "plateau", "Reduce on plateau", factory=_plateau,
        params=(Param("mode", "min", kind="choice", choices=("min", "max"),
                      help="min: the loss should fall; max: the watched value should rise"),
                Param("factor", 0.1, low=0, high=1, low_open=True, high_open=True,
                      help="lr multiplier at each reduction"),
                Param("patience", 10, kind="int", low=0,
                      help="updates without improvement tolerated before a reduction"),
                Param("threshold", 1e-4, low=0, log=True,
                      help="smallest change that counts as an improvement"),
                Param("threshold_mode", "rel", kind="choice", choices=("rel", "abs"),
                      help="rel: threshold is relative to the best loss; abs: absolute"),
                Param("cooldown", 0, kind="int", low=0,
                      help="updates to wait after a reduction before counting again"),
                Param("min_lr", 0.0, low=0, help="the lr never drops below this"),
                Param("eps", 1e-8, low=0, log=True,
                      help="reductions smaller than this are skipped")),
        help="Cuts the lr when the loss stops improving (torch ReduceLROnPlateau); only as a "
             "single stage.",
        formula="lr ← max(lr·factor, min_lr) after more than `patience` updates without the "
                "loss beating its best by `threshold`"),
    ScheduleSpec(
        "inverse_sqrt", "Inverse square root", factory=_inverse_sqrt,
        params=(Param("warmup_steps", 100, kind="int", low=1,
                      help="updates of linear warm-up; the lr peaks at the run's lr there"),),
        help="The Transformer schedule of \"Attention is all you need\", scaled so its peak "
             "is the run's lr: a linear warm-up, then a 1/√t decay (torch LambdaLR).",
        formula="lr_t = lr₀·min(s/warmup, √(warmup/s)), s = t + 1"),
    ScheduleSpec(
        "lambda", "Lambda (formula)", factory=_lambda, prepare=_prepare_lambda,
        params=(Param("factor", "0.95 ** step", kind="str",
                      help="the lr multiplier as a formula in step (or epoch, the same count "
                           "here: one scheduler step per update), e.g. 0.95 ** epoch or "
                           "1 / (1 + 0.01 * step); numbers, + − * / **, sin cos exp log sqrt "
                           "abs tanh sigmoid, pi, e"),),
        help="Your own schedule: the run's lr times a formula in the update count (torch "
             "LambdaLR, the formula parsed safely, never run as code).",
        formula="lr_t = lr₀·f(t)"),
    ScheduleSpec(
        "polynomial", "Polynomial decay", factory=_polynomial,
        params=(_stage_length("total_iters", "updates until the lr reaches 0"),
                Param("power", 1.0, low=0, low_open=True, help="1 = linear decay to zero")),
        help="Decays the lr to zero as a polynomial (torch PolynomialLR).",
        formula="lr_t = lr₀·(1 − min(t, total_iters)/total_iters)^power"),
)

SCHEDULES: dict[str, ScheduleSpec] = {spec.name: spec for spec in _SPECS}


def get_schedule(name: str) -> ScheduleSpec:
    spec = SCHEDULES.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ConfigError("schedule", tr("unknown schedule {name} (known: {known})",
                                             name=repr(name), known=", ".join(SCHEDULES)))
    return spec


# ---------------------------------------------------------------- chains

@dataclass
class Stage:
    """One stage of a chain: a schedule, its params, and how many updates it lasts."""

    name: str = "constant"
    params: dict = field(default_factory=dict)
    steps: int | None = None  # required for every stage but the last


_STEPS = Param("steps", None, kind="int", low=1, optional=True,
               help="updates this stage lasts (every stage but the last)")


def validate_stages(stages: list[Stage], where: str = "schedule") -> list[Stage]:
    """New stages with params validated (defaults filled in); ConfigError names the field."""
    out = []
    for i, stage in enumerate(stages):
        at = f"{where}[{i}]"
        try:
            spec = get_schedule(stage.name)
        except ConfigError as e:
            raise ConfigError(f"{at}.name", e.message) from None
        if spec.name == "plateau" and len(stages) > 1:
            raise ConfigError(f"{at}.name", tr("plateau can't be chained: it needs the loss, which "
                                               "torch's SequentialLR can't pass on; use it alone"))
        try:
            steps = _STEPS.coerce(stage.steps)
        except ConfigError as e:
            raise ConfigError(f"{at}.steps", e.message) from None
        if steps is None and i < len(stages) - 1:
            raise ConfigError(f"{at}.steps", tr("every stage but the last needs steps ≥ 1 "
                                                "(the updates it lasts)"))
        if not isinstance(stage.params, Mapping):
            raise ConfigError(f"{at}.params", tr("expected name = value pairs, got {value}",
                                                     value=repr(stage.params)))
        out.append(Stage(spec.name, spec.validate(stage.params, at), steps))
    return out


def check_stage_lengths(stages: list[Stage], total_steps: int, where: str = "schedule") -> None:
    """Checks that need the run's length, for validated stages: OneCycle refuses settings that
    give one of its phases zero updates (torch would divide by zero at that step)."""
    for i, (stage, (_, length)) in enumerate(zip(stages, stage_spans(stages, total_steps))):
        if stage.name != "onecycle":
            continue
        try:
            _check_onecycle_phases(stage.params["pct_start"], length, stage.params["three_phase"])
        except ConfigError as e:
            raise ConfigError(f"{where}[{i}].{e.field}", e.message) from None


def stage_spans(stages: list[Stage], total_steps: int) -> list[tuple[int, int]]:
    """(first update, length) of each stage; the last one runs to the end of the run."""
    starts = [0, *accumulate(s.steps for s in stages[:-1])]
    return [(start, stage.steps or max(1, total_steps - start))
            for start, stage in zip(starts, stages)]
