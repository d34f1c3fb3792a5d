"""Dataset races through the engine and the CLI: same numbers as a plain torch loop."""
import csv
import io

import numpy as np
import pytest
import torch

from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.experiment import Clip, Experiment, Problem, Run
from optplayground.core.params import ConfigError
from optplayground.core.training import TrainingTask

LINEAR = Problem(dataset="linear", model={"kind": "linear"})


def test_linear_regression_race_equals_a_plain_loop_and_records_w_b():
    exp = Experiment(problem=LINEAR, runs=[Run("sgd", "sgd", {"lr": 0.05}),
                                           Run("adam", "adam", {"lr": 0.05})], steps=40)
    engine = Engine(exp)
    engine.run_to_end()
    cols = {n: i for i, n in enumerate(engine.history.columns)}
    task = TrainingTask(xp.validate(exp).problem.dataset_problem(), exp.seed, "cpu")
    for index, make in enumerate((lambda ps: torch.optim.SGD(ps, lr=0.05),
                                  lambda ps: torch.optim.Adam(ps, lr=0.05))):
        model = task.new_model()
        w, b = [p for p in model.parameters()]
        opt = make([w, b])
        x, y = task.dataset.x_train, task.dataset.y_train
        expected = []
        for k in range(41):
            opt.zero_grad()
            loss = torch.mean((x[:, 0] * w[0, 0] + b[0] - y) ** 2)
            loss.backward()
            expected.append([k, w.item(), b.item(), loss.item()])
            if k < 40:
                opt.step()
        got = engine.history[index].array()
        np.testing.assert_allclose(got[:, [cols["step"], cols["x"], cols["y"], cols["loss"]]],
                                   np.array(expected), atol=1e-12)
        np.testing.assert_array_equal(got[:, cols["epoch"]], np.arange(41))  # full batch
        np.testing.assert_allclose(got[:, cols["train_loss"]], got[:, cols["loss"]], atol=1e-12)
        assert np.all(np.isnan(got[:, cols["accuracy"]]))  # regression


def test_classification_with_minibatches_clipping_and_batchnorm():
    problem = Problem(dataset="circle", data={"n_points": 120},
                      model={"kind": "mlp", "hidden": "8,8", "batchnorm": True})
    exp = Experiment(problem=problem, steps=30, runs=[
        Run("adam", "adam", {"lr": 0.01}, batch_size=16, clip=Clip(mode="norm", max_norm=0.1)),
        Run("sgd", "sgd", {"lr": 0.1}, batch_size=0)])
    engine = Engine(exp)
    engine.run_to_end()
    cols = {n: i for i, n in enumerate(engine.history.columns)}
    adam, sgd = engine.history[0].array(), engine.history[1].array()
    assert engine.history[0].status == "done" and len(adam) == 31
    assert np.all(np.isnan(adam[:, cols["x"]]))  # not a two-parameter model
    assert adam[-1, cols["epoch"]] == 30 // 6  # 96 train points in batches of 16
    assert np.all(adam[:, cols["grad_norm_clipped"]] <= 0.1 + 1e-12)
    assert np.all((0 <= adam[:, cols["accuracy"]]) & (adam[:, cols["accuracy"]] <= 1))
    assert adam[0, cols["train_loss"]] == sgd[0, cols["train_loss"]]  # same initial weights


def test_dataset_csv_has_the_extra_columns_empty_where_they_do_not_apply():
    exp = Experiment(problem=LINEAR, runs=[Run("sgd", "sgd", {"lr": 0.05})], steps=3)
    text = io.StringIO()
    Engine(exp).run_to_end().write_csv(text)
    rows = list(csv.DictReader(io.StringIO(text.getvalue())))
    assert list(rows[0]) == ["run", "optimizer", "step", "x", "y", "loss", "lr", "grad_norm",
                             "grad_norm_clipped", "epoch", "train_loss", "test_loss", "accuracy",
                             "status"]
    assert rows[0]["epoch"] == "0" and rows[0]["accuracy"] == "" and rows[0]["test_loss"] == ""


def test_dataset_experiments_round_trip_through_toml():
    exp = Experiment(problem=Problem(dataset="spiral", data={"noise": 0.1},
                                     model={"kind": "mlp", "hidden": "16,16", "activation": "relu"},
                                     loss="cross_entropy", loss_params={"label_smoothing": 0.1}),
                     runs=[Run("a", "adam", batch_size=32)], steps=10)
    assert xp.loads(xp.dumps(exp)) == exp
    checked = xp.validate(exp)
    assert xp.loads(xp.dumps(checked)) == checked


@pytest.mark.parametrize("edit, field", [
    (lambda e: setattr(e.problem, "dataset", "nope"), "problem.dataset"),
    (lambda e: e.problem.model.update(hidden="16,x"), "problem.model.hidden"),
    (lambda e: setattr(e.problem, "loss", "cross_entropy"), "problem.loss"),
    (lambda e: setattr(e.runs[0], "batch_size", -1), "runs[0].batch_size"),
])
def test_bad_dataset_settings_name_the_field(edit, field):
    exp = Experiment(problem=Problem(dataset="linear", model={"kind": "mlp"}), runs=[Run("a", "adam")])
    edit(exp)
    with pytest.raises(ConfigError) as info:
        Engine(exp)
    assert info.value.field.startswith(field), info.value


@pytest.mark.parametrize("data, watched", [
    ({"n_points": 60, "noise": 0.5, "test_fraction": 0.5}, "test_loss"),
    ({"n_points": 60, "noise": 0.5, "test_fraction": 0.0}, "train_loss"),  # no test split
])
def test_plateau_watches_the_test_loss_like_a_validation_loss(data, watched):
    from optplayground.core.schedules import Stage

    problem = Problem(dataset="circle", data=data, model={"kind": "mlp", "hidden": "32,32"})
    plateau = {"patience": 3, "factor": 0.5}
    exp = Experiment(problem=problem, steps=80, runs=[
        Run("adam", "adam", {"lr": 0.05}, schedule=[Stage("plateau", plateau)])])
    engine = Engine(exp)
    engine.run_to_end()
    cols = {n: i for i, n in enumerate(engine.history.columns)}
    rows = engine.history[0].array()
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **plateau)
    expected = [0.05]
    for value in rows[:-1, cols[watched]]:
        sched.step(value)
        expected.append(opt.param_groups[0]["lr"])
    assert rows[:, cols["lr"]].tolist() == expected
    assert min(expected) < 0.05 / 4  # the watched loss stalled: several reductions happened
