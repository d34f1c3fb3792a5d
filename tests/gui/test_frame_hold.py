"""The frame gate: the race waits while the window draws, a hold lapses, slow frames make
fewer frames at full speed, and the first race waits for the window's first frame."""
import threading
import time

from optplayground.core.experiment import default_experiment
from optplayground.gui.main_window import MainWindow
from optplayground.gui.worker import FrameGate
from .waits import ENGINE_MS


def waiter(gate):
    """A thread waiting at the gate; .done is set when it got through."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (gate.wait(), done.set()))
    thread.start()
    return thread, done


def test_the_race_waits_while_the_window_holds_the_gate():
    gate = FrameGate()
    gate.hold()
    thread, done = waiter(gate)
    assert not done.wait(0.03)  # held: the worker waits
    gate.release()
    assert done.wait(1.0)
    thread.join()


def test_a_hold_lapses_so_a_frame_that_never_paints_cannot_stall_the_race():
    gate = FrameGate()
    gate.HOLD_S = 0.05
    gate.hold()
    start = time.perf_counter()
    gate.wait()
    assert 0.03 <= time.perf_counter() - start < 1.0


def test_the_first_race_starts_after_the_first_frame(qtbot):
    exp = default_experiment()
    exp.steps = 20
    w = MainWindow(exp, settings=None)
    qtbot.addWidget(w)
    worker = w.worker.worker
    qtbot.wait(200)
    assert worker.engine is None and not worker.gate.shown.is_set()  # no frame yet
    with qtbot.waitSignal(w.firstFrame, timeout=ENGINE_MS):
        w.show()
    assert worker.gate.shown.is_set()
    qtbot.waitUntil(lambda: w.live.step == 20, timeout=ENGINE_MS)
    qtbot.wait(50)
    assert worker.gate._open.is_set()  # every frame drawn released the race

