"""The real main window, driven like a user: play, edit mid-run, click the map, close."""
import csv
import io

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.experiment import Clip, Experiment, Problem, Run
from optplayground.gui.main_window import MainWindow
from .waits import ENGINE_MS


def small_experiment(steps=150):
    return Experiment(
        name="test race", problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
        runs=[Run("Momentum", "momentum", {"lr": 1e-3}), Run("Adam", "adam", {"lr": 0.02}),
              Run("Clipped", "sgd", {"lr": 1e-3}, clip=Clip(mode="norm", max_norm=20.0))],
        steps=steps)


def wait_for_end(qtbot, w, timeout=ENGINE_MS):
    qtbot.waitUntil(lambda: w.live.step >= w.experiment.steps
                    and all(w.live.run(i).status != "running" for i in range(len(w.live))),
                    timeout=timeout)
    w.on_frame()
    # The plots linked to the loss plot's steps slice to its x range, which catches up at the
    # next paint: a fast race can end in a frame or two, so let that paint happen.
    qtbot.wait(100)


def test_every_plot_shows_exactly_what_the_headless_run_writes(window, qtbot):
    exp = small_experiment()
    w = window(exp)
    wait_for_end(qtbot, w)
    headless = Engine(exp).run_to_end()
    text = io.StringIO()
    headless.write_csv(text)
    table = list(csv.DictReader(io.StringIO(text.getvalue())))
    for i, run in enumerate(exp.runs):
        rows = [r for r in table if r["run"] == run.name]
        expected = {name: np.array([float(r[name]) for r in rows]) for name in
                    ("step", "x", "y", "loss", "lr", "grad_norm", "grad_norm_clipped")}
        np.testing.assert_array_equal(w.live.run(i).column("x"), expected["x"])
        loss_x, loss_y = w.loss_plot.curves[i].getOriginalDataset()
        np.testing.assert_array_equal(loss_x, expected["step"])
        np.testing.assert_array_equal(loss_y, expected["loss"])
        lr_x, lr_y = w.lr_plot.curves[i].getOriginalDataset()
        np.testing.assert_array_equal(lr_x, expected["step"])
        np.testing.assert_array_equal(lr_y, expected["lr"])
        raw, clipped, _ = w.grad_plot._items[i]
        np.testing.assert_array_equal(raw.getOriginalDataset()[0], expected["step"])
        np.testing.assert_array_equal(raw.getOriginalDataset()[1], expected["grad_norm"])
        assert clipped.isVisible() == (run.clip.mode != "none")
        if run.clip.mode != "none":
            np.testing.assert_array_equal(clipped.getOriginalDataset()[1],
                                          expected["grad_norm_clipped"])
            assert clipped.opts["pen"].style() == Qt.DashLine
        path = w.map._paths[i]
        np.testing.assert_array_equal(path.xData, expected["x"])
        np.testing.assert_array_equal(path.yData, expected["y"])
        assert w.map.head(i) == (expected["x"][-1], expected["y"][-1])
    assert all(c.opts["pen"].style() == Qt.SolidLine for c in w.grad_plot.curves)
    assert w.grad_plot.thresholds() == [None, None, pytest.approx(20.0)]
    assert "Momentum: done" in w.status.runs_label.text()
    assert w.status.step_label.text() == "step 150 / 150"
    exported = io.StringIO()
    w.live.history.write_csv(exported)
    assert exported.getvalue() == text.getvalue()


def test_changing_lr_mid_run_shows_in_the_lr_plot_at_that_step(window, qtbot):
    exp = small_experiment(steps=100)
    w = window(exp, autoplay=False)
    qtbot.waitUntil(lambda: w.worker.ready, timeout=ENGINE_MS)
    for _ in range(30):
        w.step_once()
    qtbot.waitUntil(lambda: w.live.step == 30, timeout=ENGINE_MS)
    runs = w.runs_panel.runs()
    runs[1].hyper = dict(runs[1].hyper, lr=0.005)
    w.runs_panel.set_runs(runs)
    w.model.set_runs(runs)
    w.set_playing(True)
    wait_for_end(qtbot, w)
    lrs = w.live.run(1).column("lr")
    assert np.all(lrs[:30] == 0.02) and np.all(lrs[30:] == 0.005)
    np.testing.assert_array_equal(w.lr_plot.curves[1].getOriginalDataset()[1], lrs)
    assert len(w.live.run(1).column("step")) == 101  # no restart happened


def test_editing_lr_in_the_run_editor_reaches_the_running_engine(window, qtbot):
    w = window(small_experiment(steps=100), autoplay=False)
    qtbot.waitUntil(lambda: w.worker.ready, timeout=ENGINE_MS)
    w.runs_panel.select(1)
    form = w.runs_panel.editor.hyper_form()
    editor = form.editor("lr")
    editor.setText("0.001")
    qtbot.keyClick(editor, Qt.Key_Return)
    assert w.experiment.runs[1].hyper["lr"] == 0.001
    w.step_once()
    qtbot.waitUntil(lambda: w.live.step == 1, timeout=ENGINE_MS)
    assert w.live.run(1).column("lr")[0] == 0.001


def test_clicking_the_map_moves_the_start_and_restarts(window, qtbot):
    w = window(small_experiment(steps=50))
    wait_for_end(qtbot, w)
    generation = w.generation
    vb = w.map.plotItem.vb
    scene_point = vb.mapViewToScene(QPointF(0.5, 1.5))
    pos = w.map.mapFromScene(scene_point)
    qtbot.mouseClick(w.map.viewport(), Qt.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: w.generation > generation, timeout=ENGINE_MS)
    x, y = w.experiment.problem.start
    assert abs(x - 0.5) < 0.05 and abs(y - 1.5) < 0.05
    wait_for_end(qtbot, w)
    assert w.live.run(0).column("x")[0] == x and w.live.run(0).column("y")[0] == y


def test_grid_view_shows_one_map_per_run(window, qtbot):
    w = window(small_experiment(steps=40))
    wait_for_end(qtbot, w)
    assert w.grid.maps == []  # built when first shown, not at start-up
    w.model.set_runs(w.experiment.runs)  # e.g. a colour edit: restyles what is set up
    assert w.grid.maps == []
    w.grid_action.trigger()
    assert w.map_area.currentWidget() is w.grid
    w.on_frame()
    assert len(w.grid.maps) == 3
    for i, m in enumerate(w.grid.maps):
        shown = [p for p in m._paths if p.isVisible()]
        assert len(shown) == 1
        np.testing.assert_array_equal(shown[0].xData, w.live.run(i).column("x"))
    w.grid_action.trigger()
    assert w.map_area.currentWidget() is w.map


def test_adding_and_removing_runs_restarts_with_them(window, qtbot):
    w = window(small_experiment(steps=30))
    wait_for_end(qtbot, w)
    w.runs_panel.add_run()
    qtbot.waitUntil(lambda: len(w.live) == 4, timeout=ENGINE_MS)
    wait_for_end(qtbot, w)
    assert len(w.loss_plot.curves) >= 4 and w.live.run(3).status == "done"
    w.runs_panel.select(0)
    w.runs_panel.remove_run()
    qtbot.waitUntil(lambda: len(w.live) == 3, timeout=ENGINE_MS)
    assert [s.name for s in w.live.styles][0] == "Adam"


def test_a_bad_experiment_file_keeps_the_current_one(window, qtbot, tmp_path):
    w = window(small_experiment(steps=20))
    bad = tmp_path / "bad.toml"
    bad.write_text("steps = 5\n[[runs]]\nname = 'x'\noptimizer = 'nope'\n")
    assert not w.files.open_path(str(bad))
    assert "unknown optimizer" in w.last_error
    assert w.experiment.name == "test race"
    assert [r.name for r in w.experiment.runs] == ["Momentum", "Adam", "Clipped"]


def test_save_then_open_round_trips(window, qtbot, tmp_path):
    w = window(small_experiment(steps=20))
    path = tmp_path / "race.toml"
    assert w.files.save_to(str(path))
    assert xp.load(str(path)) == xp.validate(small_experiment(steps=20))


def test_closing_during_a_run_stops_the_thread(window, qtbot):
    w = window(small_experiment(steps=10_000_000))
    qtbot.waitUntil(lambda: w.live.step > 100, timeout=ENGINE_MS)
    thread = w.worker.thread
    w.close()
    assert not thread.isRunning()


def test_settings_remember_the_experiment_and_a_corrupt_store_is_ignored(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    first = MainWindow(small_experiment(steps=25), settings=settings)
    qtbot.addWidget(first)
    first.show()
    first.close()
    second = MainWindow(None, settings=settings, autoplay=False)
    qtbot.addWidget(second)
    assert second.experiment.name == xp.default_experiment().name  # a plain launch
    assert second.reopen_action.isEnabled() and second.reopen_last()
    assert second.experiment == xp.validate(small_experiment(steps=25))
    second.close()
    settings.setValue("last_experiment", "[[[ not toml")
    settings.setValue("geometry", "garbage")
    third = MainWindow(None, settings=settings, autoplay=False)
    qtbot.addWidget(third)
    assert not third.reopen_last()
    assert third.experiment.name == xp.default_experiment().name
    third.close()


def test_editor_edits_mid_run_show_in_the_lr_and_grad_plots_at_that_step(window, qtbot):
    w = window(small_experiment(steps=80), autoplay=False)
    qtbot.waitUntil(lambda: w.worker.ready, timeout=ENGINE_MS)
    for _ in range(20):
        w.step_once()
    qtbot.waitUntil(lambda: w.live.step == 20, timeout=ENGINE_MS)
    generation = w.generation
    w.runs_panel.select(1)  # Adam: a new lr typed in the generated form
    lr = w.runs_panel.editor.hyper_form().editor("lr")
    lr.setText("0.005")
    qtbot.keyClick(lr, Qt.Key_Return)
    w.runs_panel.select(2)  # Clipped: a lower clip threshold in the clipping form
    max_norm = w.runs_panel.editor.clip_form.editor("max_norm")
    max_norm.setText("1")
    qtbot.keyClick(max_norm, Qt.Key_Return)
    for _ in range(10):
        w.step_once()
    qtbot.waitUntil(lambda: w.live.step == 30, timeout=ENGINE_MS)
    w.on_frame()
    assert w.generation == generation  # no restart
    lrs = w.lr_plot.curves[1].getOriginalDataset()[1]
    assert np.all(lrs[:20] == 0.02) and np.all(lrs[20:31] == 0.005)
    clipped = w.grad_plot._items[2][1].getOriginalDataset()[1]
    assert np.all(clipped[:20] <= 20.0) and clipped[:20].max() > 1.0
    assert np.allclose(clipped[20:31], 1.0)  # the raw norm there is far above 1
    assert w.grad_plot.thresholds()[2] == pytest.approx(1.0)


def test_a_step_limit_a_schedule_cannot_last_is_marked_and_not_applied(window, qtbot):
    from optplayground.core.schedules import Stage

    exp = small_experiment(steps=100)
    exp.runs[0].schedule = [Stage("onecycle", {"max_lr": 0.01, "pct_start": 0.5})]
    w = window(exp, autoplay=False)
    generation = w.generation
    w.transport.steps_spin.setValue(2)  # OneCycle's warm-up would get no update at all
    assert w.experiment.steps == 100 and w.generation == generation
    assert w.transport.steps_spin.property("invalid")
    assert "pct_start" in w.transport.steps_spin.toolTip()
    w.transport.steps_spin.setValue(200)
    assert w.experiment.steps == 200 and not w.transport.steps_spin.property("invalid")


def test_the_window_comes_back_where_it_was(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    first = MainWindow(small_experiment(steps=5), settings=settings, autoplay=False)
    qtbot.addWidget(first)
    first.show()
    first.resize(960, 640)
    qtbot.waitUntil(lambda: first.size().height() == 640, timeout=ENGINE_MS)
    first.close()
    second = MainWindow(None, settings=settings, autoplay=False)
    qtbot.addWidget(second)
    second.show()
    # not the first-launch size (1600x1000); the width is clamped to the offscreen screen
    # (800 px wide), so only the height can come back exactly
    assert second.height() == 640 and second.width() < 1000
    second.close()


def test_a_window_given_a_bad_experiment_races_the_last_good_one(qtbot):
    bad = small_experiment(steps=20)
    bad.runs[0].optimizer = "nosuch"  # as `optplayground bad.toml` would hand it over
    w = MainWindow(bad, settings=None, autoplay=False)
    qtbot.addWidget(w)
    assert not w.opened_given and "unknown optimizer" in w.last_error
    assert w.experiment == xp.validate(xp.default_experiment())
    assert [s.name for s in w.live.styles] == [r.name for r in w.experiment.runs]
    w.close()
    good = MainWindow(small_experiment(steps=20), settings=None, autoplay=False)
    qtbot.addWidget(good)
    assert good.opened_given and good.last_error == ""
    good.close()


def test_keys_play_step_and_reset_and_give_way_to_a_focused_input(window, qtbot):
    w = window(small_experiment(steps=500), autoplay=False)
    qtbot.waitUntil(lambda: w.worker.ready, timeout=ENGINE_MS)
    w.activateWindow()
    w.map.setFocus()
    qtbot.keyClick(w.map, Qt.Key_Right)  # → : one step
    qtbot.waitUntil(lambda: w.live.step == 1, timeout=ENGINE_MS)
    qtbot.keyClick(w.map, Qt.Key_Space)  # Space: play
    assert w.playing
    qtbot.keyClick(w.map, Qt.Key_Space)  # and pause
    assert not w.playing
    # Rows stepped before the pause still arrive: wait until the worker has stopped and
    # handed them over, then no key below may step the race.
    qtbot.waitUntil(lambda: not w.worker.racing, timeout=ENGINE_MS)
    qtbot.wait(50)
    step, slider = w.live.step, w.transport.speed_slider
    slider.setFocus()
    value = slider.value()
    qtbot.keyClick(slider, Qt.Key_Left)  # the focused slider moves; the race does not step
    assert slider.value() == value - slider.singleStep()
    qtbot.wait(50)
    assert w.live.step == step
    box = w.runs_panel.editor.lookahead_box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key_Space)  # Space ticks the focused box, does not play
    assert box.isChecked() and not w.playing
    generation = w.generation
    w.map.setFocus()
    qtbot.keyClick(w.map, Qt.Key_R)  # R: race again
    assert w.generation > generation
