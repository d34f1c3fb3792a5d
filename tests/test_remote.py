"""The engine in a child process: the same batches as in-process, errors with their own
type, a dead or hung child ended cleanly."""
import time

import numpy as np
import pytest

from optplayground.core.engine import Engine
from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.params import ConfigError
from optplayground.core.remote import EngineDied, RemoteEngine

# allowed_imports: the permission the window's process gives with the experiment (core/trust.py)
EXP = Experiment(problem=Problem(start=(-1.5, 2.0)), steps=60, allowed_imports=("fake_optimizers",),
                 runs=[Run("a", "adam", {"lr": 0.01}), Run("b", "fake_optimizers:ExplodingSGD", {"lr": 1e-4})])


@pytest.fixture
def remote():
    engine = RemoteEngine()
    yield engine
    engine.close()
    assert not engine.alive


@pytest.fixture(scope="module")
def serving():
    """One child for the tests that leave it alive: each start costs seconds (torch, dynamo)."""
    engine = RemoteEngine()
    yield engine
    engine.close()
    assert not engine.alive


def test_batches_equal_the_in_process_engine_and_the_child_serves_race_after_race(serving, allow_fake_optimizers):
    remote = serving
    for _ in range(2):
        remote.start(EXP)
        assert (remote.steps, remote.step, remote.done, remote.has_task) == (60, 0, False, False)
        local = Engine(EXP, keep_history=False)
        for n in (0, 1, 25, 100):
            mine, theirs = local.advance(n), remote.advance(n)
            assert (theirs.step, theirs.done) == (mine.step, mine.done) == (remote.step, remote.done)
            for a, b in zip(mine.runs, theirs.runs):
                assert (a.index, a.status, a.message) == (b.index, b.status, b.message)
                assert np.array_equal(a.rows, b.rows)
        assert remote.done and theirs.runs[1].status == "error"
        assert remote.views(16) == []


def test_errors_come_back_with_their_type_and_message(serving):
    remote = serving
    with pytest.raises(ConfigError, match="unknown optimizer 'nope'"):
        remote.start(Experiment(runs=[Run("a", "nope")]))
    with pytest.raises(ConfigError, match="problem.formula"):  # a subclass of ConfigError
        remote.start(Experiment(problem=Problem(surface="formula", formula="x +"), runs=[Run("a", "adam")]))
    remote.start(EXP)
    with pytest.raises(ValueError, match="needs a restart"):
        remote.update_run(0, Run("a", "sgd", {"lr": 0.1}))
    assert remote.advance(5).step == 5  # the engine survived its errors


def test_requests_sent_ahead_come_back_in_order_and_any_call_keeps_the_pairs(serving):
    remote = serving
    remote.start(EXP)
    remote.send_advance(3)
    remote.send_advance(4)
    first, took = remote.receive_advance()
    assert first.step == 3 and took >= 0 and remote.step == 3
    remote.update_run(0, Run("a", "adam", {"lr": 0.02}))  # the reply of the 4 is not taken for it
    assert remote.advance(1).step == 8


def test_a_child_that_dies_raises_a_clear_error(remote):
    remote.start(EXP)
    remote.kill()
    with pytest.raises(EngineDied, match="engine process ended"):
        remote.advance(1)
    assert isinstance(EngineDied("x"), RuntimeError)


def test_close_ends_a_child_stuck_in_a_step_at_once(tmp_path, monkeypatch):
    import threading

    marker = tmp_path / "entered"
    monkeypatch.setenv("FAKE_HANG_FILE", str(marker))
    stuck = RemoteEngine()  # started after the variable is set: it inherits it
    stuck.start(Experiment(problem=Problem(start=(-1.5, 2.0)), steps=100, runs=[Run("h", "fake_optimizers:Hang")],
                           allowed_imports=("fake_optimizers",)))
    errors = []

    def step():
        try:
            stuck.advance(50)
        except EngineDied as error:
            errors.append(error)

    thread = threading.Thread(target=step)
    thread.start()
    deadline = time.perf_counter() + 30
    while not marker.exists() and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert marker.exists()
    started = time.perf_counter()
    stuck.kill()
    thread.join(2)
    assert time.perf_counter() - started < 1.0 and not thread.is_alive() and errors
    assert not stuck.alive
