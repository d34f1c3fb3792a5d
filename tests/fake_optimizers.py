"""Optimizers for tests that load user optimizers by import path."""
import torch


class ExplodingSGD(torch.optim.SGD):
    """Plain SGD that raises on its fourth step, like a buggy user optimizer."""

    def __init__(self, params, lr: float = 0.01, fail_at: int = 4):
        super().__init__(params, lr=lr)
        self.fail_at, self.count = fail_at, 0

    def step(self, closure=None):
        self.count += 1
        if self.count == self.fail_at:
            raise RuntimeError("boom in step 4")
        return super().step(closure)


NotAnOptimizer = dict
