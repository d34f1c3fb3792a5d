"""Inside the update, for the selected run: the engine records its internals
(core/internals.py, only while this panel is shown), the map draws them
(plots/internals_overlay.py), the loss plot shades RAdam's phase (plots/phase_shade.py) and
the panel (controls/inside_panel.py) writes the update's rule with its numbers.

The window's part is small: `Inside(window)` builds it all, `race(exp, generation)` follows
each new race, and View ▸ Inside the update (key I) shows or hides it.
"""
from __future__ import annotations

from collections import deque

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget

from ..core.experiment import Experiment
from ..core.internals import Internals
from ..core.optimizers import get_optimizer
from ..core.update_math import rectifier_step
from .controls.inside_panel import InsidePanel
from .plots.internals_overlay import InternalsOverlay
from .plots.phase_shade import RectifierShade

KEEP = 20_000  # recorded updates of the selected run the window keeps (~10 MB at most)
REDRAW_MS = 40


class Inside(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.log: deque[Internals] = deque(maxlen=KEEP)
        self.generation = -1
        self.experiment: Experiment | None = None
        self.at = 0  # the update shown (0: the latest)
        self.overlay = InternalsOverlay(window.map)
        self.shade = RectifierShade(window.loss_plot)
        self.panel = InsidePanel()
        self.dock = QDockWidget("Inside the update", window)
        self.dock.setObjectName("inside-dock")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        self.action = self.dock.toggleViewAction()
        self.action.setText("&Inside the update")
        self.action.setShortcut(QKeySequence("I"))
        self.action.setToolTip("Show the selected run's gradient, momentum, effective step and "
                               "update on the map, and its update rule with numbers (I)")
        self.dock.visibilityChanged.connect(self._visibility_changed)
        self.dock.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self.panel.kindToggled.connect(self._toggle)
        self.panel.stepRequested.connect(window.step_once)
        self.panel.stepChosen.connect(self._choose)
        window.worker.batchReady.connect(self.add_batch)
        window.runs_panel.list.currentRowChanged.connect(self._selection_changed)

    def add_to(self, menu, toolbar) -> None:
        menu.addAction(self.action)
        toolbar.addAction(self.action)
        self.window.addAction(self.action)  # its key works with the menu bar hidden too

    # ------------------------------------------------------------ the race

    def race(self, experiment: Experiment, generation: int) -> None:
        """A new race: nothing recorded yet; the engine watches the selected run."""
        self.experiment, self.generation = experiment, generation
        self.log.clear()
        self._watch()
        self._show_phase()
        self.redraw()

    @Slot(int, object)
    def add_batch(self, generation: int, batch) -> None:
        if generation != self.generation or not batch.internals:
            return
        watched = self.watched()
        self.log.extend(s for s in batch.internals if s.run == watched)
        if not self._timer.isActive():
            self._timer.start()

    def watched(self) -> int | None:
        """The selected run's index among the race's enabled runs (None: none, or hidden)."""
        exp, row = self.experiment, self.window.runs_panel.selected()
        if exp is None or not self.dock.isVisibleTo(self.window) or exp.problem.is_dataset \
                or not 0 <= row < len(exp.runs) or not exp.runs[row].enabled:
            return None
        return sum(1 for run in exp.runs[:row] if run.enabled)

    # ------------------------------------------------------------ drawing

    @Slot()
    def redraw(self) -> None:
        shown = self.shown()
        self.overlay.show(shown, self.log if shown is not None else ())
        name = self._selected_run().name if self._selected_run() is not None else ""
        self.panel.show_update(shown, name, self._why_nothing())

    def shown(self) -> Internals | None:
        if not self.log or not self.dock.isVisibleTo(self.window):
            return None
        if self.at <= 0:
            return self.log[-1]
        first = self.log[0].step
        index = self.at - first
        return self.log[index] if 0 <= index < len(self.log) and self.log[index].step == self.at \
            else next((s for s in self.log if s.step == self.at), None)

    def _why_nothing(self) -> str:
        exp = self.experiment
        if exp is not None and exp.problem.is_dataset:
            return "A dataset race has no 2-D point to look inside: pick a surface."
        if self._selected_run() is None:
            return "Select a run that races to look inside its updates."
        if self.at > 0 and self.log:
            return f"Update {self.at} is not recorded (updates {self.log[0].step}–{self.log[-1].step} are)."
        return "Press → to make one update and see its terms."

    # ------------------------------------------------------------ the user

    @Slot(bool)
    def _visibility_changed(self, _visible: bool) -> None:
        self._watch()
        self._show_phase()
        self.redraw()

    @Slot(int)
    def _selection_changed(self, _row: int) -> None:
        self.log.clear()  # another run's updates are recorded from now on
        self._watch()
        self._show_phase()
        self.redraw()

    @Slot(str, bool)
    def _toggle(self, kind: str, on: bool) -> None:
        if kind == "phase":
            self.shade.set_enabled(on)
        else:
            self.overlay.set_enabled(kind, on)

    @Slot(int)
    def _choose(self, step: int) -> None:
        self.at = step
        self.redraw()

    def _watch(self) -> None:
        self.window.worker.watchRun.emit(self.watched())

    def _selected_run(self):
        exp, row = self.experiment, self.window.runs_panel.selected()
        if exp is None or not 0 <= row < len(exp.runs) or not exp.runs[row].enabled:
            return None
        return exp.runs[row]

    def _show_phase(self) -> None:
        """RAdam's (or Ranger's) momentum phase of the selected run on the loss plot."""
        run = self._selected_run()
        step = None
        if run is not None and self.dock.isVisibleTo(self.window) and run.optimizer in ("radam", "ranger"):
            hyper = get_optimizer(run.optimizer).validate(run.hyper)
            step = rectifier_step(hyper["betas"][1], hyper.get("n_sma_threshold", 5))
        self.shade.show(step, run.name if run is not None else "")
