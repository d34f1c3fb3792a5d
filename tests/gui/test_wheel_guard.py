"""The wheel over a panel scrolls it; a combo box, spin box or slider it passes over keeps
its value unless the user clicked it first."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QSlider, QVBoxLayout, QWidget

from optplayground.gui.controls.common import VerticalScroll


def wheel(widget: QWidget, notches: int = -1) -> None:
    """Turn the wheel over the middle of `widget` (negative: scroll down)."""
    at = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(at, QPointF(widget.mapToGlobal(at.toPoint())), QPoint(),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_panel_past_values_until_one_is_clicked(qtbot):
    content = QWidget()
    column = QVBoxLayout(content)
    combo = QComboBox()
    combo.addItems(["SGD + momentum", "SGD", "Adam"])
    column.addWidget(combo)
    column.addSpacing(2000)  # a panel taller than its window
    scroll = VerticalScroll(content)
    qtbot.addWidget(scroll)
    scroll.resize(300, 200)
    scroll.show()
    slider = QSlider(Qt.Orientation.Horizontal)  # a field made later (a rebuilt form)
    slider.setRange(0, 100)
    slider.setValue(50)
    column.insertWidget(1, slider)
    qtbot.waitUntil(slider.isVisible)

    wheel(combo)
    wheel(slider)
    assert (combo.currentIndex(), slider.value()) == (0, 50)  # values kept ...
    assert scroll.verticalScrollBar().value() > 0  # ... the panel scrolled
    assert combo.focusPolicy() == slider.focusPolicy() == Qt.FocusPolicy.StrongFocus

    assert combo.hasFocus()  # the window's first field: not chosen by the user
    slider.setFocus(Qt.FocusReason.MouseFocusReason)
    combo.setFocus(Qt.FocusReason.MouseFocusReason)  # clicked: the wheel is the user's to use
    qtbot.waitUntil(combo.hasFocus)
    wheel(combo)
    assert combo.currentIndex() == 1
