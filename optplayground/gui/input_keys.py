"""Keys for the focused input: the window's one-key shortcuts give way to it, and the
keyboard comes back to the window once an input is done with it."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSlider,
                               QAbstractSpinBox, QCheckBox, QComboBox, QLineEdit, QMainWindow,
                               QRadioButton)

RETURN_KEYS = (Qt.Key_Return, Qt.Key_Enter)


class InputKeys(QObject):
    """The window's one-key shortcuts (Space, →, R, G, L, …) give way to the widget with
    the focus when it uses that key itself: Space ticks a check box focused with Tab, → moves
    a focused slider or list, a letter goes into a field. Qt would hand them to the shortcut.
    Space is play/pause everywhere else: in the runs list it would tick the current run's
    box (and throw the race away), in a combo box open its list.

    And the keys come back to the window: Return in a field (after the field took the
    value) and Escape anywhere in the window take the focus away from the input, so the
    next G is a shortcut again, not a "g" in the field. Buttons and check boxes take the
    focus only from Tab, not from a click: Space after a click plays or pauses, it does
    not press the last button clicked again nor untick the last box ticked."""

    ARROWS = (Qt.Key_Left, Qt.Key_Right, Qt.Key_Up, Qt.Key_Down)

    @staticmethod
    def adopt(window) -> None:
        """The buttons built (and polished) before this filter was installed."""
        for button in window.findChildren(QAbstractButton):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and self._wants(watched, event.key()):
            event.accept()  # the focused widget gets the key press, the shortcut does not fire
        elif kind == QEvent.Type.Polish and isinstance(watched, QAbstractButton):
            watched.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        elif kind == QEvent.Type.KeyPress and self._in_main_window(watched):
            if event.key() == Qt.Key_Escape and not _open_popup(watched):
                watched.clearFocus()
                return True
            if event.key() in RETURN_KEYS and isinstance(watched, (QLineEdit, QAbstractSpinBox)):
                QTimer.singleShot(0, watched.clearFocus)  # after the field took the value
        return False

    @staticmethod
    def _in_main_window(widget) -> bool:
        return (hasattr(widget, "window") and hasattr(widget, "clearFocus")
                and isinstance(widget.window(), QMainWindow) and widget.hasFocus())

    def _wants(self, widget, key: int) -> bool:
        if key == Qt.Key_Space:
            return isinstance(widget, (QCheckBox, QRadioButton, QLineEdit))
        if key in self.ARROWS:
            return isinstance(widget, (QAbstractSlider, QAbstractItemView, QAbstractSpinBox,
                                       QLineEdit, QComboBox))
        return isinstance(widget, (QLineEdit, QAbstractSpinBox, QComboBox))


def _open_popup(widget) -> bool:
    """A combo box showing its list closes it with Escape first."""
    return isinstance(widget, QComboBox) and widget.view().isVisible()
