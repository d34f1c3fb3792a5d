"""Driving a widget as a user does, and recording what it emits."""
from PySide6.QtCore import Qt


class Recorder:
    """Every emission of a signal, as a tuple of its arguments."""

    def __init__(self, signal):
        self.calls = []
        signal.connect(lambda *args: self.calls.append(args))

    @property
    def last(self):
        return self.calls[-1]


def make(qtbot, widget):
    qtbot.addWidget(widget)
    return widget


def type_into(qtbot, edit, text):
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key_Return)


def swatch_color(item) -> str:
    """The colour in the middle of an item's swatch icon."""
    return item.icon().pixmap(14, 14).toImage().pixelColor(7, 7).name()
