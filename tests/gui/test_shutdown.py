"""Leaving never hangs or aborts: Ctrl+C, closing mid-run, closing with a dialog open."""
import os
import signal
import time

import pytest

from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.gui.main_window import MainWindow
from .waits import ENGINE_MS

LONG = Experiment(problem=Problem(start=(-1.5, 2.0)), steps=10_000_000,
                  runs=[Run("a", "adam", {"lr": 0.01}), Run("b", "momentum", {"lr": 1e-4})])


def test_ctrl_c_in_the_terminal_closes_the_window_cleanly(qtbot):
    from PySide6.QtWidgets import QApplication

    from optplayground.gui.app import quit_on_ctrl_c

    w = MainWindow(LONG, settings=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.live.step > 10, timeout=ENGINE_MS)
    poll = quit_on_ctrl_c(QApplication.instance(), w)
    try:
        thread = w.worker.thread
        sent = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)
        assert time.perf_counter() - sent < 1.0
        assert not thread.isRunning()
    finally:
        poll.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_closing_with_a_dialog_open_during_a_run_exits_fast(qtbot):
    w = MainWindow(LONG, settings=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.live.step > 50, timeout=ENGINE_MS)
    w.show_error("Something", "a dialog is open")  # non-modal message box
    thread = w.worker.thread
    started = time.perf_counter()
    w.close()
    assert time.perf_counter() - started < 1.0
    assert not thread.isRunning()


def test_a_failing_optimizer_shows_its_error_and_the_others_go_on(qtbot, allow_fake_optimizers):
    exp = Experiment(problem=Problem(start=(-1.5, 2.0)), steps=40, runs=[
        Run("buggy", "fake_optimizers:ExplodingSGD", {"lr": 1e-4}), Run("fine", "adam", {"lr": 0.01})])
    w = MainWindow(exp, settings=None)
    qtbot.addWidget(w)
    w.show()
    # the user's optimizer steps in a child process of the engine's: its start takes a while
    qtbot.waitUntil(lambda: w.live.run(1).status == "done", timeout=2 * ENGINE_MS)
    w.on_frame()
    assert w.live.run(0).status == "error"
    assert "boom in step 4" in w.status.runs_label.text()
    assert len(w.live.run(1).column("step")) == 41
    w.close()


def test_cuda_asked_for_without_cuda_runs_on_the_cpu_with_a_visible_note(qtbot):
    import torch

    if torch.cuda.is_available():
        return
    exp = Experiment(runs=[Run("a", "adam")], steps=20, device="cuda")
    w = MainWindow(exp, settings=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: "CUDA is not available" in w.statusBar().currentMessage(), timeout=ENGINE_MS)
    qtbot.waitUntil(lambda: w.live.step == 20, timeout=ENGINE_MS)
    w.on_frame()
    assert "cpu" in w.status.device_label.text()
    w.close()


def test_the_leak_check_sees_a_worker_thread_left_running(qtbot):
    from conftest import qt_leaks

    from optplayground.gui.worker import WorkerThread

    worker = WorkerThread()  # no Qt parent, as in the window: found all the same
    try:
        assert any("running QThread engine-thread" in leak for leak in qt_leaks())
    finally:
        worker.shutdown()
    assert not any("engine-thread" in leak for leak in qt_leaks())


def test_closing_while_a_step_hangs_returns_at_once_and_kills_the_engine_process(
        qtbot, tmp_path, monkeypatch, allow_fake_optimizers):
    from optplayground.gui.worker import threads_left_running

    marker = tmp_path / "hang-entered"
    monkeypatch.setenv("FAKE_HANG_FILE", str(marker))  # the engine process inherits it
    exp = Experiment(problem=Problem(start=(-1.5, 2.0)), steps=1000, runs=[
        Run("stuck", "fake_optimizers:Hang", {"lr": 1e-4}), Run("fine", "adam", {"lr": 0.01})])
    w = MainWindow(exp, settings=None)
    qtbot.addWidget(w)
    w.show()
    thread, process = w.worker.thread, w.worker.process
    qtbot.waitUntil(marker.exists, timeout=ENGINE_MS)  # the step blocks for good in the child
    assert process.is_alive() and thread.isRunning()
    started = time.perf_counter()
    w.close()
    assert time.perf_counter() - started < 1.2
    assert not thread.isRunning() and not threads_left_running()  # the hang was killed
    assert not process.is_alive()
    assert w.worker.shutdown(timeout_s=0.1)  # idempotent


@pytest.mark.parametrize("optimizer, message", [
    ("fake_optimizers:DeviceFault", "RuntimeError: CUDA error: an illegal memory access was encountered"),
    ("fake_optimizers:Exiting", "SystemExit: 3"),
])
def test_a_device_error_or_sys_exit_mid_run_ends_that_run_and_the_others_go_on(qtbot, optimizer, message, allow_fake_optimizers):
    exp = Experiment(problem=Problem(start=(-1.5, 2.0)), steps=40, runs=[
        Run("faulty", optimizer, {"lr": 1e-4}), Run("fine", "adam", {"lr": 0.01})])
    w = MainWindow(exp, settings=None)
    qtbot.addWidget(w)
    w.show()
    # the user's optimizer steps in a child process of the engine's: its start takes a while
    qtbot.waitUntil(lambda: w.live.run(1).status == "done", timeout=2 * ENGINE_MS)
    w.on_frame()
    faulty = w.live.run(0)
    assert faulty.status == "error" and faulty.message == message
    assert message in w.status.runs_label.text()
    assert len(w.live.run(1).column("step")) == 41
    assert w.worker.thread.isRunning()  # the worker goes on: a new race can start
    w.close()
