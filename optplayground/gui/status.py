"""The status bar's race line: device, step, steps per second, each run's state."""
from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from ..core.i18n import tr

from .live import LiveRuns


class RaceStatus:
    def __init__(self, bar: QStatusBar):
        self.device_label = QLabel()
        self.step_label = QLabel()
        self.rate_label = QLabel()
        self.runs_label = QLabel()
        self.runs_label.setTextFormat(Qt.RichText)
        self.progress = QProgressBar()  # how far the race is: step / steps
        self.progress.setObjectName("race-progress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(120)
        self.progress.setMaximumHeight(12)
        for widget in (self.device_label, self.step_label, self.progress, self.rate_label):
            bar.addWidget(widget)
        bar.addPermanentWidget(self.runs_label)
        self.reset()

    def reset(self) -> None:
        """A new race: no device yet, the rate counts afresh."""
        self._rate = (time.perf_counter(), 0, 0.0)  # time, step, steps/s
        self._progress_at = 0.0
        self.device_label.setText("")

    def show(self, live: LiveRuns, steps: int, playing: bool, device: str) -> None:
        self.step_label.update()  # Qt's paint request is queued now, before FRAME_PAINTED
        now = time.perf_counter()
        then, step_then, rate = self._rate
        if now - then >= 0.5:
            rate = (live.step - step_then) / (now - then)
            self._rate = (now, live.step, rate)
        self.step_label.setText(tr("step {step} / {steps}", step=f"{live.step:,}", steps=f"{steps:,}"))
        finished = live.step >= steps or self._all_stopped(live)
        if not playing or now - self._progress_at >= 0.2:  # five repaints a second at most
            self._progress_at = now  # (a race whose runs all stopped early is over: full)
            self.progress.setValue(1000 if finished else round(1000 * live.step / max(steps, 1)))
        self.rate_label.setText(tr("finished") if finished
                                else tr("{rate} steps/s", rate=f"{rate:,.0f}") if playing
                                else tr("paused"))
        self.device_label.setText(tr("device {device}", device=device))
        self.runs_label.setText("&nbsp;&nbsp;".join(self._run_state(live, i, style, playing)
                                                    for i, style in enumerate(live.styles)))

    @staticmethod
    def _all_stopped(live: LiveRuns) -> bool:
        return len(live) > 0 and all(live.run(i).status != "running" for i in range(len(live)))

    @staticmethod
    def _run_state(live: LiveRuns, index: int, style, playing: bool) -> str:
        record = live.run(index)
        paused = record.status == "running" and not playing
        state = record.message or tr("paused" if paused else record.status)
        last = record.last()
        if "epoch" in record.columns_names and last is not None:  # each run its own
            state += tr(", epoch {epoch}", epoch=f"{last[record.columns_names.index('epoch')]:.0f}")
        color = QColor(style.color).name()
        return f"<span style='color:{color}'>■</span> {html.escape(style.name)}: {html.escape(state)}"
