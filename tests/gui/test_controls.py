"""The control panels, driven like a user drives them: typing, Return, clicks, combo picks."""
import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from optplayground.core.experiment import Clip, Problem, Run, run_color, validate_run
from optplayground.core.optimizers import OPTIMIZERS
from optplayground.core.schedules import SCHEDULES, Stage
from optplayground.core.surfaces import SURFACES
from optplayground.gui.controls.common import formula_label
from optplayground.gui.controls.problem_panel import ProblemPanel
from optplayground.gui.controls.run_editor import RunEditor
from optplayground.gui.controls.runs_panel import RunsPanel
from optplayground.gui.controls.transport import SPEED_MAX, TransportBar
from .drive import Recorder, make, type_into


# ---------------------------------------------------------------- ProblemPanel

def test_formula_is_checked_as_you_type(qtbot):
    panel = make(qtbot, ProblemPanel())
    changed = Recorder(panel.problemChanged)
    panel.surface_combo.setCurrentIndex(panel.surface_combo.findData("formula"))
    assert changed.calls == []  # nothing to apply yet
    qtbot.keyClicks(panel.formula_edit, "sin(x")
    assert panel.formula_error.text() == "syntax error at column 4: '(' was never closed"
    assert not panel.formula_error.isHidden()
    qtbot.keyClick(panel.formula_edit, Qt.Key_Return)
    assert changed.calls == []
    panel.formula_edit.clear()
    qtbot.keyClicks(panel.formula_edit, "foo(x)")
    assert panel.formula_error.text().startswith("unknown function 'foo' at column 1")
    panel.formula_edit.clear()
    qtbot.keyClicks(panel.formula_edit, "x**2 + y**2")
    assert panel.formula_error.isHidden()
    qtbot.keyClick(panel.formula_edit, Qt.Key_Return)
    assert len(changed.calls) == 1
    problem = changed.last[0]
    assert (problem.surface, problem.formula, problem.start) == ("formula", "x**2 + y**2", None)
    assert panel.problem() == problem
    assert (panel.x_spin.value(), panel.y_spin.value()) == (-2.0, 2.0)


@pytest.mark.parametrize("name", ["himmelblau", "noisy_quadratic"])
def test_choosing_a_surface_emits_its_defaults(qtbot, name):
    panel = make(qtbot, ProblemPanel())
    changed = Recorder(panel.problemChanged)
    panel.surface_combo.setCurrentIndex(panel.surface_combo.findData(name))
    surface = SURFACES[name]
    assert changed.calls == [(Problem(name, surface.defaults()),)]
    assert panel.help_label.text() == surface.help
    assert panel.definition_label.text() == surface.formula
    assert (panel.x_spin.value(), panel.y_spin.value()) == surface.start
    assert panel.seed_spin.isHidden() == (not surface.stochastic)
    assert (panel.params_form() is None) == (not surface.params)


def test_surface_params_start_and_seed(qtbot):
    panel = make(qtbot, ProblemPanel())
    panel.set_problem(Problem("noisy_quadratic", start=(1.0, 2.0)), 7)
    changed, seeds = Recorder(panel.problemChanged), Recorder(panel.seedChanged)
    assert (panel.x_spin.value(), panel.y_spin.value(), panel.seed_spin.value()) == (1, 2, 7)
    type_into(qtbot, panel.params_form().editor("noise_scale"), "0.5")
    assert changed.last[0].params == {**SURFACES["noisy_quadratic"].defaults(), "noise_scale": 0.5}
    panel.x_spin.setValue(-1.25)
    assert changed.last[0].start == (-1.25, 2.0)
    panel.default_button.click()
    assert changed.last[0].start is None
    assert (panel.x_spin.value(), panel.y_spin.value()) == (-2.5, 2.5)
    count = len(changed.calls)
    panel.set_start(0.123456, -4.5)
    assert len(changed.calls) == count and panel.problem().start == (0.123456, -4.5)
    assert panel.x_spin.value() == 0.1235
    panel.seed_spin.setValue(11)
    assert seeds.calls == [(11,)]


# ---------------------------------------------------------------- RunsPanel

def two_runs():
    return [Run("Adam", "adam", {"lr": 0.05}), Run("Plain", "sgd", {"lr": 0.01}, color="#123456")]


def test_add_remove_duplicate_toggle(qtbot):
    panel = make(qtbot, RunsPanel())
    panel.set_runs(two_runs())
    changed = Recorder(panel.runsChanged)
    panel.add_button.click()
    runs, restart = changed.last
    assert restart is True and [r.name for r in runs] == ["Adam", "Plain", "SGD + momentum"]
    assert runs[2].optimizer == "momentum" and runs[2].hyper == OPTIMIZERS["momentum"].defaults()
    assert runs[2].color == "#ff7f0e"  # the next palette colour not yet shown
    assert panel.selected() == 2 and panel.list.count() == 3

    panel.select(0)
    panel.duplicate_button.click()
    runs, restart = changed.last
    assert restart and [r.name for r in runs] == ["Adam", "Adam copy", "Plain", "SGD + momentum"]
    assert runs[1].hyper == runs[0].hyper and runs[1].color not in ("", runs[0].color)

    panel.select(2)
    panel.remove_button.click()
    runs, restart = changed.last
    assert restart and [r.name for r in runs] == ["Adam", "Adam copy", "SGD + momentum"]

    panel.list.item(1).setCheckState(Qt.Unchecked)
    runs, restart = changed.last
    assert restart and [r.enabled for r in runs] == [True, False, True]
    assert len(changed.calls) == 4
    for run in runs:
        assert validate_run(run, "run") == run


def test_no_run_changes_colour_when_another_is_duplicated_or_removed(qtbot):
    runs = [Run(name, "adam") for name in ("A", "B", "C", "D")]  # palette colours by position
    panel = make(qtbot, RunsPanel(runs))
    shown = lambda: {r.name: run_color(panel.runs(), i) for i, r in enumerate(panel.runs())}
    before = shown()
    panel.select(1)
    panel.duplicate_run()
    after = shown()
    assert {name: after[name] for name in before} == before
    assert after["B copy"] not in before.values()  # a colour no other run shows
    panel.select(0)
    panel.remove_run()
    assert shown() == {name: colour for name, colour in after.items() if name != "A"}


def test_last_run_cannot_be_removed(qtbot):
    panel = make(qtbot, RunsPanel([Run("Solo", "adam")]))
    changed = Recorder(panel.runsChanged)
    assert not panel.remove_button.isEnabled()
    panel.remove_run()
    assert changed.calls == [] and len(panel.runs()) == 1


def test_rename_and_colour_are_styling(qtbot):
    panel = make(qtbot, RunsPanel(two_runs()))
    changed, styled = Recorder(panel.runsChanged), Recorder(panel.runStyled)
    panel.list.item(1).setText("Adam")  # as the double-click editor commits it
    assert panel.message.text() == "there is already a run named 'Adam'"
    assert panel.list.item(1).text() == "Plain" and styled.calls == []
    panel.list.item(1).setText("Vanilla SGD")
    assert [r.name for r in styled.last[0]] == ["Adam", "Vanilla SGD"]
    assert panel.message.isHidden()
    panel.set_color(0, "#abcdef")
    assert styled.last[0][0].color == "#abcdef" and changed.calls == []


def test_colour_dialog_does_not_block(qtbot):
    panel = make(qtbot, RunsPanel(two_runs()))
    styled = Recorder(panel.runStyled)
    panel.select(1)
    panel.choose_color()
    dialog = panel._color_dialog
    assert dialog.isVisible() and dialog.currentColor().name() == "#123456"  # returned at once
    dialog.colorSelected.emit(QColor(0x11, 0x22, 0x33))
    dialog.close()
    assert styled.last[0][1].color == "#112233"


def test_hyperparameter_edit_is_live(qtbot):
    panel = make(qtbot, RunsPanel(two_runs()))
    changed = Recorder(panel.runsChanged)
    type_into(qtbot, panel.editor.hyper_form().editor("lr"), "0.02")
    runs, restart = changed.last
    assert restart is False and runs[0].hyper == {**OPTIMIZERS["adam"].defaults(), "lr": 0.02}
    assert runs[1] == panel.runs()[1]
    panel.editor.hyper_form().editor("amsgrad").click()  # changes the optimizer's state
    assert changed.last[1] is True and changed.last[0][0].hyper["amsgrad"] is True


def test_invalid_hyperparameter_is_never_emitted(qtbot):
    panel = make(qtbot, RunsPanel([Run("N", "nesterov")]))
    changed = Recorder(panel.runsChanged)
    type_into(qtbot, panel.editor.hyper_form().editor("dampening"), "0.5")
    type_into(qtbot, panel.editor.hyper_form().editor("lr"), "-3")
    assert changed.calls == []


def test_optimizer_change_restarts_with_its_defaults(qtbot):
    panel = make(qtbot, RunsPanel(two_runs()))
    changed = Recorder(panel.runsChanged)
    combo = panel.editor.optimizer_combo
    combo.setCurrentIndex(combo.findData("rmsprop"))
    runs, restart = changed.last
    assert restart is True and runs[0].optimizer == "rmsprop"
    assert runs[0].hyper == {**OPTIMIZERS["rmsprop"].defaults(), "lr": 0.05}  # lr kept
    assert runs[0].name == "RMSprop"  # it was named after its optimizer
    assert panel.editor.hyper_form().params == OPTIMIZERS["rmsprop"].params
    panel.select(1)
    combo.setCurrentIndex(combo.findData("adagrad"))
    assert changed.last[0][1].name == "Plain"  # a name of its own stays


def test_schedule_stages(qtbot):
    panel = make(qtbot, RunsPanel(two_runs()))
    changed = Recorder(panel.runsChanged)
    schedule = panel.editor.schedule_editor
    schedule.add_button.click()
    assert changed.last[1] is True and changed.last[0][0].schedule == [
        Stage("cosine", SCHEDULES["cosine"].defaults())]
    box = schedule.stage_box(0)
    box.combo.setCurrentIndex(box.combo.findData("step"))
    assert changed.last[1] is True
    type_into(qtbot, schedule.stage_box(0).form.editor("gamma"), "0.5")
    runs, restart = changed.last
    assert restart is False
    assert runs[0].schedule == [Stage("step", {"step_size": 100, "gamma": 0.5})]

    schedule.add_button.click()  # a second stage: the first now needs its length
    assert changed.last[0][0].schedule == [Stage("step", {"step_size": 100, "gamma": 0.5}, 100),
                                           Stage("cosine", SCHEDULES["cosine"].defaults())]
    steps = schedule.stage_box(0).steps
    steps.clear()
    qtbot.keyClicks(steps, "40")
    qtbot.keyClick(steps, Qt.Key_Return)
    assert changed.last[1] is False and changed.last[0][0].schedule[0].steps == 40
    assert schedule.stage_box(1).steps.isHidden()

    count = len(changed.calls)
    box = schedule.stage_box(1)
    box.combo.setCurrentIndex(box.combo.findData("plateau"))  # plateau cannot be chained
    assert len(changed.calls) == count
    assert "plateau can't be chained" in schedule.stage_box(1).error.text()
    schedule.stage_box(0).remove_button.click()
    runs, restart = changed.last
    assert restart and runs[0].schedule == [Stage("plateau", SCHEDULES["plateau"].defaults())]


def test_clip_settings_are_live(qtbot):
    panel = make(qtbot, RunsPanel(two_runs()))
    changed = Recorder(panel.runsChanged)
    clip = panel.editor.clip_form
    assert not clip.field_visible("max_norm") and not clip.editor("max_norm").isVisibleTo(clip)
    clip.editor("mode").setCurrentIndex(1)
    assert changed.last == ([*panel.runs()],  False)
    assert changed.last[0][0].clip == Clip("norm")
    assert clip.field_visible("max_norm") and clip.field_visible("norm_type")
    assert not clip.field_visible("clip_value") and clip.editor("max_norm").isVisibleTo(clip)
    type_into(qtbot, clip.editor("max_norm"), "0.25")
    runs, restart = changed.last
    assert restart is False and runs[0].clip == Clip("norm", max_norm=0.25)


def test_lookahead(qtbot):
    panel = make(qtbot, RunsPanel(two_runs()))
    changed = Recorder(panel.runsChanged)
    assert panel.editor.lookahead_form.isHidden()
    panel.editor.lookahead_box.click()
    runs, restart = changed.last
    assert restart is True and runs[0].lookahead == {"k": 5, "alpha": 0.5}
    type_into(qtbot, panel.editor.lookahead_form.editor("alpha"), "0.8")
    assert changed.last == (panel.runs(), False)
    assert changed.last[0][0].lookahead == {"k": 5, "alpha": 0.8}
    panel.editor.lookahead_box.click()
    assert changed.last[1] is True and changed.last[0][0].lookahead is None


def test_import_path(qtbot):
    editor = make(qtbot, RunEditor(Run("Adam", "adam", {"lr": 0.05})))
    edited = Recorder(editor.runEdited)
    editor.optimizer_combo.setCurrentIndex(editor.optimizer_combo.findData("import"))
    assert not editor.path_edit.isHidden() and edited.calls == []
    type_into(qtbot, editor.path_edit, "nosuch:Thing")
    assert editor.path_error.text() == ("cannot import module 'nosuch': No module named 'nosuch' "
                                        "(modules are looked for on PYTHONPATH and among installed "
                                        "packages, never in the current folder)")
    assert editor.path_edit.property("invalid") is True and edited.calls == []
    type_into(qtbot, editor.path_edit, "torch.optim:SGD")
    run, restart = edited.last
    assert restart is True and run.optimizer == "torch.optim:SGD"
    assert run.hyper == {"lr": 0.05, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0,
                         "nesterov": False, "maximize": False}
    assert editor.path_error.isHidden()
    assert [p.name for p in editor.hyper_form().params] == list(run.hyper)
    editor.set_run(run)  # an imported optimizer shows its path
    assert editor.optimizer_combo.currentData() == "import"
    assert editor.path_edit.text() == "torch.optim:SGD"


# ---------------------------------------------------------------- TransportBar

def test_transport_signals(qtbot):
    bar = make(qtbot, TransportBar())
    play, step, reset = (Recorder(s) for s in (bar.playToggled, bar.stepRequested,
                                               bar.resetRequested))
    speed, steps, device = (Recorder(s) for s in (bar.speedChanged, bar.stepsChanged,
                                                  bar.deviceChanged))
    bar.play_button.click()
    bar.play_button.click()
    assert play.calls == [(True,), (False,)]
    bar.set_playing(True)
    assert len(play.calls) == 2 and bar.play_button.isChecked()
    assert "Space" in bar.play_button.toolTip() and "→" in bar.step_button.toolTip()
    assert "(R)" in bar.reset_button.toolTip()
    bar.step_button.click()
    bar.reset_button.click()
    assert step.calls == [()] and reset.calls == [()]

    assert bar.speed() is None and bar.speed_label.text() == "max"
    bar.speed_slider.setValue(0)
    bar.speed_slider.setValue(20)
    bar.speed_slider.setValue(SPEED_MAX - 1)
    bar.speed_slider.setValue(SPEED_MAX)
    assert speed.calls == [(1.0,), (100.0,), (10000.0,), (None,)]
    bar.speed_slider.setValue(15)
    assert math.isclose(speed.last[0], 32.0) and bar.speed_label.text() == "32/s"
    bar.set_speed(1000.0)
    assert bar.speed() == 1000.0 and len(speed.calls) == 5

    bar.set_steps(2000)
    assert steps.calls == [] and bar.steps_spin.value() == 2000
    bar.steps_spin.clear()
    qtbot.keyClicks(bar.steps_spin, "123456")
    qtbot.keyClick(bar.steps_spin, Qt.Key_Return)
    assert steps.calls == [(123456,)]
    assert bar.steps_spin.maximum() == 100_000_000

    bar.set_device("cuda")
    assert device.calls == []
    bar.device_combo.setCurrentIndex(bar.device_combo.findText("cpu"))
    assert device.calls == [("cpu",)]


def test_selecting_a_run_shows_it_without_emitting(qtbot):
    runs = [Run("A", "adam", {"lr": 0.05}, lookahead={"k": 9, "alpha": 0.25}),
            Run("B", "rprop", {"lr": 0.2})]
    panel = make(qtbot, RunsPanel())
    changed, styled = Recorder(panel.runsChanged), Recorder(panel.runStyled)
    panel.set_runs(runs)
    assert panel.runs() == [validate_run(r, "r") for r in runs]
    assert panel.editor.lookahead_form.values() == {"k": 9, "alpha": 0.25}
    panel.select(1)
    assert panel.editor.optimizer_combo.currentData() == "rprop"
    assert panel.editor.hyper_form().values() == {**OPTIMIZERS["rprop"].defaults(), "lr": 0.2}
    assert not panel.editor.lookahead_box.isChecked()
    assert panel.editor.lookahead_form.values() == {"k": 5, "alpha": 0.5}  # defaults again
    assert changed.calls == [] and styled.calls == []


def test_typing_one_coordinate_keeps_the_other_exact(qtbot):
    panel = ProblemPanel()
    qtbot.addWidget(panel)
    panel.set_problem(Problem("saddle", start=(1.0, 1e-6)), 0)
    panel.x_spin.setValue(1.1)  # the y box shows 0.0000; the start keeps 1e-6
    assert panel.problem().start == (1.1, 1e-6)


def test_a_schedule_the_race_cannot_last_is_marked_in_place_and_not_emitted(qtbot):
    editor = RunEditor(Run("a", "sgd", {"lr": 0.1}))
    qtbot.addWidget(editor)
    editor.set_total_steps(100)
    editor.schedule_editor.add_stage("onecycle")
    assert editor.run().schedule[0].name == "onecycle"
    emitted = []
    editor.runEdited.connect(lambda run, restart: emitted.append(run))
    box = editor.schedule_editor.stage_box(0)
    field = box.form.editor("pct_start")
    field.setText("0.01")  # over 100 steps the warm-up would last zero updates
    qtbot.keyClick(field, Qt.Key_Return)
    assert "zero updates over 100 steps" in box.error.text(), box.error.text()
    assert not emitted and editor.run().schedule[0].params["pct_start"] == 0.3


def test_the_optimizer_switch_is_edited_in_the_run_editor(qtbot):
    from optplayground.core.experiment import Switch

    editor = RunEditor(Run("a", "adam", {"lr": 0.05}, switch=Switch(40, "sgd", {"lr": 0.001})))
    qtbot.addWidget(editor)
    switch = editor.switch_editor
    assert switch.enabled_box.isChecked() and switch.at_spin.value() == 40
    assert switch.optimizer_combo.currentData() == "sgd"
    assert switch.hyper_form().values()["lr"] == 0.001
    emitted = []
    editor.runEdited.connect(lambda run, restart: emitted.append((run.switch, restart)))
    field = switch.hyper_form().editor("lr")
    field.setText("0.002")
    qtbot.keyClick(field, Qt.Key_Return)  # the switched-to lr: no restart needed
    assert emitted[-1] == (Switch(40, "sgd", {**OPTIMIZERS["sgd"].defaults(), "lr": 0.002}), False)
    switch.at_spin.setValue(25)
    assert emitted[-1][0].at == 25 and emitted[-1][1] is True
    switch.optimizer_combo.setCurrentIndex(switch.optimizer_combo.findData("rmsprop"))
    assert emitted[-1][0].optimizer == "rmsprop" and emitted[-1][1] is True
    assert emitted[-1][0].hyper == OPTIMIZERS["rmsprop"].defaults()
    switch.enabled_box.setChecked(False)
    assert emitted[-1] == (None, True) and editor.run().switch is None


def test_a_formula_box_fits_each_optimizers_formula(qtbot):
    """Qt never measures a label below its minimum height: a shorter formula after a taller
    one (SGD after RAdam) kept the taller height, its text centred under blank lines."""
    label = make(qtbot, formula_label())
    label.resize(300, 400)
    heights = []
    for name in ("radam", "sgd", "radam", "adam"):
        label.setText(OPTIMIZERS[name].formula)
        fresh = make(qtbot, formula_label(OPTIMIZERS[name].formula))
        assert label.minimumHeight() == fresh.heightForWidth(label.width()), name
        heights.append(label.minimumHeight())
    assert heights[0] == heights[2] and heights[1] < heights[3] < heights[0]
