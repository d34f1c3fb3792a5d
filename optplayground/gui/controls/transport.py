"""Play / pause, single step, reset, speed, step limit and device: one row for a toolbar."""
from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QSlider, QSpinBox, QStyle,
                               QToolButton, QWidget)

from ...core.experiment import DEVICES, Experiment
from ...core.i18n import tr
from .common import mark_invalid

MAX_STEPS = 100_000_000
SPEED_DECADES = 4  # 1 … 10,000 steps/s
SPEED_PER_DECADE = 10
SPEED_TOP = SPEED_DECADES * SPEED_PER_DECADE  # the 10,000 steps/s position
SPEED_MAX = SPEED_TOP + 1  # one more notch: as fast as possible
# A pace a person can follow: the default race (1,000 steps) takes about 6 s. The window
# remembers the user's choice; tests, `shot`, `run --png` and the bench race at full speed.
DEFAULT_SPEED = 160.0
SPEED_KEY = "speed"


def speed_at(position: int) -> float | None:
    """Steps per second at a slider position (two significant digits); None = max."""
    if position >= SPEED_MAX:
        return None
    return float(f"{10 ** (position / SPEED_PER_DECADE):.2g}")


def position_of(speed: float | None) -> int:
    if speed is None:
        return SPEED_MAX
    position = round(math.log10(max(speed, 1.0)) * SPEED_PER_DECADE)
    return min(max(position, 0), SPEED_TOP)


def remembered_speed(settings) -> float | None:
    """The speed the user chose last (QSettings), else DEFAULT_SPEED; None = max."""
    value = settings.value(SPEED_KEY, "")
    if value == "max":
        return None
    try:
        speed = float(value)
    except (TypeError, ValueError):
        return DEFAULT_SPEED
    return speed_at(position_of(speed)) if math.isfinite(speed) and speed > 0 else DEFAULT_SPEED


def remember_speed(settings, speed: float | None) -> None:
    settings.setValue(SPEED_KEY, "max" if speed is None else repr(float(speed)))


def speed_text(speed: float | None) -> str:
    return tr("max") if speed is None else f"{speed:,.{0 if speed >= 10 else 1}f}/s"


STEPS_TIP = "Step limit: every run stops after this many updates"  # tr() when shown


class TransportBar(QWidget):
    playToggled = Signal(bool)
    stepRequested = Signal()
    resetRequested = Signal()
    speedChanged = Signal(object)  # float steps/s, or None for as fast as possible
    stepsChanged = Signal(int)
    keepChanged = Signal(int)  # rows kept exactly per run (history cap)
    deviceChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        row.setSpacing(6)

        self.play_button = self._tool_button(tr("Play / pause (Space)"))
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._play_toggled)
        self.step_button = self._tool_button(tr("Single step (→)"), QStyle.SP_MediaSeekForward)
        self.step_button.clicked.connect(self.stepRequested)
        self.reset_button = self._tool_button(tr("Reset: race again from the start (R)"),
                                              QStyle.SP_BrowserReload)
        self.reset_button.clicked.connect(self.resetRequested)
        for button in (self.play_button, self.step_button, self.reset_button):
            row.addWidget(button)
        self._show_playing(False)

        row.addSpacing(10)
        row.addWidget(QLabel(tr("speed")))
        self.speed_slider = QSlider(Qt.Horizontal)
        self.speed_slider.setRange(0, SPEED_MAX)
        self.speed_slider.setPageStep(SPEED_PER_DECADE)
        self.speed_slider.setTickPosition(QSlider.TicksBelow)
        self.speed_slider.setTickInterval(SPEED_PER_DECADE)
        self.speed_slider.setMinimumWidth(140)
        self.speed_slider.setMaximumWidth(220)
        self.speed_slider.setToolTip(tr("Steps per second, on a log scale from 1 to 10,000; "
                                        "the far right runs as fast as possible"))
        self.speed_slider.setValue(SPEED_MAX)
        self.speed_slider.valueChanged.connect(self._speed_moved)
        self.speed_label = QLabel()
        widest = self.speed_label.fontMetrics().horizontalAdvance("10,000/s ")
        self.speed_label.setMinimumWidth(widest)
        row.addWidget(self.speed_slider)
        row.addWidget(self.speed_label)

        row.addSpacing(10)
        row.addWidget(QLabel(tr("steps")))
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, MAX_STEPS)
        self.steps_spin.setValue(Experiment().steps)
        self.steps_spin.setGroupSeparatorShown(True)
        self.steps_spin.setKeyboardTracking(False)
        self.steps_spin.setAccelerated(True)
        self.steps_spin.setToolTip(tr(STEPS_TIP))
        self.steps_spin.valueChanged.connect(self.stepsChanged)
        row.addWidget(self.steps_spin)

        row.addWidget(QLabel(tr("keep")))
        self.keep_spin = QSpinBox()
        self.keep_spin.setRange(100, 1_000_000_000)
        self.keep_spin.setValue(Experiment().history_cap)
        self.keep_spin.setGroupSeparatorShown(True)
        self.keep_spin.setKeyboardTracking(False)
        self.keep_spin.setToolTip(tr("Rows kept exactly per run (memory cap). Past it the plots "
                                     "keep a thinned-out view of the rest; the CSV holds every "
                                     "row up to the cap"))
        self.keep_spin.valueChanged.connect(self.keepChanged)
        row.addWidget(self.keep_spin)

        row.addSpacing(10)
        row.addWidget(QLabel(tr("device")))
        self.device_combo = QComboBox()
        self.device_combo.addItems(DEVICES)
        self.device_combo.setToolTip(tr("Where torch steps the runs: auto picks cuda or mps "
                                        "when there is one, else cpu"))
        self.device_combo.currentTextChanged.connect(self.deviceChanged)
        row.addWidget(self.device_combo)
        row.addStretch(1)
        self._show_speed()

    def _tool_button(self, tip: str, icon: QStyle.StandardPixmap | None = None) -> QToolButton:
        button = QToolButton()
        button.setToolTip(tip)
        button.setAutoRaise(True)
        if icon is not None:
            button.setIcon(self.style().standardIcon(icon))
        return button

    # ------------------------------------------------------------ API

    def set_keep(self, rows: int) -> None:
        self.keep_spin.blockSignals(True)
        self.keep_spin.setValue(rows)
        self.keep_spin.blockSignals(False)

    def set_playing(self, playing: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.blockSignals(False)
        self._show_playing(playing)

    def playing(self) -> bool:
        return self.play_button.isChecked()

    def set_steps(self, steps: int) -> None:
        self.steps_spin.blockSignals(True)
        self.steps_spin.setValue(int(steps))
        self.steps_spin.blockSignals(False)
        self.mark_steps_invalid("")

    def steps(self) -> int:
        return self.steps_spin.value()

    def mark_steps_invalid(self, message: str) -> None:
        """A red frame and the reason as the tooltip ("" clears both)."""
        mark_invalid(self.steps_spin, bool(message))
        self.steps_spin.setToolTip(tr("Cannot use this step limit: {message}", message=message) if message
                                   else tr(STEPS_TIP))

    def set_device(self, device: str) -> None:
        self.device_combo.blockSignals(True)
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findText(device)))
        self.device_combo.blockSignals(False)

    def device(self) -> str:
        return self.device_combo.currentText()

    def set_speed(self, speed: float | None) -> None:
        self.speed_slider.blockSignals(True)
        self.speed_slider.setValue(position_of(speed))
        self.speed_slider.blockSignals(False)
        self._show_speed()

    def speed(self) -> float | None:
        """Steps per second, or None for as fast as possible."""
        return speed_at(self.speed_slider.value())

    # ------------------------------------------------------------ internals

    def _show_playing(self, playing: bool) -> None:
        icon = QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setToolTip(tr("Pause (Space)") if playing else tr("Play (Space)"))

    def _show_speed(self) -> None:
        self.speed_label.setText(speed_text(self.speed()))

    @Slot(bool)
    def _play_toggled(self, playing: bool) -> None:
        self._show_playing(playing)
        self.playToggled.emit(playing)

    @Slot(int)
    def _speed_moved(self, _position: int) -> None:
        self._show_speed()
        self.speedChanged.emit(self.speed())
