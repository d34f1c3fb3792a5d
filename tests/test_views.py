"""core/views.py: the snapshots the window draws of a dataset race, and the (w, b) surface."""
import numpy as np
import pytest
import torch

from optplayground.core.engine import Engine
from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.history import COL
from optplayground.core.views import (CURVE_FACTOR, MAX_UNITS, run_views, view_axes,
                                      weight_surface)

CIRCLE = Problem(dataset="circle", data={"n_points": 80}, model={"hidden": "6,5"})
LINEAR = Problem(dataset="linear", model={"kind": "linear"})


def race(problem, steps=20, **run):
    return Experiment(problem=problem, steps=steps,
                      runs=[Run("adam", "adam", {"lr": 0.05}, **run),
                            Run("sgd", "sgd", {"lr": 0.1}, **run)])


def test_snapshot_is_the_models_prediction_and_metrics_at_that_step():
    exp = race(CIRCLE)
    engine = Engine(exp)
    engine.advance(7)
    views = run_views(engine, resolution=16)
    xs, ys = view_axes(engine.task, 16)
    np.testing.assert_array_equal(xs, np.linspace(-6, 6, 16))
    for view, state in zip(views, engine.runs):
        assert view.step == 7 and view.grid.shape == (16, 16)
        np.testing.assert_array_equal(view.grid, engine.task.predict_grid(state.objective.model,
                                                                          xs, ys))
        assert view.preactivations is None
        # P(class 1) at the grid point (xs[3], ys[10]) by hand: grid[j, i] is at (xs[i], ys[j])
        point = torch.tensor([[xs[3], ys[10]]])
        with torch.no_grad():
            state.objective.model.eval()
            by_hand = torch.sigmoid(state.objective.model(point))[0, 0].item()
            state.objective.model.train()
        assert view.grid[10, 3] == pytest.approx(by_hand, abs=1e-12)
    engine.advance(1)  # row 7 is written by update 8: the snapshot's metrics are its numbers
    for view, record in zip(views, engine.history.runs):
        row = record.array()[7]
        assert (view.train_loss, view.accuracy) == (row[COL["train_loss"]], row[COL["accuracy"]])
        assert view.test_loss == row[COL["test_loss"]]
    assert not np.array_equal(views[0].grid, run_views(engine, 16)[0].grid)  # it learns


def test_a_one_dimensional_fit_is_a_curve_over_the_x_range():
    engine = Engine(race(Problem(dataset="linear", model={"hidden": "4"}), steps=3))
    view = run_views(engine, resolution=8)[1]
    assert view.xs.shape == (8 * CURVE_FACTOR,) and (view.xs[0], view.xs[-1]) == (-1.0, 1.0)
    model = engine.runs[1].objective.model
    with torch.no_grad():
        expected = model(torch.tensor(view.xs)[:, None])[:, 0].numpy()
    np.testing.assert_allclose(view.grid, expected, rtol=0, atol=1e-12)


def test_batchnorm_snapshot_holds_the_first_layers_preactivations():
    problem = Problem(dataset="circle", data={"n_points": 60},
                      model={"hidden": "20,4", "batchnorm": True})
    engine = Engine(race(problem, steps=5))
    engine.advance(2)
    view = run_views(engine, resolution=8)[0]
    before, after = engine.task.preactivations(engine.runs[0].objective.model)
    assert view.preactivations[0].shape == (48, MAX_UNITS)  # 20 units, at most 16 kept
    np.testing.assert_array_equal(view.preactivations[0], before[:, :MAX_UNITS])
    np.testing.assert_array_equal(view.preactivations[1], after[:, :MAX_UNITS])
    # normalised with the batch's statistics: each unit's mean is the BatchNorm's beta
    norm = engine.runs[0].objective.model[2]
    np.testing.assert_allclose(after.mean(axis=0), norm.bias.detach().numpy(), atol=1e-9)


def test_a_surface_race_has_no_snapshots():
    engine = Engine(Experiment(runs=[Run("a", "adam")], steps=2))
    assert run_views(engine) == []


def plain_mse(w, b, x, y):
    return float(np.mean((w * x + b - y) ** 2))


def test_weight_surface_grid_is_the_train_loss_point_by_point():
    engine = Engine(race(LINEAR, steps=30))
    engine.run_to_end()
    surface = weight_surface(engine.task)
    x = engine.task.dataset.x_train[:, 0].numpy()
    y = engine.task.dataset.y_train.numpy()
    xs, ys, z = surface.grid(None, 9)
    (x0, x1), (y0, y1) = surface.bounds
    # torch.linspace computes the upper half from the end: the same grid to the last bit or so
    assert (xs[0], xs[-1]) == (x0, x1)
    np.testing.assert_allclose(xs, np.linspace(x0, x1, 9), rtol=1e-15, atol=0)
    for i, j in ((0, 0), (3, 7), (8, 2), (5, 5)):
        assert z[j, i] == pytest.approx(plain_mse(xs[i], ys[j], x, y), rel=1e-12)
    # the start is the model's initial (w, b), and every path point lies on the surface
    record = engine.history[0].array()
    assert surface.start == (record[0, COL["x"]], record[0, COL["y"]])
    for record in engine.history.runs:
        rows = record.array()
        on_surface = surface.value(torch.tensor(rows[:, [COL["x"], COL["y"]]])).numpy()
        np.testing.assert_array_equal(on_surface, rows[:, COL["loss"]])  # full batch


def test_weight_surface_minimum_is_least_squares_and_the_box_holds_start_and_minimum():
    engine = Engine(race(LINEAR, steps=1))
    surface = weight_surface(engine.task)
    x = engine.task.dataset.x_train[:, 0].numpy()
    y = engine.task.dataset.y_train.numpy()
    w, b = surface.minimum
    residual = w * x + b - y
    assert abs(np.mean(residual * x)) < 1e-12 and abs(np.mean(residual)) < 1e-12  # normal eqs
    assert surface.minima_for({}) == ((w, b),)
    (x0, x1), (y0, y1) = surface.bounds
    for pw, pb in (surface.start, surface.minimum):
        assert x0 < pw < x1 and y0 < pb < y1


@pytest.mark.parametrize("loss", ["l1", "huber"])
def test_weight_surface_minimum_of_other_losses_is_found_numerically(loss):
    problem = Problem(dataset="linear", model={"kind": "linear"}, loss=loss,
                      loss_params={"delta": 0.1} if loss == "huber" else {})
    surface = weight_surface(Engine(race(problem, steps=1)).task)
    w, b = surface.minimum
    at = surface.value(torch.tensor([w, b])).item()
    around = surface.value(torch.tensor([[w + dw, b + db] for dw in (-1e-3, 0, 1e-3)
                                         for db in (-1e-3, 0, 1e-3)]))
    assert at <= float(around.min()) + 1e-12


def test_bigger_models_have_no_weight_surface():
    assert weight_surface(Engine(race(CIRCLE, steps=1)).task) is None
    plane = Problem(dataset="plane", model={"kind": "linear"})  # three parameters
    assert weight_surface(Engine(race(plane, steps=1)).task) is None
