"""Batched SGD (and its momentum / Nesterov presets) and ASGD: torch's `_single_tensor_sgd`
and `_single_tensor_asgd`, per row."""
from __future__ import annotations

import torch
from torch import Tensor

from .rules_base import BatchedRule, choose, py_pow, scalar_dtype


class SGD(BatchedRule):
    name = "sgd"
    state_names = ("momentum_buffer",)
    has_step = False
    row_attrs = ("buffered",)

    def __init__(self, hyper, n, dtype, device):
        self.buffered = _no_buffers(n, device)
        super().__init__(hyper, n, dtype, device)

    def _prepare(self) -> None:
        self.has_momentum = self.h("momentum") != 0  # torch skips the buffer at momentum 0
        self.any_momentum = bool(self.has_momentum.any())
        self.all_momentum = bool(self.has_momentum.all())

    def _start(self, first: Tensor, x: Tensor, lr: Tensor) -> None:
        self.buffered = _buffered(self, first)

    def _row_has(self, name: str, row: int) -> bool:
        return bool(self.buffered[row])

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        g = self._l2(self._grad(grad), x)
        if self.any_momentum:
            momentum, buf = self.h("momentum"), self.state["momentum_buffer"]
            new = torch.addcmul(buf * momentum, 1 - self.h("dampening"), g)
            if first is not None:
                new = torch.where(first, g, new)  # the first step: b = g
            buf.copy_(new if self.all_momentum else torch.where(self.has_momentum, new, buf))
            direction = torch.addcmul(g, momentum, buf) if self.flag("nesterov") else buf
            if not self.all_momentum:
                direction = torch.where(self.has_momentum, direction, g)
            g = direction
        x.addcmul_(-lr, g)


class Momentum(SGD):
    name = "momentum"
    fixed = {"nesterov": False}


class Nesterov(SGD):
    name = "nesterov"
    fixed = {"nesterov": True}


class ASGD(BatchedRule):
    """eta and mu are torch's scalar state: rounded to its scalar dtype (float32 unless the
    default dtype is float64) after every step, as torch stores them."""

    name = "asgd"
    state_names = ("ax",)
    row_attrs = scalar_state = ("eta", "mu")

    def __init__(self, hyper, n, dtype, device):
        self.eta = torch.zeros(n, 1, dtype=dtype, device=device)
        self.mu = torch.ones(n, 1, dtype=dtype, device=device)
        super().__init__(hyper, n, dtype, device)

    def _start(self, first: Tensor, x: Tensor, lr: Tensor) -> None:
        self.eta = torch.where(first, _rounded(lr), self.eta)  # torch: eta = the group's lr
        self.mu = torch.where(first, 1.0, self.mu)

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        lambd, eta, mu = self.h("lambd"), self.rowwise(self.eta), self.rowwise(self.mu)
        g = self._l2(self._grad(grad), x)
        x.mul_(1 - lambd * eta)
        x.addcmul_(-eta, g)
        ax = self.state["ax"]
        ax.copy_(choose(mu != 1, lambda: ax + (x - ax) * mu, lambda: x))
        step = self.steps
        self.eta.copy_(_rounded(lr / py_pow(1 + lambd * lr * step, self.h("alpha"))))
        self.mu.copy_(_rounded(1 / torch.clamp(step - self.h("t0"), min=1)))


def _buffered(rule: BatchedRule, first: Tensor) -> Tensor:
    """Rows that hold a momentum buffer: torch makes it at a first step with momentum on (and
    keeps it if momentum is set to 0 later; switching it back on starts the row afresh)."""
    return torch.where(first, rule.has_momentum, rule.buffered)


def _no_buffers(n: int, device) -> Tensor:
    return torch.zeros(n, 1, dtype=torch.bool, device=device)


def _rounded(value: Tensor) -> Tensor:
    return value.to(scalar_dtype()).to(value.dtype)
