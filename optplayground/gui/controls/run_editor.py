"""Everything about one run: optimizer and hyperparameters, LR schedule, clipping, Lookahead,
and in a dataset race the batch size and each parameter group's lr factor."""
from __future__ import annotations

import copy
from dataclasses import asdict

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QLineEdit,
                               QVBoxLayout, QWidget)

from ...core.edits import Edit, run_edit
from ...core.experiment import (CLIP_PARAMS, LOOKAHEAD_PARAMS, LR_FACTOR_GROUPS, LR_FACTOR_MAX,
                                Clip, Run, validate_run)
from ...core.i18n import tr
from ...core.optimizers import LOOKAHEAD, OPTIMIZERS, OptimizerSpec, get_optimizer, import_optimizer
from ...core.params import ConfigError
from .schedule_editor import ScheduleEditor
from .common import (NUMBER_WIDTH, WrappingLabel, add_spec_items, count_spin, error_label,
                     formula_label, labelled_rows, mark_invalid, rich_tooltip, show_error)
from .hyper_form import HyperFormHolder
from .spec_form import SpecForm
from .switch_editor import SwitchEditor

IMPORT = "import"
CLIP_FIELDS = {"none": (), "norm": ("max_norm", "norm_type"), "value": ("clip_value",)}
BATCH_LIMIT = 100_000_000


def section(title: str) -> QLabel:
    label = QLabel(f"<b>{title}</b>")
    label.setContentsMargins(0, 8, 0, 0)
    return label


def carried_hyper(old: OptimizerSpec | None, old_hyper: dict, new: OptimizerSpec) -> dict:
    """The new optimizer's defaults, keeping the learning rate when both have one."""
    hyper = new.defaults()
    if old is not None and "lr" in old_hyper and any(p.name == "lr" for p in new.params):
        try:
            hyper["lr"] = new.param("lr").coerce(old_hyper["lr"])
        except ConfigError:
            pass  # e.g. lr 0 where the new optimizer needs lr > 0: its default then
    return new.validate(hyper)


class RunEditor(QWidget):
    """Edits one `Run`; emits `runEdited(run, restart)` with a run that passes validate_run;
    `restart` says core/edits.py's `run_edit` makes the edit a new race."""

    runEdited = Signal(object, bool)

    def __init__(self, run: Run | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._run = Run("Run")
        self._spec: OptimizerSpec = OPTIMIZERS["sgd"]
        self._updating = False
        self._build()
        self.set_run(run or Run("SGD"))

    def _build(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)

        column.addWidget(section(tr("Optimizer")))
        self.optimizer_combo = add_spec_items(QComboBox(), OPTIMIZERS)
        self.optimizer_combo.addItem(tr("Import path…"), IMPORT)
        self.optimizer_combo.setItemData(self.optimizer_combo.count() - 1,
                                         tr("Any torch.optim.Optimizer subclass by import path, "
                                            "e.g. torch.optim:SGD"), Qt.ToolTipRole)
        self.optimizer_combo.currentIndexChanged.connect(self._optimizer_picked)
        column.addWidget(self.optimizer_combo)

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(tr("package.module:ClassName, then Return"))
        self.path_edit.setToolTip(tr("An optimizer class by import path, e.g. torch.optim:SGD; "
                                     "its hyperparameters are read from its constructor"))
        self.path_edit.returnPressed.connect(self._path_entered)
        self.path_error = error_label()
        column.addWidget(self.path_edit)
        column.addWidget(self.path_error)

        self.help_label = WrappingLabel()
        self.formula_label = formula_label()
        self.formula_label.setFrameShape(QLabel.StyledPanel)
        self.formula_label.setContentsMargins(4, 3, 4, 3)
        column.addWidget(self.help_label)
        column.addWidget(self.formula_label)
        self.hyper_holder = QVBoxLayout()
        self.hyper_holder.setContentsMargins(0, 4, 0, 0)
        column.addLayout(self.hyper_holder)
        self._hyper = HyperFormHolder(self.hyper_holder, self._hyper_edited)

        self.batch_box = self._batch_box()
        column.addWidget(self.batch_box)

        column.addWidget(section(tr("LR schedule")))
        self.schedule_editor = ScheduleEditor()
        self.schedule_editor.stagesChanged.connect(self._stages_edited)
        column.addWidget(self.schedule_editor)

        column.addWidget(section(tr("Gradient clipping")))
        self.clip_form = SpecForm(CLIP_PARAMS)
        self.clip_form.changed.connect(self._clip_edited)
        column.addWidget(self.clip_form)

        column.addWidget(section(tr("Lookahead")))
        self.lookahead_box = QCheckBox(tr("Wrap the optimizer in Lookahead"))
        self.lookahead_box.setToolTip(rich_tooltip(tr(LOOKAHEAD.title), LOOKAHEAD.help, "",
                                                   LOOKAHEAD.formula))
        self.lookahead_box.toggled.connect(self._lookahead_toggled)
        column.addWidget(self.lookahead_box)
        self.lookahead_form = SpecForm(LOOKAHEAD_PARAMS, formula=LOOKAHEAD.formula)
        self.lookahead_form.changed.connect(self._lookahead_edited)
        column.addWidget(self.lookahead_form)

        column.addWidget(section(tr("Optimizer switch")))
        self.switch_editor = SwitchEditor()
        self.switch_editor.switchChanged.connect(self._switch_edited)
        column.addWidget(self.switch_editor)

        self.error = error_label()
        column.addWidget(self.error)
        column.addStretch(1)

    def _batch_box(self) -> QWidget:
        """"Mini-batches": the batch size, shown in dataset races only."""
        box = QWidget()
        box_column = QVBoxLayout(box)
        box_column.setContentsMargins(0, 0, 0, 0)
        box_column.addWidget(section(tr("Mini-batches")))
        self.batch_spin = count_spin(0, BATCH_LIMIT, tr(
            "Train points per update: 0 = full batch (every update sees all of them, one "
            "update per epoch). A new value restarts the race."))
        self.batch_spin.setSpecialValueText(tr("full batch"))
        self.batch_spin.setAccelerated(True)
        self.batch_spin.valueChanged.connect(self._batch_edited)
        form = labelled_rows(self, [(tr("batch size"), self.batch_spin)])
        self.factor_spins = {}
        for group in LR_FACTOR_GROUPS:  # torch param groups: e.g. a lower lr for the biases
            spin = QDoubleSpinBox()
            spin.setRange(0.0, LR_FACTOR_MAX)
            spin.setDecimals(4)
            spin.setSingleStep(0.1)
            spin.setValue(1.0)
            spin.setKeyboardTracking(False)
            spin.setMaximumWidth(NUMBER_WIDTH + 30)
            label, tip = {
                "weight": (tr("lr × weights"), tr("The weights' lr is the run's lr times this (a "
                                                  "torch parameter group of its own). A new value "
                                                  "restarts the race.")),
                "bias": (tr("lr × biases"), tr("The biases' lr is the run's lr times this (a torch "
                                               "parameter group of its own). A new value restarts "
                                               "the race."))}[group]
            spin.setToolTip(tip)
            spin.valueChanged.connect(self._factor_edited)
            form.addRow(QLabel(label), spin)
            self.factor_spins[group] = spin
        box_column.addLayout(form)
        box.hide()
        return box

    # ------------------------------------------------------------ API

    def set_dataset_mode(self, on: bool) -> None:
        """Show the batch size (it only means something when training on a dataset)."""
        self.batch_box.setVisible(on)

    def run(self) -> Run:
        return copy.deepcopy(self._run)

    def set_total_steps(self, steps: int) -> None:
        """The race's length: a schedule that cannot last it is marked, never emitted."""
        self.schedule_editor.total_steps = steps

    def set_run(self, run: Run) -> None:
        """Show `run` (validated here, defaults filled in) without emitting."""
        self._run = validate_run(run, "run")
        self._emitted = copy.deepcopy(self._run)  # what the race has: edits compare with it
        self._spec = get_optimizer(self._run.optimizer)
        self._updating = True
        try:
            builtin = self._run.optimizer in OPTIMIZERS
            index = self.optimizer_combo.findData(self._run.optimizer if builtin else IMPORT)
            self.optimizer_combo.setCurrentIndex(index)
            self.path_edit.setText("" if builtin else self._run.optimizer)
            self.path_edit.setVisible(not builtin)
            show_error(self.path_error, "")
            mark_invalid(self.path_edit, False)
            self.schedule_editor.set_stages(self._run.schedule)
            self.batch_spin.setValue(min(self._run.batch_size, BATCH_LIMIT))
            for group, spin in self.factor_spins.items():
                spin.setValue(self._run.lr_factors.get(group, 1.0))
            self.clip_form.set_values(asdict(self._run.clip))
            self.lookahead_box.setChecked(self._run.lookahead is not None)
            defaults = {p.name: p.default for p in LOOKAHEAD_PARAMS}
            self.lookahead_form.set_values(self._run.lookahead or defaults)
            self.switch_editor.set_switch(self._run.switch)
        finally:
            self._updating = False
        self._show_optimizer()
        self._show_clip_fields()
        self.lookahead_form.setVisible(self._run.lookahead is not None)
        show_error(self.error, "")

    def hyper_form(self) -> SpecForm:
        """The form of the current optimizer's hyperparameters."""
        return self._hyper.form

    # ------------------------------------------------------------ showing

    def _show_optimizer(self) -> None:
        spec = self._spec
        self.help_label.setText(tr(spec.help))
        self.help_label.setVisible(bool(spec.help))
        self.formula_label.setText(tr(spec.formula))
        self.formula_label.setVisible(bool(spec.formula))
        self._hyper.show(spec, self._run.hyper)

    def _show_clip_fields(self) -> None:
        needed = CLIP_FIELDS[self._run.clip.mode]
        for param in CLIP_PARAMS[1:]:
            self.clip_form.set_field_visible(param.name, param.name in needed)

    def _emit(self) -> None:
        try:
            checked = validate_run(self._run, "run")
        except ConfigError as e:
            show_error(self.error, str(e))
            return
        show_error(self.error, "")
        restart = run_edit(self._emitted, checked) is Edit.RESTART
        self._run, self._emitted = checked, copy.deepcopy(checked)
        self.runEdited.emit(copy.deepcopy(checked), restart)

    # ------------------------------------------------------------ editing

    def _use_optimizer(self, name: str, spec: OptimizerSpec) -> None:
        self._run.hyper = carried_hyper(self._spec, self._run.hyper, spec)
        self._run.optimizer = name
        self._spec = spec
        self._show_optimizer()
        self._emit()

    @Slot(int)
    def _optimizer_picked(self, index: int) -> None:
        if self._updating:
            return
        name = self.optimizer_combo.itemData(index)
        show_error(self.path_error, "")
        mark_invalid(self.path_edit, False)
        if name == IMPORT:
            self.path_edit.show()
            self.path_edit.setFocus()
            if self.path_edit.text().strip():
                self._path_entered()
            return
        self.path_edit.hide()
        if name != self._run.optimizer:
            self._use_optimizer(name, OPTIMIZERS[name])

    @Slot()
    def _path_entered(self) -> None:
        path = self.path_edit.text().strip()
        try:
            spec = import_optimizer(path)
        except ConfigError as e:
            show_error(self.path_error, e.message)
            mark_invalid(self.path_edit, True)
            return
        show_error(self.path_error, "")
        mark_invalid(self.path_edit, False)
        if path != self._run.optimizer:
            self._use_optimizer(path, spec)

    @Slot(object)
    def _hyper_edited(self, values: dict) -> None:
        self._run.hyper = dict(values)
        self._emit()

    @Slot(int)
    def _batch_edited(self, value: int) -> None:
        if self._updating or value == self._run.batch_size:
            return
        self._run.batch_size = value
        self._emit()

    @Slot(float)
    def _factor_edited(self, _value: float) -> None:
        factors = {group: spin.value() for group, spin in self.factor_spins.items()
                   if spin.value() != 1.0}
        if self._updating or factors == self._run.lr_factors:
            return
        self._run.lr_factors = factors
        self._emit()

    @Slot(object)
    def _stages_edited(self, stages: list) -> None:
        self._run.schedule = stages
        self._emit()

    @Slot(object)
    def _clip_edited(self, values: dict) -> None:
        self._run.clip = Clip(**values)
        self._show_clip_fields()
        self._emit()

    @Slot(bool)
    def _lookahead_toggled(self, on: bool) -> None:
        if self._updating:
            return
        self.lookahead_form.setVisible(on)
        self._run.lookahead = self.lookahead_form.values() if on else None
        self._emit()

    @Slot(object)
    def _lookahead_edited(self, values: dict) -> None:
        if self._run.lookahead is None:
            return
        self._run.lookahead = dict(values)
        self._emit()

    @Slot(object)
    def _switch_edited(self, switch) -> None:
        self._run.switch = switch
        self._emit()
