"""A run's optimizer switch: at step k, go on with another optimizer (e.g. Adam, then SGD
to fine-tune). Its hyperparameter form is generated from that optimizer's spec."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QVBoxLayout, QWidget

from ...core.experiment import Switch
from ...core.i18n import tr
from ...core.optimizers import OPTIMIZERS, get_optimizer
from .common import add_spec_items, count_spin, labelled_rows
from .hyper_form import HyperFormHolder
from .spec_form import SpecForm

MAX_AT = 100_000_000
DEFAULT = Switch(at=100, optimizer="sgd")


class SwitchEditor(QWidget):
    """Emits `switchChanged(switch | None)`; how the race takes it (a new optimizer or step
    is a new race, its hyperparameters apply live) is core/edits.py's to say."""

    switchChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._switch = DEFAULT
        self._updating = False
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        self.enabled_box = QCheckBox(tr("Switch to another optimizer at a step"))
        self.enabled_box.setToolTip(tr("Go on from where this run is with another optimizer "
                                       "(fresh state, its own hyperparameters): e.g. Adam across "
                                       "steep ground, then SGD to finish"))
        self.enabled_box.toggled.connect(self._toggled)
        column.addWidget(self.enabled_box)
        self.details = QWidget()
        self.details_column = QVBoxLayout(self.details)
        self.details_column.setContentsMargins(0, 0, 0, 0)
        self.at_spin = count_spin(1, MAX_AT, tr("The update from which the new optimizer steps"))
        self.at_spin.valueChanged.connect(self._at_edited)
        self.optimizer_combo = add_spec_items(QComboBox(), OPTIMIZERS)
        self.optimizer_combo.currentIndexChanged.connect(self._optimizer_picked)
        self.details_column.addLayout(labelled_rows(self, [(tr("at step"), self.at_spin),
                                                           (tr("then"), self.optimizer_combo)]))
        self._hyper = HyperFormHolder(self.details_column, self._hyper_edited)
        column.addWidget(self.details)
        self.set_switch(None)

    def switch(self) -> Switch | None:
        return Switch(self._switch.at, self._switch.optimizer, dict(self._switch.hyper)) \
            if self.enabled_box.isChecked() else None

    def set_switch(self, switch: Switch | None) -> None:
        """Show `switch` (validated by the caller) without emitting."""
        self._switch = switch or Switch(DEFAULT.at, DEFAULT.optimizer,
                                        get_optimizer(DEFAULT.optimizer).defaults())
        self._updating = True
        try:
            self.enabled_box.setChecked(switch is not None)
            self.at_spin.setValue(min(self._switch.at, MAX_AT))
            self.optimizer_combo.setCurrentIndex(
                max(0, self.optimizer_combo.findData(self._switch.optimizer)))
        finally:
            self._updating = False
        self._show_form()
        self.details.setVisible(switch is not None)

    def hyper_form(self) -> SpecForm | None:
        return self._hyper.form

    def _show_form(self) -> None:
        self._hyper.show(get_optimizer(self._switch.optimizer), self._switch.hyper)

    def _emit(self) -> None:
        if not self._updating:
            self.switchChanged.emit(self.switch())

    @Slot(bool)
    def _toggled(self, on: bool) -> None:
        self.details.setVisible(on)
        self._emit()

    @Slot(int)
    def _at_edited(self, at: int) -> None:
        self._switch.at = at
        self._emit()

    @Slot(int)
    def _optimizer_picked(self, index: int) -> None:
        if self._updating:
            return
        name = self.optimizer_combo.itemData(index)
        self._switch = Switch(self._switch.at, name, get_optimizer(name).defaults())
        self._show_form()
        self._emit()

    @Slot(object)
    def _hyper_edited(self, values: dict) -> None:
        self._switch.hyper = dict(values)
        self._emit()
