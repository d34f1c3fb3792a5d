"""The frame hold: the CSV export waits while the window draws, a hold lapses; and the
first race waits for the window's first frame."""
import threading
import time

from optplayground.core.experiment import default_experiment
from optplayground.gui.main_window import MainWindow
from optplayground.gui.frame_hold import FrameHold
from .waits import ENGINE_MS


def waiter(gate):
    """A thread waiting at the hold; .done is set when it got through."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (gate.wait(), done.set()))
    thread.start()
    return thread, done


def test_the_export_waits_while_the_window_holds_a_frame():
    gate = FrameHold()
    gate.hold()
    thread, done = waiter(gate)
    assert not done.wait(0.03)  # held: the export waits
    gate.release()
    assert done.wait(1.0)
    thread.join()


def test_a_hold_lapses_so_a_frame_that_never_paints_cannot_stall_the_export():
    gate = FrameHold()
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
    qtbot.wait(200)
    assert not w.worker.ready and not w.worker.first_frame_seen  # no frame yet
    with qtbot.waitSignal(w.firstFrame, timeout=ENGINE_MS):
        w.show()
    assert w.worker.first_frame_seen
    qtbot.waitUntil(lambda: w.live.step == 20, timeout=ENGINE_MS)
    qtbot.wait(50)
    assert not w.frame_hold.held  # every frame drawn released its hold

