"""When a map recomputes its heat map: a moment after its view stops moving (one timer,
however many linked maps report the move), and never while it is hidden: then the heat is
marked stale and recomputed when the map is shown again (no timers run behind the user)."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

DEBOUNCE_MS = 150


class HeatRedraw(QObject):
    def __init__(self, widget: QWidget, recompute: Callable[[], None],
                 when_shown: Callable[[], bool] = lambda: True):
        """`recompute` draws the heat of the current view; `when_shown()` says whether a
        stale heat is recomputed when `widget` is shown again."""
        super().__init__(widget)
        self._widget = widget
        self._when_shown = when_shown
        self.stale = False
        self._timer = QTimer(self)
        self._timer.setObjectName(f"{type(widget).__name__}.debounce")
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(recompute)
        widget.installEventFilter(self)

    def request(self) -> None:
        """The view moved: recompute soon (or once shown again)."""
        if self._widget.isVisible():
            self._timer.start()  # every linked map reports: the timer just restarts
        else:
            self.stale = True

    def drawn(self) -> None:
        """The heat of the current view is shown."""
        self.stale = False

    def cancel(self) -> None:
        self._timer.stop()

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Show and self.stale and self._when_shown():
            self._timer.start()
        elif event.type() == QEvent.Type.Hide and self._timer.isActive():
            self._timer.stop()
            self.stale = True
        return False
