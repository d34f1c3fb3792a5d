"""What the window shows of a dataset race, in place of the surface map.

Tabs: "Fit" (the data and each run's fit), "Loss surface (w, b)" when the model is a line
fit with exactly two parameters (the train loss over the (w, b) plane with every
optimizer's path: the same race seen as a surface race), and "BatchNorm" when the model
normalises. The area also owns the step plots only a dataset race has (train/test loss,
accuracy) and the step/epoch x-axis toggle, which switches the window's step plots (loss,
LR, gradient norm) too; the main window places the area's plots beside its own.

The fits come from the worker's model snapshots (`set_views`); the data points and the
(w, b) surface are computed here from the experiment (same seed, same numbers).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QTabWidget

from ..core.experiment import Experiment
from ..core.i18n import tr
from ..core.training import TrainingTask
from ..core.views import RunView, WeightSurface, weight_surface
from .live import LiveRuns, RunStyle
from .plots.base import RunCurvesPlot
from .plots.batchnorm_histogram import BatchNormHistogram
from .plots.fit_view import FitView
from .plots.metrics_plot import AccuracyPlot, MetricsPlot
from .plots.trajectory_map import MAP_LABEL, TrajectoryMap

FIT_TAB, SURFACE_TAB, BATCHNORM_TAB = range(3)


class DatasetArea(QTabWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.generation = 0
        self.task: TrainingTask | None = None
        self.surface: WeightSurface | None = None
        self.fit = FitView()
        self.fit.exact_at = self._line_at
        self._live: LiveRuns | None = None
        self.weight_map = TrajectoryMap()
        self.weight_map.plotItem.setLabel("bottom", tr("w (weight)"))
        self.weight_map.plotItem.setLabel("left", tr("b (bias)"))
        self.weight_map.start_marker.movable = False  # the initial weights come from the seed
        self.weight_map.start_marker.setLabel(tr("initial (w, b)"), MAP_LABEL)
        self.batchnorm = BatchNormHistogram()
        self.addTab(self.fit, tr("Fit"))
        self.addTab(self.weight_map, tr("Loss surface (w, b)"))
        self.addTab(self.batchnorm, tr("BatchNorm"))
        self.setTabToolTip(SURFACE_TAB, tr("A line fit has two parameters: its train loss over "
                                           "the (w, b) plane is a map, and each optimizer's path "
                                           "on it is the race seen as a surface race"))
        self.setTabToolTip(BATCHNORM_TAB, tr("The first hidden layer's pre-activations before "
                                             "and after BatchNorm"))

        self.metrics_plot = MetricsPlot()
        self.accuracy_plot = AccuracyPlot()
        self.accuracy_plot.setXLink(self.metrics_plot)
        self._window_plots: list[RunCurvesPlot] = []  # the window's step plots (link_steps)
        self.epoch_action = QAction(tr("&Epochs on the x-axis"), self)
        self.epoch_action.setCheckable(True)
        self.epoch_action.setToolTip(tr("Every step plot against epochs instead of steps (train/"
                                        "test loss and accuracy: the first row of each epoch)"))
        self.epoch_action.toggled.connect(self._epoch_toggled)
        self.show_step_plots(False)

    # ---------------------------------------------------------------- public API

    @property
    def step_plots(self) -> tuple[MetricsPlot, AccuracyPlot]:
        return self.metrics_plot, self.accuracy_plot

    def link_steps(self, plots: Sequence[RunCurvesPlot]) -> None:
        """Pan and zoom with the window's step plots (x-linked to the first), which take the
        same x-axis (step or epoch) as this area's."""
        self._window_plots = list(plots)
        self.metrics_plot.setXLink(plots[0])

    def set_experiment(self, experiment: Experiment, generation: int,
                       styles: Sequence[RunStyle]) -> None:
        """A new (validated) dataset race: its points, its (w, b) surface, fresh runs."""
        self.generation = generation
        self.task = TrainingTask(experiment.problem.dataset_problem(), experiment.seed, "cpu")
        self.surface = weight_surface(self.task)
        self.fit.set_dataset(self.task.dataset)
        if self.surface is not None:
            self.weight_map.set_surface(self.surface, {}, self.surface.start)
        self.setTabVisible(SURFACE_TAB, self.surface is not None)
        self.setTabVisible(BATCHNORM_TAB, self.task.has_batchnorm)
        self.show_step_plots(True)
        self.set_runs(styles)

    def show_step_plots(self, on: bool) -> None:
        """The train/test loss plot, the accuracy plot (classification only) and their
        x-axis toggle: shown in dataset races, hidden in surface races."""
        classification = self.task is not None and self.task.dataset.task == "classification"
        self.metrics_plot.setVisible(on)
        self.accuracy_plot.setVisible(on and classification)
        self.epoch_action.setVisible(on)
        if not on and self.epoch_action.isChecked():
            self.set_x_axis("step")  # a surface race has no epochs

    def set_runs(self, styles: Sequence[RunStyle]) -> None:
        for view in self._views():
            view.set_runs(styles)

    def set_styles(self, styles: Sequence[RunStyle]) -> None:
        for view in self._views():
            view.set_styles(styles)

    @Slot(int, object)
    def set_views(self, generation: int, views) -> None:
        """The worker's model snapshots (core.views.RunView); older races' are dropped."""
        if generation != self.generation:
            return
        self.fit.set_views(views)
        self.batchnorm.set_views(views)

    def set_cursor(self, step: int | None) -> None:
        """The timeline's step (None: the race as it is now): the fits and the (w, b) paths
        show the race there, as the surface map does."""
        self.fit.set_cursor(step)
        self.weight_map.set_cursor(step)

    def refresh(self, live: LiveRuns) -> None:
        self._live = live
        self.fit.refresh(live)
        if self.surface is not None:
            self.weight_map.refresh(live)
        self.batchnorm.refresh(live)
        for plot in self.step_plots:
            plot.refresh(live)

    def set_x_axis(self, name: str) -> None:
        """"step" or "epoch" for every step plot, this area's and the window's."""
        self.epoch_action.setChecked(name == "epoch")
        plots = (*self._window_plots, *self.step_plots)
        for plot in plots:
            if plot.x_axis != name:
                plot.set_x_axis(name)  # which fits its x-range to the new axis
        for plot in plots[1:]:  # x-linked: they follow the first, as they did at start
            plot.plotItem.enableAutoRange(x=False)
        plots[0].plotItem.enableAutoRange(x=True)

    def shutdown(self) -> None:
        self.weight_map.shutdown()

    # ---------------------------------------------------------------- internals

    def _line_at(self, index: int, step: int) -> RunView | None:
        """A line fit's run at `step`, from its row's (w, b); None for other models."""
        live, snapshot = self._live, self.fit.kept[index].at(None)
        if self.surface is None or live is None or snapshot is None or index >= len(live):
            return None
        row = int(np.searchsorted(live.column(index, "step"), step, side="right")) - 1
        if row < 0:
            return None
        w, b = (float(live.column(index, name)[row]) for name in ("x", "y"))
        train, test, accuracy = (float(live.column(index, name)[row])
                                 for name in ("train_loss", "test_loss", "accuracy"))
        grid = self.surface.predict(w, b, snapshot.xs, snapshot.ys)
        return RunView(index, int(live.column(index, "step")[row]), snapshot.xs, snapshot.ys,
                       grid, train, test, accuracy)

    def _views(self):
        return (self.fit, self.weight_map, self.batchnorm, *self.step_plots)

    @Slot(bool)
    def _epoch_toggled(self, on: bool) -> None:
        if (self.metrics_plot.x_axis == "epoch") != on:
            self.set_x_axis("epoch" if on else "step")
