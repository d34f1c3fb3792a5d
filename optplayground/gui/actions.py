"""One way to make a window's action: its shortcut works while the menu bar is hidden too."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def add_action(window: QWidget, menu, text: str, shortcut, slot) -> QAction:
    """An action of `window` (in `menu` unless None) that runs `slot`; a shortcut (None:
    none) works while the menu bar is hidden too."""
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        window.addAction(action)
    action.triggered.connect(slot)
    if menu is not None:
        menu.addAction(action)
    return action
