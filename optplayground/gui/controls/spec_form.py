"""A form generated from typed `Param`s: one editor per parameter, checked as it is edited.

Valid edits emit `changed` with all current values. Invalid ones are marked on the field (red
frame, the reason under it and in its tooltip) and never emitted; cross-field rules are shown
in a message line under the form.
"""
from __future__ import annotations

import html
import math
from typing import Any, Callable, Mapping, Sequence

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QSlider, QSpinBox, QVBoxLayout, QWidget)

from ...core.params import ConfigError, Param, Rule, Spec, validate_values
from ...core.i18n import tr
from .common import (NUMBER_WIDTH, error_label, fit_label, format_number, label_width, mark_invalid,
                     rich_tooltip, show_error)

SLIDER_STEPS = 1000
INT_LIMIT = 2**31 - 1
EMPTY_TEXT = "auto"  # how an optional value left empty reads (None: the default behaviour)

Validator = Callable[[Mapping[str, Any]], dict]


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

class _Field:
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


class _TextField(_Field):
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


class _FloatField(_TextField):
    """A number, with a slider beside it when it has a log scale or a finite range."""

    def __init__(self, param: Param, form: "SpecForm"):
        super().__init__(param, form)
        self.editor.setMaximumWidth(NUMBER_WIDTH)
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.editor, 3)
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


class _IntField(_Field):
    """A spin box over the param's range; an optional one has an "auto" step below it."""

    def __init__(self, param: Param, form: "SpecForm"):
        super().__init__(param, form)
        self.editor.setMaximumWidth(NUMBER_WIDTH)
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.editor, 3)
        row.addStretch(4)

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


class _BoolField(_Field):
    def make_editor(self) -> QWidget:
        box = QCheckBox()
        box.toggled.connect(self.edited)
        return box

    def raw(self) -> Any:
        return self.editor.isChecked()

    def show(self, value: Any) -> None:
        self.editor.setChecked(bool(value))


class _ChoiceField(_Field):
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


_FIELDS = {"float": _FloatField, "floats": _TextField, "str": _TextField, "int": _IntField,
           "bool": _BoolField, "choice": _ChoiceField}


# ---------------------------------------------------------------- the form

class SpecForm(QWidget):
    """Editors for `params`; `values()` are the last valid values, coerced.

    `validate(values) -> dict` checks a complete set of values (raising ConfigError whose
    field is a param's name, or anything else for a cross-field message); by default the
    params' own checks plus `rules`.
    """

    changed = Signal(object)  # dict of all values, on each valid edit
    invalid = Signal(str, str)  # param name ("" for a cross-field rule), message

    def __init__(self, params: Sequence[Param], values: Mapping[str, Any] | None = None,
                 formula: str = "", rules: Sequence[Rule] = (), title: str = "",
                 validate: Validator | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._params = tuple(params)
        self._formula = formula
        self._check = validate or (lambda v: validate_values(self._params, v, rules=rules))
        self._updating = False
        self._errors: dict[str, str] = {}
        self._fields: dict[str, _Field] = {}
        self._labels: dict[str, QLabel] = {}
        self._error_labels: dict[str, QLabel] = {}
        self._hidden: set[str] = set()
        self._build(title)
        self._valid = self._check({})
        self.set_values(values or {})

    @classmethod
    def from_spec(cls, spec: Spec, values: Mapping[str, Any] | None = None, title: str = "",
                  parent: QWidget | None = None) -> "SpecForm":
        """A form for a surface, optimizer or schedule, checked by the spec's own `validate`."""
        return cls(spec.params, values, spec.formula, spec.rules, title, spec.validate, parent)

    def _build(self, title: str) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        if title:
            heading = QLabel(f"<b>{html.escape(tr(title))}</b>")
            column.addWidget(heading)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        grid.setColumnStretch(1, 1)
        grid.setColumnMinimumWidth(0, label_width(self))
        for i, param in enumerate(self._params):
            field = _FIELDS[param.kind](param, self)
            label = QLabel()
            label.setText(fit_label(param.name, label.fontMetrics().horizontalAdvance,
                                    label_width(self)))
            label.setBuddy(field.editor)
            error = error_label()
            grid.addWidget(label, 2 * i, 0, Qt.AlignLeft | Qt.AlignVCenter)
            grid.addWidget(field.widget, 2 * i, 1)
            grid.addWidget(error, 2 * i + 1, 1)
            self._fields[param.name] = field
            self._labels[param.name] = label
            self._error_labels[param.name] = error
            self._set_tooltip(param.name)
        column.addLayout(grid)
        self._message = error_label()
        column.addWidget(self._message)

    # ------------------------------------------------------------ API

    @property
    def params(self) -> tuple[Param, ...]:
        return self._params

    def values(self) -> dict[str, Any]:
        """The last valid values (coerced, defaults filled in)."""
        return dict(self._valid)

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show `values` (merged over the current ones) without emitting; ConfigError if bad."""
        checked = self._check({**self._valid, **values})
        self._valid = checked
        self._updating = True
        try:
            for name, field in self._fields.items():
                field.show(checked[name])
        finally:
            self._updating = False
        self._show_errors({}, "")

    def errors(self) -> dict[str, str]:
        """Current problems by param name; a cross-field rule's message is under ""."""
        out = dict(self._errors)
        if self._message.text():
            out[""] = self._message.text()
        return out

    def message(self) -> str:
        """The cross-field rule message shown under the form ("" when none)."""
        return self._message.text()

    def editor(self, name: str) -> QWidget:
        """The editor of one param (QLineEdit, QSpinBox, QCheckBox or QComboBox)."""
        return self._fields[name].editor

    def slider(self, name: str) -> QSlider | None:
        return self._fields[name].slider

    def slider_values(self, name: str) -> list[float]:
        """Every value the param's slider can give now, in position order ([]: no slider)."""
        field = self._fields[name]
        if field.slider is None:
            return []
        low, high = field.scale.limits()
        key = (field.scale.lo, field.scale.hi, low, high)
        if getattr(field, "values_for", None) != key:  # a drag asks on every move: keep them
            field.values_for = key
            field.values = [field.scale.value_at(position) for position in range(low, high + 1)]
        return field.values

    def error_text(self, name: str) -> str:
        """The message shown under one param's editor."""
        return self._error_labels[name].text() if name in self._errors else ""

    def set_field_visible(self, name: str, visible: bool) -> None:
        """Show or hide one param's row (its value is kept and still emitted)."""
        (self._hidden.discard if visible else self._hidden.add)(name)
        self._labels[name].setVisible(visible)
        self._fields[name].widget.setVisible(visible)
        self._error_labels[name].setVisible(visible and name in self._errors)

    def field_visible(self, name: str) -> bool:
        return name not in self._hidden

    # ------------------------------------------------------------ editing

    def _edited(self, name: str, from_slider: bool = False) -> None:
        if self._updating:
            return
        current, errors = self._read()
        rule = ""
        checked = None
        if not errors:
            try:
                checked = self._check(current)
            except ConfigError as e:
                key = e.field.rpartition(".")[2]
                if key in self._fields:
                    errors[key] = e.message
                else:
                    rule = e.message
        self._show_errors(errors, rule)
        if checked is None:
            culprit = name if name in errors else next(iter(errors), "")
            self.invalid.emit(culprit, errors.get(culprit, rule))
            return
        if not from_slider:
            self._updating = True
            for field in self._fields.values():
                if isinstance(field, _FloatField) and field.slider is not None:
                    # a typed value inside the slider's span keeps the span: the knob moves
                    value = checked[field.param.name]
                    field.place_slider(value, recentre=not field.scale.covers(value))
            self._updating = False
        if checked != self._valid:
            self._valid = checked
            self.changed.emit(dict(checked))

    def _typed(self, name: str) -> None:
        """While typing, clear a field's mark as soon as its text is valid again."""
        if name not in self._errors:
            return
        field = self._fields[name]
        try:
            field.param.coerce(field.raw())
        except ConfigError:
            return
        errors = dict(self._errors)
        del errors[name]
        self._show_errors(errors, self._message.text())

    def _read(self) -> tuple[dict[str, Any], dict[str, str]]:
        values, errors = {}, {}
        for name, field in self._fields.items():
            try:
                values[name] = field.param.coerce(field.raw())
            except ConfigError as e:
                errors[name] = e.message
        return values, errors

    def _show_errors(self, errors: dict[str, str], rule: str) -> None:
        self._errors = errors
        for name, field in self._fields.items():
            message = errors.get(name, "")
            mark_invalid(field.editor, bool(message))
            label = self._error_labels[name]
            label.setText(message)
            label.setVisible(bool(message) and name not in self._hidden)
            self._set_tooltip(name)
        show_error(self._message, rule)

    def _set_tooltip(self, name: str) -> None:
        param = self._fields[name].param
        range_text = param.range_text()
        if param.optional:
            range_text = tr("{range} or empty", range=range_text) if range_text else tr("empty allowed")
        tip = rich_tooltip(name, param.help, range_text, self._formula, self._errors.get(name, ""))
        self._fields[name].widget.setToolTip(tip)
        self._fields[name].editor.setToolTip(tip)
        self._labels[name].setToolTip(tip)
