"""Watching a race (issue 18): the pace, the timeline, the readouts, the status at the end."""
import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.gui.controls.transport import (DEFAULT_SPEED, remember_speed,
                                                  remembered_speed)
from optplayground.gui.headless import race_over, wait_until
from optplayground.gui.main_window import MainWindow
from optplayground.gui.plots.step_cursor import format_value, value_at
from optplayground.gui.plots.trajectory_map import DIMMED_OPACITY

ENGINE_S = 120


def race(steps=40):
    return Experiment(name="watch race", problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
                      runs=[Run("Momentum", "momentum", {"lr": 1e-3}), Run("Adam", "adam", {"lr": 0.02})],
                      steps=steps)


def test_the_speed_is_remembered_and_a_stranger_value_falls_back(tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    assert remembered_speed(settings) == DEFAULT_SPEED == 160.0
    remember_speed(settings, None)
    assert remembered_speed(settings) is None
    remember_speed(settings, 30.0)
    assert remembered_speed(settings) == 32.0  # the slider's nearest notch
    for junk in ("nan", "-5", "1e999", "fast"):
        settings.setValue("speed", junk)
        assert remembered_speed(settings) == DEFAULT_SPEED


def test_value_at_reads_the_last_row_at_or_before_the_step():
    steps, values = np.array([0.0, 1, 2, 5]), np.array([4.0, 3, 2, 1])
    assert value_at(steps, values, 0) == 4.0 and value_at(steps, values, 4) == 2.0
    assert value_at(steps, values, 9) == 1.0 and value_at(steps, values, -1) is None
    assert format_value(None) == "—" and format_value(0.000123456) == "0.0001235"


@pytest.fixture(scope="module")
def raced(qapp, tmp_path_factory):
    """One window for the module: a person's window (settings), raced to its end at max."""
    settings = QSettings(str(tmp_path_factory.mktemp("s") / "s.ini"), QSettings.IniFormat)
    w = MainWindow(race(), settings=settings)
    assert w.transport.speed() == DEFAULT_SPEED  # a person's first launch: a pace to follow
    w.set_speed(None)
    w.resize(1400, 900)
    w.show()
    yield w, settings
    w.close()


def wait_done(w):
    """(No qtbot here: the module's one window outlives each test's leak check.)"""
    wait_until(lambda: race_over(w) and not w.playing, ENGINE_S)
    w.on_frame()


def test_the_slider_s_speed_is_saved(raced):
    w, settings = raced
    w.transport.speed_slider.setValue(20)  # 100 steps/s
    assert settings.value("speed") == "100.0"


def test_the_end_of_a_race_says_finished_with_full_progress(raced):
    w, _ = raced
    wait_done(w)
    assert w.status.rate_label.text() == "finished"
    assert w.status.progress.value() == 1000
    assert w.timeline.slider.maximum() == 40 and w.timeline.cursor is None


def test_scrubbing_puts_the_map_and_every_plot_at_that_step(raced):
    w, _ = raced
    wait_done(w)
    w.timeline.show_step(10)
    assert w.timeline.cursor == 10 and not w.playing
    for i in range(2):
        row = int(np.searchsorted(w.live.column(i, "step"), 10))
        assert w.map.head(i) == (w.live.column(i, "x")[row], w.live.column(i, "y")[row])
    values = [v for _name, _color, v in w.loss_plot.cursor.values(w.live, 10)]
    assert values == [w.live.column(i, "loss")[10] for i in range(2)]
    assert w.lr_plot.cursor.line.isVisible() and w.lr_plot.cursor.line.value() == 10
    w.timeline.show_step(40)  # back at the end: the race as it is
    assert w.timeline.cursor is None and not w.grad_plot.cursor.line.isVisible()
    assert w.map.head(0) == (w.live.column(0, "x")[-1], w.live.column(0, "y")[-1])


def test_the_grid_opened_after_a_scrub_shows_the_timeline_s_step(raced):
    w, _ = raced
    wait_done(w)
    w.timeline.show_step(10)
    w.set_grid_view(True)  # its maps are built now, after the timeline moved
    w.on_frame()
    try:
        for i, view in enumerate(w.grid.maps):
            row = int(np.searchsorted(w.live.column(i, "step"), 10))
            assert view.head(i) == (w.live.column(i, "x")[row], w.live.column(i, "y")[row])
    finally:
        w.set_grid_view(False)
        w.timeline.show_step(40)


def test_a_surface_unbounded_below_is_drawn_on_a_symmetric_log_scale():
    from optplayground.core.surfaces import get_surface
    from optplayground.gui.plots.heat import compute_heat
    from optplayground.gui.plots.loss_plot import symlog_ticks

    saddle = get_surface("saddle")  # x² − y² on [−2, 2]²: from −4 to 4
    heat = compute_heat(saddle, {}, saddle.bounds, 41)
    _xs, _ys, z = saddle.grid(saddle.bounds, 41, {})
    assert heat.symlog == 0.01  # a decade a hundredth of the largest |f|
    np.testing.assert_allclose(heat.image, np.sign(z) * np.log10(1 + np.abs(z) / 0.01))
    assert [t for _, t in heat.ticks()] == ["−1", "−0.1", "−0.01", "0", "0.01", "0.1", "1"]
    assert heat.loss_at(heat.position_of(-3.0)) == pytest.approx(-3.0)
    assert [t for _, t in symlog_ticks(-6.5, 3.0, 0.01)] == ["−10000", "−100", "−1", "0", "1"]


def test_an_escaped_run_is_marked_where_it_left_the_map():
    from optplayground.gui.plots.map_marks import exit_point

    box = ((-1.0, 1.0), (-1.0, 1.0))
    x, y = np.array([0.0, 0.5, 0.9, 1.5, 3.0]), np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    assert exit_point(x, y, box, diverged=True) == (0.9, 0.2)
    assert exit_point(x[:3], y[:3], box, diverged=False) is None
    assert exit_point(x[:3], y[:3], box, diverged=True) == (0.9, 0.2)  # diverged inside


def test_return_and_escape_give_the_keys_back_to_the_window(raced, qapp):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QPushButton

    w, _ = raced
    w.activateWindow()
    steps = w.transport.steps_spin
    steps.setFocus()
    qapp.processEvents()
    assert steps.hasFocus()
    QTest.keyClick(steps, Qt.Key_Escape)
    assert not steps.hasFocus()
    lr = w.runs_panel.editor.hyper_form().editor("lr")
    lr.setFocus()
    qapp.processEvents()
    QTest.keyClick(lr, Qt.Key_Return)
    qapp.processEvents()
    assert not lr.hasFocus()  # the next G is the grid, not a "g" in the field
    buttons = w.findChildren(QPushButton)
    assert buttons and all(b.focusPolicy() == Qt.FocusPolicy.TabFocus for b in buttons
                           if b.isVisible())


def test_the_header_follows_the_problem_and_edits_are_not_dropped_unasked(raced, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from optplayground.gui import headline

    w, _ = raced
    assert w.files.edits_may_go()  # as opened: nothing to lose, nothing asked
    asked = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text())
                        or QMessageBox.Cancel)
    w.model.set_steps(41)  # an edit
    assert not w.files.edits_may_go() and "not saved" in asked[0]
    assert "watch race" in w.about_label.text()  # still the experiment's problem
    saddle = w.experiment.problem.__class__(surface="saddle", start=(1.0, 0.0))
    w.model.set_problem(saddle)
    assert "Your race: Saddle" in w.about_label.text() and "Saddle" in w.windowTitle()
    assert w.loss_plot.symlog and not w.log_loss_action.isEnabled()
    assert headline.same_problem_kind(w.experiment.problem, saddle)
    w.mark_saved()
    assert w.files.edits_may_go() and len(asked) == 1


def test_a_race_saved_after_another_problem_was_chosen_keeps_the_name_it_shows(raced, tmp_path):
    from optplayground.core import experiment as xp

    w, _ = raced
    w.model.set_problem(w.experiment.problem.__class__(surface="booth", start=(1.0, 0.0)))
    shown = w.about_label.text()
    assert "Your race: Booth" in shown and w.experiment.name == "watch race"
    path = tmp_path / "mine.toml"
    assert w.files.save_to(str(path))
    saved = xp.load(str(path))
    assert saved.name == "Your race: Booth" and saved.description == ""
    assert w.about_label.text() == shown  # the header says what it said
    w.model.set_steps(39)  # an edit after saving is unsaved (it was not: what was saved
    assert w.experiment != w.saved  # was the model's experiment itself, edited in place)


def test_a_typed_value_moves_the_knob_not_the_slider_s_span(raced):
    w, _ = raced
    w.runs_panel.select(1)  # Adam, lr 0.02: its slider spans 2e-4 … 2
    form = w.runs_panel.editor.hyper_form()
    field = form._fields["lr"]
    span = (field.scale.lo, field.scale.hi)
    assert span == pytest.approx((2e-4, 2.0))
    form.editor("lr").setText("0.5")
    form.editor("lr").editingFinished.emit()
    assert (field.scale.lo, field.scale.hi) == span
    assert field.slider.value() == field.scale.position_of(0.5)
    form.editor("lr").setText("50")  # beyond the span: it re-centres there
    form.editor("lr").editingFinished.emit()
    assert field.scale.hi > 50


def test_help_lists_every_key_of_the_window(raced):
    from optplayground.gui.about import shortcut_rows

    w, _ = raced
    rows = dict(shortcut_rows(w))
    assert rows["Space"] == "Play / Pause" and rows["G"] == "Side by side (grid)"
    assert rows["E"] == "Equal axes on the map (1:1)" and rows["F1"] == "Keyboard Shortcuts"
    assert "Escape" in rows and "Ctrl+O" in rows
    assert rows["Ctrl+Shift+C"] == "Copy the dashboard to the clipboard"  # not "Dashboard"


def test_the_results_table_reads_each_run_and_exports_it(raced, tmp_path):
    import math

    from optplayground.core.results import COLUMNS

    w, _ = raced
    assert w.load_experiment(race())  # back on Rosenbrock, minimum (1, 1)
    wait_done(w)
    w.results.refresh(w.live, force=True)
    for i, row in enumerate(w.results.rows):
        loss, x, y = (w.live.column(i, c) for c in ("loss", "x", "y"))
        assert (row.run, row.status, row.step) == (w.live.styles[i].name, w.live.run(i).status,
                                                   int(w.live.column(i, "step")[-1]))
        assert row.final_loss == loss[-1] and row.best_loss == loss.min()
        assert row.distance_to_minimum == math.hypot(x[-1] - 1.0, y[-1] - 1.0)  # Rosenbrock
    table = w.results.table
    assert table.rowCount() == len(w.live.styles) and table.isSortingEnabled()
    table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # by best loss
    bests = [float(table.item(r, 3).key) for r in range(table.rowCount())]
    assert bests == sorted(bests)
    path = tmp_path / "results.csv"
    w.results.export(str(path))
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS) and len(lines) == 1 + len(w.live.styles)
    assert lines[1].split(",")[5] == repr(w.results.rows[0].best_loss)


def test_the_selected_run_stands_out_and_the_others_are_dimmed(raced):
    w, _ = raced
    paths = w.map._paths
    w.runs_panel.list.setCurrentRow(1)
    assert [p.opacity() for p in paths] == [DIMMED_OPACITY, 1.0]
    assert paths[1].zValue() > paths[0].zValue()
    w.runs_panel.list.setCurrentRow(0)
    assert [p.opacity() for p in paths] == [1.0, DIMMED_OPACITY]
    w.map.select(None)  # no selection: every run alike
    assert [p.opacity() for p in paths] == [1.0, 1.0]
