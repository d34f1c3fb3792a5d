"""Inside the update: the selected run's internals on the map, its rule in the panel, step by step."""
import pytest

from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.trace import trace
from optplayground.core import experiment as xp
from .waits import ENGINE_MS


def race():
    return Experiment(name="inside", problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
                      runs=[Run("Momentum", "momentum", {"lr": 1e-3}), Run("Adam", "adam", {"lr": 0.02}),
                            Run("RAdam", "radam", {"lr": 0.01}),
                            Run("Slow", "sgd", {"lr": 1e-4}, lookahead={"k": 3, "alpha": 0.5})],
                      steps=200)


def steps(qtbot, w, n):
    target = w.live.step + n
    for _ in range(n):
        w.step_once()
    qtbot.waitUntil(lambda: w.inside.shown() is not None and w.inside.shown().step == target,
                    timeout=ENGINE_MS)
    w.inside.redraw()


def test_the_selected_runs_update_step_by_step(window, qtbot):
    w = window(race(), autoplay=False)
    qtbot.waitUntil(lambda: w.worker.ready, timeout=ENGINE_MS)
    assert w.worker.worker.watched is None  # hidden: the engine records nothing
    w.inside.action.trigger()
    w.runs_panel.select(1)
    steps(qtbot, w, 5)
    shown = w.inside.shown()
    alone = trace(xp.validate(Experiment(problem=race().problem, runs=[race().runs[1]], steps=5)))[0]
    assert (shown.step, shown.state, shown.grad, shown.after) == \
        (5, alone[-1].state, alone[-1].grad, alone[-1].after)
    # the arrows start where update 5 started: row 4 of the run's path
    x, y = w.live.column(1, "x")[4], w.live.column(1, "y")[4]
    grad = w.inside.overlay._curves["grad"]
    assert (grad.xData[0], grad.yData[0]) == (x, y)
    assert len(w.inside.overlay._curves["effective"].xData) > 0  # Adam: an ellipse
    text = w.inside.panel.math.text()
    assert "<sub>1</sub>" in text and f"{shown.state['exp_avg'][0]:.4g}" in text
    assert "update <b>5</b>" in w.inside.panel.heading.text()
    w.inside.panel.toggles["grad"].setChecked(False)
    assert len(grad.xData) == 0
    w.inside.panel.at.setValue(3)  # a recorded update
    assert w.inside.shown().step == 3 and "update <b>3</b>" in w.inside.panel.heading.text()
    w.inside.panel.at.setValue(0)

    w.runs_panel.select(2)  # RAdam: its momentum phase on the loss plot
    assert w.inside.shade.region.isVisible()
    assert w.inside.shade.region.getRegion() == pytest.approx((0, 5))
    steps(qtbot, w, 1)
    assert "rectified" in w.inside.panel.math.text()  # update 6: the first rectified one

    w.runs_panel.select(3)  # Lookahead: the slow weights' path, one point per sync
    assert not w.inside.shade.region.isVisible()
    steps(qtbot, w, 7)  # updates 7..13: syncs at 9 and 12
    xs, _ = w.inside.overlay._slow_path
    assert len(xs) == 3 and len(w.inside.overlay.syncs.data) == 2

    w.inside.action.trigger()  # hidden again: nothing recorded, nothing drawn
    qtbot.waitUntil(lambda: w.worker.worker.watched is None, timeout=ENGINE_MS)
    assert w.inside.shown() is None and len(w.inside.overlay._curves["update"].xData) == 0


def test_the_run_editor_sets_a_lower_lr_for_the_biases(qtbot):
    from optplayground.gui.controls.run_editor import RunEditor

    editor = RunEditor(Run("r", "sgd", {"lr": 0.1}))
    qtbot.addWidget(editor)
    editor.set_dataset_mode(True)
    with qtbot.waitSignal(editor.runEdited, timeout=ENGINE_MS) as edited:
        editor.factor_spins["bias"].setValue(0.1)
    assert edited.args[0].lr_factors == {"bias": 0.1}
    editor.set_run(Run("r", "sgd", {"lr": 0.1}, lr_factors={"weight": 2.0}))
    assert editor.factor_spins["weight"].value() == 2.0 and editor.factor_spins["bias"].value() == 1.0


def test_the_schedule_editor_takes_a_lambda_formula_and_shows_a_bad_one(qtbot):
    from optplayground.core.schedules import Stage
    from optplayground.gui.controls.schedule_editor import ScheduleEditor

    editor = ScheduleEditor([Stage("lambda", {"factor": "0.9 ** epoch"})])
    qtbot.addWidget(editor)
    box = editor.stage_box(0)
    field = box.form.editor("factor")
    with qtbot.waitSignal(editor.stagesChanged, timeout=ENGINE_MS) as changed:
        field.setText("1 / (1 + 0.1 * step)")
        field.editingFinished.emit()
    assert changed.args[0][0].params == {"factor": "1 / (1 + 0.1 * step)"}
    field.setText("open('x')")
    field.editingFinished.emit()
    assert "unknown function 'open'" in box.form.error_text("factor") + box.error.text()
