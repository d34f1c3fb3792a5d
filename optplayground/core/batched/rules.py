"""The optimizers' update rules written once for N runs as the rows of (N, 2) tensors.

Row i after any number of steps equals the same run stepped alone by the registry's plain
torch optimizer (core.optimizers.build_optimizer) on a (2,) float64 point, to the last bit on
this CPU (tests/test_batched_rules.py draws the settings and gradients with hypothesis).

    rules_base.py    BatchedRule (the interface) and the exact-rounding helpers
    rules_sgd.py     SGD, its momentum and Nesterov presets, ASGD
    rules_adam.py    Adam, AdamW, AMSGrad, Adamax, NAdam, RAdam
    rules_scaled.py  RMSprop, Adagrad, Adadelta, Rprop
    rules_ranger.py  Ranger, and BatchedLookahead around any rule

A batch shares its on/off and choice settings (nesterov, amsgrad, centered, maximize, ...);
every number is a per-row (N, 1) tensor (a pair like betas: a tuple of two).
"""
from __future__ import annotations

from typing import Any, Sequence

import torch

from ..optimizers import OptimizerSpec, get_optimizer
from ..params import ConfigError
from .rules_adam import Adam, Adamax, AdamW, AMSGrad, NAdam, RAdam
from .coverage import NOT_BATCHED, not_batched_reason
from .rules_base import BatchedRule
from .rules_ranger import BatchedLookahead, Ranger, lookahead_tensors
from .rules_scaled import Adadelta, Adagrad, RMSprop, Rprop
from .rules_sgd import ASGD, SGD, Momentum, Nesterov

__all__ = ["BatchedRule", "BatchedLookahead", "RULES", "NOT_BATCHED", "batched_rule",
           "batchable", "not_batched_reason", "stack_hyper"]

RULES: dict[str, type[BatchedRule]] = {rule.name: rule for rule in (
    SGD, Momentum, Nesterov, ASGD, Adam, AdamW, AMSGrad, Adamax, NAdam, RAdam,
    RMSprop, Adagrad, Adadelta, Rprop, Ranger)}


def batchable(name: str) -> bool:
    """Whether runs of optimizer `name` can be rows of a batched rule."""
    return name in RULES


def stack_hyper(spec: OptimizerSpec, hyper_rows: Sequence[dict], dtype, device,
                where: str = "") -> dict[str, Any]:
    """One hyper dict for a batch from per-run dicts (each validated, defaults filled in):
    numbers become (N, 1) tensors, pairs tuples of them; on/off and choice settings must
    agree between the rows (ConfigError naming the first that differs)."""
    rows = _validated(spec, hyper_rows, where)
    if not rows:
        raise ConfigError(where, "a batch needs at least one run")
    out: dict[str, Any] = {}
    for p in spec.params:
        values = [row[p.name] for row in rows]
        if p.kind in ("float", "int"):
            out[p.name] = _column(values, dtype, device)
        elif p.kind == "floats":
            out[p.name] = tuple(_column([v[i] for v in values], dtype, device)
                                for i in range(len(p.default)))
        else:
            for i, value in enumerate(values):
                if value != values[0]:
                    raise ConfigError(f"{where}[{i}].{p.name}" if where else p.name,
                                      f"is {value!r} where the first run's is {values[0]!r}: "
                                      "runs batched together share on/off and choice settings")
            out[p.name] = values[0]
    return out


def batched_rule(name: str, hyper_rows: Sequence[dict], dtype=torch.float64, device="cpu",
                 lookahead: dict | Sequence[dict] | None = None) -> BatchedRule:
    """The rule for N runs of optimizer `name` (one hyper dict per run), wrapped in
    BatchedLookahead when `lookahead` is given (one {"k", "alpha"} dict for all rows, or one
    per row). ConfigError when `name` is not batchable or a value is refused."""
    spec = get_optimizer(name)
    if not batchable(spec.name):
        raise ConfigError("optimizer", f"{name} cannot be batched: {not_batched_reason(name)}")
    rule = RULES[spec.name](stack_hyper(spec, hyper_rows, dtype, device), len(hyper_rows),
                            dtype, device)
    if lookahead is None:
        return rule
    per_row = [lookahead] * len(hyper_rows) if isinstance(lookahead, dict) else list(lookahead)
    if len(per_row) != len(hyper_rows):
        raise ConfigError("lookahead", f"{len(per_row)} settings for {len(hyper_rows)} runs")
    return BatchedLookahead(rule, *lookahead_tensors(per_row, dtype, device))


def _validated(spec: OptimizerSpec, hyper_rows: Sequence[dict], where: str) -> list[dict]:
    """Each row validated; identical rows (a basin's thousands of starts) only once."""
    done: dict[Any, dict] = {}
    seen: dict[int, dict] = {}  # by identity first: a basin passes one dict N times
    out = []
    for i, hyper in enumerate(hyper_rows):
        if id(hyper) in seen:
            out.append(seen[id(hyper)])
            continue
        try:
            key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                               for k, v in hyper.items()))
            hash(key)
        except TypeError:
            key = object()  # unhashable values: validate this row on its own
        if key not in done:
            done[key] = spec.validate(hyper, f"{where}[{i}]" if where else "")
        seen[id(hyper)] = done[key]
        out.append(done[key])
    return out


def _column(values: list, dtype, device) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype, device=device).reshape(-1, 1)
