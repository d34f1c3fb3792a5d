"""The engine in a child process: `RemoteEngine` steps an `Engine` built there.

The window's engine thread and its UI thread shared one interpreter (the GIL): on two cores
the race and the window took turns on one. Here the child does the torch work and the
worker thread only waits in `recv` (off the GIL) for each batch, so both cores work at once.

One child serves one race after another (`Start` builds a new engine in it), so only the
first race waits for the child's `import torch`. The child is started with multiprocessing's
"spawn" context (no fork of a process with Qt threads or CUDA) and serves synchronous
requests over a Pipe.

The protocol: each request is a small dataclass (`Start`, `Advance`, `UpdateRun`, `Views`,
`Watch`, `Quit`); the child looks up its handler in `_Server.HANDLERS` by type and answers `Ok(value)`
with a typed value (`Started`, `Advanced`, …) or `Failed(error)`, raised here with the
error's own type and message; a child that died raises `EngineDied`. No Qt here.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .engine import Batch
from .experiment import Experiment, Run

START_METHOD = "spawn"
QUIT_WAIT_S = 0.2  # close(): how long a child may take to leave on its own before it is killed


class EngineDied(RuntimeError):
    """The child process ended (killed, crashed) with a request in flight."""


# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class Start:
    """Build a new engine for the experiment (the old one goes)."""
    experiment: Experiment


@dataclass(frozen=True)
class Advance:
    """Make `n` updates of every running run."""
    n: int


@dataclass(frozen=True)
class UpdateRun:
    """A live edit of run `index` (among enabled runs)."""
    index: int
    run: Run


@dataclass(frozen=True)
class Views:
    """Snapshots of a dataset race's models (core.views.run_views)."""
    resolution: int


@dataclass(frozen=True)
class Watch:
    """Record the internals of run `index` (None: of none) in the batches (core/internals.py)."""
    index: int | None


@dataclass(frozen=True)
class Quit:
    """Leave the serving loop."""


# ---------------------------------------------------------------- replies


@dataclass(frozen=True)
class Started:
    device: str
    device_note: str
    steps: int
    has_task: bool  # a dataset race (it has model views)
    step: int


@dataclass(frozen=True)
class Advanced:
    batch: Batch
    seconds: float  # the child's time stepping it


@dataclass(frozen=True)
class Ok:
    value: Any = None


@dataclass(frozen=True)
class Failed:
    error: BaseException


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


# ---------------------------------------------------------------- the child


def _watch_parent(parent_pid: int) -> None:
    """Leave when the window's process is gone (os._exit skips every clean-up there), even
    if a step never returns."""
    import time

    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(0)


class _Server:
    """The child's state: the engine of the current race. One handler per request type."""

    def __init__(self):
        self.engine = None
        self._frozen = False

    def start(self, request: Start) -> Started:
        import gc

        from .engine import Engine

        self.engine = None
        engine = self.engine = Engine(request.experiment, keep_history=False)
        if not self._frozen:  # the first engine imports torch._dynamo: keep it out of collections
            self._frozen = True
            gc.freeze()
        return Started(str(engine.device), engine.device_note, engine.steps,
                       engine.task is not None, engine.step)

    def advance(self, request: Advance) -> Advanced:
        import time

        started = time.perf_counter()
        batch = self.engine.advance(request.n)
        return Advanced(batch, time.perf_counter() - started)

    def update_run(self, request: UpdateRun) -> None:
        self.engine.update_run(request.index, request.run)

    def views(self, request: Views) -> list:
        from .views import run_views

        return run_views(self.engine, request.resolution)

    def watch(self, request: Watch) -> None:
        self.engine.watch(request.index)

    HANDLERS: dict[type, Callable] = {Start: start, Advance: advance, UpdateRun: update_run,
                                      Views: views, Watch: watch}

    def answer(self, request) -> Ok | Failed:
        try:
            handler = self.HANDLERS.get(type(request))
            if handler is None:
                raise ValueError(f"unknown request {request!r}")
            return Ok(handler(self, request))
        except BaseException as error:  # noqa: BLE001 — a user's optimizer may raise anything
            return Failed(_portable(error))


def _serve(conn, parent_pid: int) -> None:
    """The child: answer requests until told to quit or the parent is gone."""
    import signal

    from .threads import use_torch_threads

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the window's to handle
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    use_torch_threads()  # as the window and the CLI: the same numbers
    server = _Server()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        reply = Ok() if isinstance(request, Quit) else server.answer(request)
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return
        if isinstance(request, Quit):
            return


# ---------------------------------------------------------------- this process


class RemoteEngine:
    """One child process that builds and steps engines; the calls mirror `Engine`'s.

    Not thread-safe: one thread makes the requests (`kill` may come from any thread)."""

    def __init__(self):
        ctx = multiprocessing.get_context(START_METHOD)
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, os.getpid()),
                                   name="optplayground-engine", daemon=True)
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

    def _call(self, request):
        while self._in_flight:  # left behind by an error mid-slice: keep requests and replies paired
            self._in_flight -= 1
            self._receive()
        self._send(request)
        return self._receive()

    def _send(self, request) -> None:
        try:
            self._conn.send(request)
        except (OSError, ValueError) as error:
            raise EngineDied(f"the engine process ended (exit code {self.process.exitcode})") from error

    def _receive(self):
        try:
            reply = self._conn.recv()
        except (EOFError, OSError) as error:
            raise EngineDied(f"the engine process ended (exit code {self.process.exitcode})") from error
        if isinstance(reply, Failed):
            raise reply.error
        return reply.value

    def start(self, experiment: Experiment) -> None:
        """Build a new engine for `experiment` (the old one goes); raises what Engine raises."""
        started: Started = self._call(Start(experiment))
        self.device, self.device_note, self.steps = started.device, started.device_note, started.steps
        self.has_task, self.step = started.has_task, started.step
        self.done = self.step >= self.steps

    def advance(self, n: int = 1) -> Batch:
        return self._took(self._call(Advance(n)))[0]

    def send_advance(self, n: int) -> None:
        """Ask for `advance(n)` without waiting: the child steps while this process does
        something else. Every send_advance must be followed by one receive_advance before
        any other request."""
        self._send(Advance(n))
        self._in_flight += 1

    def receive_advance(self) -> tuple[Batch, float]:
        """The batch of the oldest send_advance and the child's seconds of work for it."""
        self._in_flight -= 1
        return self._took(self._receive())

    def _took(self, advanced: Advanced) -> tuple[Batch, float]:
        self.step, self.done = advanced.batch.step, advanced.batch.done
        return advanced.batch, advanced.seconds

    def update_run(self, index: int, run: Run) -> None:
        self._call(UpdateRun(index, run))

    def watch(self, index: int | None) -> None:
        self._call(Watch(index))

    def views(self, resolution: int = 64) -> list:
        """core.views.run_views of the engine (an empty list for a surface race)."""
        return self._call(Views(resolution)) if self.has_task else []

    # ------------------------------------------------------------ ending

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self, timeout_s: float = QUIT_WAIT_S) -> None:
        """Ask the child to quit, wait briefly, else kill it. Call from the requesting
        thread (or once it is blocked for good: then use kill)."""
        if self.process.is_alive():
            try:
                self._conn.send(Quit())
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
