"""A fault in the worker itself (not in a run's step) is told to the window, never lost."""
from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.gui import worker as worker_module
from .waits import ENGINE_MS

CIRCLE = Problem(dataset="circle", data={"n_points": 100}, model={"hidden": "6,6"})


def test_a_fault_between_steps_pauses_the_race_and_says_why(window, qtbot, monkeypatch):
    def broken(batches):
        raise RuntimeError("merge went wrong")

    monkeypatch.setattr(worker_module, "merge_batches", broken)
    w = window(Experiment(problem=Problem(start=(-1.5, 2.0)), steps=1_000_000, runs=[Run("a", "adam")]))
    qtbot.waitUntil(lambda: "merge went wrong" in w.statusBar().currentMessage(), timeout=ENGINE_MS)
    assert w.statusBar().currentMessage() == "The race stopped: RuntimeError: merge went wrong"
    qtbot.waitUntil(lambda: not w.playing, timeout=ENGINE_MS)  # paused, not ticking in vain


def test_a_fault_in_the_model_views_leaves_the_race_going(window, qtbot, monkeypatch):
    from optplayground.core.remote import RemoteEngine

    def broken(self, resolution):  # a request the engine process fails on, as a snapshot may
        return self._call("no view")

    monkeypatch.setattr(RemoteEngine, "views", broken)
    w = window(Experiment(problem=CIRCLE, steps=30, runs=[Run("Adam", "adam", {"lr": 0.05})]))
    qtbot.waitUntil(lambda: "no view" in w.statusBar().currentMessage(), timeout=ENGINE_MS)
    assert w.statusBar().currentMessage() == "Model views stopped: ValueError: unknown request 'no view'"
    qtbot.waitUntil(lambda: w.live.step == 30 and w.live.run(0).status == "done", timeout=ENGINE_MS)
