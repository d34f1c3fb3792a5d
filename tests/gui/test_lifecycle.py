"""A race's life cycle in the real window: an edit after the end races again, a race whose
runs all stopped is over, Space plays and pauses wherever the focus is, the status bar and
the runs panel say what is so now."""
import numpy as np
from PySide6.QtCore import Qt

from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.presets import load_preset
from .waits import ENGINE_MS


def two_runs(steps=40):
    return Experiment(name="life", problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
                      runs=[Run("Momentum", "momentum", {"lr": 1e-3}), Run("Adam", "adam", {"lr": 0.02})],
                      steps=steps)


def type_lr(qtbot, w, row, text):
    w.runs_panel.select(row)
    editor = w.runs_panel.editor.hyper_form().editor("lr")
    editor.setText(text)
    qtbot.keyClick(editor, Qt.Key_Return)


def test_an_edit_after_the_end_races_again_with_it(window, qtbot):
    w = window(two_runs(), autoplay=True)
    w.set_speed(None)
    qtbot.waitUntil(lambda: w.model.over, timeout=ENGINE_MS)
    generation = w.generation
    w.timeline.show_step(10)  # scrubbed back: the edit still races anew, from step 0
    type_lr(qtbot, w, 0, "0.002")
    assert w.generation == generation + 1 and w.timeline.cursor is None
    qtbot.waitUntil(lambda: w.model.over, timeout=ENGINE_MS)
    lrs = w.live.run(0).column("lr")
    assert len(lrs) == 41 and np.all(lrs == 0.002)
    assert w.status.rate_label.text() == "finished"
    w.set_playing(False)  # the status says paused, a run's state too
    type_lr(qtbot, w, 1, "0.01")  # (an edit of the ended race: raced again, paused)
    w.set_playing(False)
    w.on_frame()
    assert w.status.rate_label.text() == "paused"
    assert "Adam: paused" in w.status.runs_label.text()


def test_a_race_whose_runs_all_stopped_is_over(window, qtbot):
    exp = load_preset("warmup_cosine")
    exp.problem.start = (19.0, 2.0)
    w = window(exp, autoplay=True)
    qtbot.waitUntil(lambda: w.model.over, timeout=ENGINE_MS)
    w.on_frame()
    assert w.live.step == 1 and not w.playing and not w.transport.play_button.isChecked()
    assert w.status.step_label.text() == "step 1 / 1,000"
    assert w.status.rate_label.text() == "finished" and w.status.progress.value() == 1000
    assert w.timeline.label.text() == "step 1 (live)"
    axis = w.loss_plot.getPlotItem().getAxis("bottom")
    ticks = [v for _, values in axis.tickValues(0.0, 1.0, 400) for v in values]
    assert ticks == [0.0, 1.0]  # whole steps, not 0.2, 0.4 …
    generation = w.generation
    w.set_playing(True)  # play after the end: race again
    assert w.generation == generation + 1


def test_space_plays_and_pauses_in_the_runs_list_and_after_a_click(window, qtbot):
    w = window(two_runs(steps=100_000), autoplay=False)
    qtbot.waitUntil(lambda: w.worker.ready, timeout=ENGINE_MS)
    w.activateWindow()
    generation, listing = w.generation, w.runs_panel.list
    listing.setFocus()
    qtbot.keyClick(listing, Qt.Key_Space)
    assert w.playing and w.experiment.runs[0].enabled and w.generation == generation
    qtbot.keyClick(listing, Qt.Key_Space)
    assert not w.playing
    box = w.runs_panel.editor.lookahead_box  # a click does not give a check box the keys
    qtbot.mouseClick(box, Qt.LeftButton)
    assert box.isChecked() and not box.hasFocus()
    combo = w.problem_panel.surface_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Space)
    assert w.playing and not combo.view().isVisible()
    w.set_playing(False)


def test_a_refused_rename_says_the_name_kept_until_the_next_edit(window, qtbot):
    w = window(two_runs(), autoplay=False)
    panel = w.runs_panel
    panel.list.item(0).setText("  ")
    assert panel.message.text() == "a run needs a name: it keeps the name 'Momentum'"
    assert panel.list.item(0).text() == "Momentum" and panel.message.isVisibleTo(panel)
    type_lr(qtbot, w, 0, "0.002")
    assert not panel.message.isVisibleTo(panel)


def test_a_typed_start_is_taken_as_typed_or_said_clamped(window, qtbot):
    w = window(two_runs(), autoplay=False)
    panel = w.problem_panel
    for text, value, note in (("1e9", 1e9, ""), ("-1e15", -1e12, "-1e15 is beyond ±1e+12: -1e+12 is taken")):
        panel.x_spin.setFocus()
        panel.x_spin.selectAll()
        qtbot.keyClicks(panel.x_spin, text)
        qtbot.keyClick(panel.x_spin, Qt.Key_Return)
        assert w.experiment.problem.start == (value, 2.0)
        assert panel.start_error.text() == note
