"""The race's timeline: a slider over the steps raced so far, to scrub back and forth.

While it follows the race (its knob at the newest step) the views show the race as it
is; dragged back, it pauses the race and asks every view to show step k (`scrubbed(k)`),
the map's paths cut there and a cursor on each step plot. Dragged to the end, or when the
race plays again, it follows the race (`scrubbed(None)`).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from ..core.i18n import tr


class Timeline(QWidget):
    scrubbed = Signal(object)  # the step to show, or None: the race as it is now

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timeline")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 8, 2)
        row.addWidget(QLabel(tr("timeline")))
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setObjectName("timeline-slider")
        self.slider.setRange(0, 0)
        self.slider.setToolTip(tr("Drag back to see the race at an earlier step: the map and "
                                  "every plot follow (Home / End, ← → with the slider focused)"))
        self.slider.valueChanged.connect(self._moved)
        row.addWidget(self.slider, 1)
        self.label = QLabel()
        # A fixed width: a label that grew with its text relaid the window out mid-race.
        self.label.setFixedWidth(self.label.fontMetrics().horizontalAdvance(
            tr("step {step} of {last}", step="000,000,000", last="000,000,000")))
        row.addWidget(self.label)
        self.cursor: int | None = None  # the step shown, None while following the race
        self._last = 0
        self._show()

    def reset(self) -> None:
        """A new race: follow it from step 0."""
        self.cursor = None
        self.follow(0)

    def follow(self, step: int) -> None:
        """The race reached `step`: the slider's end moves there (its knob too, unless the
        user holds it back)."""
        if step == self._last and self.slider.maximum() == step:
            return
        self._last = step
        self.slider.blockSignals(True)
        self.slider.setMaximum(step)
        if self.cursor is None:
            self.slider.setValue(step)
        self.slider.blockSignals(False)
        self._show()

    def release(self) -> None:
        """Follow the race again (it plays)."""
        if self.cursor is not None:
            self.cursor = None
            self.follow(self._last)
            self.slider.blockSignals(True)
            self.slider.setValue(self._last)
            self.slider.blockSignals(False)
            self._show()
            self.scrubbed.emit(None)

    def show_step(self, step: int) -> None:
        """Scrub to `step` as if the user had dragged there."""
        self.slider.setValue(step)

    @Slot(int)
    def _moved(self, value: int) -> None:
        cursor = None if value >= self._last else value
        if cursor != self.cursor:
            self.cursor = cursor
            self._show()
            self.scrubbed.emit(cursor)

    def _show(self) -> None:
        if self.cursor is None:
            self.label.setText(tr("step {step} (live)", step=f"{self._last:,}"))
        else:
            self.label.setText(tr("step {step} of {last}", step=f"{self.cursor:,}", last=f"{self._last:,}"))
