"""The engine, driven from a worker thread.

`EngineWorker` lives in a QThread and drives the core `Engine` from a timer of its own, so
queued calls (pause, edits, a new race) are handled between two slices of work. The engine
itself runs in a child process (`core.remote.RemoteEngine`): the worker waits for each
chunk of steps in a pipe's `recv`, off the GIL, so the race and the window use two cores at
once. It emits at most two batches per frame (~120 per second), never one signal per step. A
dataset race also sends snapshots of its models (`viewsReady`) a few times per second.
"""
from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from ..core.engine import Batch, RunRows
from ..core.experiment import Experiment, Run
from ..core.internals import KEEP as KEEP_INTERNALS
from ..core.params import ConfigError
from ..core.remote import RemoteEngine

# Rows are handed over at most twice a frame: at once a frame, a batch that just missed a
# frame left the next one with nothing new (an interval of two frames on the map).
BATCH_S = 1 / 120
SLICE_S = 0.03  # stepping time per timer tick at full speed (then queued calls are seen)
CHUNK_S = 0.006  # the child's work per request: long enough that the pipe costs little
AHEAD = 2  # requests of a slice in flight at once
VIEWS_S = 0.2  # dataset races: model snapshots at most five times per second,
VIEWS_DUTY = 0.1  # and never more than a tenth of the time (big models snapshot less often)
VIEW_RESOLUTION = 64  # a 64×64 prediction grid per run
SHUTDOWN_S = 0.75  # closing waits at most this long for the engine thread (then os._exit)
STOP_WAIT_S = 0.3  # ... of which this long for the chunk in progress; then the child is killed
# Waited for a thread that is still running once its child was killed (it should not be).
# The app passes 0: it leaves with os._exit instead (app.leave).
BUILD_WAIT_S = 30.0
FIRST_FRAME_S = 3.0  # the first race waits at most this long for the window's first frame


def merge_batches(batches: list[Batch]) -> Batch:
    """One batch holding the rows of several consecutive ones."""
    last = batches[-1]
    runs = []
    for i, part in enumerate(last.runs):
        rows = np.concatenate([b.runs[i].rows for b in batches])
        runs.append(RunRows(part.index, rows, part.status, part.message))
    internals = [s for b in batches for s in b.internals][-KEEP_INTERNALS:]
    return Batch(step=last.step, runs=runs, done=last.done, internals=internals)


class EngineWorker(QObject):
    batchReady = Signal(int, object)  # generation, Batch
    finished = Signal(int)  # generation: the race reached its last step
    failed = Signal(int, str)  # generation, message: the race could not start
    note = Signal(str)  # e.g. "CUDA is not available here: running on the CPU"
    viewsReady = Signal(int, object)  # generation, list[core.views.RunView] (dataset races)

    def __init__(self, remote: RemoteEngine | None = None,
                 first_frame: threading.Event | None = None):
        """`first_frame`: set once the window has painted; the first race waits for it
        (at most FIRST_FRAME_S) so the window's first frame goes first."""
        super().__init__()
        self.remote = remote  # the child process; a new one if it is missing or died
        self.engine: RemoteEngine | None = None  # the remote, once it holds this race's engine
        self.generation = 0
        self.playing = False
        self.speed: float | None = None  # steps per second; None = as fast as possible
        self._due = 0.0  # steps owed at a finite speed
        self._last_tick = 0.0
        self._pending: list[Batch] = []
        self._last_emit = 0.0
        self._timer: QTimer | None = None
        self._chunk = 1  # steps per advance() call, adapted so a call takes ~CHUNK_S
        self.racing = False  # stepping as fast as it can (the step plots draw hairlines then)
        self.first_frame = first_frame or _already_set()
        self._views_due = 0.0  # no model snapshot before this time (perf_counter)
        self._views_failed = False  # a snapshot raised: no more this race
        self.watched: int | None = None  # whose internals the batches carry (Engine.watch)
        self.stopping = threading.Event()  # set by WorkerThread.shutdown; read between chunks

    @Slot()
    def setup(self) -> None:
        """Runs in the worker thread once it started: the timer must belong to it."""
        self._timer = QTimer(self)
        self._timer.setObjectName("engine-worker-tick")
        self._timer.timeout.connect(self._tick)

    @Slot(object, int)
    def start(self, experiment: Experiment, generation: int) -> None:
        """A new race replaces the current one (paused until play)."""
        self.generation = generation
        self._pending.clear()
        self.engine = None
        self._views_failed = False
        self.first_frame.wait(FIRST_FRAME_S)
        if self.stopping.is_set():
            return
        try:
            if self.remote is None or not self.remote.alive:
                self.remote = RemoteEngine()
            engine = self.remote
            engine.start(experiment)
        except (Exception, SystemExit, KeyboardInterrupt) as error:  # noqa: BLE001 — a user's
            # optimizer can raise anything, even sys.exit(); none of it may end this thread
            if self.stopping.is_set():
                return
            message = str(error) if isinstance(error, ConfigError) else f"{type(error).__name__}: {error}"
            self.failed.emit(generation, message)
            self._set_timer()
            return
        if self.stopping.is_set():  # the window closed while the engine was built
            return
        self.engine = engine
        self._send_watch()
        if self.engine.device_note:
            self.note.emit(self.engine.device_note)
        self._chunk = 1
        self._emit(self.engine.advance(0))  # nothing stepped: tells the window the race exists
        self._emit_views(force=True)
        self._set_timer()

    @Slot(bool)
    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        self._due = 0.0
        self._last_tick = time.perf_counter()
        self._set_timer()

    @Slot(object)
    def set_speed(self, speed: float | None) -> None:
        self.speed = speed
        self._due = 0.0
        self._set_timer()

    @Slot()
    def step_once(self) -> None:
        try:
            if self.engine is not None and not self.engine.done:
                self._emit(self.engine.advance(1))
                self._emit_views(force=True)
                if self.engine.done:
                    self.finished.emit(self.generation)
        except Exception as error:  # noqa: BLE001 — see _tick
            self._fail(error)

    @Slot(int, object)
    def update_run(self, index: int, run: Run) -> None:
        """A live edit; the next update of that run uses it."""
        if self.engine is None:
            return
        try:
            self.engine.update_run(index, run)
        except (ConfigError, ValueError) as error:
            self.note.emit(f"{run.name}: {error}")
        except Exception as error:  # noqa: BLE001 — the engine process ended
            self._fail(error)

    @Slot(object)
    def watch(self, index: int | None) -> None:
        """Record the internals of run `index` (among enabled runs; None: none) from now on,
        in this race and the next ones."""
        self.watched = index
        if self.engine is not None:
            self._send_watch()

    def _send_watch(self) -> None:
        try:
            self.engine.watch(self.watched)
        except Exception as error:  # noqa: BLE001 — the engine process ended
            self._fail(error)

    @Slot()
    def stop(self) -> None:
        """Queued by shutdown: runs in this thread, so the timer stops before its loop ends."""
        self.playing = False
        self.engine = None
        if self._timer is not None:
            self._timer.stop()
        if self.remote is not None:
            self.remote.close()
        self.thread().quit()

    def _set_timer(self) -> None:
        if self._timer is None:
            return
        running = self.playing and self.engine is not None and not self.engine.done
        self.racing = running and self.speed is None
        if not running:
            self._timer.stop()
            self._flush()
            return
        self._timer.start(0 if self.speed is None else 5)

    @Slot()
    def _tick(self) -> None:
        try:
            self._advance_tick()
        except Exception as error:  # noqa: BLE001 — a bug must not end the ticks unseen
            self._fail(error)

    def _fail(self, error: Exception) -> None:
        """Pause the race and tell the window why (the engine already turns a run's own
        faults into its status `error`: this is for anything else, e.g. a dead engine
        process)."""
        if self.stopping.is_set():  # closing killed the engine process: nobody is told
            return
        self.playing = False
        self.racing = False
        if self._timer is not None:
            self._timer.stop()
        self.note.emit(f"The race stopped: {type(error).__name__}: {error}")
        self.finished.emit(self.generation)

    def _advance_tick(self) -> None:
        engine = self.engine
        if self.stopping.is_set():
            return
        if engine is None or engine.done:
            self._set_timer()
            return
        if self.speed is None:
            self._run_for(SLICE_S)
        else:
            now = time.perf_counter()
            self._due = min(self._due + self.speed * (now - self._last_tick), self.speed * 0.25 + 1)
            self._last_tick = now
            steps = int(self._due)
            if steps:
                self._due -= steps
                self._pending.append(engine.advance(steps))
        if self.stopping.is_set():  # closing: nobody waits for these rows
            return
        if engine.done:
            self._flush()
            self._emit_views(force=True)
            self.finished.emit(self.generation)
            self._set_timer()
            return
        if time.perf_counter() - self._last_emit >= BATCH_S:
            self._flush()
        self._emit_views()

    def _run_for(self, seconds: float) -> None:
        """Advance in chunks until `seconds` have passed; chunks adapt to ~CHUNK_S of the
        child's work each. The next chunk is asked for as soon as one comes back, so the child
        steps while this thread waits for the GIL and hands the batch on: AHEAD requests
        are in flight, so the child has the next one queued while this thread takes a batch."""
        engine = self.engine
        end = time.perf_counter() + seconds
        for _ in range(AHEAD):
            engine.send_advance(self._chunk)
        in_flight, going = AHEAD, True
        while in_flight:
            batch, took = engine.receive_advance()
            in_flight -= 1
            going = going and not batch.done and not self.stopping.is_set() and time.perf_counter() < end
            if going:
                self._chunk = max(1, min(100_000, int(self._chunk * (CHUNK_S / max(took, 1e-6)) ** 0.5 + 0.5)))
                engine.send_advance(self._chunk)
                in_flight += 1
            self._pending.append(batch)
            if time.perf_counter() - self._last_emit >= BATCH_S:
                self._flush()

    def _flush(self) -> None:
        if self._pending:
            batch = merge_batches(self._pending)
            self._pending.clear()
            self._emit(batch)

    def _emit(self, batch: Batch) -> None:
        self._last_emit = time.perf_counter()
        self.batchReady.emit(self.generation, batch)

    def _emit_views(self, force: bool = False) -> None:
        """Snapshot a dataset race's models for the window: throttled by time (the cost is
        measured, so a big model is snapshot less often) unless `force`d."""
        engine = self.engine
        now = time.perf_counter()
        if engine is None or not engine.has_task or (now < self._views_due and not force):
            return
        if self._views_failed:
            return
        try:
            views = engine.views(VIEW_RESOLUTION)
        except Exception as error:  # noqa: BLE001 — the race goes on without the views
            self._views_failed = True
            self.note.emit(f"Model views stopped: {type(error).__name__}: {error}")
            return
        cost = time.perf_counter() - now
        self._views_due = now + max(VIEWS_S, cost / VIEWS_DUTY)
        self.viewsReady.emit(self.generation, views)


class WorkerThread(QObject):
    """Owns the QThread and the worker; what the window needs of them: the requests (the
    signals below it emits), the worker's events re-emitted here in the window's thread,
    and a few read-only facts (`ready`, `device`, `racing`). `shutdown()` is the single way
    to stop them."""

    startRace = Signal(object, int)
    playingChanged = Signal(bool)
    speedChanged = Signal(object)
    stepOnce = Signal()
    runEdited = Signal(int, object)
    watchRun = Signal(object)  # int | None: whose internals the batches carry
    stopRequested = Signal()
    # The worker's events, re-emitted in this object's (the window's) thread:
    batchReady = Signal(int, object)
    finished = Signal(int)
    failed = Signal(int, str)
    note = Signal(str)
    viewsReady = Signal(int, object)

    def __init__(self, parent: QObject | None = None, wait_for_first_frame: bool = False,
                 build_wait_s: float = BUILD_WAIT_S):
        """`wait_for_first_frame`: the first race starts once `first_frame_shown()` is
        called (or after FIRST_FRAME_S). `build_wait_s`: how long shutdown still waits for a
        thread whose engine process was killed (0: not at all, the app leaves with os._exit)."""
        super().__init__(parent)
        self.build_wait_s = build_wait_s
        self._first_frame = threading.Event()
        if not wait_for_first_frame:
            self._first_frame.set()
        self.thread = QThread()
        self.thread.setObjectName("engine-thread")
        # The engine process starts now, so the first race does not wait for its imports.
        self.worker = EngineWorker(RemoteEngine(), self._first_frame)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.setup)
        self.startRace.connect(self.worker.start)
        self.playingChanged.connect(self.worker.set_playing)
        self.speedChanged.connect(self.worker.set_speed)
        self.stepOnce.connect(self.worker.step_once)
        self.runEdited.connect(self.worker.update_run)
        self.watchRun.connect(self.worker.watch)
        # Queued, never blocking: a step that takes long (or forever) cannot hold up a close.
        self.stopRequested.connect(self.worker.stop)
        for name in ("batchReady", "finished", "failed", "note", "viewsReady"):
            getattr(self.worker, name).connect(getattr(self, name))
        self.thread.start()

    # ------------------------------------------------------------ what the window reads

    @property
    def ready(self) -> bool:
        """The current race's engine is built."""
        return self.worker.engine is not None

    @property
    def device(self) -> str:
        engine = self.worker.engine
        return engine.device if engine is not None else "…"

    @property
    def racing(self) -> bool:
        """Stepping as fast as it can."""
        return self.worker.racing

    @property
    def process(self):
        """The engine's child process (multiprocessing.Process), or None."""
        remote = self.worker.remote
        return remote.process if remote is not None else None

    def first_frame_shown(self) -> None:
        self._first_frame.set()

    @property
    def first_frame_seen(self) -> bool:
        return self._first_frame.is_set()

    # ------------------------------------------------------------ ending

    def shutdown(self, timeout_s: float = SHUTDOWN_S) -> bool:
        """Stop stepping and end the thread; whether it ended within `timeout_s` (idempotent).

        The worker stops between two chunks of steps and ends the engine process, so this
        takes milliseconds unless a step (or the build of an engine) is slow or never
        returns. Then the engine process is killed (STOP_WAIT_S): the worker's wait for it
        ends and so does the thread. Should the thread still run (build_wait_s), it is left
        running, kept alive here (destroying a running QThread aborts; terminating one
        running Python is worse), and the app leaves with os._exit (app.run_app)."""
        remote = self.worker.remote
        if not self.thread.isRunning():
            if remote is not None:
                remote.kill()
            return True
        self.worker.stopping.set()
        self._first_frame.set()  # nothing may keep the worker from the stop request
        self.stopRequested.emit()
        if self.thread.wait(int(min(timeout_s, STOP_WAIT_S) * 1000)):
            return True
        remote = self.worker.remote  # (the worker may have started a new one)
        if remote is not None:
            remote.kill()  # a step that hangs or a long build: the worker's recv ends
        if self.thread.wait(int(max(timeout_s - STOP_WAIT_S, 0.05) * 1000)):
            return True
        if self.build_wait_s > 0 and self.thread.wait(int(self.build_wait_s * 1000)):
            return True
        _left_running[:] = [(t, w) for t, w in _left_running if t.isRunning()]
        if all(t is not self.thread for t, _ in _left_running):
            _left_running.append((self.thread, self.worker))
        return False


def _already_set() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


_left_running: list[tuple[QThread, EngineWorker]] = []  # stuck in a step at shutdown


def threads_left_running() -> list[QThread]:
    """Engine threads that did not end at their shutdown and still run."""
    return [thread for thread, _ in _left_running if thread.isRunning()]
