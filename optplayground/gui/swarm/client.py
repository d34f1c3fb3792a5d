"""The window's side of the swarm child process (core/swarm_process.py).

`SwarmClient` lives in the main thread: it sends requests and re-emits the child's answers,
which a reader thread receives (waiting in `recv`, off the GIL). Frames pile up while the
window is busy: only the newest of each slot is handed on, once per turn of the event loop.
The child starts on the first request (its `import torch` takes seconds).
"""
from __future__ import annotations

import itertools

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from ...core.swarm_process import (Cancel, ExportCsv, Fan, FanPaths, Frame, Job, LRFind, LRFound,
                                   SwarmProcess)


class _Reader(QThread):
    received = Signal(object)

    def __init__(self, process: SwarmProcess):
        super().__init__()
        self.setObjectName("swarm-reader")
        self.process = process

    def run(self) -> None:
        while True:
            answer = self.process.receive()
            if answer is None:
                return
            self.received.emit(answer)


class SwarmClient(QObject):
    frameReady = Signal(str, int, object)  # slot, ticket, SwarmFrame
    failed = Signal(str, int, str)  # slot, ticket, message
    fanReady = Signal(int, object, float)  # ticket, paths, the child's seconds
    exported = Signal(str, str)  # path, error message ("" when written)
    lrFound = Signal(int, object, str)  # ticket, lrfind.LRFindResult (or None), error message

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._process: SwarmProcess | None = None
        self._reader: _Reader | None = None
        self._tickets = itertools.count(1)
        self._latest: dict[str, Frame] = {}
        self.frames_received = 0

    # ------------------------------------------------------------ requests

    def submit(self, slot: str, job) -> int:
        """Race `job` in `slot` (the old job there stops); its ticket."""
        ticket = next(self._tickets)
        self._latest.pop(slot, None)
        self._send(Job(slot, ticket, job))
        return ticket

    def cancel(self, slot: str) -> None:
        self._latest.pop(slot, None)
        if self._process is not None:
            self._send(Cancel(slot))

    def fan(self, experiment, runs, steps: int) -> int:
        ticket = next(self._tickets)
        self._send(Fan(ticket, experiment, tuple(runs), steps))
        return ticket

    def lr_find(self, experiment, start_lr: float, end_lr: float, steps: int) -> int:
        ticket = next(self._tickets)
        self._send(LRFind(ticket, experiment, start_lr, end_lr, steps))
        return ticket

    def export_csv(self, slot: str, path: str) -> None:
        self._send(ExportCsv(slot, path))

    def _send(self, request) -> None:
        if self._process is None or not self._process.alive:
            self._start()
        self._process.send(request)

    def _start(self) -> None:
        self._stop_reader()
        self._process = SwarmProcess()
        self._reader = _Reader(self._process)
        self._reader.received.connect(self._on_received)
        self._reader.start()

    # ------------------------------------------------------------ answers

    @Slot(object)
    def _on_received(self, answer) -> None:
        if isinstance(answer, LRFound):
            self.lrFound.emit(answer.ticket, answer.result,
                              "" if answer.error is None else str(answer.error))
        elif isinstance(answer, FanPaths):
            if answer.error is None:
                self.fanReady.emit(answer.ticket, answer.paths, answer.seconds)
        elif isinstance(answer, Frame):
            if answer.error is not None:
                self.failed.emit(answer.slot, answer.ticket, str(answer.error))
                return
            old = self._latest.get(answer.slot)
            if old is not None and old.ticket == answer.ticket and old.frame.meta:
                answer.frame.meta = old.frame.meta  # keep the first frame's grid
            first = not self._latest
            self._latest[answer.slot] = answer
            if first:
                QTimer.singleShot(0, self._hand_on)
        else:
            self.exported.emit(answer.path, "" if answer.error is None else str(answer.error))

    @Slot()
    def _hand_on(self) -> None:
        latest, self._latest = self._latest, {}
        for slot, answer in latest.items():
            self.frames_received += 1
            self.frameReady.emit(slot, answer.ticket, answer.frame)

    # ------------------------------------------------------------ ending

    def shutdown(self) -> None:
        if self._process is not None:
            self._process.close()
        self._stop_reader()
        self._process = None

    def _stop_reader(self) -> None:
        if self._reader is not None:
            if self._process is not None and self._process.alive:
                self._process.close()
            self._reader.wait(2000)
            self._reader = None
