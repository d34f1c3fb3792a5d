"""The editors of a SpecForm, one kind per Param kind: free text, a number with a slider on a
log or linear scale, a spin box, a check box, a choice. Each reads what the user entered
(`raw()`, coerced by the form) and reports edits to its form.
"""
from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QSlider, QSpinBox,
                               QWidget)

from ...core.i18n import tr
from ...core.params import Param
from .common import NUMBER_WIDTH, format_number

SLIDER_STEPS = 1000
INT_LIMIT = 2**31 - 1
EMPTY_TEXT = "auto"  # how an optional value left empty reads (None: the default behaviour)


# ---------------------------------------------------------------- slider scale

def has_slider(param: Param) -> bool:
    bounded = param.low is not None and param.high is not None
    return param.kind == "float" and (param.log or bounded)


class SliderScale:
    """Maps a float param's values to slider positions 0..SLIDER_STEPS, log or linear.

    A log scale over an open range covers value/100 … value·100 and is re-centred on a new
    value; position 0 is exactly 0 when 0 is the param's default (e.g. weight decay: off).
    """

    def __init__(self, param: Param):
        self.param = param
        self.zero_slot = (param.log and param.low == 0 and not param.low_open
                          and param.default == 0)
        self.first = 1 if self.zero_slot else 0
        self.lo, self.hi = 0.0, 1.0
        self.recentre(param.default)

    def recentre(self, value: float | None) -> None:
        p = self.param
        if not p.log:
            self.lo, self.hi = float(p.low), float(p.high)
            return
        if p.low is not None and p.low > 0 and p.high is not None:
            self.lo, self.hi = float(p.low), float(p.high)
            return
        centre = value if value is not None and value > 0 else 1e-3
        lo, hi = centre / 100, centre * 100
        if p.low is not None and p.low > 0:
            lo = max(lo, p.low)
        if p.high is not None:
            hi = min(hi, p.high)
        self.lo, self.hi = lo, max(hi, lo * 10)

    def covers(self, value: Any) -> bool:
        """The value has a place on the slider as it is (no need to re-centre it)."""
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and self.lo <= value <= self.hi and (value > 0 or not self.param.log))

    def limits(self) -> tuple[int, int]:
        """Slider range; an open bound at an end of the window is left out."""
        p = self.param
        low = 0 if self.zero_slot else (1 if p.low_open and self.lo == p.low else 0)
        high = SLIDER_STEPS - 1 if p.high_open and self.hi == p.high else SLIDER_STEPS
        return low, high

    def value_at(self, position: int) -> float:
        if self.zero_slot and position == 0:
            return 0.0
        t = (position - self.first) / (SLIDER_STEPS - self.first)
        if self.param.log:
            value = math.exp(math.log(self.lo) + t * (math.log(self.hi) - math.log(self.lo)))
            return float(f"{value:.3g}")
        value = self.lo + t * (self.hi - self.lo)
        return float(f"{round(value, 12):.4g}") + 0.0  # + 0.0 turns -0.0 into 0.0

    def position_of(self, value: float | None) -> int:
        if value is None:
            return self.first
        if self.zero_slot and value <= 0:
            return 0
        if self.param.log:
            if value <= 0:
                return self.first
            t = (math.log(value) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        else:
            t = (value - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 0.0
        t = min(1.0, max(0.0, t))
        return self.first + round(t * (SLIDER_STEPS - self.first))


# ---------------------------------------------------------------- one editor per kind

class Field:
    """One param's editor. `raw()` is what the user entered (coerced by the form)."""

    def __init__(self, param: Param, form: "SpecForm"):
        self.param = param
        self.form = form
        self.editor: QWidget = self.make_editor()
        self.widget: QWidget = self.editor  # what sits in the form (editor + extras)
        self.slider: QSlider | None = None

    def make_editor(self) -> QWidget:
        raise NotImplementedError

    def raw(self) -> Any:
        raise NotImplementedError

    def show(self, value: Any) -> None:
        raise NotImplementedError

    def edited(self, *_):
        self.form._edited(self.param.name)

    def in_row(self) -> QHBoxLayout:
        """Put the editor, NUMBER_WIDTH wide, at the left of a row of its own (`widget`);
        the caller fills the rest of the row."""
        self.editor.setMaximumWidth(NUMBER_WIDTH)
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.editor, 3)
        return row


class TextField(Field):
    """float, floats and str: free text, parsed by the param (1e-3 and "0.9, 0.999" work)."""

    def make_editor(self) -> QWidget:
        edit = QLineEdit()
        if self.param.optional:
            edit.setPlaceholderText(tr(EMPTY_TEXT))
        edit.editingFinished.connect(self.edited)
        edit.textEdited.connect(self.typed)
        return edit

    def raw(self) -> Any:
        text = self.editor.text().strip()
        if self.param.kind == "str":
            return self.editor.text()
        return None if text == "" and self.param.optional else text

    def show(self, value: Any) -> None:
        self.editor.setText(value if isinstance(value, str) else format_number(value))
        self.editor.setCursorPosition(0)

    def typed(self, *_):
        self.form._typed(self.param.name)


class FloatField(TextField):
    """A number, with a slider beside it when it has a log scale or a finite range."""

    def __init__(self, param: Param, form: "SpecForm"):
        super().__init__(param, form)
        row = self.in_row()
        if not has_slider(param):
            row.addStretch(4)
            return
        self.scale = SliderScale(param)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(*self.scale.limits())
        self.slider.valueChanged.connect(self.slid)
        self.slider.setToolTip(tr("drag for a quick sweep") + (tr(" (log scale)") if param.log else ""))
        row.addWidget(self.slider, 4)

    def show(self, value: Any) -> None:
        super().show(value)
        self.place_slider(value, recentre=True)

    def place_slider(self, value: Any, recentre: bool) -> None:
        if self.slider is None:
            return
        if recentre:
            self.scale.recentre(value)
        self.slider.blockSignals(True)
        self.slider.setRange(*self.scale.limits())
        self.slider.setValue(self.scale.position_of(value))
        self.slider.blockSignals(False)

    @Slot(int)
    def slid(self, position: int) -> None:
        super().show(self.scale.value_at(position))
        self.form._edited(self.param.name, from_slider=True)


class IntField(Field):
    """A spin box over the param's range; an optional one has an "auto" step below it."""

    def __init__(self, param: Param, form: "SpecForm"):
        super().__init__(param, form)
        self.in_row().addStretch(4)

    def make_editor(self) -> QWidget:
        spin = QSpinBox()
        p = self.param
        low = -INT_LIMIT + 1 if p.low is None else int(math.ceil(p.low)) + (1 if p.low_open else 0)
        high = INT_LIMIT if p.high is None else int(math.floor(p.high)) - (1 if p.high_open else 0)
        if p.optional:
            low -= 1
            spin.setSpecialValueText(tr(EMPTY_TEXT))
        spin.setRange(low, high)
        spin.setKeyboardTracking(False)  # emit on Return, arrows or focus out, not per key
        spin.setAccelerated(True)
        spin.valueChanged.connect(self.edited)
        return spin

    def raw(self) -> Any:
        value = self.editor.value()
        if self.param.optional and value == self.editor.minimum():
            return None
        return value

    def show(self, value: Any) -> None:
        self.editor.setValue(self.editor.minimum() if value is None else int(value))


class BoolField(Field):
    def make_editor(self) -> QWidget:
        box = QCheckBox()
        box.toggled.connect(self.edited)
        return box

    def raw(self) -> Any:
        return self.editor.isChecked()

    def show(self, value: Any) -> None:
        self.editor.setChecked(bool(value))


class ChoiceField(Field):
    def make_editor(self) -> QWidget:
        combo = QComboBox()
        for choice in self.param.choices:
            combo.addItem(str(choice), choice)
        combo.currentIndexChanged.connect(self.edited)
        return combo

    def raw(self) -> Any:
        return self.editor.currentData()

    def show(self, value: Any) -> None:
        index = self.editor.findData(value)
        self.editor.setCurrentIndex(max(index, 0))


FIELDS = {"float": FloatField, "floats": TextField, "str": TextField, "int": IntField,
           "bool": BoolField, "choice": ChoiceField}
