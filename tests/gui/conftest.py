"""Fixtures shared by the window and plot tests."""
import warnings

import pytest

from optplayground.core.engine import Engine
from optplayground.core.experiment import Clip, default_experiment, validate
from optplayground.gui.live import LiveRuns
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


def race_experiment():
    exp = default_experiment()
    exp.steps = 50
    exp.runs[1].clip = Clip(mode="norm", max_norm=5.0)
    exp.runs[2].clip = Clip(mode="value", clip_value=2.0)
    return exp


@pytest.fixture(scope="module")
def race():
    """A real 50-step race of the default experiment (two runs clip their gradients)."""
    exp = race_experiment()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = Engine(exp, keep_history=False)
        live = LiveRuns()
        live.reset(validate(exp), 1)
        live.add_batch(1, engine.advance(50))
    return live
