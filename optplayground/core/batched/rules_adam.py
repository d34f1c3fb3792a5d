"""Batched Adam and its family (AdamW, AMSGrad, Adamax, NAdam, RAdam): torch's
`_single_tensor_*` updates per row. Bias corrections and RAdam's rectification are Python
floats in torch, so they go through `py_pow` / `py_sqrt` here (see rules_base)."""
from __future__ import annotations

import torch
from torch import Tensor

from .rules_base import BatchedRule, py_pow, scalar_dtype


class _AdamFamily(BatchedRule):
    def _decay(self, x: Tensor, grad: Tensor, lr: Tensor) -> Tensor:
        """Maximize and weight decay: L2 into the gradient, or decoupled (x shrinks)."""
        g = self._grad(grad)
        if self.flag("decoupled_weight_decay"):
            x.copy_(self._where_decays(lambda: x * (1 - lr * self.h("weight_decay")), x))
            return g
        return self._l2(g, x)

    def _moments(self, g: Tensor) -> tuple[Tensor, Tensor]:
        beta1, beta2 = self.h("betas")
        exp_avg, exp_avg_sq = self.state["exp_avg"], self.state["exp_avg_sq"]
        exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(torch.mul(g, 1 - beta2, out=self.scratch(0)), g)
        return exp_avg, exp_avg_sq


class Adam(_AdamFamily):
    name = "adam"

    def _state_names(self) -> tuple[str, ...]:
        extra = ("max_exp_avg_sq",) if self.flag("amsgrad") else ()
        return ("exp_avg", "exp_avg_sq", *extra)

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        g = self._decay(x, grad, lr)
        exp_avg, exp_avg_sq = self._moments(g)
        beta1, beta2 = self.h("betas")
        step = self.steps
        step_size = lr / (1 - py_pow(beta1, step))
        bias_correction2_sqrt = py_pow(1 - py_pow(beta2, step), 0.5)
        if self.flag("amsgrad"):
            torch.maximum(self.state["max_exp_avg_sq"], exp_avg_sq,
                          out=self.state["max_exp_avg_sq"])
            exp_avg_sq = self.state["max_exp_avg_sq"]
        denom = torch.sqrt(exp_avg_sq, out=self.scratch(0))
        denom.div_(bias_correction2_sqrt).add_(self.h("eps"))
        x.addcdiv_(torch.mul(exp_avg, -step_size, out=self.scratch(1)), denom)


class AdamW(Adam):
    name = "adamw"
    fixed = {"decoupled_weight_decay": True}


class AMSGrad(Adam):
    name = "amsgrad"
    fixed = {"amsgrad": True}


class Adamax(_AdamFamily):
    name = "adamax"
    state_names = ("exp_avg", "exp_inf")
    fixed = {"decoupled_weight_decay": False}

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        g = self._decay(x, grad, lr)
        beta1, beta2 = self.h("betas")
        exp_avg, exp_inf = self.state["exp_avg"], self.state["exp_inf"]
        exp_avg.lerp_(g, 1 - beta1)
        torch.maximum(exp_inf.mul_(beta2), g.abs().add_(self.h("eps")), out=exp_inf)
        clr = lr / (1 - py_pow(beta1, self.steps))
        x.addcdiv_(-clr * exp_avg, exp_inf)


class NAdam(_AdamFamily):
    """mu_product is torch's scalar state: kept in its scalar dtype (float32 unless the
    default dtype is float64), multiplied there, as torch does."""

    name = "nadam"
    state_names = ("exp_avg", "exp_avg_sq")
    row_attrs = scalar_state = ("mu_product",)

    def __init__(self, hyper, n, dtype, device):
        self.mu_product = torch.ones(n, 1, dtype=scalar_dtype(), device=device)
        super().__init__(hyper, n, dtype, device)

    def _start(self, first: Tensor, x: Tensor, lr: Tensor) -> None:
        self.mu_product.masked_fill_(first, 1.0)

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        beta1, beta2 = self.h("betas")
        step, decay = self.steps, self.h("momentum_decay")
        bias_correction2 = 1 - py_pow(beta2, step)
        g = self._decay(x, grad, lr)
        mu = beta1 * (1.0 - 0.5 * py_pow(0.96, step * decay))
        mu_next = beta1 * (1.0 - 0.5 * py_pow(0.96, (step + 1) * decay))
        self.mu_product *= mu.to(self.mu_product.dtype)  # torch: float32 tensor *= float
        mu_product = self.rowwise(self.mu_product).to(self.dtype)
        exp_avg, exp_avg_sq = self._moments(g)
        denom = exp_avg_sq.div(bias_correction2).sqrt().add_(self.h("eps"))
        x.addcdiv_((-lr * (1.0 - mu) / (1.0 - mu_product)) * g, denom)
        x.addcdiv_(((-lr * mu_next) / (1.0 - mu_product * mu_next)) * exp_avg, denom)


class RAdam(_AdamFamily):
    name = "radam"
    state_names = ("exp_avg", "exp_avg_sq")

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        g = self._decay(x, grad, lr)
        exp_avg, exp_avg_sq = self._moments(g)
        beta1, beta2 = self.h("betas")
        step = self.steps
        beta2_t = py_pow(beta2, step)
        bias_correction1 = 1 - py_pow(beta1, step)
        bias_correction2 = 1 - beta2_t
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2_t / bias_correction2
        rectified = rho_t > 5.0
        plain = bias_corrected_exp_avg * lr
        if bool(rectified.any()):
            rect = py_pow(torch.where(rectified, (rho_t - 4) * (rho_t - 2) * rho_inf
                                      / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 1.0), 0.5)
            adaptive_lr = py_pow(bias_correction2, 0.5) / exp_avg_sq.sqrt().add_(self.h("eps"))
            plain = torch.where(rectified, plain * adaptive_lr * rect, plain)
        x.sub_(plain)
