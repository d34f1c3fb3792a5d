"""What a launch remembers: with nothing saved the window takes its default size, but never
more than the screen has room for (a 1280×720 screen got 1600×1000, off its edges)."""
from __future__ import annotations

from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from optplayground.gui import session


class SmallScreen:
    def availableGeometry(self) -> QRect:
        return QRect(0, 0, 1280, 690)


class Window(QWidget):
    def __init__(self, screen):
        super().__init__()
        self._screen = screen

    def screen(self):
        return self._screen


def test_the_default_size_fits_the_screen(qtbot, tmp_path):
    window = Window(SmallScreen())
    qtbot.addWidget(window)
    session.restore_geometry(window, None)
    assert (window.width(), window.height()) == (1280, 690)
    big = Window(QGuiApplication.primaryScreen())  # offscreen: room for the default
    qtbot.addWidget(big)
    room = big.screen().availableGeometry()
    session.restore_geometry(big, QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    assert (big.width(), big.height()) == (min(1600, room.width()), min(1000, room.height()))
