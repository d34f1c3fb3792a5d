"""The engine in a child process: `RemoteEngine` steps an `Engine` built there.

The window's engine thread and its UI thread shared one interpreter (the GIL): on two cores
the race and the window took turns on one. Here the child does the torch work and the
worker thread only waits in `recv` (off the GIL) for each batch, so both cores work at once.

One child serves one race after another (`start` builds a new engine in it), so only the
first race waits for the child's `import torch`. The child is started with multiprocessing's
"spawn" context (no fork of a process with Qt threads or CUDA) and serves synchronous
requests over a Pipe. Its errors come back and are raised here with their own type and
message; a child that died raises `RuntimeError`. No Qt here.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sys
import threading

from .engine import Batch
from .experiment import Experiment, Run

START_METHOD = "spawn"
QUIT_WAIT_S = 0.2  # close(): how long a child may take to leave on its own before it is killed


class EngineDied(RuntimeError):
    """The child process ended (killed, crashed) with a request in flight."""


def _portable(error: BaseException) -> BaseException:
    """`error`, or a RuntimeError with its type and message where it does not pickle."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001
        from .params import ConfigError

        if isinstance(error, ConfigError):  # a subclass of its own: the same text all the same
            return ConfigError(error.field, error.message)
        return RuntimeError(f"{type(error).__name__}: {error}")


@contextlib.contextmanager
def _main_unseen():
    """Hide the main module from spawn while the child starts: the child then does not run
    it again (a script without a `__main__` guard, a bench that imports Qt): it needs
    nothing from it, only this package."""
    main = sys.modules.get("__main__")
    saved = {name: getattr(main, name) for name in ("__spec__", "__file__") if hasattr(main, name)}
    try:
        for name in saved:
            setattr(main, name, None) if name == "__spec__" else delattr(main, name)
        yield
    finally:
        for name, value in saved.items():
            setattr(main, name, value)


def _watch_parent(parent_pid: int) -> None:
    """Leave when the window's process is gone (os._exit skips every clean-up there), even
    if a step never returns."""
    import time

    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(0)


def _serve(conn, parent_pid: int) -> None:
    """The child: build engines and step them on request until told to quit."""
    import gc
    import signal
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the window's to handle
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    from .engine import Engine
    from .threads import use_torch_threads
    from .views import run_views

    use_torch_threads()  # as the window and the CLI: the same numbers
    engine = None
    frozen = False
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        op, args = request[0], request[1:]
        if op == "quit":
            conn.send(("ok", None))
            return
        try:
            if op == "start":
                engine = None
                engine = Engine(args[0], keep_history=False)
                result = (str(engine.device), engine.device_note, engine.steps,
                          engine.task is not None, engine.step)
                if not frozen:  # the first engine imports torch._dynamo: keep it out of collections
                    frozen = True
                    gc.freeze()
            elif op == "advance":
                result = engine.advance(args[0])
            elif op == "advance_timed":
                started = time.perf_counter()
                batch = engine.advance(args[0])
                result = batch, time.perf_counter() - started
            elif op == "update_run":
                engine.update_run(args[0], args[1])
                result = None
            elif op == "views":
                result = run_views(engine, args[0])
            else:
                raise ValueError(f"unknown request {op!r}")
            reply = ("ok", result)
        except BaseException as error:  # noqa: BLE001 — a user's optimizer may raise anything
            reply = ("err", _portable(error))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class RemoteEngine:
    """One child process that builds and steps engines; the calls mirror `Engine`'s.

    Not thread-safe: one thread makes the requests (`kill` may come from any thread)."""

    def __init__(self):
        ctx = multiprocessing.get_context(START_METHOD)
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, os.getpid()),
                                   name="optplayground-engine", daemon=True)
        with _main_unseen():
            self.process.start()
        child.close()
        self.device = "…"
        self.device_note = ""
        self.steps = 0
        self.step = 0
        self.done = True
        self.has_task = False
        self._in_flight = 0  # send_advance requests not received yet

    # ------------------------------------------------------------ requests

    def _call(self, *request):
        while self._in_flight:  # left behind by an error mid-slice: keep requests and replies paired
            self._in_flight -= 1
            self._receive()
        self._send(request)
        return self._receive()

    def _send(self, request: tuple) -> None:
        try:
            self._conn.send(request)
        except (OSError, ValueError) as error:
            raise EngineDied(f"the engine process ended (exit code {self.process.exitcode})") from error

    def _receive(self):
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError) as error:
            raise EngineDied(f"the engine process ended (exit code {self.process.exitcode})") from error
        if status == "err":
            raise value
        return value

    def start(self, experiment: Experiment) -> None:
        """Build a new engine for `experiment` (the old one goes); raises what Engine raises."""
        self.device, self.device_note, self.steps, self.has_task, self.step = self._call("start", experiment)
        self.done = self.step >= self.steps

    def advance(self, n: int = 1) -> Batch:
        batch = self._call("advance", n)
        self.step, self.done = batch.step, batch.done
        return batch

    def send_advance(self, n: int) -> None:
        """Ask for `advance(n)` without waiting: the child steps while this process does
        something else. Every send_advance must be followed by one receive_advance before
        any other request."""
        self._send(("advance_timed", n))
        self._in_flight += 1

    def receive_advance(self) -> tuple[Batch, float]:
        """The batch of the oldest send_advance and the child's seconds of work for it."""
        self._in_flight -= 1
        batch, seconds = self._receive()
        self.step, self.done = batch.step, batch.done
        return batch, seconds

    def update_run(self, index: int, run: Run) -> None:
        self._call("update_run", index, run)

    def views(self, resolution: int = 64) -> list:
        """core.views.run_views of the engine (an empty list for a surface race)."""
        return self._call("views", resolution) if self.has_task else []

    # ------------------------------------------------------------ ending

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self, timeout_s: float = QUIT_WAIT_S) -> None:
        """Ask the child to quit, wait briefly, else kill it. Call from the requesting
        thread (or once it is blocked for good: then use kill)."""
        if self.process.is_alive():
            try:
                self._conn.send(("quit",))
            except (OSError, ValueError):
                pass
            self.process.join(timeout_s)
        self.kill()

    def kill(self) -> None:
        """End the child now (safe from any thread: a request in flight raises EngineDied)."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(0.2)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(0.5)
