"""A user's optimizer in a child process of its own, under a time limit.

A class imported by path (not one of torch's) is code we know nothing about: its
constructor or its step may never return. `IsolatedOptimizer` stands in for it in the
engine: the real optimizer is built and stepped in a child process ("spawn", one per run),
which gets the parameters and their gradients for every step and sends the new parameters
back. Each step may take `call_limit_s()` seconds (10 by default; the environment variable
OPTPLAYGROUND_USER_CODE_LIMIT_S changes it), the module's import and the constructor
together BUILD_FACTOR times as long (a module may import big libraries). Past it the child
is killed and the step raises `OptimizerTimeout`, which ends that run with status `error`;
the other runs go on. The child's own start (Python, torch, this package) is not counted.

Optimizers that need a closure (L-BFGS-like) ask the engine for each evaluation: the child
sends the parameters, the engine answers with the loss and the gradients. No Qt here.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import threading
import weakref

import torch

from .i18n import tr

LIMIT_ENV = "OPTPLAYGROUND_USER_CODE_LIMIT_S"
DEFAULT_LIMIT_S = 10.0
BUILD_FACTOR = 6  # the import and the constructor: 60 s by default
START_LIMIT_S = 120.0  # the child's interpreter and torch import, on a loaded machine


class OptimizerTimeout(RuntimeError):
    """A user's optimizer did not return in time; its process was stopped."""


class OptimizerProcessDied(RuntimeError):
    """The child process of a user's optimizer ended (crashed, killed)."""


def call_limit_s() -> float:
    """Seconds a user's import + constructor, and each of its steps, may take."""
    try:
        limit = float(os.environ.get(LIMIT_ENV, DEFAULT_LIMIT_S))
    except ValueError:
        return DEFAULT_LIMIT_S
    return limit if 0 < limit < 1e6 else DEFAULT_LIMIT_S


class IsolatedOptimizer(torch.optim.Optimizer):
    """A torch optimizer over `params` whose work happens in a child process.

    `param_groups` live here as usual (the engine sets the LR, Lookahead shares them,
    live edits change them): every step sends their values along."""

    def __init__(self, path: str, params, hyper: dict):
        super().__init__(list(params), dict(hyper))
        self.path = path
        self.limit_s = call_limit_s()
        self._child = _Child(path)
        self._finalizer = weakref.finalize(self, _Child.kill, self._child)
        self._child.send(("build", self._values(), self._hypers()))
        self._built = False  # the build's answer is awaited at the first step

    def step(self, closure=None):
        if not self._built:
            self._child.receive(tr("its import and constructor"), BUILD_FACTOR * self.limit_s)
            self._built = True
        self._child.send(("step", self._values(), self._grads(), self._hypers(),
                          closure is not None))
        loss = None
        while True:
            kind, payload = self._child.receive(tr("its step"), self.limit_s)
            if kind == "done":
                self._load(payload)
                return loss
            self._load(payload)  # "closure": evaluate at the child's trial point
            with torch.enable_grad():
                loss = closure()
            self._child.send(("loss", float(loss.detach()), self._grads()))

    def close(self) -> None:
        self._finalizer()

    def _params(self) -> list[torch.Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def _values(self) -> list:
        return [p.detach().cpu().numpy() for p in self._params()]

    def _grads(self) -> list:
        return [None if p.grad is None else p.grad.detach().cpu().numpy() for p in self._params()]

    def _hypers(self) -> list[dict]:
        return [{k: v for k, v in group.items() if k != "params"} for group in self.param_groups]

    def _load(self, values: list) -> None:
        with torch.no_grad():
            for p, value in zip(self._params(), values):
                p.copy_(torch.from_numpy(value).to(p.device, p.dtype))


class _Child:
    """The child process and its pipe; every answer is awaited with a time limit."""

    def __init__(self, path: str):
        ctx = multiprocessing.get_context("spawn")
        self.path = path
        self.conn, child_end = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child_end, os.getpid(), path),
                                   name="optplayground-user-optimizer", daemon=True)
        with _children_allowed():
            self.process.start()
        child_end.close()
        self.started = False

    def send(self, message: tuple) -> None:
        try:
            self.conn.send(message)
        except (OSError, ValueError) as error:
            raise self._died() from error

    def receive(self, what: str, limit_s: float):
        if not self.started:  # "ready": the interpreter and torch are up
            self._answer(START_LIMIT_S, tr("its start"))
            self.started = True
        return self._answer(limit_s, what)

    def _answer(self, limit_s: float, what: str):
        try:
            ready = self.conn.poll(limit_s)
        except (OSError, ValueError) as error:
            raise self._died() from error
        if not ready:
            self.kill()
            raise OptimizerTimeout(tr("{path}: {what} took longer than {limit} s, the limit for "
                                      "an imported optimizer; its process was stopped",
                                      path=self.path, what=what, limit=f"{limit_s:g}"))
        try:
            kind, payload = self.conn.recv()
        except (EOFError, OSError) as error:
            raise self._died() from error
        if kind == "error":
            raise payload
        return kind, payload

    def _died(self) -> OptimizerProcessDied:
        self.process.join(0.5)
        return OptimizerProcessDied(tr("{path}: its process ended (exit code {code})",
                                       path=self.path, code=self.process.exitcode))

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1.0)
        self.conn.close()


@contextlib.contextmanager
def _children_allowed():
    """The window's engine process is a daemon, and multiprocessing refuses children to
    daemons lest they outlive it; ours watch their parent and leave with it."""
    config = multiprocessing.current_process()._config  # noqa: SLF001 — no public switch
    daemon = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if daemon is not None:
            config["daemon"] = daemon


# ---------------------------------------------------------------- the child

def _watch_parent(parent_pid: int) -> None:
    import time

    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(0)


def _serve(conn, parent_pid: int, path: str) -> None:
    """Import the class, build the optimizer, step it on request until the pipe closes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    from .import_path import import_class

    torch.set_num_threads(1)  # a few numbers per step: threads only cost here
    conn.send(("ready", None))  # the parent's first wait is for this: see _Child.receive
    optimizer, params = None, []
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if message[0] == "build":
                cls = import_class(path)
                params = [torch.tensor(v, requires_grad=True) for v in message[1]]
                optimizer = cls(params, **message[2][0])
                reply = ("built", None)
            else:
                _, values, grads, hypers, wants_closure = message
                _set(params, values, grads)
                for group, hyper in zip(optimizer.param_groups, hypers):
                    group.update(hyper)
                optimizer.step(_closure(conn, params) if wants_closure else None)
                reply = ("done", [p.detach().numpy() for p in params])
        except BaseException as error:  # noqa: BLE001 — the user's code may raise anything
            reply = ("error", _portable(error))
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _closure(conn, params: list[torch.Tensor]):
    def closure() -> torch.Tensor:
        conn.send(("closure", [p.detach().numpy() for p in params]))
        _, loss, grads = conn.recv()
        _set(params, None, grads)
        return torch.tensor(loss, dtype=params[0].dtype)
    return closure


def _set(params: list[torch.Tensor], values, grads) -> None:
    with torch.no_grad():
        for i, p in enumerate(params):
            if values is not None:
                p.copy_(torch.from_numpy(values[i]))
            p.grad = None if grads[i] is None else torch.from_numpy(grads[i]).clone()


def _portable(error: BaseException) -> BaseException:
    """`error`, or a RuntimeError with its type and message where it does not pickle."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(error).__name__}: {error}")
