"""Fixtures shared by the window tests."""
import pytest

from optplayground.gui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    """make(experiment, autoplay=True, settings=None): a shown main window, closed after."""
    made = []

    def make(experiment, autoplay=True, settings=None):
        w = MainWindow(experiment, settings=settings, autoplay=autoplay)
        qtbot.addWidget(w)
        w.resize(1400, 900)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
