"""Optimizers for tests that load user optimizers by import path."""
import os
import sys
import threading

import torch


class FaultAt(torch.optim.SGD):
    """Plain SGD whose step number `at` first calls `fault()`: what goes wrong is the
    subclass's to say (raise, exit, hang), like a buggy user optimizer."""

    at = 4

    def __init__(self, params, lr: float = 0.01):
        super().__init__(params, lr=lr)
        self.count = 0

    def fault(self) -> None:
        raise NotImplementedError

    def step(self, closure=None):
        self.count += 1
        if self.count == self.at:
            self.fault()
        return super().step(closure)


class ExplodingSGD(FaultAt):
    """Raises on its fourth step (or step `fail_at`)."""

    def __init__(self, params, lr: float = 0.01, fail_at: int = 4):
        super().__init__(params, lr=lr)
        self.at = fail_at

    def fault(self) -> None:
        raise RuntimeError("boom in step 4")


NotAnOptimizer = dict


HANG_RELEASE = threading.Event()  # a test sets it at its end, so the stuck step returns


HANG_ENTERED = threading.Event()  # set once the step blocks


class Hang(FaultAt):
    """Its third step blocks until HANG_RELEASE is set: a step that never returns."""

    at = 3

    def fault(self) -> None:
        HANG_ENTERED.set()
        marker = os.environ.get("FAKE_HANG_FILE")  # seen from another process (the
        if marker:  # window's, when the engine runs in a child of it)
            open(marker, "w").close()
        HANG_RELEASE.wait()


class Exiting(FaultAt):
    """Its fourth step calls sys.exit(3)."""

    at = 4

    def fault(self) -> None:
        sys.exit(3)


class Interrupting(torch.optim.SGD):
    """SGD whose second step raises KeyboardInterrupt, as Ctrl+C does in the main thread."""

    def step(self, closure=None):
        if self.state.get("seen"):
            raise KeyboardInterrupt
        self.state["seen"] = True
        return super().step(closure)


class DeviceFault(FaultAt):
    """Its third step fails as a GPU does when a kernel faults."""

    at = 3

    def fault(self) -> None:
        raise RuntimeError("CUDA error: an illegal memory access was encountered")


class SlowInit(torch.optim.SGD):
    """A constructor that never returns (for the time limit on a user's code)."""

    def __init__(self, params, lr: float = 0.01):
        import time

        time.sleep(3600)
        super().__init__(params, lr=lr)


class Sleeper(FaultAt):
    """Its third step never returns (sleeps; killed by the time limit)."""

    at = 3

    def fault(self) -> None:
        import time

        time.sleep(3600)


class ClosureSGD(torch.optim.LBFGS):
    """An L-BFGS subclass, so the engine gives it a closure (evaluated in the parent)."""
