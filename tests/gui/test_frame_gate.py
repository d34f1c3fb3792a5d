"""The frame gate: the race waits while the window draws, a hold lapses, slow frames make
fewer frames at full speed, and the first race waits for the window's first frame."""
import threading
import time

from optplayground.core.experiment import default_experiment
from optplayground.gui.main_window import MainWindow
from optplayground.gui.worker import FrameGate


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


def test_at_full_speed_the_next_frame_waits_for_the_races_share():
    gate = FrameGate()
    gate.hold()
    time.sleep(0.02)
    gate.release()
    assert gate.may_hold()  # not racing: draw whenever there is something new
    gate.racing = True
    assert not gate.may_hold()  # the race gets its share of the time first
    time.sleep(0.02 * gate.RACE_SHARE / (1 - gate.RACE_SHARE) + 0.005)
    assert gate.may_hold()


def test_the_first_race_starts_after_the_first_frame(qtbot):
    exp = default_experiment()
    exp.steps = 20
    w = MainWindow(exp, settings=None)
    qtbot.addWidget(w)
    worker = w.worker.worker
    qtbot.wait(200)
    assert worker.engine is None and not worker.gate.shown.is_set()  # no frame yet
    with qtbot.waitSignal(w.firstFrame, timeout=5000):
        w.show()
    assert worker.gate.shown.is_set()
    qtbot.waitUntil(lambda: w.live.step == 20, timeout=20000)
    qtbot.wait(50)
    assert worker.gate._open.is_set()  # every frame drawn released the race


def test_a_hold_lets_the_chunk_in_progress_end_first_and_no_new_one_start():
    gate = FrameGate()
    inside, ended = threading.Event(), []

    def chunk():
        with gate.stepping():
            inside.set()
            time.sleep(0.003)  # stands for ~1 ms of steps holding the GIL
            ended.append(time.perf_counter())

    thread = threading.Thread(target=chunk)
    thread.start()
    inside.wait(1.0)
    gate.hold()
    assert ended and ended[0] <= time.perf_counter()  # hold returned after the chunk ended
    started = threading.Event()
    second = threading.Thread(target=lambda: (gate.stepping().__enter__(), started.set()))
    second.start()
    assert not started.wait(0.03)  # while held, no chunk begins
    gate.release()
    assert started.wait(1.0)
    thread.join()
    second.join()


def test_a_hold_without_a_chunk_in_progress_does_not_wait():
    gate = FrameGate()
    t0 = time.perf_counter()
    gate.hold()
    assert time.perf_counter() - t0 < gate.PARK_S
    gate.release()
