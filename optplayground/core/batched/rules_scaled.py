"""Batched RMSprop, Adagrad, Adadelta and Rprop: optimizers that scale each coordinate's
step by its own gradient history (torch's `_single_tensor_*` updates, per row)."""
from __future__ import annotations

import torch
from torch import Tensor

from .rules_base import BatchedRule
from .rules_sgd import _buffered, _no_buffers


class RMSprop(BatchedRule):
    name = "rmsprop"

    def _state_names(self) -> tuple[str, ...]:
        centered = ("grad_avg",) if self.flag("centered") else ()
        return ("square_avg", "momentum_buffer", *centered)

    def _prepare(self) -> None:
        self.has_momentum = self.h("momentum") > 0
        self.any_momentum = bool(self.has_momentum.any())
        self.all_momentum = bool(self.has_momentum.all())

    row_attrs = ("buffered",)

    def __init__(self, hyper, n, dtype, device):
        self.buffered = _no_buffers(n, device)
        super().__init__(hyper, n, dtype, device)

    def _start(self, first: Tensor, x: Tensor, lr: Tensor) -> None:
        self.buffered = _buffered(self, first)

    def _row_has(self, name: str, row: int) -> bool:
        return name != "momentum_buffer" or bool(self.buffered[row])

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        alpha = self.h("alpha")
        g = self._l2(self._grad(grad), x)
        square_avg = self.state["square_avg"]
        square_avg.mul_(alpha).addcmul_((1 - alpha) * g, g)
        if self.flag("centered"):
            grad_avg = self.state["grad_avg"]
            grad_avg.lerp_(g, 1 - alpha)
            avg = torch.addcmul(square_avg, -grad_avg, grad_avg).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg.add_(self.h("eps"))
        plain = None if self.all_momentum else torch.addcdiv(x, -lr * g, avg)
        if self.any_momentum:
            buf = self.state["momentum_buffer"]
            new = torch.addcdiv(buf * self.h("momentum"), g, avg)
            buf.copy_(new if self.all_momentum else torch.where(self.has_momentum, new, buf))
            moved = torch.addcmul(x, -lr, buf)
            x.copy_(moved if plain is None else torch.where(self.has_momentum, moved, plain))
        else:
            x.copy_(plain)


class Adagrad(BatchedRule):
    name = "adagrad"
    state_names = ("sum",)

    def __init__(self, hyper: dict, n: int, dtype: torch.dtype, device):
        super().__init__(hyper, n, dtype, device)
        # torch fills the sum when the optimizer is built, so an edit of
        # initial_accumulator_value before the first step changes nothing there either
        self.state["sum"].copy_(self.h("initial_accumulator_value"))

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        g = self._l2(self._grad(grad), x)
        clr = lr / (1 + (self.steps - 1) * self.h("lr_decay"))
        state_sum = self.state["sum"]
        state_sum.addcmul_(g, g)
        std = state_sum.sqrt().add_(self.h("eps"))
        x.addcdiv_(-clr * g, std)


class Adadelta(BatchedRule):
    name = "adadelta"
    state_names = ("square_avg", "acc_delta")

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        rho, eps = self.h("rho"), self.h("eps")
        g = self._l2(self._grad(grad), x)
        square_avg, acc_delta = self.state["square_avg"], self.state["acc_delta"]
        square_avg.mul_(rho).addcmul_((1 - rho) * g, g)
        std = square_avg.add(eps).sqrt_()
        delta = acc_delta.add(eps).sqrt_().div_(std).mul_(g)
        acc_delta.mul_(rho).addcmul_((1 - rho) * delta, delta)
        x.addcmul_(-lr, delta)


class Rprop(BatchedRule):
    """Per-coordinate step sizes start at the lr of the first step and ignore lr after it."""

    name = "rprop"
    state_names = ("prev", "step_size")

    def _start(self, first: Tensor, x: Tensor, lr: Tensor) -> None:
        step_size = self.state["step_size"]
        step_size.copy_(torch.where(first, lr, step_size))

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        eta_minus, eta_plus = self.h("etas")
        size_min, size_max = self.h("step_sizes")
        g = self._grad(grad)
        prev, step_size = self.state["prev"], self.state["step_size"]
        sign = g.mul(prev).sign()
        factor = torch.where(sign > 0, eta_plus,
                             torch.where(sign < 0, eta_minus, torch.where(sign == 0, 1.0, sign)))
        step_size.mul_(factor)
        step_size.copy_(torch.clamp(step_size, size_min, size_max))
        g = torch.where(factor == eta_minus, 0.0, g)  # a sign flip: no move, forget the sign
        x.addcmul_(g.sign(), step_size, value=-1)
        prev.copy_(g)
