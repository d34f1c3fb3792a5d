"""The main window: panels on the left, the map and the step plots in the middle.

One `Experiment` is the source of truth. Panels edit it; a restart hands a copy to the
worker; batches flow into `LiveRuns`; a 60 Hz frame timer redraws what changed.
"""
from __future__ import annotations

import dataclasses
import html
import time

from PySide6.QtCore import (QByteArray, QCoreApplication, QEvent, QRect, QSettings, Qt,
                            QTimer, Signal, Slot)
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (QApplication, QDoubleSpinBox, QFileDialog, QLabel, QMainWindow,
                               QMessageBox, QScrollArea, QSplitter, QStackedWidget, QToolBar,
                               QVBoxLayout, QWidget)

from ..core import experiment as xp
from ..core.experiment import Experiment
from ..core.params import ConfigError
from .about import add_help_menu
from .controls.common import WrappingLabel
from .controls.problem_panel import ProblemPanel
from .controls.runs_panel import RunsPanel
from .controls.transport import TransportBar
from .dataset_area import DatasetArea
from .files import FileActions, dropped_experiment
from .input_keys import InputKeys
from .live import LiveRuns
from .pacing import FramePacer
from .plots import GradNormPlot, LossPlot, LRPlot, MapGrid, TrajectoryMap
from .worker import WorkerThread

FRAME_MS = 16
FRAME_PAINTED = QEvent.Type(QEvent.registerEventType())  # follows a frame's paint (on_frame)
LOW_PRIORITY = Qt.EventPriority.LowEventPriority.value  # as Qt's paint requests


class MainWindow(QMainWindow):
    firstFrame = Signal()  # the window's first frame is on screen (the first race starts now)
    _painted = False  # the window got its first paint event
    def __init__(self, experiment: Experiment | None = None, settings: QSettings | None = None,
                 autoplay: bool = True):
        super().__init__()
        self.setWindowTitle("optplayground")
        self.setAcceptDrops(True)  # drop an experiment .toml on the window to open it
        self.settings = settings
        fallback = self._remembered_experiment() or xp.default_experiment()
        self.experiment = fallback  # until `experiment` has passed validation
        self.path: str | None = None
        self.generation = 0
        self.playing = autoplay
        self.paused_by_user = not autoplay  # a finished race restarts playing; a paused one not
        self.live = LiveRuns()
        self._drawn_version = -1
        self._rate = (time.perf_counter(), 0, 0.0)  # time, step, steps/s
        self.pacer = FramePacer()  # which step plots a frame redraws (gui/pacing.py)
        self._surface_race: tuple | None = None  # (surface, params, start) of a surface race
        self._grid_generation = -1  # the race the small multiples were set up for
        self._paced: dict = {}  # step plot -> seconds its refresh took, this frame
        self._frame_start = 0.0

        self.worker = WorkerThread(self)
        self.worker.worker.gate.shown.clear()  # the first frame before the first race
        w = self.worker.worker
        w.batchReady.connect(self.on_batch)
        w.finished.connect(self.on_finished)
        w.failed.connect(self.on_failed)
        w.note.connect(self.on_note)

        self._build_panels()
        self._build_plots()
        self._build_menus()
        self._keep_keys_for_inputs()
        self._build_status()
        self.frame_timer = QTimer(self)
        self.frame_timer.setObjectName("frame-timer")
        self.frame_timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse one drifts 5 %
        self.frame_timer.timeout.connect(self._on_tick)
        self.frame_timer.start(FRAME_MS)
        self._restore_geometry()
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
        # Wide enough for the panels' own minimum: a narrower sidebar would cut them off.
        scroll.setMinimumWidth(side.minimumSizeHint().width()
                               + scroll.verticalScrollBar().sizeHint().width() + 4)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.sidebar = scroll
        self.problem_panel.problemChanged.connect(self.on_problem_changed)
        self.problem_panel.seedChanged.connect(self.on_seed_changed)
        self.runs_panel.runsChanged.connect(self.on_runs_changed)
        self.runs_panel.runStyled.connect(self.on_runs_styled)

        self.transport = TransportBar()
        self.transport.playToggled.connect(self.set_playing)
        self.transport.stepRequested.connect(self.step_once)
        self.transport.resetRequested.connect(self.restart)
        self.transport.speedChanged.connect(self.worker.speedChanged)
        self.transport.stepsChanged.connect(self.on_steps_changed)
        self.transport.keepChanged.connect(self.on_keep_changed)
        self.transport.deviceChanged.connect(self.on_device_changed)
        bar = QToolBar("Controls")
        bar.setObjectName("controls-toolbar")
        bar.setMovable(False)
        bar.addWidget(self.transport)
        self.addToolBar(bar)
        self.view_bar = QToolBar("View")
        self.view_bar.setObjectName("view-toolbar")
        self.view_bar.setMovable(False)
        self.addToolBar(self.view_bar)

    def _build_plots(self) -> None:
        self.map = TrajectoryMap()
        self.grid = MapGrid()
        self.map_stack = QStackedWidget()
        self.dataset_area = DatasetArea()  # a dataset race's views replace the map
        self.worker.worker.viewsReady.connect(self.dataset_area.set_views)
        self.map_stack.addWidget(self.map)
        self.map_stack.addWidget(self.grid)
        self.map_stack.addWidget(self.dataset_area)
        for view in (self.map, self.grid):
            view.startPicked.connect(self.on_start_picked)
            view.startMoved.connect(self.on_start_picked)
        self.loss_plot, self.lr_plot, self.grad_plot = LossPlot(), LRPlot(), GradNormPlot()
        self.step_plots = (self.loss_plot, self.lr_plot, self.grad_plot)
        for plot in self.step_plots[1:]:
            plot.setXLink(self.loss_plot)
        right = QSplitter(Qt.Vertical)
        for plot in self.step_plots:
            right.addWidget(plot)
        for index, plot in enumerate(self.dataset_area.step_plots, start=1):
            right.insertWidget(index, plot)  # train/test loss and accuracy below the loss
        self.dataset_area.link_steps(self.step_plots)
        self.step_splitter = right
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.map_stack)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([360, 700, 540])
        self.setCentralWidget(self.splitter)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file = menu.addMenu("&File")
        self.files = FileActions(self)  # open, recent, presets, save, export, copy
        self.files.build(file)
        file.addSeparator()
        self._action(file, "&Quit", QKeySequence.Quit, self.close)

        run = menu.addMenu("&Run")
        self.play_action = self._action(run, "&Play / Pause", "Space", self.toggle_playing)
        self._action(run, "&Step", "Right", self.step_once)
        self._action(run, "&Reset", "R", self.restart)

        view = menu.addMenu("&View")
        self.grid_action = self._action(view, "Side by side (&grid)", "G", self.set_grid_view)
        self.grid_action.setCheckable(True)
        self.log_loss_action = self._action(view, "&Log loss axis", "L", self.loss_plot.set_log_y)
        self.log_loss_action.setCheckable(True)
        self.log_loss_action.setChecked(self.loss_plot.log_y)
        view.addAction(self.dataset_area.epoch_action)
        self.view_bar.addAction(self.grid_action)
        self.view_bar.addAction(self.log_loss_action)
        self.view_bar.addAction(self.dataset_area.epoch_action)
        self.view_bar.addWidget(QLabel("  smoothing "))
        self.smoothing = QDoubleSpinBox()
        self.smoothing.setRange(0.0, 0.999)
        self.smoothing.setSingleStep(0.1)
        self.smoothing.setDecimals(3)
        self.smoothing.setToolTip("Debiased exponential moving average of the loss curve "
                                  "(0 = raw). The LR is never smoothed.")
        self.smoothing.valueChanged.connect(self.loss_plot.set_smoothing)
        self.view_bar.addWidget(self.smoothing)
        add_help_menu(self)  # Help > About

    def _keep_keys_for_inputs(self) -> None:
        self._key_filter = InputKeys(self)
        QApplication.instance().installEventFilter(self._key_filter)

    def _action(self, menu, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # shortcuts work while the menu bar is hidden too
        return action

    def _build_status(self) -> None:
        bar = self.statusBar()
        self.device_label = QLabel()
        self.step_label = QLabel()
        self.rate_label = QLabel()
        self.runs_label = QLabel()
        self.runs_label.setTextFormat(Qt.RichText)
        for label in (self.device_label, self.step_label, self.rate_label):
            bar.addWidget(label)
        bar.addPermanentWidget(self.runs_label)

    # ------------------------------------------------------------ the race

    def load_experiment(self, experiment: Experiment) -> bool:
        """Show and start an experiment; a bad one is reported and the current one kept."""
        try:
            checked = xp.validate(experiment)
        except ConfigError as error:
            self.show_error("This experiment cannot run", str(error))
            return False
        self.experiment = checked
        self._show_about(checked)
        self.problem_panel.set_problem(checked.problem, checked.seed)
        self.runs_panel.set_runs(checked.runs)
        self.runs_panel.set_total_steps(checked.steps)
        self.transport.set_steps(checked.steps)
        self.transport.set_keep(checked.history_cap)
        self.transport.set_device(checked.device)
        self.restart()
        return True

    def _show_about(self, exp: Experiment) -> None:
        self.setWindowTitle(f"{exp.name} — optplayground" if exp.name else "optplayground")
        text = f"<b>{html.escape(exp.name)}</b>"
        if exp.description:
            text += f"<br>{html.escape(exp.description)}"
        self.about_label.setText(text)
        self.about_label.setToolTip(exp.description)

    @Slot()
    def restart(self) -> None:
        try:
            exp = xp.validate(self.experiment)
            surface = None if exp.problem.is_dataset else xp.surface_of(exp.problem)
        except ConfigError as error:
            self.statusBar().showMessage(f"Cannot start: {error}", 8000)
            return
        self.generation += 1
        self.live.reset(exp, self.generation)
        self._show_mode(surface is None)
        if surface is None:
            self.dataset_area.set_experiment(exp, self.generation, self.live.styles)
        else:
            self._surface_race = (surface, exp.problem.params, exp.problem.start or surface.start)
            self._set_up_map(self.map)
            if self.grid_action.isChecked():
                self._set_up_map(self.grid)
        for plot in self.step_plots:
            plot.set_runs(self.live.styles)
        self._drawn_version = -1
        self._rate = (time.perf_counter(), 0, 0.0)
        self.device_label.setText("")
        self.playing = not self.paused_by_user
        self.worker.startRace.emit(exp, self.generation)
        self.worker.playingChanged.emit(self.playing)
        self.transport.set_playing(self.playing)

    @Slot(bool)
    def set_playing(self, playing: bool) -> None:
        if playing and self.live.step >= self.experiment.steps:
            self.restart()  # play after the end: race again
        self.playing = playing
        self.paused_by_user = not playing
        self.transport.set_playing(playing)
        self.worker.playingChanged.emit(playing)

    @Slot()
    def toggle_playing(self) -> None:
        self.set_playing(not self.playing)

    @Slot()
    def step_once(self) -> None:
        self.set_playing(False)
        self.worker.stepOnce.emit()

    @Slot(int, object)
    def on_batch(self, generation: int, batch) -> None:
        self.live.add_batch(generation, batch)

    @Slot(int)
    def on_finished(self, generation: int) -> None:
        if generation == self.generation:
            self.playing = False
            self.transport.set_playing(False)

    @Slot(int, str)
    def on_failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.statusBar().showMessage(f"Cannot start: {message}", 10000)

    @Slot(str)
    def on_note(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)

    # ------------------------------------------------------------ edits

    @Slot(object)
    def on_problem_changed(self, problem) -> None:
        self.experiment.problem = problem
        self.restart()

    @Slot(int)
    def on_seed_changed(self, seed: int) -> None:
        self.experiment.seed = seed
        self.restart()

    @Slot(float, float)
    def on_start_picked(self, x: float, y: float) -> None:
        self.experiment.problem.start = (x, y)
        self.problem_panel.set_start(x, y)
        self.restart()

    @Slot(int)
    def on_keep_changed(self, rows: int) -> None:
        self.experiment.history_cap = rows
        self.restart()

    @Slot(int)
    def on_steps_changed(self, steps: int) -> None:
        try:  # a length some run's schedule cannot last is marked and never applied
            xp.validate(dataclasses.replace(self.experiment, steps=steps))
        except ConfigError as error:
            self.transport.mark_steps_invalid(str(error))
            return
        self.transport.mark_steps_invalid("")
        self.experiment.steps = steps
        self.runs_panel.set_total_steps(steps)
        self.restart()

    @Slot(str)
    def on_device_changed(self, device: str) -> None:
        self.experiment.device = device
        self.restart()

    @Slot(object, bool)
    def on_runs_changed(self, runs, restart: bool) -> None:
        old = self.experiment.runs
        self.experiment.runs = runs
        if restart:
            self.restart()
            return
        enabled = [r for r in runs if r.enabled]
        before = {r.name: r for r in old}
        for index, run in enumerate(enabled):
            if before.get(run.name) != run:
                self.worker.runEdited.emit(index, run)
        self._restyle()

    @Slot(object)
    def on_runs_styled(self, runs) -> None:
        self.experiment.runs = runs
        self._restyle()

    def _restyle(self) -> None:
        self.live.restyle(self.experiment)
        grid = (self.grid,) if self._grid_generation == self.generation else ()
        for view in (self.map, *grid, self.dataset_area, *self.step_plots):
            view.set_styles(self.live.styles)

    def _set_up_map(self, view) -> None:
        """Give the map (or the grid) the race's surface, start and runs."""
        view.set_surface(*self._surface_race)
        view.set_runs(self.live.styles)
        if view is self.grid:
            self._grid_generation = self.generation

    @Slot(bool)
    def set_grid_view(self, grid: bool) -> None:
        self.grid_action.setChecked(grid)
        if not self.experiment.problem.is_dataset:
            # The grid's maps are built when first needed: at start-up they cost ~0.15 s.
            if grid and self._grid_generation != self.generation and self._surface_race:
                self._set_up_map(self.grid)
            self.map_stack.setCurrentWidget(self.grid if grid else self.map)
        self._drawn_version = -1

    def _show_mode(self, dataset: bool) -> None:
        """A dataset race shows its views and metric plots; a surface race the map."""
        surface_map = self.grid if self.grid_action.isChecked() else self.map
        self.map_stack.setCurrentWidget(self.dataset_area if dataset else surface_map)
        self.dataset_area.show_step_plots(dataset)
        self.grid_action.setEnabled(not dataset)
        self.runs_panel.editor.set_dataset_mode(dataset)

    # ------------------------------------------------------------ drawing

    @Slot()
    def _on_tick(self) -> None:
        self.on_frame()

    @Slot()
    def on_frame(self) -> None:
        gate = self.worker.worker.gate
        racing = gate.racing
        if racing != self.step_plots[0].racing:  # hairlines while racing, full width after
            for plot in (*self.step_plots, *self.dataset_area.step_plots):
                plot.racing = racing
                plot._forget_drawn()
        behind = [plot for plot in self.step_plots if not plot.shows(self.live)]
        if self.live.version == self._drawn_version and not behind:
            return
        gate.hold()  # the CSV export thread keeps off the GIL while this frame is drawn
        self._frame_start = time.perf_counter()
        self._drawn_version = self.live.version
        self.step_label.update()  # Qt's paint request is queued now, before FRAME_PAINTED
        self.map_stack.currentWidget().refresh(self.live)
        self._paced.clear()
        for plot in self.pacer.choose(behind) if racing else behind:  # see gui/pacing.py
            plot.paint_s = 0.0
            start = time.perf_counter()
            plot.refresh(self.live)
            self._paced[plot] = time.perf_counter() - start
        self._update_status()
        QCoreApplication.postEvent(self, QEvent(FRAME_PAINTED), LOW_PRIORITY)

    def event(self, event) -> bool:
        if event.type() == FRAME_PAINTED:  # the paint request queued before it is done
            gate = self.worker.worker.gate
            gate.release()
            if self._paced:
                self.pacer.measured(time.perf_counter() - self._frame_start,
                                    {plot: s + plot.paint_s for plot, s in self._paced.items()})
                self._paced.clear()
            if self._painted and not gate.shown.is_set():
                gate.shown.set()
                self.firstFrame.emit()
            return True
        if event.type() == QEvent.Type.Paint and not self._painted:  # the first frame
            self._painted = True
            QCoreApplication.postEvent(self, QEvent(FRAME_PAINTED), LOW_PRIORITY)
        return super().event(event)

    def _update_status(self) -> None:
        now = time.perf_counter()
        then, step_then, rate = self._rate
        if now - then >= 0.5:
            rate = (self.live.step - step_then) / (now - then)
            self._rate = (now, self.live.step, rate)
        self.step_label.setText(f"step {self.live.step:,} / {self.experiment.steps:,}")
        finished = self.live.step >= self.experiment.steps
        self.rate_label.setText(f"{rate:,.0f} steps/s" if self.playing
                                else "finished" if finished else "paused")
        device = self.worker.worker.engine.device if self.worker.worker.engine else "…"
        self.device_label.setText(f"device {device}")
        parts = []
        for i, style in enumerate(self.live.styles):
            record = self.live.run(i)
            state = record.message or record.status
            last = record.last()
            if "epoch" in record.columns_names and last is not None:  # each run its own
                state += f", epoch {last[record.columns_names.index('epoch')]:.0f}"
            color = QColor(style.color).name()
            parts.append(f"<span style='color:{color}'>■</span> {style.name}: {state}")
        self.runs_label.setText("&nbsp;&nbsp;".join(parts))

    # ------------------------------------------------------------ files

    @Slot()
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open experiment", "", "Experiments (*.toml)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        try:
            exp = xp.load(path)
        except ConfigError as error:
            self.show_error("Cannot open the experiment", f"{path}\n\n{error}")
            return False
        if self.load_experiment(exp):
            self.path = path
            self.files.recent.add(path)
            return True
        return False

    @Slot()
    def save(self) -> None:
        if self.path:
            self.save_to(self.path)
        else:
            self.save_as()

    @Slot()
    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save experiment", "experiment.toml",
                                              "Experiments (*.toml)")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        try:
            xp.save(self.experiment, path)
        except ConfigError as error:
            self.show_error("Cannot save", str(error))
            return False
        self.path = path
        self.files.recent.add(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def plot_widgets(self) -> dict[str, QWidget]:
        """The plots File ▸ Export offers, by name: the map as shown (overlay or grid), and
        in a dataset race the dataset view in front and the metric plots shown."""
        shown = self.map_stack.currentWidget()
        if shown is self.dataset_area:
            shown = self.dataset_area.currentWidget()  # the dataset view in front
        plots = {"map": shown, "loss": self.loss_plot, "lr": self.lr_plot, "grad": self.grad_plot}
        if self.experiment.problem.is_dataset:
            metrics, accuracy = self.dataset_area.step_plots
            plots["metrics"] = metrics
            if accuracy.isVisibleTo(self):
                plots["accuracy"] = accuracy
        return plots

    def dashboard(self) -> tuple[QWidget, QRect]:
        """The map and the step plots: a widget and the part of it they fill."""
        return self.splitter, self.map_stack.geometry().united(self.step_splitter.geometry())

    def dragEnterEvent(self, event) -> None:
        if dropped_experiment(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        path = dropped_experiment(event.mimeData())
        if path is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.open_path(path)

    def show_error(self, title: str, message: str) -> None:
        self.statusBar().showMessage(message.replace("\n", " "), 10000)
        box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.Ok, self)
        box.setObjectName("error-box")
        box.open()  # not exec(): the race and the tests keep going
        self.last_error = message

    # ------------------------------------------------------------ settings and shutdown

    def _remembered_experiment(self) -> Experiment | None:
        if self.settings is None:
            return None
        text = self.settings.value("last_experiment", "")
        try:
            return xp.validate(xp.loads(text)) if isinstance(text, str) and text else None
        except (ConfigError, Exception):  # a corrupt store is ignored, never fatal
            return None

    def _restore_geometry(self) -> None:
        self.resize(1600, 1000)
        if self.settings is None:
            return
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def shutdown(self) -> None:
        """The one way out: close dialogs, stop the frame timer and the worker thread."""
        for dialog in self.findChildren(QMessageBox):
            dialog.close()
        self.statusBar().clearMessage()  # its timeout timer
        self.frame_timer.stop()
        QApplication.instance().removeEventFilter(self._key_filter)
        for view in (self.map, self.grid, self.dataset_area, *self.step_plots):
            if hasattr(view, "shutdown"):
                view.shutdown()
        self.worker.shutdown()

    def closeEvent(self, event) -> None:
        if self.settings is not None:
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.setValue("last_experiment", xp.dumps(self.experiment))
            self.settings.sync()
        self.shutdown()
        super().closeEvent(event)

