"""Our torch optimizers: Ranger (RAdam + Lookahead + gradient centralization), a Lookahead
wrapper, and torch's L-BFGS made safe at lr 0. (Their specs are in optimizers.py.)

Lookahead: Zhang, Lucas, Hinton, Ba (2019), "Lookahead Optimizer: k steps forward,
1 step back". Ranger: Less Wright's reference implementation
(github.com/lessw2020/Ranger-Deep-Learning-Optimizer, ranger/ranger.py, version 20.4.11).
"""
from __future__ import annotations

import math

import torch
from torch.optim import Optimizer



def _check_lookahead(k: int, alpha: float) -> None:
    if not (isinstance(k, int) and k >= 1):
        raise ValueError(f"Invalid lookahead steps k: {k!r}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"Invalid lookahead alpha: {alpha!r}")


class Lookahead(Optimizer):
    """Wraps `inner`; after every k inner steps: slow += alpha·(fast − slow); fast ← slow.

    `param_groups` and `state` are the inner optimizer's own objects, so LR schedulers,
    gradient clipping and `set_hyper` act on the inner optimizer directly. `k` and `alpha`
    are plain attributes (not group keys: RMSprop and ASGD already own an `alpha`) and
    may be changed between steps: the next sync comes once k steps have passed since the
    last one (with a constant k that is every k-th step, as in the paper).
    """

    def __init__(self, inner: Optimizer, k: int = 5, alpha: float = 0.5):
        if not isinstance(inner, Optimizer):
            raise TypeError(f"Lookahead wraps a torch.optim.Optimizer, got {type(inner).__name__}")
        _check_lookahead(k, alpha)
        self.inner = inner
        self.k = k
        self.alpha = alpha
        self.steps_since_sync = 0
        self._slow: dict[torch.Tensor, torch.Tensor] = {}
        # Base init sets up torch's hook bookkeeping; it re-registers the inner's group
        # dicts (copying their slow weights through add_param_group) ...
        super().__init__(inner.param_groups, inner.defaults)
        self._share_inner()

    def _share_inner(self) -> None:
        # ... and then the lists themselves are shared, so later changes show on both sides.
        self.param_groups = self.inner.param_groups
        self.state = self.inner.state
        self.defaults = self.inner.defaults

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        with torch.no_grad():
            for p in param_group["params"]:
                self._slow[p] = p.detach().clone()

    def step(self, closure=None):
        loss = self.inner.step(closure)
        self.steps_since_sync += 1
        if self.steps_since_sync >= self.k:
            self._sync()
            self.steps_since_sync = 0
        return loss

    @torch.no_grad()
    def _sync(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                slow = self._slow[p]
                slow.add_(p - slow, alpha=self.alpha)
                p.copy_(slow)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.inner.zero_grad(set_to_none)

    def _params(self) -> list[torch.Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict:
        return {
            "inner": self.inner.state_dict(),
            "lookahead": {
                "k": self.k,
                "alpha": self.alpha,
                "steps_since_sync": self.steps_since_sync,
                "slow": [self._slow[p].clone() for p in self._params()],
            },
        }

    def load_state_dict(self, state_dict: dict) -> None:
        self.inner.load_state_dict(state_dict["inner"])
        self._share_inner()  # torch's load_state_dict replaces the inner's group list
        saved = state_dict["lookahead"]
        _check_lookahead(saved["k"], saved["alpha"])
        params = self._params()
        if len(saved["slow"]) != len(params):
            raise ValueError("saved Lookahead state has a different number of parameters")
        self.k, self.alpha = saved["k"], saved["alpha"]
        self.steps_since_sync = saved["steps_since_sync"]
        with torch.no_grad():
            for p, slow in zip(params, saved["slow"]):
                self._slow[p] = slow.to(device=p.device, dtype=p.dtype).clone()


def centralize_gradient(grad: torch.Tensor, conv_only: bool = False) -> torch.Tensor:
    """Gradient centralization (Yong et al. 2020): subtract the mean over all dims but the
    first. Only for weights with dim > 1 (dim > 3 with `conv_only`); others are returned as is.
    A 2-D point must therefore be shape (2,), not (1, 2), or it could move only diagonally."""
    if grad.dim() > (3 if conv_only else 1):
        return grad - grad.mean(dim=tuple(range(1, grad.dim())), keepdim=True)
    return grad


def rectification(step: int, beta1: float, beta2: float, threshold: float) -> tuple[float, float]:
    """RAdam's (N_sma, step_size) at `step`, exactly as the Ranger reference computes them.

    Above the threshold step_size folds the variance rectification, √(1−β₂ᵗ) and the
    first-moment bias correction together (the update then divides by √v + ε); at or below
    it the update is plain momentum with step_size = 1/(1−β₁ᵗ).
    """
    beta2_t = beta2 ** step
    n_sma_max = 2 / (1 - beta2) - 1
    n_sma = n_sma_max - 2 * step * beta2_t / (1 - beta2_t)
    if n_sma > threshold:
        step_size = math.sqrt(
            (1 - beta2_t) * (n_sma - 4) / (n_sma_max - 4) * (n_sma - 2) / n_sma
            * n_sma_max / (n_sma_max - 2)) / (1 - beta1 ** step)
    else:
        step_size = 1.0 / (1 - beta1 ** step)
    return n_sma, step_size


class Ranger(Optimizer):
    """RAdam + Lookahead + gradient centralization in one optimizer (Less Wright, 2019/2020).

    Follows the reference's arithmetic step for step. Deliberate differences:
    - arithmetic happens in the parameter's own dtype (the reference upcasts to float32,
      which would round float64 runs to float32);
    - `use_gc` is honoured (the reference stores it but applies GC regardless), and the
      centralized gradient is a new tensor: `p.grad` is left as the backward pass wrote it;
    - the Lookahead alpha and the N_sma threshold are read from the param group (the
      reference reads instance attributes), so they can be changed mid-run like lr and k;
    - (N_sma, step_size) are computed per step instead of cached in a 10-slot buffer shared
      by all groups (same numbers, without the stale-cache hazard for groups whose betas differ);
    - `step(closure)` evaluates the closure (the reference ignores it);
    - an N_sma threshold below 4 is refused (the reference fails a few steps in with a math
      domain error: the rectification's square root is of a negative number);
    - current torch call forms (`add_(t, alpha=s)`) replace the deprecated `add_(s, t)`.
    """

    def __init__(self, params, lr: float = 1e-3, alpha: float = 0.5, k: int = 6,
                 n_sma_threshold: float = 5, betas: tuple[float, float] = (0.95, 0.999),
                 eps: float = 1e-5, weight_decay: float = 0, use_gc: bool = True,
                 gc_conv_only: bool = False):
        if not lr > 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps > 0:
            raise ValueError(f"Invalid eps: {eps}")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Invalid betas: {betas}")
        if not weight_decay >= 0:
            raise ValueError(f"Invalid weight_decay: {weight_decay}")
        if not n_sma_threshold >= 4:  # below, the rectification takes √ of a negative number
            raise ValueError(f"Invalid n_sma_threshold (must be >= 4): {n_sma_threshold}")
        _check_lookahead(k, alpha)
        defaults = dict(lr=lr, alpha=alpha, k=k, n_sma_threshold=n_sma_threshold, betas=betas,
                        eps=eps, weight_decay=weight_decay, use_gc=use_gc,
                        gc_conv_only=gc_conv_only)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("Ranger does not support sparse gradients")
                self._update(p, group)
        return loss

    def _update(self, p: torch.Tensor, group: dict) -> None:
        grad = p.grad
        if group["use_gc"]:
            grad = centralize_gradient(grad, group["gc_conv_only"])
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
            state["slow_buffer"] = p.detach().clone()  # Lookahead's slow weights
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        beta1, beta2 = group["betas"]
        lr = group["lr"]

        state["step"] += 1
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        threshold = group["n_sma_threshold"]
        n_sma, step_size = rectification(state["step"], beta1, beta2, threshold)

        if group["weight_decay"] != 0:
            p.add_(p, alpha=-group["weight_decay"] * lr)
        if n_sma > threshold:
            denom = exp_avg_sq.sqrt().add_(group["eps"])
            p.addcdiv_(exp_avg, denom, value=-step_size * lr)
        else:
            p.add_(exp_avg, alpha=-step_size * lr)

        if state["step"] % group["k"] == 0:
            slow = state["slow_buffer"]
            slow.add_(p - slow, alpha=group["alpha"])
            p.copy_(slow)


class LBFGS(torch.optim.LBFGS):
    """torch's L-BFGS, except that an lr of exactly 0 (where a schedule decays to 0) makes no
    move instead of dividing by zero in the strong-Wolfe line search, whose first trial
    step is lr. Without a line search torch already makes no move at lr 0."""

    def step(self, closure):
        group = self.param_groups[0]
        if group["lr"] == 0 and group["line_search_fn"] is not None:
            with torch.enable_grad():
                return closure()
        return super().step(closure)
