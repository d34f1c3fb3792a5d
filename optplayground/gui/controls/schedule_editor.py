"""A run's LR schedule: a chain of stages, each a schedule with its parameters and a length."""
from __future__ import annotations

import copy
import re

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QStyle, QToolButton, QVBoxLayout, QWidget)

from ...core.params import ConfigError
from ...core.i18n import tr
from ...core.schedules import SCHEDULES, Stage, check_stage_lengths, validate_stages
from .common import (NUMBER_WIDTH, error_label, formula_label, label_width, rich_tooltip,
                     show_error)
from .spec_form import SpecForm

NEW_STAGE = "cosine"
DEFAULT_STAGE_STEPS = 100
MAX_STEPS = 100_000_000
_STAGE_FIELD = re.compile(r"\[(\d+)\]")


class _StageBox(QFrame):
    """One stage: schedule combo, its parameters, and (unless last) how many steps it lasts."""

    def __init__(self, editor: "ScheduleEditor", index: int, stage: Stage, last: bool):
        super().__init__()
        self.editor = editor
        self.index = index
        self.setFrameShape(QFrame.StyledPanel)
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 4, 6, 6)
        column.setSpacing(3)

        header = QHBoxLayout()
        header.addWidget(QLabel(tr("Stage {number}", number=index + 1)))
        self.combo = QComboBox()
        for name, spec in SCHEDULES.items():
            self.combo.addItem(tr(spec.title), name)
            self.combo.setItemData(self.combo.count() - 1,
                                   rich_tooltip(tr(spec.title), spec.help, "", spec.formula),
                                   Qt.ToolTipRole)
        self.combo.setCurrentIndex(max(0, self.combo.findData(stage.name)))
        self.combo.currentIndexChanged.connect(self._picked)
        header.addWidget(self.combo, 1)
        self.remove_button = QToolButton()
        self.remove_button.setIcon(self.style().standardIcon(QStyle.SP_TitleBarCloseButton))
        self.remove_button.setToolTip(tr("Remove this stage"))
        self.remove_button.setAutoRaise(True)
        self.remove_button.clicked.connect(self._remove)
        header.addWidget(self.remove_button)
        column.addLayout(header)

        spec = SCHEDULES[stage.name]
        self.formula = formula_label(tr(spec.formula))
        self.formula.setToolTip(rich_tooltip(tr(spec.title), spec.help))
        column.addWidget(self.formula)

        self.form = SpecForm.from_spec(spec, stage.params)
        self.form.changed.connect(self._edited)
        self.form.setVisible(bool(spec.params))
        column.addWidget(self.form)

        steps_row = QHBoxLayout()
        steps_row.setSpacing(8)
        self.steps_label = QLabel(tr("steps"))
        self.steps_label.setMinimumWidth(label_width(self))
        self.steps = QSpinBox()
        self.steps.setMaximumWidth(NUMBER_WIDTH)
        self.steps.setRange(1, MAX_STEPS)
        self.steps.setKeyboardTracking(False)
        self.steps.setValue(stage.steps or DEFAULT_STAGE_STEPS)
        self.steps.setToolTip(tr("Updates this stage lasts; the next stage starts after them"))
        self.steps.valueChanged.connect(self._edited)
        steps_row.addWidget(self.steps_label)
        steps_row.addWidget(self.steps)
        steps_row.addStretch(1)
        column.addLayout(steps_row)
        self.steps_label.setVisible(not last)
        self.steps.setVisible(not last)
        self.last = last

        self.error = error_label()
        column.addWidget(self.error)

    def stage(self) -> Stage:
        return Stage(self.combo.currentData(), self.form.values(),
                     None if self.last else self.steps.value())

    @Slot()
    def _picked(self) -> None:
        self.editor.set_stage_schedule(self.index, self.combo.currentData())

    @Slot()
    def _remove(self) -> None:
        self.editor.remove_stage(self.index)

    @Slot()
    def _edited(self, *_) -> None:
        self.editor._commit()


class ScheduleEditor(QWidget):
    """Edits a list of `Stage`s; an empty list is a constant lr."""

    stagesChanged = Signal(object)  # list[Stage] (validated)

    def __init__(self, stages: list[Stage] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._stages: list[Stage] = []
        self._boxes: list[_StageBox] = []
        self.total_steps: int | None = None  # the race's length, for checks that need it
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        self.empty_label = QLabel(tr("No schedule: the lr stays at the run's lr."))
        self.empty_label.setWordWrap(True)
        column.addWidget(self.empty_label)
        self.stage_column = QVBoxLayout()
        self.stage_column.setSpacing(4)
        column.addLayout(self.stage_column)
        self.error = error_label()
        column.addWidget(self.error)
        self.add_button = QPushButton(tr("Add stage"))
        self.add_button.setToolTip(tr("Chain another schedule after the last one (e.g. a linear "
                                      "warm-up, then cosine)"))
        self.add_button.clicked.connect(self._add_clicked)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        column.addLayout(row)
        self.set_stages(stages or [])

    # ------------------------------------------------------------ API

    def stages(self) -> list[Stage]:
        """The last valid stages (params filled in)."""
        return copy.deepcopy(self._stages)

    def set_stages(self, stages: list[Stage]) -> None:
        """Show `stages` without emitting; ConfigError if they are invalid."""
        self._stages = validate_stages(list(stages), "schedule")
        self._rebuild(self._stages)

    def stage_box(self, index: int) -> _StageBox:
        """The editor of one stage: `.combo`, `.form`, `.steps`, `.error`."""
        return self._boxes[index]

    def errors(self) -> str:
        """The chain's current problem ("" when the shown stages are valid)."""
        messages = [box.error.text() for box in self._boxes if box.error.text()]
        return "; ".join(messages + ([self.error.text()] if self.error.text() else []))

    def add_stage(self, name: str = NEW_STAGE) -> None:
        stages = self._shown()
        if stages and stages[-1].steps is None:
            stages[-1].steps = self._boxes[-1].steps.value()
        stages.append(Stage(name))
        self._rebuild(stages)
        self._commit()

    def remove_stage(self, index: int) -> None:
        stages = self._shown()
        del stages[index]
        if stages:
            stages[-1].steps = None
        self._rebuild(stages)
        self._commit()

    def set_stage_schedule(self, index: int, name: str) -> None:
        """Switch one stage to another schedule (its parameters start at their defaults)."""
        stages = self._shown()
        stages[index] = Stage(name, {}, stages[index].steps)
        self._rebuild(stages)
        self._commit()

    # ------------------------------------------------------------ internals

    @Slot()
    def _add_clicked(self) -> None:
        self.add_stage()

    def _shown(self) -> list[Stage]:
        return [box.stage() for box in self._boxes]

    def _rebuild(self, stages: list[Stage]) -> None:
        for box in self._boxes:
            box.hide()  # hidden, not unparented: an orphan would pop up as a window
            box.deleteLater()
        self._boxes = [_StageBox(self, i, stage, i == len(stages) - 1)
                       for i, stage in enumerate(stages)]
        for box in self._boxes:
            self.stage_column.addWidget(box)
        self.empty_label.setVisible(not stages)

    def _commit(self) -> None:
        """Check the shown chain; emit it when valid, else show the problem where it is."""
        for box in self._boxes:
            show_error(box.error, "")
        show_error(self.error, "")
        try:
            stages = validate_stages(self._shown(), "schedule")
            if self.total_steps is not None:  # e.g. OneCycle phases too short for the race
                check_stage_lengths(stages, self.total_steps, "schedule")
        except ConfigError as e:
            found = _STAGE_FIELD.search(e.field)
            index = int(found.group(1)) if found else -1
            target = self._boxes[index].error if 0 <= index < len(self._boxes) else self.error
            show_error(target, e.message)
            return
        if stages == self._stages:
            return
        self._stages = stages
        self.stagesChanged.emit(copy.deepcopy(stages))
