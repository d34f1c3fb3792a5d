"""A dataset problem: which dataset and its parameters, the model trained on it, the loss.

Every valid edit emits a new `Problem` (with `dataset` set) that passed
`validate_dataset_problem`; an invalid one is marked where it was made and not emitted.
"""
from __future__ import annotations

import copy

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...core.datasets import DATASETS, DatasetSpec, get_dataset, n_classes_of
from ...core.experiment import Problem
from ...core.i18n import tr
from ...core.models import (LOSSES, MODEL_PARAMS, default_loss_for, loss_task_error,
                            validate_loss_params, validate_model)
from ...core.params import ConfigError
from ...core.training import validate_dataset_problem
from .common import (WrappingLabel, add_spec_items, error_label, formula_label, rich_tooltip,
                     show_error)
from .spec_form import SpecForm

DEFAULT_DATASET = "circle"
MLP_ONLY = ("hidden", "activation", "batchnorm", "dropout")


def _section(title: str) -> QLabel:
    label = QLabel(f"<b>{title}</b>")
    label.setContentsMargins(0, 6, 0, 0)
    return label


def fitting_losses(task: str, n_classes: int) -> list[str]:
    """The losses that can train this dataset, in registry order."""
    return [name for name in LOSSES if loss_task_error(name, task, n_classes) is None]


class DatasetEditor(QWidget):
    problemChanged = Signal(object)  # Problem

    def __init__(self, problem: Problem | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)
        self._problem = Problem(dataset=DEFAULT_DATASET)
        self._forms: dict[str, SpecForm | None] = {"data": None, "model": None, "loss": None}
        self._updating = False
        self._build()
        self.set_problem(problem or Problem(dataset=DEFAULT_DATASET))

    def _build(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        self.dataset_combo = add_spec_items(QComboBox(), DATASETS)
        self.dataset_combo.currentIndexChanged.connect(self._dataset_picked)
        column.addWidget(self.dataset_combo)
        self.help_label = WrappingLabel()
        self.definition_label = formula_label()
        column.addWidget(self.help_label)
        column.addWidget(self.definition_label)
        self.holders = {}
        for key, title in (("data", ""), ("model", tr("Model")), ("loss", tr("Loss"))):
            if title:
                column.addWidget(_section(title))
            if key == "loss":
                self.loss_combo = QComboBox()
                self.loss_combo.currentIndexChanged.connect(self._loss_picked)
                column.addWidget(self.loss_combo)
            holder = QVBoxLayout()
            holder.setContentsMargins(0, 0, 0, 0)
            column.addLayout(holder)
            self.holders[key] = holder
        self.error = error_label()
        column.addWidget(self.error)

    # ------------------------------------------------------------ API

    def problem(self) -> Problem:
        return copy.deepcopy(self._problem)

    def set_problem(self, problem: Problem) -> None:
        """Show a dataset problem (validated here, defaults filled in) without emitting."""
        checked = validate_dataset_problem(problem.dataset_problem())
        self._problem = Problem(dataset=checked.dataset, data=checked.data, model=checked.model,
                                loss=checked.loss, loss_params=checked.loss_params)
        self._updating = True
        try:
            self.dataset_combo.setCurrentIndex(self.dataset_combo.findData(checked.dataset))
        finally:
            self._updating = False
        show_error(self.error, "")
        self._show_all()

    def form(self, key: str) -> SpecForm | None:
        """The "data", "model" or "loss" parameter form (None when there is nothing to set)."""
        return self._forms[key]

    # ------------------------------------------------------------ showing

    @property
    def spec(self) -> DatasetSpec:
        return get_dataset(self._problem.dataset)

    def _n_classes(self) -> int:
        return n_classes_of(self.spec, self._problem.data)

    def _loss_name(self) -> str:
        """The loss in use: the chosen one, or the dataset's default."""
        return self._problem.loss or default_loss_for(self.spec.task, self._n_classes())

    def _show_all(self) -> None:
        spec = self.spec
        self.help_label.setText(tr(spec.help))
        self.definition_label.setText(tr(spec.formula))
        self.definition_label.setVisible(bool(spec.formula))
        p = self._problem
        self._set_form("data", SpecForm.from_spec(spec, p.data) if spec.params else None,
                       self._data_edited)
        model = SpecForm(MODEL_PARAMS, p.model,
                         validate=lambda values: validate_model(values, spec.input_dim))
        self._set_form("model", model, self._model_edited)
        self._show_mlp_fields()
        self._show_loss()

    def _show_loss(self) -> None:
        """The loss combo (losses that fit the task and class count) and the loss's params."""
        task, n_classes = self.spec.task, self._n_classes()
        default = default_loss_for(task, n_classes)
        self._updating = True
        try:
            self.loss_combo.clear()
            self.loss_combo.addItem(tr("default: {loss}", loss=tr(LOSSES[default].title)), "")
            add_spec_items(self.loss_combo, {n: LOSSES[n] for n in fitting_losses(task, n_classes)})
            self.loss_combo.setCurrentIndex(max(0, self.loss_combo.findData(self._problem.loss)))
        finally:
            self._updating = False
        name = self._loss_name()
        self.loss_combo.setToolTip(rich_tooltip(tr(LOSSES[name].title), LOSSES[name].help, "",
                                                LOSSES[name].formula))
        form = None
        if LOSSES[name].params:
            form = SpecForm(LOSSES[name].params, self._problem.loss_params,
                            formula=LOSSES[name].formula,
                            validate=lambda values: validate_loss_params(name, values, n_classes))
        self._set_form("loss", form, self._loss_params_edited)

    def _set_form(self, key: str, form: SpecForm | None, slot) -> None:
        old = self._forms[key]
        if old is not None:
            old.hide()  # hidden, not unparented: an orphan would pop up as a window
            old.deleteLater()
        self._forms[key] = form
        if form is not None:
            form.changed.connect(slot)
            self.holders[key].addWidget(form)

    def _show_mlp_fields(self) -> None:
        mlp = self._problem.model.get("kind") == "mlp"
        for name in MLP_ONLY:
            self._forms["model"].set_field_visible(name, mlp)

    # ------------------------------------------------------------ editing

    def _emit(self) -> bool:
        try:
            checked = validate_dataset_problem(self._problem.dataset_problem())
        except ConfigError as e:
            show_error(self.error, str(e))
            return False
        show_error(self.error, "")
        self._problem.data, self._problem.model = checked.data, checked.model
        self._problem.loss_params = checked.loss_params
        self.problemChanged.emit(self.problem())
        return True

    @Slot(int)
    def _dataset_picked(self, index: int) -> None:
        if self._updating:
            return
        name = self.dataset_combo.itemData(index)
        # A fresh start on the new dataset: its own data defaults and the model that suits it.
        checked = validate_dataset_problem(Problem(dataset=name).dataset_problem())
        self._problem = Problem(dataset=name, data=checked.data, model=checked.model,
                                loss_params=checked.loss_params)
        self._show_all()
        self._emit()

    @Slot(object)
    def _data_edited(self, values: dict) -> None:
        before = self._n_classes()
        self._problem.data = dict(values)
        if self._n_classes() != before:  # the class count decides which losses fit
            if self._problem.loss and loss_task_error(self._problem.loss, self.spec.task,
                                                      self._n_classes()):
                self._problem.loss = ""
            self._problem.loss_params = {}
            self._show_loss()
        self._emit()

    @Slot(object)
    def _model_edited(self, values: dict) -> None:
        self._problem.model = dict(values)
        self._show_mlp_fields()
        self._emit()

    @Slot(int)
    def _loss_picked(self, index: int) -> None:
        if self._updating:
            return
        self._problem.loss = self.loss_combo.itemData(index)
        self._problem.loss_params = {}
        self._show_loss()
        self._emit()

    @Slot(object)
    def _loss_params_edited(self, values: dict) -> None:
        self._problem.loss_params = dict(values)
        self._emit()
