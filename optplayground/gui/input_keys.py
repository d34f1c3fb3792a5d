"""Keys for the focused input: the window's one-key shortcuts give way to it."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSlider,
                               QAbstractSpinBox, QComboBox, QLineEdit)


class InputKeys(QObject):
    """The window's one-key shortcuts (Space, →, R, G, L) give way to the widget with the
    focus when it uses that key itself: Space ticks a focused check box, → moves a focused
    slider or list, a letter goes into a field. Qt would hand them to the shortcut."""

    ARROWS = (Qt.Key_Left, Qt.Key_Right, Qt.Key_Up, Qt.Key_Down)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self._wants(watched, event.key()):
            event.accept()  # the focused widget gets the key press, the shortcut does not fire
        return False

    def _wants(self, widget, key: int) -> bool:
        if key == Qt.Key_Space:
            return isinstance(widget, (QAbstractButton, QAbstractItemView, QComboBox, QLineEdit))
        if key in self.ARROWS:
            return isinstance(widget, (QAbstractSlider, QAbstractItemView, QAbstractSpinBox,
                                       QLineEdit, QComboBox))
        return isinstance(widget, (QLineEdit, QAbstractSpinBox, QComboBox))
