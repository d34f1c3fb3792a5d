"""The problem: a surface (or the user's formula) with its parameters and start point, or a
dataset with the model trained on it; and the seed."""
from __future__ import annotations

import copy

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout,
                               QWidget)

from ...core.experiment import Problem, surface_of
from ...core.i18n import tr
from ...core.expression import FUNCTIONS, FormulaError, compile_formula
from ...core.params import ConfigError
from ...core.surfaces import SURFACES
from .coordinate_spin import CoordinateSpin
from .common import (WrappingLabel, add_spec_items, error_label, formula_label, label_width,
                     mark_invalid, show_error)
from .dataset_editor import DatasetEditor
from .spec_form import SpecForm

FORMULA = "formula"
FORMULA_HELP = ("Your own function of x and y: numbers, x, y, pi, e, + − * / **, and "
                "{functions}. Press Return to apply.")  # formula_help() fills it in
START_LIMIT = 1e12
SEED_LIMIT = 2**31 - 1
MODES = (("surface", "Surface: a 2-D function",
          "Optimizers race down a 2-D loss surface; the map shows their paths"),
         ("dataset", "Dataset: train a tiny model",
          "Optimizers train the same small model on a small dataset; the views show the fits"))


def formula_help() -> str:
    return tr(FORMULA_HELP, functions=", ".join(FUNCTIONS))


def _hint_label() -> QLabel:
    label = WrappingLabel()
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    return label


class ProblemPanel(QWidget):
    """Edits a `Problem`; every valid edit emits a new Problem (the race restarts on it).

    The mode combo switches between a surface and a dataset; each side remembers its last
    problem, so switching back restores it."""

    problemChanged = Signal(object)  # Problem
    seedChanged = Signal(int)

    def __init__(self, problem: Problem | None = None, seed: int = 0,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)  # no stretching in a column
        self._problem = Problem()  # the surface side (kept while the dataset side shows)
        self._mode = "surface"
        self._params_form: SpecForm | None = None
        self._updating = False
        self._build()
        self.set_problem(problem or Problem(), seed)

    def _build(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(QLabel(f"<b>{tr('Problem')}</b>"))
        self.mode_combo = QComboBox()
        for mode, title, tip in MODES:
            self.mode_combo.addItem(tr(title), mode)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, tr(tip), Qt.ToolTipRole)
        self.mode_combo.currentIndexChanged.connect(self._mode_picked)
        column.addWidget(self.mode_combo)
        self.dataset_editor = DatasetEditor()
        self.dataset_editor.problemChanged.connect(self.problemChanged)
        column.addWidget(self.dataset_editor)
        self.surface_box = QWidget()  # from here on the surface's widgets go into their box
        outer, column = column, QVBoxLayout(self.surface_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        outer.addWidget(self.surface_box)

        self.surface_combo = add_spec_items(QComboBox(), SURFACES)
        self.surface_combo.addItem(tr("Formula…"), FORMULA)
        self.surface_combo.setItemData(self.surface_combo.count() - 1, formula_help(), Qt.ToolTipRole)
        self.surface_combo.currentIndexChanged.connect(self._surface_picked)
        column.addWidget(self.surface_combo)

        self.help_label = _hint_label()
        self.definition_label = formula_label()
        column.addWidget(self.help_label)
        column.addWidget(self.definition_label)

        self.formula_edit = QLineEdit()
        self.formula_edit.setPlaceholderText(tr("e.g. x**2 + 3*y**2 + sin(3*x)"))
        self.formula_edit.setToolTip(formula_help())
        self.formula_edit.textEdited.connect(self._formula_typed)
        self.formula_edit.editingFinished.connect(self._formula_entered)
        self.formula_error = error_label()
        column.addWidget(self.formula_edit)
        column.addWidget(self.formula_error)

        self.params_holder = QVBoxLayout()
        self.params_holder.setContentsMargins(0, 0, 0, 0)
        column.addLayout(self.params_holder)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(8)
        self.x_spin, self.y_spin = self._coordinate_spin("x"), self._coordinate_spin("y")
        self.default_button = QPushButton(tr("Default"))
        self.default_button.setToolTip(tr("Back to this surface's default start point"))
        self.default_button.clicked.connect(self.reset_start)
        start_row = QHBoxLayout()
        start_row.setSpacing(4)
        for text, spin in (("x", self.x_spin), ("y", self.y_spin)):
            start_row.addWidget(QLabel(text))
            start_row.addWidget(spin, 1)
        start_row.addWidget(self.default_button)
        start_label = QLabel(tr("start"))
        start_label.setMinimumWidth(label_width(self))  # lines up with the params' labels
        form.addRow(start_label, start_row)
        column.addLayout(form)
        self.start_error = error_label()  # a typed start beyond START_LIMIT was clamped
        column.addWidget(self.start_error)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(8)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, SEED_LIMIT)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setMaximumWidth(130)
        self.seed_spin.valueChanged.connect(self._seed_edited)
        self.seed_label = QLabel(tr("seed"))
        self.seed_label.setMinimumWidth(label_width(self))
        form.addRow(self.seed_label, self.seed_spin)
        outer.addLayout(form)

    def _coordinate_spin(self, name: str) -> CoordinateSpin:
        spin = CoordinateSpin(START_LIMIT)  # takes 1e9 as typed; says so past the limit
        spin.setSingleStep(0.1)
        spin.setKeyboardTracking(False)
        spin.setAccelerated(True)
        spin.setMinimumWidth(70)
        spin.setToolTip(tr("{name} of the start point (or click the map)", name=name))
        spin.valueChanged.connect(self._start_edited)
        return spin

    # ------------------------------------------------------------ API

    def problem(self) -> Problem:
        """The problem as last applied (a formula counts once it is valid and entered)."""
        if self._mode == "dataset":
            return self.dataset_editor.problem()
        return copy.deepcopy(self._problem)

    def mode(self) -> str:
        """"surface" or "dataset"."""
        return self._mode

    def set_problem(self, problem: Problem, seed: int) -> None:
        """Show `problem` and `seed` without emitting."""
        self._mode = "dataset" if problem.is_dataset else "surface"
        self._updating = True
        try:
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(self._mode))
            self.seed_spin.setValue(min(max(int(seed), 0), SEED_LIMIT))
        finally:
            self._updating = False
        if problem.is_dataset:
            self.dataset_editor.set_problem(problem)
            self._show_mode()
            return
        self._problem = copy.deepcopy(problem)
        self._updating = True
        try:
            self.surface_combo.setCurrentIndex(max(0, self.surface_combo.findData(problem.surface)))
            if problem.surface == FORMULA:
                self.formula_edit.setText(problem.formula)
        finally:
            self._updating = False
        show_error(self.formula_error, "")
        mark_invalid(self.formula_edit, False)
        self._show_surface()
        self._show_mode()

    def set_start(self, x: float, y: float) -> None:
        """Show a new start point (e.g. picked on the map) without emitting."""
        self._problem.start = (float(x), float(y))
        self._show_start()

    def seed(self) -> int:
        return self.seed_spin.value()

    def params_form(self) -> SpecForm | None:
        """The form of the surface's parameters (None for a surface without any)."""
        return self._params_form

    @Slot()
    def reset_start(self) -> None:
        if self._problem.start is None:
            return
        self._problem.start = None
        self._show_start()
        self._emit()

    # ------------------------------------------------------------ showing

    def _show_surface(self) -> None:
        """Help, definition, parameter form, start and seed for the current problem."""
        is_formula = self._problem.surface == FORMULA
        self.formula_edit.setVisible(is_formula)
        try:
            surface = surface_of(self._problem)
        except ConfigError as e:  # an unusable formula given to set_problem
            surface = None
            show_error(self.formula_error, e.message)
        self.help_label.setText(formula_help() if is_formula else (tr(surface.help) if surface else ""))
        definition = self._problem.formula if is_formula else (tr(surface.formula) if surface else "")
        self.definition_label.setVisible(bool(definition) and not is_formula)
        self.definition_label.setText(definition)
        self._rebuild_params(surface)
        self._show_seed()
        self._show_start()

    def _show_mode(self) -> None:
        dataset = self._mode == "dataset"
        self.dataset_editor.setVisible(dataset)
        self.surface_box.setVisible(not dataset)
        self._show_seed()

    def _show_seed(self) -> None:
        """A dataset race always has a seed; a surface only when it is stochastic."""
        if self._mode == "dataset":
            shown = True
            tip = tr("Seed of the data, the initial weights and the mini-batch order")
        else:
            try:
                shown = surface_of(self._problem).stochastic
            except ConfigError:
                shown = False
            tip = tr("Seed of the random gradient noise: the same seed replays the same noise")
        self.seed_label.setVisible(shown)
        self.seed_spin.setVisible(shown)
        self.seed_spin.setToolTip(tip)

    def _rebuild_params(self, surface) -> None:
        if self._params_form is not None:
            self._params_form.hide()  # hidden, not unparented: an orphan would pop up as a window
            self._params_form.deleteLater()
            self._params_form = None
        if surface is None or not surface.params:
            return
        self._params_form = SpecForm.from_spec(surface, self._problem.params)
        self._params_form.changed.connect(self._params_edited)
        self.params_holder.addWidget(self._params_form)

    def _shown_start(self) -> tuple[float, float]:
        """The start as it really is (the spin boxes show it rounded to 4 decimals)."""
        if self._problem.start is not None:
            return self._problem.start
        try:
            return surface_of(self._problem).start
        except ConfigError:
            return (0.0, 0.0)

    def _show_start(self) -> None:
        start = self._shown_start()
        self._updating = True
        try:
            self.x_spin.setValue(start[0])
            self.y_spin.setValue(start[1])
        finally:
            self._updating = False
        self.default_button.setEnabled(self._problem.start is not None)

    # ------------------------------------------------------------ editing

    def _emit(self) -> None:
        self.problemChanged.emit(self.problem())

    @Slot(int)
    def _mode_picked(self, index: int) -> None:
        if self._updating:
            return
        self._mode = self.mode_combo.itemData(index)
        self._show_mode()
        self._emit()

    @Slot(int)
    def _surface_picked(self, index: int) -> None:
        if self._updating:
            return
        name = self.surface_combo.itemData(index)
        if name == FORMULA:
            self.formula_edit.show()
            self.formula_edit.setFocus()
            self.help_label.setText(formula_help())
            self.definition_label.hide()
            self._rebuild_params(None)
            self.seed_label.hide()
            self.seed_spin.hide()
            self._formula_entered()  # applies at once if the field already holds a formula
            return
        self._problem = Problem(surface=name, params=SURFACES[name].defaults())
        show_error(self.formula_error, "")
        self._show_surface()
        self._emit()

    def _formula_message(self) -> str:
        text = self.formula_edit.text()
        if not text.strip():
            return tr("type a formula in x and y, e.g. x**2 + 3*y**2")
        try:
            compile_formula(text)
        except FormulaError as e:
            return e.message
        return ""

    @Slot(str)
    def _formula_typed(self, _text: str) -> None:
        message = self._formula_message() if self.formula_edit.text().strip() else ""
        show_error(self.formula_error, message)
        mark_invalid(self.formula_edit, bool(message))

    @Slot()
    def _formula_entered(self) -> None:
        if self._updating or self.surface_combo.currentData() != FORMULA:
            return
        text = self.formula_edit.text().strip()
        message = self._formula_message() if text else ""
        show_error(self.formula_error, message)
        mark_invalid(self.formula_edit, bool(message))
        if not text or message:
            return
        if self._problem.surface == FORMULA and self._problem.formula == text:
            return
        bounds = self._problem.bounds if self._problem.surface == FORMULA else None
        self._problem = Problem(surface=FORMULA, formula=text, bounds=bounds)
        self._show_surface()
        self._emit()

    @Slot(object)
    def _params_edited(self, values: dict) -> None:
        self._problem.params = dict(values)
        self._emit()

    @Slot()
    def _start_edited(self) -> None:
        if self._updating:
            return
        # Only the coordinate typed changes: reading both boxes back would round the other
        # one (a start at y = 1e-6 beside a saddle's ridge would land on the ridge).
        x, y = self._shown_start()
        if self.sender() is self.x_spin:
            x = self.x_spin.value()
        else:
            y = self.y_spin.value()
        show_error(self.start_error, self.sender().take_note())
        self._problem.start = (x, y)
        self.default_button.setEnabled(True)
        self._emit()

    @Slot(int)
    def _seed_edited(self, seed: int) -> None:
        if not self._updating:
            self.seedChanged.emit(seed)
