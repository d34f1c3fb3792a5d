"""The swarm views' controls: the basin map's settings and the sweep's axes, generated from
the selected run's optimizer spec (its float hyperparameters and their valid ranges)."""
from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QStackedWidget, QVBoxLayout,
                               QWidget)

from ...core.i18n import tr
from ..controls.common import VerticalScroll
from ...core.swarm import SweepAxis, default_axis
from .basin_layer import MODES
from .lr_finder_plot import LRFinderPlot
from .sweep_plot import METRICS, SweepHeatMap

GRIDS = (32, 64, 128, 256)
NONE = "—"


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class AxisEditor(QWidget):
    """One sweep axis: which hyperparameter, LOW..HIGH, log or linear, how many values."""

    def __init__(self, optional: bool):
        super().__init__()
        self.optional = optional
        self.params: dict = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.name = QComboBox()
        self.name.setSizeAdjustPolicy(QComboBox.AdjustToContents)  # weight_decay, filled later
        self.low, self.high = QLineEdit(), QLineEdit()
        for edit in (self.low, self.high):
            edit.setMaximumWidth(80)
        self.log = QCheckBox(tr("log"))
        self.count = QSpinBox()
        self.count.setRange(2, 256)
        self.count.setValue(32)
        self.count.setToolTip(tr("values along this axis"))
        for widget in (self.name, self.low, QLabel(".."), self.high, self.log, self.count):
            row.addWidget(widget)
        self.name.currentTextChanged.connect(self._fill_range)
        self._hyper: dict = {}

    def set_spec(self, spec, hyper: dict, preferred: str) -> None:
        self._hyper = hyper
        self.params = {p.name: p for p in spec.params if p.kind == "float"}
        names = ([NONE] if self.optional else []) + list(self.params)
        self.name.blockSignals(True)
        self.name.clear()
        self.name.addItems(names)
        self.name.blockSignals(False)
        self.name.setCurrentText(preferred if preferred in names else names[0])
        self._fill_range(self.name.currentText())

    def _fill_range(self, name: str) -> None:
        param = self.params.get(name)
        for widget in (self.low, self.high, self.log, self.count):
            widget.setEnabled(param is not None)
        if param is None:
            return
        axis = default_axis(param, self._hyper.get(name), self.count.value())
        self.low.setText(f"{axis.low:.4g}")
        self.high.setText(f"{axis.high:.4g}")
        self.log.setChecked(axis.log)

    def show_axis(self, axis: SweepAxis | None) -> None:
        """Show a given axis (None: no second axis)."""
        if axis is None:
            self.name.setCurrentText(NONE if self.optional else self.name.currentText())
            return
        self.name.setCurrentText(axis.name)
        self.low.setText(repr(axis.low))
        self.high.setText(repr(axis.high))
        self.log.setChecked(axis.log)
        self.count.setValue(axis.count)

    def axis(self) -> SweepAxis | None:
        """The axis as edited (None: none chosen); ValueError saying what is wrong."""
        name = self.name.currentText()
        if name not in self.params:
            return None
        low, high = _number(self.low.text()), _number(self.high.text())
        if low is None or high is None or low >= high:
            raise ValueError(tr("{name}: expected LOW < HIGH, two numbers", name=name))
        if self.log.isChecked() and low <= 0:
            raise ValueError(tr("{name}: a log range needs LOW > 0", name=name))
        return SweepAxis(name, low, high, self.count.value(), self.log.isChecked())


class SwarmPanel(QWidget):
    basinToggled = Signal(bool)
    basinChanged = Signal()  # grid or threshold
    modeChanged = Signal(str)
    sweepRequested = Signal()
    metricChanged = Signal(str)
    lrFindRequested = Signal()
    lrApplyRequested = Signal()

    def __init__(self):
        super().__init__()
        outer = QHBoxLayout(self)
        controls = QWidget()
        left = QVBoxLayout(controls)
        left.setContentsMargins(0, 0, 0, 0)
        # the controls scroll: the dock can be as low as a window of 720 px leaves it
        outer.addWidget(VerticalScroll(controls), 0)
        self.run_label = QLabel()
        left.addWidget(self.run_label)

        basin = QGroupBox(tr("Basin map (over the trajectory map)"))
        grid = QGridLayout(basin)
        self.show_basin = QCheckBox(tr("Show where every start ends up"))
        self.show_basin.toggled.connect(self.basinToggled)
        self.grid_size = QComboBox()
        self.grid_size.addItems([f"{n}×{n}" for n in GRIDS])
        self.grid_size.setCurrentIndex(1)
        self.grid_size.currentIndexChanged.connect(lambda _i: self.basinChanged.emit())
        self.mode = QComboBox()
        for key, title in MODES.items():
            self.mode.addItem(tr(title), key)
        self.mode.currentIndexChanged.connect(lambda _i: self.modeChanged.emit(self.mode.currentData()))
        self.threshold = QLineEdit()
        self.threshold.setPlaceholderText(tr("auto"))
        self.threshold.setToolTip(tr("The loss a run must reach for 'steps to loss ≤ threshold' "
                                     "(auto: the known minimum's loss + 0.001)"))
        self.threshold.editingFinished.connect(self.basinChanged)
        grid.addWidget(self.show_basin, 0, 0, 1, 4)
        grid.addWidget(QLabel(tr("grid")), 1, 0)
        grid.addWidget(self.grid_size, 1, 1)
        grid.addWidget(QLabel(tr("colour by")), 1, 2)
        grid.addWidget(self.mode, 1, 3)
        grid.addWidget(QLabel(tr("threshold: loss ≤")), 2, 0, 1, 2)
        grid.addWidget(self.threshold, 2, 2, 1, 2)
        self.basin_status = QLabel()
        self.basin_status.setWordWrap(True)  # a long status takes lines, not the dock's width
        grid.addWidget(self.basin_status, 3, 0, 1, 4)
        left.addWidget(basin)

        sweep = QGroupBox(tr("Sweep (one or two hyperparameters)"))
        column = QVBoxLayout(sweep)
        self.axis1, self.axis2 = AxisEditor(False), AxisEditor(True)
        column.addWidget(self.axis1)
        column.addWidget(self.axis2)
        row = QHBoxLayout()
        self.metric_box = QComboBox()
        for key, title in METRICS.items():
            self.metric_box.addItem(tr(title), key)
        self.metric_box.currentIndexChanged.connect(
            lambda _i: self.metricChanged.emit(self.metric_box.currentData()))
        self.sweep_button = QPushButton(tr("Sweep"))
        self.sweep_button.setToolTip(tr("Race every setting of the grid (the other settings: the run's)"))
        self.sweep_button.clicked.connect(self.sweepRequested)
        row.addWidget(QLabel(tr("colour by")))
        row.addWidget(self.metric_box, 1)
        row.addWidget(self.sweep_button)
        column.addLayout(row)
        self.sweep_status = QLabel()
        self.sweep_status.setWordWrap(True)
        column.addWidget(self.sweep_status)
        left.addWidget(sweep)
        left.addWidget(self._lr_group())
        self.whatif = QCheckBox(tr("What-if fan while dragging a slider"))
        self.whatif.setChecked(True)
        self.whatif.setToolTip(tr("While a hyperparameter slider is dragged, the run's whole path "
                                  "for the new value, with faint paths for nearby values"))
        left.addWidget(self.whatif)
        left.addStretch(1)

        self.sweep_map = SweepHeatMap()
        self.sweep_map.setMinimumSize(320, 160)
        self.lr_plot = LRFinderPlot()
        self.right = QStackedWidget()
        self.right.addWidget(self.sweep_map)
        self.right.addWidget(self.lr_plot)
        outer.addWidget(self.right, 1)
        self.surface_groups = (basin, sweep, self.whatif)

    def _lr_group(self) -> QGroupBox:
        group = self.lr_group = QGroupBox(tr("LR range test (exponential LR ramp)"))
        grid = QGridLayout(group)
        self.start_lr, self.end_lr = QLineEdit("1e-6"), QLineEdit("10")
        self.lr_steps = QSpinBox()
        self.lr_steps.setRange(20, 100_000)
        self.lr_steps.setValue(200)
        self.lr_button = QPushButton(tr("Find LR"))
        self.lr_button.clicked.connect(self.lrFindRequested)
        self.lr_apply = QPushButton(tr("Apply suggested LR"))
        self.lr_apply.setEnabled(False)
        self.lr_apply.clicked.connect(self.lrApplyRequested)
        grid.addWidget(QLabel(tr("from")), 0, 0)
        grid.addWidget(self.start_lr, 0, 1)
        grid.addWidget(QLabel(tr("to")), 0, 2)
        grid.addWidget(self.end_lr, 0, 3)
        grid.addWidget(QLabel(tr("steps")), 0, 4)
        grid.addWidget(self.lr_steps, 0, 5)
        grid.addWidget(self.lr_button, 1, 0, 1, 3)
        grid.addWidget(self.lr_apply, 1, 3, 1, 3)
        self.lr_status = QLabel()
        self.lr_status.setWordWrap(True)
        grid.addWidget(self.lr_status, 2, 0, 1, 6)
        return group

    def set_dataset_mode(self, dataset: bool) -> None:
        """A dataset race has the LR range test; a surface race the basin map and sweep."""
        for widget in self.surface_groups:
            widget.setVisible(not dataset)
        self.lr_group.setVisible(dataset)
        self.right.setCurrentWidget(self.lr_plot if dataset else self.sweep_map)

    def lr_range(self) -> tuple[float, float, int]:
        """(start, end, steps) as edited; ValueError saying what is wrong."""
        start, end = _number(self.start_lr.text()), _number(self.end_lr.text())
        if start is None or end is None or not 0 < start < end:
            raise ValueError(tr("expected 0 < from < to, two numbers"))
        return start, end, self.lr_steps.value()

    # ------------------------------------------------------------ reading

    def grid(self) -> int:
        return GRIDS[self.grid_size.currentIndex()]

    def threshold_value(self) -> float | None:
        return _number(self.threshold.text()) if self.threshold.text().strip() else None

    def axes(self) -> list[SweepAxis]:
        return [a for a in (self.axis1.axis(), self.axis2.axis()) if a is not None]

    def set_run(self, run, spec) -> None:
        """The run the views race: its name, and its optimizer's float hyperparameters."""
        self.run_label.setText(tr("Run: <b>{name}</b> ({title})", name=run.name, title=tr(spec.title)))
        names = [p.name for p in spec.params if p.kind == "float"]
        first = "lr" if "lr" in names else (names[0] if names else "")
        second = next((n for n in ("momentum", "alpha", "weight_decay") if n in names and n != first), NONE)
        self.axis1.set_spec(spec, run.hyper, first)
        self.axis2.set_spec(spec, run.hyper, second)
