"""Batched Ranger and the Lookahead wrapper around any rule, after core/ranger.py (the
reference: its `Ranger._update`, `rectification` and `Lookahead.step`), per row.

Ranger's gradient centralization acts only on weights with 2+ dims; a run's point has shape
(2,), so there it is the identity, and here too (use_gc changes nothing for a 2-D point).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..optimizers import LOOKAHEAD
from .rules_base import BatchedRule, _indices, choose, py_pow, py_sqrt


class Ranger(BatchedRule):
    name = "ranger"
    state_names = ("exp_avg", "exp_avg_sq", "slow_buffer")

    def _start(self, first: Tensor, x: Tensor, lr: Tensor) -> None:
        slow = self.state["slow_buffer"]
        slow.copy_(torch.where(first, x, slow))

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        beta1, beta2 = self.h("betas")
        exp_avg, exp_avg_sq = self.state["exp_avg"], self.state["exp_avg_sq"]
        exp_avg_sq.mul_(beta2).addcmul_((1 - beta2) * grad, grad)
        exp_avg.mul_(beta1).addcmul_(1 - beta1, grad)
        n_sma, step_size = self._rectification(beta1, beta2)
        x.copy_(self._where_decays(lambda: torch.addcmul(x, -self.h("weight_decay") * lr, x), x))
        adaptive = n_sma > self.h("n_sma_threshold")
        x.copy_(choose(adaptive, lambda: torch.addcdiv(x, -step_size * lr * exp_avg,
                                                       exp_avg_sq.sqrt().add_(self.h("eps"))),
                       lambda: torch.addcmul(x, -step_size * lr, exp_avg)))
        sync = torch.remainder(self.steps, self.h("k")) == 0
        slow = self.state["slow_buffer"]
        slow.copy_(choose(sync, lambda: torch.addcmul(slow, self.h("alpha"), x - slow),
                          lambda: slow))
        x.copy_(choose(sync, lambda: slow, lambda: x))

    def _rectification(self, beta1: Tensor, beta2: Tensor) -> tuple[Tensor, Tensor]:
        """core.ranger.rectification per row: (N_sma, step_size)."""
        step = self.steps
        beta2_t = py_pow(beta2, step)
        n_sma_max = 2 / (1 - beta2) - 1
        n_sma = n_sma_max - 2 * step * beta2_t / (1 - beta2_t)
        adaptive = n_sma > self.h("n_sma_threshold")
        radicand = ((1 - beta2_t) * (n_sma - 4) / (n_sma_max - 4) * (n_sma - 2) / n_sma
                    * n_sma_max / (n_sma_max - 2))
        bias_correction1 = 1 - py_pow(beta1, step)
        rectified = py_sqrt(torch.where(adaptive, radicand, 1.0)) / bias_correction1
        return n_sma, torch.where(adaptive, rectified, 1.0 / bias_correction1)


class BatchedLookahead:
    """core.ranger.Lookahead around any batched rule, with per-row k and alpha (N, 1): after
    each row's k-th inner step since its last sync, slow += alpha·(x − slow) and x ← slow.
    The slow weights start at the point of the row's first step."""

    def __init__(self, inner: BatchedRule, k: Tensor, alpha: Tensor):
        self.inner, self.k, self.alpha = inner, k, alpha
        self.name = inner.name
        n, dtype, device = inner.n, inner.dtype, inner.device
        self.slow = torch.zeros(n, 2, dtype=dtype, device=device)
        self.steps_since_sync = torch.zeros(n, 1, dtype=dtype, device=device)
        self._first: Tensor | None = torch.ones(n, 1, dtype=torch.bool, device=device)

    def __getattr__(self, name: str):  # n, dtype, device, hyper, step_count: the inner's
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def step(self, x: Tensor, grad: Tensor, lr: Tensor) -> None:
        first, self._first = self._first, None
        if first is not None:
            self.slow.copy_(torch.where(first, x, self.slow))
        self.inner.step(x, grad, lr)
        self.steps_since_sync += 1
        sync = self.steps_since_sync >= self.k
        self.slow.copy_(torch.where(sync, torch.addcmul(self.slow, self.alpha, x - self.slow),
                                    self.slow))
        x.copy_(torch.where(sync, self.slow, x))
        self.steps_since_sync.masked_fill_(sync, 0)

    def select(self, keep: Tensor) -> None:
        self.inner.select(keep)
        self.k, self.alpha = self.k[keep], self.alpha[keep]
        self.slow, self.steps_since_sync = self.slow[keep], self.steps_since_sync[keep]
        if self._first is not None:
            self._first = self._first[keep]

    def set_hyper(self, rows: Tensor, hyper: dict, lookahead: dict | None = None) -> None:
        """`hyper` goes to the inner rule; `lookahead` ({"k", "alpha"}) to the wrapper. A row
        the inner rule starts afresh (momentum switched on) gets fresh slow weights too, as
        the engine rebuilds the whole wrapped optimizer then."""
        before = self.inner.step_count.clone()
        if hyper:
            self.inner.set_hyper(rows, hyper)
        restarted = (self.inner.step_count == 0) & (before > 0)
        if bool(restarted.any()):
            self.steps_since_sync.masked_fill_(restarted, 0)
            self._first = restarted if self._first is None else self._first | restarted
        if lookahead:
            rows = _indices(rows, self.n, self.slow.device)
            values = LOOKAHEAD.validate({**LOOKAHEAD.defaults(), **lookahead}, "lookahead")
            if "k" in lookahead:
                self.k[rows] = float(values["k"])
            if "alpha" in lookahead:
                self.alpha[rows] = values["alpha"]

    def state_of(self, row: int) -> dict:
        out = self.inner.state_of(row)
        if out:
            out.update(slow=self.slow[row].clone(),
                       steps_since_sync=self.steps_since_sync[row, 0].clone())
        return out

    def hyper_of(self, row: int) -> dict:
        return self.inner.hyper_of(row)


def lookahead_tensors(rows: list[dict], dtype, device) -> tuple[Tensor, Tensor]:
    """Per-row (k, alpha) as (N, 1) tensors from the rows' Lookahead settings (checked)."""
    checked: dict[tuple, dict] = {}
    values = []
    for row in rows:
        key = tuple(sorted(row.items()))
        if key not in checked:
            checked[key] = LOOKAHEAD.validate(row, "lookahead")
        values.append(checked[key])
    column = lambda name: torch.tensor([[float(v[name])] for v in values], dtype=dtype,
                                       device=device)
    return column("k"), column("alpha")
