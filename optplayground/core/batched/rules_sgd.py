"""Batched SGD (and its momentum / Nesterov presets) and ASGD: torch's `_single_tensor_sgd`
and `_single_tensor_asgd`, per row."""
from __future__ import annotations

import torch
from torch import Tensor

from .rules_base import BatchedRule, py_pow, scalar_dtype


class SGD(BatchedRule):
    name = "sgd"
    state_names = ("momentum_buffer",)
    has_step = False

    def _prepare(self) -> None:
        self.has_momentum = self.h("momentum") != 0  # torch skips the buffer at momentum 0
        self.any_momentum = bool(self.has_momentum.any())
        self.all_momentum = bool(self.has_momentum.all())

    def _row_has(self, name: str, row: int) -> bool:
        return bool(self.has_momentum[row])

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        g = self._l2(self._grad(grad), x)
        if self.any_momentum:
            momentum, buf = self.h("momentum"), self.state["momentum_buffer"]
            new = torch.addcmul(buf * momentum, 1 - self.h("dampening"), g)
            buf.copy_(new if first is None else torch.where(first, g, new))  # first: b = g
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

    def __init__(self, hyper, n, dtype, device):
        super().__init__(hyper, n, dtype, device)
        self.eta = torch.zeros(n, 1, dtype=dtype, device=self.device)
        self.mu = torch.ones(n, 1, dtype=dtype, device=self.device)

    def _start(self, first: Tensor, x: Tensor, lr: Tensor) -> None:
        self.eta = torch.where(first, _rounded(lr), self.eta)  # torch: eta = the group's lr
        self.mu = torch.where(first, 1.0, self.mu)

    def select(self, keep: Tensor) -> None:
        self.eta, self.mu = self.eta[keep], self.mu[keep]
        super().select(keep)

    def state_of(self, row: int) -> dict:
        out = super().state_of(row)
        if out:
            out.update(eta=self.eta[row, 0].clone(), mu=self.mu[row, 0].clone())
        return out

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        lambd, eta = self.h("lambd"), self.eta
        g = self._l2(self._grad(grad), x)
        x.mul_(1 - lambd * eta)
        x.addcmul_(-eta, g)
        ax = self.state["ax"]
        ax.copy_(torch.where(self.mu != 1, ax + (x - ax) * self.mu, x))
        step = self.step_count
        self.eta = _rounded(lr / py_pow(1 + lambd * lr * step, self.h("alpha")))
        self.mu = _rounded(1 / torch.clamp(step - self.h("t0"), min=1))


def _rounded(value: Tensor) -> Tensor:
    return value.to(scalar_dtype()).to(value.dtype)
