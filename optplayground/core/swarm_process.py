"""Swarms in a child process: the window's basin map, sweep heat map and what-if fan are
raced there, never in the window's process (a 65,536-row update holds a core for tens of
milliseconds; the race's own engine has a child of its own, core/remote.py).

Two pipes: requests go in on one (from the window's thread), frames come back on the other
(read by a thread of the window that only waits in `recv`). The child keeps one swarm per
slot ("basin", "sweep"), advances each a chunk at a time (chunks sized so a frame comes
about every FRAME_S) and sends a `Frame` after each chunk; between chunks it reads new
requests, so a new job replaces a slot's old one at once and a what-if fan (`Fan`) is
answered before the next chunk. No Qt here.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .remote import START_METHOD, _portable, _watch_parent

FRAME_S = 0.08  # a frame about every 80 ms per slot: ≥ 10 updates a second


@dataclass(frozen=True)
class Job:
    """Race `job` (swarm.BasinJob / SweepJob) in `slot`, replacing what raced there."""
    slot: str
    ticket: int
    job: Any


@dataclass(frozen=True)
class Cancel:
    slot: str


@dataclass(frozen=True)
class Fan:
    """What-if paths: `runs` (one optimizer kind) from `start` for `steps` on the problem."""
    ticket: int
    experiment: Any
    runs: tuple
    steps: int


@dataclass(frozen=True)
class LRFind:
    """The LR range test (core/lrfind.py) of `experiment.runs[0]`."""
    ticket: int
    experiment: Any
    start_lr: float
    end_lr: float
    steps: int


@dataclass
class LRFound:
    ticket: int
    result: Any = None  # lrfind.LRFindResult
    error: BaseException | None = None


@dataclass(frozen=True)
class ExportCsv:
    """Write the CSV of the swarm in `slot` (as `optplayground basin/sweep` would) to path."""
    slot: str
    path: str


@dataclass(frozen=True)
class Quit:
    pass


@dataclass
class Frame:
    slot: str
    ticket: int
    frame: Any = None  # swarm.SwarmFrame, or
    error: BaseException | None = None  # why the job could not race
    seconds: float = 0.0  # the child's time for this chunk


@dataclass
class FanPaths:
    ticket: int
    paths: list  # per run: (k, 2) array of its points
    seconds: float
    error: BaseException | None = None


@dataclass
class Exported:
    path: str
    error: BaseException | None = None


def _compact(frame):
    """Display precision for the pipe (the CSV is written here, at full precision)."""
    for name in ("x", "y", "loss", "best_loss"):
        value = getattr(frame, name)
        if value is not None:
            setattr(frame, name, value.astype(np.float32))
    frame.status = frame.status.astype(np.int8)
    frame.stopped, frame.reached = frame.stopped.astype(np.int32), frame.reached.astype(np.int32)
    if frame.minimum is not None:
        frame.minimum = frame.minimum.astype(np.int8)
    return frame


def fan_paths(experiment, runs, steps: int) -> list[np.ndarray]:
    """Every run's path (its kept rows' points) raced as rows of one BatchedRace."""
    from . import experiment as xp
    from .batched.race import BatchedRace

    surface = xp.surface_of(experiment.problem)
    start = experiment.problem.start or surface.start
    race = BatchedRace(surface, experiment.problem.params, list(runs), [start] * len(runs),
                       steps, experiment.seed, paths=range(len(runs)))
    race.run_to_end(steps)
    rows = race.take_paths()
    return [rows[i][:, 1:3].copy() for i in range(len(runs))]


class _Child:
    def __init__(self, frames):
        self.frames = frames
        self.slots: dict[str, tuple[int, Any, int, bool]] = {}  # slot -> (ticket, swarm, chunk, meta sent)

    def handle(self, request) -> bool:
        """False on Quit."""
        if isinstance(request, Quit):
            return False
        if isinstance(request, Cancel):
            self.slots.pop(request.slot, None)
        elif isinstance(request, Job):
            self._start(request)
        elif isinstance(request, Fan):
            self._fan(request)
        elif isinstance(request, ExportCsv):
            self._export(request)
        elif isinstance(request, LRFind):
            self._lrfind(request)
        return True

    def _lrfind(self, request: LRFind) -> None:
        from .lrfind import lr_range_test

        try:
            result = lr_range_test(request.experiment, 0, request.start_lr, request.end_lr,
                                   request.steps)
            self.frames.send(LRFound(request.ticket, result))
        except BaseException as error:  # noqa: BLE001
            self.frames.send(LRFound(request.ticket, error=_portable(error)))

    def _start(self, request: Job) -> None:
        from .swarm import Swarm

        self.slots.pop(request.slot, None)
        try:
            swarm = Swarm(request.job)
        except BaseException as error:  # noqa: BLE001 — a bad job is told, the child goes on
            self.frames.send(Frame(request.slot, request.ticket, error=_portable(error)))
            return
        self.slots[request.slot] = (request.ticket, swarm, 1, False)
        self._send(request.slot, 0.0)  # an empty frame: the view knows the grid at once

    def _fan(self, request: Fan) -> None:
        started = time.perf_counter()
        try:
            paths = fan_paths(request.experiment, request.runs, request.steps)
            reply = FanPaths(request.ticket, paths, time.perf_counter() - started)
        except BaseException as error:  # noqa: BLE001
            reply = FanPaths(request.ticket, [], time.perf_counter() - started, _portable(error))
        self.frames.send(reply)

    def _export(self, request: ExportCsv) -> None:
        import csv

        from .atomic import write_atomic
        from .swarm import swarm_csv

        try:
            _, swarm, _, _ = self.slots[request.slot]
            header, rows = swarm_csv(swarm)

            def write(tmp: str) -> None:
                with open(tmp, "w", encoding="utf-8", newline="", buffering=1 << 20) as f:
                    writer = csv.writer(f, lineterminator="\n")
                    writer.writerow(header)
                    writer.writerows(rows)

            write_atomic(request.path, write)
            self.frames.send(Exported(request.path))
        except BaseException as error:  # noqa: BLE001
            self.frames.send(Exported(request.path, _portable(error)))

    def work(self) -> None:
        """One chunk of every slot still racing."""
        for slot in list(self.slots):
            ticket, swarm, chunk, _ = self.slots[slot]
            if swarm.done:
                continue
            started = time.perf_counter()
            try:
                swarm.advance(chunk)
            except BaseException as error:  # noqa: BLE001
                self.slots.pop(slot)
                self.frames.send(Frame(slot, ticket, error=_portable(error)))
                continue
            took = time.perf_counter() - started
            chunk = max(1, min(10_000, int(chunk * FRAME_S / max(took, 1e-6) * 0.8 + 0.5)))
            self.slots[slot] = (ticket, swarm, chunk, True)
            self._send(slot, took)

    def _send(self, slot: str, took: float) -> None:
        ticket, swarm, chunk, meta_sent = self.slots[slot]
        frame = _compact(swarm.frame())
        # The grid and cells go with the first frame only; the starts never (box and grid say them).
        frame.meta = {} if meta_sent else {k: v for k, v in frame.meta.items() if k != "starts"}
        self.frames.send(Frame(slot, ticket, frame, seconds=took))

    @property
    def busy(self) -> bool:
        return any(not swarm.done for _, swarm, _, _ in self.slots.values())


def _serve(requests, frames, parent_pid: int) -> None:
    import signal

    from .threads import use_torch_threads

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    use_torch_threads()
    child = _Child(frames)
    try:
        while True:
            while requests.poll(0 if child.busy else None):
                if not child.handle(requests.recv()):
                    return
            child.work()
    except (EOFError, OSError, BrokenPipeError):
        return
    finally:
        frames.close()


class SwarmProcess:
    """The window's side: `send` requests; `receive` (blocking, from a reader thread)
    answers — Frame, FanPaths, LRFound or Exported — or None once the child has ended."""

    def __init__(self):
        ctx = multiprocessing.get_context(START_METHOD)  # Pipe(duplex=False): (reader, writer)
        self._requests, child_requests = ctx.Pipe(duplex=False)[::-1]
        child_frames, self._frames = ctx.Pipe(duplex=False)[::-1]
        self.process = ctx.Process(target=_serve, args=(child_requests, child_frames, os.getpid()),
                                   name="optplayground-swarm", daemon=True)
        self.process.start()
        child_requests.close()
        child_frames.close()
        self._lock = threading.Lock()

    def send(self, request) -> bool:
        """False where the child has gone."""
        with self._lock:
            try:
                self._requests.send(request)
                return True
            except (OSError, ValueError):
                return False

    def receive(self):
        try:
            return self._frames.recv()
        except (EOFError, OSError):
            return None

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self, timeout_s: float = 0.5) -> None:
        self.send(Quit())
        self.process.join(timeout_s)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(0.5)
