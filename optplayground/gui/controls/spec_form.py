"""A form generated from typed `Param`s: one editor per parameter, checked as it is edited.

Valid edits emit `changed` with all current values. Invalid ones are marked on the field (red
frame, the reason under it and in its tooltip) and never emitted; cross-field rules are shown
in a message line under the form.
"""
from __future__ import annotations

import html
from typing import Any, Callable, Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QSlider, QVBoxLayout, QWidget

from ...core.params import ConfigError, Param, Rule, Spec, validate_values
from ...core.i18n import tr
from .common import error_label, fit_label, label_width, mark_invalid, rich_tooltip, show_error
from .spec_fields import FIELDS, Field, FloatField

Validator = Callable[[Mapping[str, Any]], dict]


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
        self._fields: dict[str, Field] = {}
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
            field = FIELDS[param.kind](param, self)
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
                if isinstance(field, FloatField) and field.slider is not None:
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
