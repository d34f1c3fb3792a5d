"""Small pieces every panel shares: error labels, red frames, tooltips, formula labels."""
from __future__ import annotations

import html
from typing import Any, Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFontDatabase, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QLabel, QScrollArea, QSpinBox,
                               QWidget)

from ...core.i18n import tr
from .wheel_guard import guard_wheel

ERROR_COLOR = "#d62728"
NUMBER_WIDTH = 96  # px of a number's text field; a slider takes the rest of the row
LABEL_CHARS = 15  # the label column is this many average characters wide
SWATCH = 14  # px of a colour swatch


class WrappingLabel(QLabel):
    """A word-wrapped label that always gets the height its text needs at its width.

    A plain wrapped QLabel in nested layouts got the height of another width, so a
    squeezed sidebar cut its last line in half. An explicit minimum height, set whenever
    the width or the text changes, is one every layout honours."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._fit()

    def _fit(self) -> None:
        self.setMinimumHeight(0)  # Qt's heightForWidth is never below the minimum height: a
        # shorter text kept a taller one's height, centred under blank lines
        height = self.heightForWidth(self.width()) if self.text() and self.width() > 0 else 0
        self.setMinimumHeight(max(height, 0))


class VerticalScroll(QScrollArea):
    """`widget` at its full width, scrolled up and down when it is taller than the room."""

    def __init__(self, widget: QWidget, min_height: int = 120):
        super().__init__()
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        guard_wheel(widget)  # the wheel scrolls, not the values it passes over
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._min_height = min_height

    def _width(self, hint: QSize) -> int:
        return hint.width() + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def sizeHint(self) -> QSize:
        hint = self.widget().sizeHint()
        return QSize(self._width(hint), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self._width(self.widget().minimumSizeHint()), self._min_height)


def add_spec_items(combo: QComboBox, specs) -> QComboBox:
    """One item per spec of a registry (name -> Spec): its title, its name as the data, and
    a tooltip with its explanation and formula."""
    for name, spec in specs.items():
        combo.addItem(tr(spec.title), name)
        combo.setItemData(combo.count() - 1,
                          rich_tooltip(tr(spec.title), spec.help, "", spec.formula), Qt.ToolTipRole)
    return combo


def format_number(value: Any) -> str:
    """Short text that reads back as exactly `value` (six digits when they suffice)."""
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ", ".join(format_number(v) for v in value)
    if isinstance(value, float):
        short = f"{value:.6g}"
        return short if float(short) == value else repr(value)
    return str(value)


def rich_tooltip(title: str, help: str = "", range_text: str = "", formula: str = "",
                 error: str = "") -> str:
    """Tooltip as rich text: name, help (translated here), range, the error (if any) and
    the update rule."""
    parts = [f"<b>{html.escape(title)}</b>"]
    if help:
        parts.append(html.escape(tr(help)))
    if range_text:
        parts.append(tr("range: {range}", range=f"<tt>{html.escape(range_text)}</tt>"))
    if error:
        parts.append(f"<span style='color:{ERROR_COLOR}'>{html.escape(error)}</span>")
    text = "<br>".join(parts)
    if formula:
        text += f"<hr><pre>{html.escape(tr(formula))}</pre>"
    return f"<qt>{text}</qt>"


def label_width(widget: QWidget) -> int:
    """Pixel width of the label column, the same in every form so stacked forms line up."""
    return widget.fontMetrics().averageCharWidth() * LABEL_CHARS


def fit_label(name: str, width_of: Callable[[str], int], limit: int) -> str:
    """`name`, broken into lines after underscores where it is wider than `limit` pixels."""
    lines = [""]
    for part in name.replace("_", "_\n").split("\n"):
        if lines[-1] and width_of(lines[-1] + part) > limit:
            lines.append(part)
        else:
            lines[-1] += part
    return "\n".join(lines)


def formula_label(text: str = "") -> QLabel:
    """Formulas in a fixed-width font: their lines align with spaces, and combining marks
    (m̂, v̂) render there even where the proportional font drops them."""
    label = WrappingLabel()
    label.setTextFormat(Qt.PlainText)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
    font.setPointSizeF(max(7.0, label.font().pointSizeF() * 0.9))
    label.setFont(font)
    label.setText(text)  # after the font: its height is measured in it
    return label


def error_label() -> QLabel:
    """A hidden red, wrapping label that shows a message under the thing it is about."""
    label = QLabel()
    label.setStyleSheet(f"color: {ERROR_COLOR};")
    label.setWordWrap(True)
    label.setTextFormat(Qt.PlainText)
    label.hide()
    return label


def show_error(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """A red frame on `widget` (its own style sheet, so it works wherever it sits)."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    frame = (f"{type(widget).__name__} {{ border: 2px solid {ERROR_COLOR}; border-radius: 3px; "
             "padding: 1px 2px; }")
    widget.setStyleSheet(frame if invalid else "")


def count_spin(low: int, high: int, tip: str) -> QSpinBox:
    """A spin box for a count (steps, points) that emits on Return, arrows or focus out,
    not on every key."""
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setKeyboardTracking(False)
    spin.setMaximumWidth(NUMBER_WIDTH + 30)
    spin.setToolTip(tip)
    return spin


def labelled_rows(owner: QWidget, rows: list[tuple[str, QWidget]]) -> QFormLayout:
    """A form of (label, editor) rows whose labels take the width of every panel's label
    column, so that it lines up with the generated forms above and below it."""
    form = QFormLayout()
    form.setContentsMargins(0, 0, 0, 0)
    form.setHorizontalSpacing(8)
    for text, widget in rows:
        label = QLabel(text)
        label.setMinimumWidth(label_width(owner))
        form.addRow(label, widget)
    return form


def swatch(color: str) -> QIcon:
    """A small filled rounded square in `color`, outlined so light colours still show."""
    pixmap = QPixmap(SWATCH, SWATCH)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(QColor(color).darker(160))
    painter.setBrush(QColor(color))
    painter.drawRoundedRect(1, 1, SWATCH - 2, SWATCH - 2, 3, 3)
    painter.end()
    return QIcon(pixmap)
