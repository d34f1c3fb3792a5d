"""Scrolling a panel scrolls it: the wheel over a combo box, spin box or slider inside it
changes that value only once the user has chosen it (clicked it or tabbed to it; the focus
a window gives its first field at the start does not count).

Without this a panel taller than the window could not be scrolled safely: the wheel passing
over the optimizer's combo box turned Momentum into SGD (a restart) and one notch over the
lr slider changed 0.001 to 0.00106, unnoticed. Widgets made later (forms are rebuilt when
the optimizer changes) are guarded as they are added.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox,
                               QApplication, QComboBox, QWidget)

VALUE_WIDGETS = (QComboBox, QAbstractSpinBox, QAbstractSlider)
CHOSEN = (Qt.FocusReason.MouseFocusReason, Qt.FocusReason.TabFocusReason,
          Qt.FocusReason.BacktabFocusReason, Qt.FocusReason.ShortcutFocusReason)


class WheelGuard(QObject):
    """Watches every widget under a root (see the module's text)."""

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self._chosen: QObject | None = None  # the widget the user gave the focus

    def watch(self, widget: QWidget) -> None:
        for each in (widget, *widget.findChildren(QWidget)):
            each.installEventFilter(self)  # (installing twice keeps one)
            _no_wheel_focus(each)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ChildAdded and isinstance(event.child(), QWidget):
            self.watch(event.child())
        elif kind == QEvent.Type.Polish:  # a widget added while being made is made now
            _no_wheel_focus(obj)
        elif kind == QEvent.Type.FocusIn:  # chosen by the user, not given at the window's start
            self._chosen = obj if event.reason() in CHOSEN else None
        elif kind == QEvent.Type.FocusOut and obj is self._chosen:
            self._chosen = None
        elif kind == QEvent.Type.Wheel and isinstance(obj, VALUE_WIDGETS) and obj is not self._chosen:
            area = _scroll_area_of(obj)
            if area is not None:  # (Qt passes an ignored wheel on only when it is the
                QApplication.sendEvent(area.viewport(), event)  # system's, not a test's)
            return True
        return False


def _no_wheel_focus(widget: QObject) -> None:
    """Qt gives a widget with wheel focus the focus before any filter sees the wheel."""
    if isinstance(widget, VALUE_WIDGETS) and widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def guard_wheel(root: QWidget) -> WheelGuard:
    """Guard every value widget under `root`, now and later (the guard lives with root)."""
    guard = WheelGuard(root)
    guard.watch(root)
    return guard
