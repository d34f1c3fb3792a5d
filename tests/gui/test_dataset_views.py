"""Dataset races in the real window: the fits, the (w, b) surface, BatchNorm, the metric
plots and the dataset side of the problem panel show exactly what the engine computes."""
import numpy as np
import pytest

from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.views import view_axes
from optplayground.gui.controls.dataset_editor import DatasetEditor
from optplayground.gui.plots.batchnorm_histogram import UNITS, histogram, shared_edges
from optplayground.gui.worker import VIEW_RESOLUTION
from .waits import ENGINE_MS

CIRCLE = Problem(dataset="circle", data={"n_points": 100}, model={"hidden": "6,6"})
LINEAR = Problem(dataset="linear", data={"n_points": 50}, model={"kind": "linear"})


def race(problem, steps=30, batch_size=0):
    return Experiment(name="dataset race", problem=problem, steps=steps, runs=[
        Run("Adam", "adam", {"lr": 0.05}, batch_size=batch_size),
        Run("Momentum", "momentum", {"lr": 0.05, "momentum": 0.9}, batch_size=batch_size)])


def wait_for_views(qtbot, w, step):
    """Until every run's snapshot after `step` updates is shown."""
    qtbot.waitUntil(lambda: len(w.dataset_area.fit.views) == len(w.live)
                    and all(v.step == step for v in w.dataset_area.fit.views), timeout=ENGINE_MS)


def wait_for_end(qtbot, w):
    qtbot.waitUntil(lambda: w.live.step >= w.experiment.steps and all(
        w.live.run(i).status != "running" for i in range(len(w.live))), timeout=ENGINE_MS)
    if w.experiment.problem.is_dataset:
        wait_for_views(qtbot, w, w.experiment.steps)  # the last snapshot comes at the end
    w.on_frame()
    # The plots linked to the loss plot's steps slice to its x range, which catches up at the
    # next paint: a fast race can end in a frame or two, so let that paint happen.
    qtbot.wait(100)


def headless_grids(exp, steps):
    """Each run's predict_grid after `steps` updates, from a fresh engine (deterministic)."""
    engine = Engine(exp)
    engine.advance(steps)
    xs, ys = view_axes(engine.task, VIEW_RESOLUTION)
    return [engine.task.predict_grid(s.objective.model, xs, ys) for s in engine.runs]


def test_the_decision_maps_show_each_models_prediction_and_follow_the_steps(window, qtbot):
    exp = race(CIRCLE)
    w = window(exp, autoplay=False)
    area = w.dataset_area
    assert w.map_area.currentWidget() is area and area.currentWidget() is area.fit
    assert not area.isTabVisible(1) and not area.isTabVisible(2)  # mlp, no BatchNorm
    wait_for_views(qtbot, w, 0)
    first = [image.image.copy() for image in area.fit.images]
    for expected, shown in zip(headless_grids(exp, 0), first):
        np.testing.assert_array_equal(shown, expected)
    for _ in range(4):
        w.step_once()
    wait_for_views(qtbot, w, 4)
    for i, expected in enumerate(headless_grids(exp, 4)):
        shown = area.fit.images[i].image
        assert shown.shape == (VIEW_RESOLUTION, VIEW_RESOLUTION)
        np.testing.assert_array_equal(shown, expected)
        assert not np.array_equal(shown, first[i])  # it learned something in four steps
    # each title gives its own map's accuracy: row 4 of the history, once update 5 wrote it
    titles = area.fit.titles()
    w.step_once()
    qtbot.waitUntil(lambda: w.live.step == 5, timeout=ENGINE_MS)
    for i, title in enumerate(titles):
        accuracy = w.live.column(i, "accuracy")[4]
        assert title == f"{exp.runs[i].name}   accuracy {100 * accuracy:.1f}%"


def test_playing_sends_snapshots_until_the_end(window, qtbot):
    exp = race(CIRCLE, steps=60)
    w = window(exp)
    wait_for_end(qtbot, w)
    for i, expected in enumerate(headless_grids(exp, 60)):
        np.testing.assert_array_equal(w.dataset_area.fit.images[i].image, expected)
    accuracy = w.live.column(0, "accuracy")
    assert len(accuracy) == 61 and np.all((accuracy >= 0) & (accuracy <= 1))
    curve_x, curve_y = w.dataset_area.accuracy_plot.curves[0].getOriginalDataset()
    np.testing.assert_array_equal(curve_y, 100 * accuracy)
    train_x, train_y = w.dataset_area.metrics_plot.curves[1].getOriginalDataset()
    np.testing.assert_array_equal(train_y, w.live.column(1, "train_loss"))
    test_x, test_y = w.dataset_area.metrics_plot.test_curves[1].getOriginalDataset()
    np.testing.assert_array_equal(test_y, w.live.column(1, "test_loss"))
    assert w.dataset_area.metrics_plot.isVisible() and w.dataset_area.accuracy_plot.isVisible()


def test_the_line_fit_is_the_models_line_and_its_loss_surface_holds_the_paths(window, qtbot):
    exp = race(LINEAR, steps=25)
    w = window(exp)
    wait_for_end(qtbot, w)
    area = w.dataset_area
    assert area.isTabVisible(1) and not area.accuracy_plot.isVisible()
    # the fit: after 25 updates the model is w·x + b with (w, b) from row 25
    for i, curve in enumerate(area.fit.curves):
        weight, bias = w.live.column(i, "x")[-1], w.live.column(i, "y")[-1]
        np.testing.assert_allclose(curve.yData, weight * curve.xData + bias, rtol=0, atol=1e-12)
    # the (w, b) surface: the train loss, point by point
    data = area.task.dataset
    x, y = data.x_train[:, 0].numpy(), data.y_train.numpy()
    xs, ys, z = area.surface.grid(area.surface.bounds, 7)
    for i, j in ((0, 0), (6, 1), (2, 5), (3, 3)):
        assert z[j, i] == pytest.approx(np.mean((xs[i] * x + ys[j] - y) ** 2), rel=1e-12)
    heat = area.weight_map.heat
    i, j = 17, 120
    assert heat.loss_at(heat.image[j, i]) == pytest.approx(
        np.mean((heat.xs[i] * x + heat.ys[j] - y) ** 2), rel=1e-9)
    # the paths are the runs' (w, b) columns, starting at the initial weights
    area.setCurrentIndex(1)
    w.on_frame()
    for i in range(len(w.live)):
        path = area.weight_map._paths[i]
        np.testing.assert_array_equal(path.xData, w.live.column(i, "x"))
        np.testing.assert_array_equal(path.yData, w.live.column(i, "y"))
        assert (path.xData[0], path.yData[0]) == area.surface.start
    assert area.weight_map.start() == area.surface.start
    minimum = area.weight_map.minima.getData()
    assert (minimum[0][0], minimum[1][0]) == area.surface.minimum
    # the timeline moved back: the paths end at step 10, each fit is the line of row 10
    w.timeline.show_step(10)
    for i in range(len(w.live)):
        column_x, column_y = w.live.column(i, "x"), w.live.column(i, "y")
        np.testing.assert_array_equal(area.weight_map._paths[i].xData, column_x[:11])
        assert area.weight_map.head(i) == (column_x[10], column_y[10])
        view, curve = area.fit.views[i], area.fit.curves[i]
        assert view.step == 10 and view.train_loss == w.live.column(i, "train_loss")[10]
        np.testing.assert_allclose(curve.yData, column_x[10] * curve.xData + column_y[10],
                                   rtol=0, atol=1e-12)
    w.timeline.show_step(25)  # the end: the race as it is
    assert [view.step for view in area.fit.views] == [25, 25]
    assert area.weight_map.head(0) == (w.live.column(0, "x")[-1], w.live.column(0, "y")[-1])


def test_batchnorm_histograms_show_the_selected_runs_first_layer(window, qtbot):
    problem = Problem(dataset="circle", data={"n_points": 100},
                      model={"hidden": "6", "batchnorm": True})
    exp = race(problem, steps=10)
    w = window(exp, autoplay=False)
    area = w.dataset_area
    assert area.isTabVisible(2)
    area.setCurrentIndex(2)
    for _ in range(3):
        w.step_once()
    wait_for_views(qtbot, w, 3)
    area.batchnorm.select(1)
    engine = Engine(exp)
    engine.advance(3)
    before, after = engine.task.preactivations(engine.runs[1].objective.model)
    for curves, values in ((area.batchnorm.before_curves, before),
                           (area.batchnorm.after_curves, after)):
        edges = shared_edges(values[:, :UNITS])
        for unit, curve in enumerate(curves):
            np.testing.assert_array_equal(curve.xData, edges)
            np.testing.assert_array_equal(curve.yData, histogram(values[:, unit], edges))
            assert np.sum(curve.yData * np.diff(edges)) == pytest.approx(1.0)
    assert "step 3" in area.batchnorm.step_label.text()


def test_epochs_on_the_x_axis_take_the_first_row_of_each_epoch(window, qtbot):
    exp = race(CIRCLE, steps=24, batch_size=30)  # 80 train points: 3 updates per epoch
    w = window(exp)
    wait_for_end(qtbot, w)
    area = w.dataset_area
    assert area.epoch_action.isVisible()
    area.epoch_action.trigger()
    assert area.metrics_plot.x_axis == "epoch" == area.accuracy_plot.x_axis
    x, y = area.metrics_plot.curves[0].getOriginalDataset()
    epochs, train = w.live.column(0, "epoch"), w.live.column(0, "train_loss")
    np.testing.assert_array_equal(x, np.arange(9))
    np.testing.assert_array_equal(y, train[::3][:9])
    area.epoch_action.trigger()
    x, _ = area.metrics_plot.curves[0].getOriginalDataset()
    np.testing.assert_array_equal(x, np.arange(25))
    assert list(epochs[:7]) == [0, 0, 0, 1, 1, 1, 2]


def test_epochs_on_the_x_axis_move_the_loss_lr_and_grad_norm_plots_too(window, qtbot):
    exp = race(CIRCLE, steps=24, batch_size=30)  # 3 updates per epoch
    exp.runs[1].batch_size = 0  # full batch: one update per epoch
    w = window(exp)
    wait_for_end(qtbot, w)
    area = w.dataset_area
    area.epoch_action.trigger()
    for plot in w.step_plots:
        assert plot.x_axis == "epoch" and plot.plotItem.getAxis("bottom").labelText == "epoch"
    for i in range(len(w.live)):  # every row, at its epoch
        epochs = w.live.column(i, "epoch")
        for curve, column in ((w.lr_plot.curves[i], "lr"), (w.grad_plot.curves[i], "grad_norm"),
                              (w.loss_plot.curves[i], "loss")):
            x, y = curve.getOriginalDataset()
            np.testing.assert_array_equal(x, epochs)
            np.testing.assert_array_equal(y, w.live.column(i, column))
        status = w.live.run(i).status
        assert f"{exp.runs[i].name}: {status}, epoch {epochs[-1]:.0f}" in w.status.runs_label.text()
    assert w.live.column(0, "epoch")[-1] == 8 and w.live.column(1, "epoch")[-1] == 24
    area.epoch_action.trigger()
    x, _ = w.lr_plot.curves[0].getOriginalDataset()
    np.testing.assert_array_equal(x, w.live.column(0, "step"))
    area.epoch_action.trigger()  # a surface race has no epochs: back to steps
    w.load_experiment(xp.default_experiment())
    assert all(plot.x_axis == "step" for plot in w.step_plots)
    assert not area.epoch_action.isChecked()
    wait_for_end(qtbot, w)
    x, _ = w.lr_plot.curves[0].getOriginalDataset()
    np.testing.assert_array_equal(x, w.live.column(0, "step"))
    assert "epoch" not in w.status.runs_label.text()


def test_the_batch_size_field_restarts_the_race_with_mini_batches(window, qtbot):
    w = window(race(CIRCLE, steps=12))
    wait_for_end(qtbot, w)
    editor = w.runs_panel.editor
    assert editor.batch_box.isVisible()
    generation = w.generation
    w.runs_panel.select(0)
    editor.batch_spin.setValue(40)
    assert w.generation == generation + 1
    assert w.experiment.runs[0].batch_size == 40 and w.experiment.runs[1].batch_size == 0
    wait_for_end(qtbot, w)
    assert list(w.live.column(0, "epoch")[:4]) == [0, 0, 1, 1]  # 80 train points
    assert list(w.live.column(1, "epoch")[:4]) == [0, 1, 2, 3]


def test_switching_to_dataset_mode_and_back_restarts_each_time(window, qtbot):
    surface_race = Experiment(problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
                              runs=[Run("Adam", "adam", {"lr": 0.02})], steps=20)
    w = window(surface_race)
    wait_for_end(qtbot, w)
    panel = w.problem_panel
    generation = w.generation
    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData("dataset"))
    assert w.generation == generation + 1
    assert w.experiment.problem.dataset == "circle"
    assert w.map_area.currentWidget() is w.dataset_area
    assert w.dataset_area.metrics_plot.isVisible() and not w.grid_action.isEnabled()
    assert panel.seed_spin.isVisible() and not panel.surface_box.isVisible()
    wait_for_end(qtbot, w)
    assert "accuracy" in w.live.history.columns and w.live.run(0).status == "done"
    assert len(w.dataset_area.fit.images) == 1

    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData("surface"))
    assert w.generation == generation + 2
    assert w.experiment.problem == xp.validate(surface_race).problem
    assert w.map_area.currentWidget() is w.map
    assert not w.dataset_area.metrics_plot.isVisible()
    assert not w.dataset_area.epoch_action.isVisible() and w.grid_action.isEnabled()
    assert not w.runs_panel.editor.batch_box.isVisible()
    wait_for_end(qtbot, w)
    assert "accuracy" not in w.live.history.columns
    assert w.live.run(0).column("x")[0] == -1.5 and len(w.live.run(0).column("x")) == 21


# ---------------------------------------------------------------- the dataset editor

def test_dataset_editor_emits_validated_problems_and_refuses_bad_ones(qtbot):
    editor = DatasetEditor(Problem(dataset="circle"))
    qtbot.addWidget(editor)
    with qtbot.waitSignal(editor.problemChanged, timeout=ENGINE_MS) as signal:
        editor.dataset_combo.setCurrentIndex(editor.dataset_combo.findData("spiral"))
    problem = signal.args[0]
    assert problem.dataset == "spiral" and problem.model["hidden"] == "16,16,16"
    assert problem.data == {"n_points": 200, "noise": 0.1, "n_classes": 2, "test_fraction": 0.2}
    assert editor.loss_combo.currentText() == "default: Binary cross-entropy"

    with qtbot.waitSignal(editor.problemChanged, timeout=ENGINE_MS) as signal:  # three classes: cross-entropy
        editor.form("data").editor("n_classes").setValue(3)
    assert signal.args[0].data["n_classes"] == 3
    assert editor.loss_combo.currentText() == "default: Cross-entropy"
    assert [editor.loss_combo.itemData(i) for i in range(editor.loss_combo.count())] == [
        "", "cross_entropy", "nll"]
    assert "class_weights" in [p.name for p in editor.form("loss").params]

    hidden = editor.form("model").editor("hidden")
    with qtbot.assertNotEmitted(editor.problemChanged):
        hidden.setText("16,x")
        hidden.editingFinished.emit()
    assert "widths" in editor.form("model").error_text("hidden")
    with qtbot.waitSignal(editor.problemChanged, timeout=ENGINE_MS) as signal:
        hidden.setText("12 4")
        hidden.editingFinished.emit()
    assert signal.args[0].model["hidden"] == "12,4"

    kind = editor.form("model").editor("kind")
    with qtbot.waitSignal(editor.problemChanged, timeout=ENGINE_MS) as signal:
        kind.setCurrentIndex(kind.findData("linear"))
    assert signal.args[0].model["kind"] == "linear"
    assert not editor.form("model").field_visible("hidden")


def test_the_fit_view_keeps_snapshots_for_the_timeline_thinned_evenly(qtbot):
    from optplayground.core.training import TrainingTask
    from optplayground.core.views import RunView
    from optplayground.gui.live import RunStyle
    from optplayground.gui.plots.fit_view import MAX_KEPT, FitView

    fit = FitView()
    qtbot.addWidget(fit)
    fit.set_dataset(TrainingTask(LINEAR.dataset_problem(), 0, "cpu").dataset)
    fit.set_runs([RunStyle("SGD", "#1f77b4", "sgd", xp.Clip())])
    xs = np.linspace(-1.0, 1.0, 5)

    def snapshot(step):
        pre = (np.zeros((2, 2)), np.zeros((2, 2)))
        return RunView(0, step, xs, xs, np.full(5, float(step)), 1.0, 1.0, float("nan"), pre)

    for step in range(0, 1000, 10):
        fit.set_views([snapshot(step)])
    steps = [view.step for view in fit.kept[0].views]
    assert steps == list(range(0, 990, 20)) + [990]  # 50 + the latest: not over MAX_KEPT
    assert MAX_KEPT < 100 and fit.kept[0].spacing == 16
    assert all(view.preactivations is None for view in fit.kept[0].views)  # BatchNorm's
    fit.set_cursor(501)
    shown = fit.views[0].step
    assert shown == 500
    np.testing.assert_array_equal(fit.curves[0].yData, np.full(5, float(shown)))
    fit.set_cursor(None)
    np.testing.assert_array_equal(fit.curves[0].yData, np.full(5, 990.0))
