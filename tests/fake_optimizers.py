"""Optimizers for tests that load user optimizers by import path."""
import os
import sys
import threading

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


HANG_RELEASE = threading.Event()  # a test sets it at its end, so the stuck step returns


HANG_ENTERED = threading.Event()  # set once the step blocks


class Hang(torch.optim.SGD):
    """SGD whose third step blocks until HANG_RELEASE is set: a step that never returns."""

    def __init__(self, params, lr: float = 0.01):
        super().__init__(params, lr=lr)
        self.count = 0

    def step(self, closure=None):
        self.count += 1
        if self.count == 3:
            HANG_ENTERED.set()
            marker = os.environ.get("FAKE_HANG_FILE")  # seen from another process (the
            if marker:  # window's, when the engine runs in a child of it)
                open(marker, "w").close()
            HANG_RELEASE.wait()
        return super().step(closure)


class Exiting(torch.optim.SGD):
    """SGD whose fourth step calls sys.exit(3)."""

    def __init__(self, params, lr: float = 0.01):
        super().__init__(params, lr=lr)
        self.count = 0

    def step(self, closure=None):
        self.count += 1
        if self.count == 4:
            sys.exit(3)
        return super().step(closure)


class Interrupting(torch.optim.SGD):
    """SGD whose second step raises KeyboardInterrupt, as Ctrl+C does in the main thread."""

    def step(self, closure=None):
        if self.state.get("seen"):
            raise KeyboardInterrupt
        self.state["seen"] = True
        return super().step(closure)


class DeviceFault(torch.optim.SGD):
    """SGD whose third step fails as a GPU does when a kernel faults."""

    def __init__(self, params, lr: float = 0.01):
        super().__init__(params, lr=lr)
        self.count = 0

    def step(self, closure=None):
        self.count += 1
        if self.count == 3:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return super().step(closure)


class SlowInit(torch.optim.SGD):
    """A constructor that never returns (for the time limit on a user's code)."""

    def __init__(self, params, lr: float = 0.01):
        import time

        time.sleep(3600)
        super().__init__(params, lr=lr)


class Sleeper(torch.optim.SGD):
    """SGD whose third step never returns (sleeps; killed by the time limit)."""

    def __init__(self, params, lr: float = 0.01):
        super().__init__(params, lr=lr)
        self.count = 0

    def step(self, closure=None):
        import time

        self.count += 1
        if self.count == 3:
            time.sleep(3600)
        return super().step(closure)


class ClosureSGD(torch.optim.LBFGS):
    """An L-BFGS subclass, so the engine gives it a closure (evaluated in the parent)."""
