"""The window's frames: a 60 Hz timer redraws what changed since the last frame.

A frame refreshes the view in front (map, grid or dataset views) and the step plots that
are behind the rows (while racing at full speed only those `FramePacer` picks), then the
status line. FRAME_PAINTED, posted after the frame's own paint requests, says when the
frame is on screen: the export's hold is released, the pacer learns what the frame cost,
and the first one lets the worker start the first race.
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from .frame_hold import FrameHold
from .live import LiveRuns
from .pacing import FramePacer

FRAME_MS = 16
FRAME_PAINTED = QEvent.Type(QEvent.registerEventType())  # follows a frame's paint (draw)
LOW_PRIORITY = Qt.EventPriority.LowEventPriority.value  # as Qt's paint requests


class Frames(QObject):
    firstFrame = Signal()  # the window's first frame is on screen

    def __init__(self, window: QWidget, live: LiveRuns, worker, hold: FrameHold,
                 front: Callable[[], QWidget], step_plots: Sequence, more_step_plots: Sequence,
                 after: Callable[[], None]):
        """`front()`: the view in front; `step_plots`: the paced ones, `more_step_plots`
        the others drawn thin while racing; `after()`: the rest of a frame (the status)."""
        super().__init__(window)
        self.live, self.worker, self.hold = live, worker, hold
        self.front, self.after = front, after
        self.step_plots, self.more_step_plots = tuple(step_plots), tuple(more_step_plots)
        self.pacer = FramePacer()  # which step plots a frame redraws (gui/pacing.py)
        self._drawn_version = -1
        self._paced: dict = {}  # step plot -> seconds its refresh took, this frame
        self._frame_start = 0.0
        self._painted = False  # the window got its first paint event
        self.timer = QTimer(self)
        self.timer.setObjectName("frame-timer")
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse one drifts 5 %
        self.timer.timeout.connect(self.draw)
        self.timer.start(FRAME_MS)
        window.installEventFilter(self)

    def invalidate(self) -> None:
        """The next frame draws, changed rows or not (a new race, another view)."""
        self._drawn_version = -1

    @Slot()
    def draw(self) -> None:
        racing = self.worker.racing
        if racing != self.step_plots[0].racing:  # hairlines while racing, full width after
            for plot in (*self.step_plots, *self.more_step_plots):
                plot.racing = racing
                plot._forget_drawn()
        set_racing = getattr(self.front(), "set_racing", None)  # the map: trail dots or not
        if set_racing is not None:
            set_racing(racing)
        behind = [plot for plot in self.step_plots if not plot.shows(self.live)]
        if self.live.version == self._drawn_version and not behind:
            return
        self.hold.hold()  # the CSV export thread keeps off the GIL while it is drawn
        self._frame_start = time.perf_counter()
        self._drawn_version = self.live.version
        self.front().refresh(self.live)
        self._paced.clear()
        for plot in self.pacer.choose(behind) if racing else behind:  # see gui/pacing.py
            plot.paint_s = 0.0
            start = time.perf_counter()
            plot.refresh(self.live)
            self._paced[plot] = time.perf_counter() - start
        self.after()
        QCoreApplication.postEvent(self, QEvent(FRAME_PAINTED), LOW_PRIORITY)

    def stop(self) -> None:
        self.timer.stop()

    def event(self, event) -> bool:
        if event.type() != FRAME_PAINTED:  # the paint requests queued before it are done
            return super().event(event)
        self.hold.release()
        if self._paced:
            self.pacer.measured(time.perf_counter() - self._frame_start,
                                {plot: s + plot.paint_s for plot, s in self._paced.items()})
            self._paced.clear()
        if self._painted and not self.worker.first_frame_seen:
            self.worker.first_frame_shown()
            self.firstFrame.emit()
        return True

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint and not self._painted:  # the window's first frame
            self._painted = True
            QCoreApplication.postEvent(self, QEvent(FRAME_PAINTED), LOW_PRIORITY)
        return False
