"""The main window: panels on the left, the map and the step plots in the middle.

The window assembles panels and views and connects them to the race: the panels' edits go
to `RaceModel` (core/race_model.py), which owns the experiment and says what changed (a new
race, a live edit, a restyle); a new race goes to the views and the worker; the worker's
batches flow into `LiveRuns`; a 60 Hz frame timer redraws what changed.
"""
from __future__ import annotations

import copy
import time

from PySide6.QtCore import QRect, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QApplication, QMainWindow,
                               QMessageBox, QScrollArea, QSplitter, QToolBar,
                               QVBoxLayout, QWidget)

from ..core import experiment as xp
from ..core.experiment import Experiment
from ..core.i18n import tr
from ..core.params import ConfigError
from ..core.race_model import RaceModel
from .controls.common import WrappingLabel
from .controls.wheel_guard import guard_wheel
from .controls.problem_panel import ProblemPanel
from .controls.runs_panel import RunsPanel
from .controls.transport import TransportBar, remember_speed, remembered_speed
from .files import dropped_experiment
from .frame_hold import FrameHold
from .frames import Frames
from .headline import headline
from .input_keys import InputKeys
from .menus import build_menus
from .session import remember, remembered_experiment, restore_geometry
from .live import LiveRuns
from .map_area import MapArea
from .plots import GradNormPlot, LossPlot, LRPlot, link_step_axes
from .results_table import ResultsTable
from .status import RaceStatus
from .swarm import SwarmViews
from .step_column import balance, fit_pane, shown_panes
from .timeline import Timeline
from . import trust as trust_ui
from .worker import BUILD_WAIT_S, WorkerThread


class MainWindow(QMainWindow):
    firstFrame = Signal()  # the window's first frame is on screen (the first race starts now)

    def __init__(self, experiment: Experiment | None = None, settings: QSettings | None = None,
                 autoplay: bool = True, build_wait_s: float = BUILD_WAIT_S):
        """`build_wait_s`: see WorkerThread (the app passes 0 and leaves with os._exit)."""
        super().__init__()
        self.setWindowTitle("optplayground")
        self.setAcceptDrops(True)  # drop an experiment .toml on the window to open it
        self.settings = settings
        trust_ui.load_allow_list(settings)  # before the last experiment is reopened
        fallback = xp.default_experiment()  # a plain launch: the default race (README)
        self.model = RaceModel(fallback)  # until `experiment` has passed validation
        self.path: str | None = None
        self.playing = autoplay
        self.paused_by_user = not autoplay  # a finished race restarts playing; a paused one not
        self.live = LiveRuns()

        self.frame_hold = FrameHold()  # the CSV export keeps off the GIL while a frame is drawn
        # The first frame before the first race.
        self.worker = WorkerThread(self, wait_for_first_frame=True, build_wait_s=build_wait_s)
        self.worker.batchReady.connect(self.live.add_batch)  # re-emitted in this thread
        self.worker.finished.connect(self.on_finished)
        self.worker.failed.connect(self.on_failed)
        self.worker.note.connect(lambda message: self.statusBar().showMessage(message, 10000))
        self.model.restarted.connect(self._race)
        self.model.run_edited.connect(self.worker.runEdited.emit)
        self.model.restyled.connect(self._restyle)
        self.model.refused.connect(
            lambda message: self.statusBar().showMessage(tr("Cannot start: {message}", message=message), 8000))

        self._build_panels()
        self._build_plots()
        self.swarm = SwarmViews(self)  # basin map, sweep heat map, what-if fan
        build_menus(self)  # gui/menus.py
        self.runs_panel.list.currentRowChanged.connect(self._emphasise_selected)
        self.files.export_menu.aboutToShow.connect(
            lambda: self.swarm.add_export_actions(self.files.export_menu))
        self.files.presetLoaded.connect(self.swarm.preset_chosen)  # its swarm view
        self._key_filter = InputKeys(self)  # one-key shortcuts give way to a focused input
        QApplication.instance().installEventFilter(self._key_filter)
        self._key_filter.adopt(self)
        self.status = RaceStatus(self.statusBar())
        self.frames = Frames(self, self.live, self.worker, self.frame_hold,
                             self.map_area.currentWidget, self.step_plots,
                             self.dataset_area.step_plots, self._show_status)
        self.frames.firstFrame.connect(self.firstFrame)
        restore_geometry(self, settings)
        if settings is not None:  # a person's window: the pace they chose last
            self.set_speed(remembered_speed(settings))
            self.transport.speedChanged.connect(lambda speed: remember_speed(settings, speed))
        self.last_error = ""
        self.opened_given = experiment is not None and self.load_experiment(experiment)
        if not self.opened_given:
            self.load_experiment(fallback)  # a bad one was reported: race the last good one

    # ------------------------------------------------------------ layout

    def _build_panels(self) -> None:
        self.problem_panel = ProblemPanel()
        self.runs_panel = RunsPanel()
        self.about_label = WrappingLabel()  # the experiment's name and what it shows
        self.about_label.setObjectName("about-experiment")
        self.about_label.setTextFormat(Qt.RichText)
        self.about_label.setContentsMargins(0, 0, 0, 6)
        side = QWidget()
        column = QVBoxLayout(side)
        column.addWidget(self.about_label)
        column.addWidget(self.problem_panel)
        column.addWidget(self.runs_panel, 1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        guard_wheel(side)  # the wheel scrolls the panels, not the values it passes over
        # Wide enough for the panels' own minimum: a narrower sidebar would cut them off.
        scroll.setMinimumWidth(side.minimumSizeHint().width()
                               + scroll.verticalScrollBar().sizeHint().width() + 4)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.sidebar = scroll
        # Edits go to the model, which says what they change (core/edits.py)
        self.problem_panel.problemChanged.connect(self.model.set_problem)
        self.problem_panel.seedChanged.connect(self.model.set_seed)
        self.runs_panel.runsChanged.connect(lambda runs, _restart: self.model.set_runs(runs))
        self.runs_panel.runStyled.connect(self.model.set_runs)

        self.transport = TransportBar()
        self.transport.playToggled.connect(self.set_playing)
        self.transport.stepRequested.connect(self.step_once)
        self.transport.resetRequested.connect(self.model.restart)
        self.transport.speedChanged.connect(self.worker.speedChanged)
        self.transport.stepsChanged.connect(self.on_steps_changed)
        self.transport.keepChanged.connect(self.model.set_history_cap)
        self.transport.deviceChanged.connect(self.model.set_device)
        bar = QToolBar(tr("Controls"))
        bar.setObjectName("controls-toolbar")
        bar.setMovable(False)
        bar.addWidget(self.transport)
        self.addToolBar(bar)
        self.view_bar = QToolBar(tr("View"))
        self.view_bar.setObjectName("view-toolbar")
        self.view_bar.setMovable(False)
        self.addToolBar(self.view_bar)

    def _build_plots(self) -> None:
        self.map_area = MapArea()
        self.map, self.grid = self.map_area.map, self.map_area.grid
        self.dataset_area = self.map_area.dataset_area
        self.worker.viewsReady.connect(self.dataset_area.set_views)
        for view in (self.map, self.grid):
            view.startPicked.connect(self.on_start_picked)
            view.startMoved.connect(self.on_start_picked)
        self.loss_plot, self.lr_plot, self.grad_plot = LossPlot(), LRPlot(), GradNormPlot()
        self.step_plots = (self.loss_plot, self.lr_plot, self.grad_plot)
        link_step_axes(self.step_plots)
        right = QSplitter(Qt.Vertical)
        for plot in self.step_plots:
            right.addWidget(plot)
        for index, plot in enumerate(self.dataset_area.step_plots, start=1):
            right.insertWidget(index, plot)  # train/test loss and accuracy below the loss
        self.dataset_area.link_steps(self.step_plots)
        self.results = ResultsTable()  # per run: status, final and best loss, … (sortable)
        right.addWidget(self.results)
        for index in range(right.count()):  # the plots grow, the table keeps its height
            right.setStretchFactor(index, 0 if right.widget(index) is self.results else 1)
        self._results_timer = QTimer(self)  # off the frame: a frame stays a frame's work
        self._results_timer.setObjectName("results-timer")
        self._results_timer.timeout.connect(lambda: self.results.refresh(self.live))
        self._results_timer.start(250)
        for plot in (*self.step_plots[1:], *self.dataset_area.step_plots):
            plot.show_legend(False)  # one legend (the loss plot's), not five on the curves
        self.step_splitter = right
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.map_area)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([360, 700, 540])
        self.timeline = Timeline()  # scrub back and forth: the map and the plots follow
        self._timeline_at = 0.0
        self.timeline.scrubbed.connect(self.on_scrubbed)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.splitter, 1)
        column.addWidget(self.timeline)
        self.setCentralWidget(central)

    # ------------------------------------------------------------ the race

    @property
    def experiment(self) -> Experiment:
        return self.model.experiment

    @property
    def generation(self) -> int:
        """The current race; rows of another are stale."""
        return self.model.generation

    def load_experiment(self, experiment: Experiment) -> bool:
        """Show and start an experiment; a bad one is reported and the current one kept."""
        try:
            checked = xp.validate(experiment)
        except ConfigError as error:
            self.show_error(tr("This experiment cannot run"), str(error))
            return False
        except Exception as error:  # noqa: BLE001 — a stranger's file: say it, keep the current one
            self.show_error(tr("This experiment cannot run"), f"{type(error).__name__}: {error}")
            return False
        self.saved = checked  # as opened: edits since are unsaved (edits_may_go)
        self._show_about(checked)
        self.problem_panel.set_problem(checked.problem, checked.seed)
        self.runs_panel.set_runs(checked.runs)
        self.runs_panel.set_total_steps(checked.steps)
        self.transport.set_steps(checked.steps)
        self.transport.set_keep(checked.history_cap)
        self.transport.set_device(checked.device)
        self.model.load(checked)
        return True

    def mark_saved(self) -> None:
        self.saved = copy.deepcopy(self.experiment)  # the model edits its experiment in place
        self._show_about(self.experiment)

    def _show_about(self, exp: Experiment) -> None:
        title, text, tip = headline(exp, getattr(self, "saved", None))  # gui/headline.py
        self.setWindowTitle(title)
        self.about_label.setText(text)
        self.about_label.setToolTip(tip)

    def _race(self, exp: Experiment, generation: int) -> None:
        """The model's new race: set up the views, start the worker on it."""
        self._show_about(exp)
        self.live.reset(exp, generation)
        rows_changed = self.results.set_experiment(exp)
        shown = shown_panes(self.step_splitter, self, self.results)
        self.map_area.show_race(exp, generation, self.live.styles)
        if shown_panes(self.step_splitter, self, self.results) != shown:
            balance(self.step_splitter, self, self.results)  # no strips (gui/step_column.py)
        elif rows_changed:
            fit_pane(self.step_splitter, self.results)  # as tall as its rows
        self.grid_action.setEnabled(not exp.problem.is_dataset)
        self.runs_panel.editor.set_dataset_mode(exp.problem.is_dataset)
        unbounded = not exp.problem.is_dataset and not xp.surface_of(exp.problem).bounded_below
        self.loss_plot.set_unbounded(unbounded)  # a symmetric log axis: real values
        self.log_loss_action.setEnabled(not unbounded)
        for plot in self.step_plots:
            plot.set_runs(self.live.styles)
        self.frames.invalidate()
        self.status.reset()
        self.inside.race(exp, generation)
        self._emphasise_selected()
        self.timeline.reset()
        self.on_scrubbed(None)
        self.playing = not self.paused_by_user
        self.worker.startRace.emit(exp, generation)
        self.worker.playingChanged.emit(self.playing)
        self.transport.set_playing(self.playing)

    @Slot()
    def _emphasise_selected(self) -> None:
        """The selected run's path stands out on the map, the others dimmed (the map counts
        only the runs that race)."""
        runs, row = self.experiment.runs, self.runs_panel.selected()
        racing = 0 <= row < len(runs) and runs[row].enabled
        self.map.select(sum(run.enabled for run in runs[:row]) if racing else None)

    @Slot(bool)
    def set_playing(self, playing: bool) -> None:
        if playing and self.model.over:
            self.model.restart()  # play after the end: race again
        if playing:
            self.timeline.release()  # the views show the race as it goes on
        self.playing = playing
        self.paused_by_user = not playing
        self.transport.set_playing(playing)
        self.worker.playingChanged.emit(playing)
        self._show_status()

    def set_speed(self, speed: float | None) -> None:
        """Steps per second (None: as fast as possible), as if the slider had moved."""
        self.transport.set_speed(speed)
        self.worker.speedChanged.emit(self.transport.speed())

    @Slot()
    def step_once(self) -> None:
        self.set_playing(False)
        self.worker.stepOnce.emit()

    @Slot(int)
    def on_finished(self, generation: int) -> None:
        self.model.race_over(generation)  # an edit now races anew (core/race_model.py)
        if generation == self.generation:
            self.playing = False
            self.transport.set_playing(False)
            self._show_status()  # "finished", not the last steps/s
            self.results.refresh(self.live, force=True)
            if self.map_area.currentWidget() is self.map:
                self.map.fit_runs()  # a path that ran off the view comes into it

    @Slot(int, str)
    def on_failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.statusBar().showMessage(tr("Cannot start: {message}", message=message), 10000)

    # ------------------------------------------------------------ edits (to the model)

    @Slot(float, float)
    def on_start_picked(self, x: float, y: float) -> None:
        self.problem_panel.set_start(x, y)
        self.model.set_start(x, y)

    @Slot(int)
    def on_steps_changed(self, steps: int) -> None:
        try:  # a length some run's schedule cannot last is marked and never applied
            self.model.check_steps(steps)
        except ConfigError as error:
            self.transport.mark_steps_invalid(str(error))
            return
        self.transport.mark_steps_invalid("")
        self.runs_panel.set_total_steps(steps)
        self.model.set_steps(steps)

    @Slot(object)
    def on_scrubbed(self, step: int | None) -> None:
        """The timeline moved: every view shows the race at `step` (None: as it is now)."""
        if step is not None and self.playing:
            self.set_playing(False)
        for view in (self.map, self.grid, self.dataset_area):
            view.set_cursor(step)
        for plot in (*self.step_plots, *self.dataset_area.step_plots):
            plot.set_scrub(step)

    def theme_changed(self, _look) -> None:
        """theme.apply's hook: the runs' colours as the new theme draws them."""
        self._restyle(self.experiment)

    def _restyle(self, experiment: Experiment) -> None:
        before = self.live.styles
        self.live.restyle(experiment)
        if self.live.styles == before:  # a live edit of a number (a slider drag): the
            return  # legends and pens are as they were; rebuilding them cost ~40 ms a move
        self.map_area.restyle(self.live.styles)
        for plot in self.step_plots:
            plot.set_styles(self.live.styles)

    @Slot(bool)
    def set_equal_aspect(self, on: bool) -> None:
        """One unit of x as long as one of y on the maps (the default), or fill them."""
        self.aspect_action.setChecked(on)
        for view in (self.map, *self.grid.maps):
            view.set_equal_aspect(on)

    @Slot(bool)
    def set_grid_view(self, grid: bool) -> None:
        self.grid_action.setChecked(grid)
        self.map_area.show_grid(grid, self.experiment.problem.is_dataset)
        self.set_equal_aspect(self.aspect_action.isChecked())  # maps built just now too
        self.frames.invalidate()

    # ------------------------------------------------------------ drawing

    @Slot()
    def on_frame(self) -> None:
        """Draw the rows that arrived since the last frame now."""
        self.frames.draw()

    def _show_status(self) -> None:
        now = time.perf_counter()  # the timeline moves five times a second while racing:
        if not self.playing or now - self._timeline_at >= 0.2:  # each move repaints it
            self._timeline_at = now
            self.timeline.follow(self.live.step)
        self.status.show(self.live, self.experiment.steps, self.playing, self.worker.device)

    # ------------------------------------------------------------ files

    def plot_widgets(self) -> dict[str, QWidget]:
        """The plots File ▸ Export offers, by name: the map as shown (overlay or grid), and
        in a dataset race the dataset view in front and the metric plots shown."""
        plots = {"map": self.map_area.shown_view(), "loss": self.loss_plot, "lr": self.lr_plot, "grad": self.grad_plot}
        if self.experiment.problem.is_dataset:
            metrics, accuracy = self.dataset_area.step_plots
            plots["metrics"] = metrics
            if accuracy.isVisibleTo(self):
                plots["accuracy"] = accuracy
        plots.update(self.swarm.plot_widgets())
        return plots

    def dashboard(self) -> tuple[QWidget, QRect]:
        """The map and the step plots: a widget and the part of it they fill."""
        return self.splitter, self.map_area.geometry().united(self.step_splitter.geometry())

    def dragEnterEvent(self, event) -> None:
        if dropped_experiment(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        try:
            path = dropped_experiment(event.mimeData())
        except Exception:  # noqa: BLE001 — whatever was dropped, the window goes on
            path = None
        if path is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.files.open_path(path)  # never raises

    def show_error(self, title: str, message: str) -> None:
        self.statusBar().showMessage(message.replace("\n", " "), 10000)
        box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.Ok, self)
        box.setObjectName("error-box")
        box.open()  # not exec(): the race and the tests keep going
        self.last_error = message

    # ------------------------------------------------------------ settings and shutdown

    @Slot()
    def reopen_last(self) -> bool:
        """File ▸ Reopen Last Experiment: the one raced when the window last closed."""
        exp, note = remembered_experiment(self.settings)
        if exp is None:
            self.statusBar().showMessage(note or tr("No last experiment to reopen"), 15000)
            return False
        return self.load_experiment(exp)

    def shutdown(self) -> None:
        """The one way out: close dialogs, stop the frame timer and the worker thread."""
        for dialog in self.findChildren(QMessageBox):
            dialog.close()
        self.statusBar().clearMessage()  # its timeout timer
        self.frames.stop()
        self._results_timer.stop()
        QApplication.instance().removeEventFilter(self._key_filter)
        self.map_area.shutdown()
        self.swarm.shutdown()
        self.theme_switch.detach()
        for view in self.step_plots:
            if hasattr(view, "shutdown"):
                view.shutdown()
        self.worker.shutdown()

    @Slot()
    def quit_asking(self) -> None:
        """File ▸ Quit: unsaved edits are saved, discarded or kept open, as the user says."""
        if self.files.edits_may_go(quitting=True):
            self.close()

    def closeEvent(self, event) -> None:
        # The user closing the window is asked about unsaved edits; a close by the program
        # (Quit has asked already, Ctrl+C in the terminal, tests) is not.
        if event.spontaneous() and not self.files.edits_may_go(quitting=True):
            event.ignore()
            return
        remember(self, self.settings)
        self.shutdown()
        super().closeEvent(event)

