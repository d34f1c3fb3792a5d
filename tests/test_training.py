"""TrainingTask against plain torch training loops: same losses, weights and predictions."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from optplayground.core.models import FEATURES, two_parameters
from optplayground.core.params import ConfigError
from optplayground.core.training import (DatasetProblem, Sampler, TrainingTask,
                                         validate_dataset_problem)

TOL = dict(rtol=0, atol=1e-12)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-12)


def copy_weights(hand: nn.Module, model: nn.Module) -> nn.Module:
    """Load `model`'s parameters and buffers into the hand-built twin, in order."""
    ours = list(model.state_dict().values())
    names = list(hand.state_dict())
    assert [t.shape for t in hand.state_dict().values()] == [t.shape for t in ours]
    hand.load_state_dict(dict(zip(names, (t.clone() for t in ours))))
    return hand


def race(task, model, optimizer, hand, hand_optimizer, hand_loss, batch_size, steps):
    """Step our model with task.batch_loss and the hand model with the plain loop on the same
    batches; return both loss sequences."""
    sampler = task.new_sampler(batch_size, seed=7)
    x, y = task.dataset.x_train, task.dataset.y_train
    ours, theirs = [], []
    for _ in range(steps):
        indices, _, _ = sampler.next()
        optimizer.zero_grad()
        loss = task.batch_loss(model, indices)
        loss.backward()
        optimizer.step()
        ours.append(loss.item())

        hand.train()
        hand_optimizer.zero_grad()
        loss = hand_loss(hand(x[indices]), y[indices])
        loss.backward()
        hand_optimizer.step()
        theirs.append(loss.item())
    return np.array(ours), np.array(theirs)


def assert_same_state(model, hand):
    for a, b in zip(model.state_dict().values(), hand.state_dict().values()):
        torch.testing.assert_close(a, b, **TOL)


# --- the three races ---------------------------------------------------------------

def test_linear_regression_full_batch_sgd_equals_plain_loop_and_closed_form_gradient():
    task = TrainingTask(DatasetProblem("linear"), seed=0, device="cpu")
    model = task.new_model()
    w, b = two_parameters(model)
    hand = copy_weights(nn.Linear(1, 1).double(), model)
    x, y = task.dataset.x_train[:, 0], task.dataset.y_train
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hand_opt = torch.optim.SGD(hand.parameters(), lr=0.1)
    sampler = task.new_sampler(0, seed=0)
    for step in range(40):
        indices, epoch, new_epoch = sampler.next()
        assert torch.equal(indices, torch.arange(100)) and (epoch, new_epoch) == (step, True)
        w0, b0 = w.item(), b.item()
        opt.zero_grad()
        loss = task.batch_loss(model, indices)
        loss.backward()
        # MSE = mean((w·x + b − y)²): ∂/∂w = 2·mean(e·x), ∂/∂b = 2·mean(e)
        e = w0 * x + b0 - y
        assert close(w.grad.item(), 2 * (e * x).mean().item())
        assert close(b.grad.item(), 2 * e.mean().item())
        assert close(loss.item(), (e * e).mean().item())
        opt.step()
        assert close(w.item(), w0 - 0.1 * 2 * (e * x).mean().item())

        hand_opt.zero_grad()
        hand_loss = nn.MSELoss()(hand(task.dataset.x_train).squeeze(1), y)
        hand_loss.backward()
        hand_opt.step()
        assert close(loss.item(), hand_loss.item())
    assert_same_state(model, hand)
    slope, intercept = np.polyfit(x.numpy(), y.numpy(), 1)
    assert abs(w.item() - slope) < 0.05 and abs(b.item() - intercept) < 0.01  # it learned the line
    train_loss, test_loss, accuracy = task.evaluate(model)
    assert close(train_loss, nn.MSELoss()(hand(task.dataset.x_train).squeeze(1), y).item())
    assert math.isnan(test_loss) and math.isnan(accuracy)


def circle_bn_task():
    problem = DatasetProblem("circle", {"n_points": 100, "noise": 0.1},
                             {"hidden": "8,6", "activation": "relu", "batchnorm": True})
    return TrainingTask(problem, seed=3, device="cpu")


def circle_hand_model():
    return nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(),
                         nn.Linear(8, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 1)).double()


def test_mlp_with_batchnorm_on_circle_adam_minibatches_equals_plain_loop():
    task = circle_bn_task()
    assert (task.dataset.n_train, task.loss_name) == (80, "bce_with_logits")
    model = task.new_model()
    hand = copy_weights(circle_hand_model(), model)
    bce = nn.BCEWithLogitsLoss()
    ours, theirs = race(task, model, torch.optim.Adam(model.parameters(), lr=0.01),
                        hand, torch.optim.Adam(hand.parameters(), lr=0.01),
                        lambda out, y: bce(out.squeeze(1), y.double()), batch_size=16, steps=12)
    np.testing.assert_allclose(ours, theirs, **TOL)
    assert_same_state(model, hand)  # weights and BatchNorm running statistics
    # evaluation uses the running statistics (eval mode), and restores train mode
    model.train()
    train_loss, test_loss, accuracy = task.evaluate(model)
    assert model.training
    hand.eval()
    with torch.no_grad():
        d = task.dataset
        assert close(train_loss, bce(hand(d.x_train).squeeze(1), d.y_train.double()).item())
        test_out = hand(d.x_test).squeeze(1)
        assert close(test_loss, bce(test_out, d.y_test.double()).item())
        assert accuracy == ((test_out > 0).long() == d.y_test).double().mean().item()


def hand_features(u):
    x, y = u[:, 0], u[:, 1]
    return torch.stack((x, y, x * x, y * y, x * y, torch.sin(x), torch.sin(y)), dim=1)


class HandFeatures(nn.Module):
    def forward(self, u):
        return hand_features(u)


def test_cross_entropy_with_label_smoothing_class_weights_and_features_equals_plain_loop():
    problem = DatasetProblem("spiral", {"n_points": 60, "n_classes": 3},
                             {"hidden": "8", "activation": "gelu",
                              "features": "x2,y2,xy,sinx,siny"},
                             loss="cross_entropy",
                             loss_params={"label_smoothing": 0.1, "class_weights": "1,2,0.5"})
    task = TrainingTask(problem, seed=1, device="cpu")
    model = task.new_model()
    hand = copy_weights(nn.Sequential(HandFeatures(), nn.Linear(7, 8), nn.GELU(),
                                      nn.Linear(8, 3)).double(), model)
    ce = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64),
                             label_smoothing=0.1)

    sgd = dict(lr=0.05, momentum=0.9, nesterov=True)
    ours, theirs = race(task, model, torch.optim.SGD(model.parameters(), **sgd),
                        hand, torch.optim.SGD(hand.parameters(), **sgd),
                        ce, batch_size=10, steps=11)  # 48 train points: 10,10,10,10,8, …
    np.testing.assert_allclose(ours, theirs, **TOL)
    assert_same_state(model, hand)
    d = task.dataset
    with torch.no_grad():
        train_out, test_out = hand(d.x_train), hand(d.x_test)
    train_loss, test_loss, accuracy = task.evaluate(model)
    assert close(train_loss, ce(train_out, d.y_train).item())
    assert close(test_loss, ce(test_out, d.y_test).item())
    assert accuracy == (test_out.argmax(1) == d.y_test).double().mean().item()


def test_features_module_computes_the_documented_columns():
    u = torch.tensor([[0.5, -2.0], [1.5, 3.0]], dtype=torch.float64)
    task = TrainingTask(DatasetProblem("xor", {"n_points": 8},
                                       {"features": "x², y^2, x*y, sin(x), sin y"}), seed=0)
    features = task.new_model()[0]
    assert features.names == ("x2", "y2", "xy", "sinx", "siny") == tuple(FEATURES)
    torch.testing.assert_close(features(u), hand_features(u), **TOL)


# --- predictions on a grid and BatchNorm histograms ---------------------------------------

def trained_circle():
    task = circle_bn_task()
    model = task.new_model()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    sampler = task.new_sampler(16, seed=0)
    for _ in range(10):
        opt.zero_grad()
        task.batch_loss(model, sampler.next()[0]).backward()
        opt.step()
    return task, model


def test_decision_boundary_equals_the_models_eval_predictions_point_by_point():
    task, model = trained_circle()
    xs, ys = np.linspace(-6, 6, 7), np.linspace(-5, 4, 5)
    grid = task.predict_grid(model, xs, ys)
    assert grid.shape == (5, 7) and grid.dtype == np.float64 and model.training
    model.eval()
    with torch.no_grad():
        for j, y in enumerate(ys):
            for i, x in enumerate(xs):
                logit = model(torch.tensor([[x, y]], dtype=torch.float64))
                assert close(grid[j, i], torch.sigmoid(logit).item())


def test_grid_shows_the_argmax_class_for_three_classes_and_the_line_for_linear():
    task = TrainingTask(DatasetProblem("gaussians", {"n_points": 30, "n_classes": 3}), seed=0)
    model = task.new_model()
    xs, ys = np.array([-3.0, 0.0, 3.0]), np.array([-1.0, 2.0])
    points = torch.tensor([[x, y] for y in ys for x in xs], dtype=torch.float64)
    with torch.no_grad():
        expected = model(points).argmax(1).reshape(2, 3).double().numpy()
    np.testing.assert_array_equal(task.predict_grid(model, xs, ys), expected)

    line = TrainingTask(DatasetProblem("linear"), seed=0)
    fit = line.new_model()
    w, b = two_parameters(fit)
    xs = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(line.predict_grid(fit, xs, None), w.item() * xs + b.item(), **TOL)


def test_preactivations_before_and_after_batchnorm_use_batch_statistics_and_touch_nothing():
    task, model = trained_circle()
    before_state = {k: v.clone() for k, v in model.state_dict().items()}
    model.eval()
    before, after = task.preactivations(model)
    assert not model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before_state[k]), k
    linear, norm = model[1], model[2]
    with torch.no_grad():
        h = linear(task.dataset.x_train)
        normed = (h - h.mean(0)) / torch.sqrt(h.var(0, unbiased=False) + norm.eps)
        normed = normed * norm.weight + norm.bias
    np.testing.assert_allclose(before, h.numpy(), **TOL)
    np.testing.assert_allclose(after, normed.numpy(), **TOL)
    second = task.preactivations(model, layer=1)
    assert second[0].shape == (80, 6)
    assert task.preactivations(model, layer=2) is None
    plain = TrainingTask(DatasetProblem("circle", {"n_points": 20}), seed=0)
    assert plain.preactivations(plain.new_model()) is None


# --- sampler ---------------------------------------------------------------------------------

def test_full_batch_sampler_gives_every_index_each_step_and_one_epoch_per_step():
    sampler = Sampler(10, 0, seed=0)
    for step in range(4):
        indices, epoch, new_epoch = sampler.next()
        assert torch.equal(indices, torch.arange(10)) and epoch == step and new_epoch
    assert Sampler(10, 10, seed=0).full_batch and Sampler(10, 50, seed=0).steps_per_epoch == 1


def test_minibatches_of_16_on_100_points_cover_every_index_once_per_epoch():
    sampler = Sampler(100, 16, seed=11)
    assert sampler.steps_per_epoch == 7
    replay = torch.Generator().manual_seed(11)  # the documented seed scheme
    for epoch in range(3):
        batches = [sampler.next() for _ in range(7)]
        assert [len(b[0]) for b in batches] == [16] * 6 + [4]
        assert [b[1] for b in batches] == [epoch] * 7
        assert [b[2] for b in batches] == [True] + [False] * 6
        order = torch.cat([b[0] for b in batches])
        assert sorted(order.tolist()) == list(range(100))
        assert torch.equal(order, torch.randperm(100, generator=replay))
    assert sampler.next()[1:] == (3, True)


def test_batch_size_one_takes_a_hundred_steps_per_epoch():
    sampler = Sampler(100, 1, seed=0)
    epochs = [sampler.next()[1] for _ in range(201)]
    assert epochs == [0] * 100 + [1] * 100 + [2]


def test_same_seed_same_batches_other_seed_other_batches():
    a, b, c = Sampler(30, 4, seed=1), Sampler(30, 4, seed=1), Sampler(30, 4, seed=2)
    first = [a.next()[0] for _ in range(8)]
    assert all(torch.equal(x, b.next()[0]) for x in first)
    assert not all(torch.equal(x, c.next()[0]) for x in first)


# --- models ------------------------------------------------------------------------------

def test_new_model_is_identical_every_time_and_leaves_the_global_rng_alone():
    task = TrainingTask(DatasetProblem("moons", {"n_points": 20}, {"hidden": "5,4"}), seed=9)
    state = torch.random.get_rng_state()
    one, two = task.new_model(), task.new_model()
    assert torch.equal(torch.random.get_rng_state(), state)
    for a, b in zip(one.parameters(), two.parameters()):
        assert torch.equal(a, b) and a.dtype == torch.float64
    other = TrainingTask(task.problem, seed=10).new_model()
    assert not torch.equal(next(one.parameters()), next(other.parameters()))


def test_two_parameters_only_for_a_line_fit():
    line = TrainingTask(DatasetProblem("linear"), seed=0).new_model()
    w, b = two_parameters(line)
    assert w is line[1].weight and b is line[1].bias
    mlp = TrainingTask(DatasetProblem("linear", model={"kind": "mlp"}), 0).new_model()
    assert two_parameters(mlp) is None
    squares = TrainingTask(DatasetProblem("linear", model={"features": "x2"}), 0).new_model()
    assert two_parameters(squares) is None


def test_output_width_follows_the_loss():
    binary = TrainingTask(DatasetProblem("moons", {"n_points": 20}), 0).new_model()
    two_logits = TrainingTask(DatasetProblem("moons", {"n_points": 20}, loss="cross_entropy"), 0)
    assert binary[-1].out_features == 1 and two_logits.new_model()[-1].out_features == 2


@pytest.mark.parametrize("loss, params, formula", [
    ("mse", {}, lambda e: (e * e).mean()),
    ("l1", {}, lambda e: e.abs().mean()),
    ("huber", {"delta": 0.5}, lambda e: torch.where(e.abs() <= 0.5, 0.5 * e * e,
                                                     0.5 * (e.abs() - 0.25)).mean()),
])
def test_regression_losses_follow_their_formulas(loss, params, formula):
    task = TrainingTask(DatasetProblem("plane", {"n_points": 20}, loss=loss, loss_params=params), 0)
    model = task.new_model()
    with torch.no_grad():
        error = model(task.dataset.x_train).squeeze(1) - task.dataset.y_train
    assert close(task.evaluate(model)[0], formula(error).item())


def test_bce_pos_weight_weighs_class_one():
    problem = DatasetProblem("circle", {"n_points": 20}, loss_params={"pos_weight": 3.0})
    task = TrainingTask(problem, 0)
    model = task.new_model()
    with torch.no_grad():
        out, y = model(task.dataset.x_train).squeeze(1), task.dataset.y_train.double()
    log_sigmoid = nn.functional.logsigmoid
    expected = -(3 * y * log_sigmoid(out) + (1 - y) * log_sigmoid(-out)).mean()
    assert close(task.evaluate(model)[0], expected.item())


# --- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("problem, field", [
    (DatasetProblem("circle", model={"hidden": "16,x"}), "problem.model.hidden"),
    (DatasetProblem("circle", model={"hidden": "16,²"}), "problem.model.hidden"),
    (DatasetProblem("circle", model={"hidden": "1,1,1,1,1,1,1"}), "problem.model.hidden"),
    (DatasetProblem("circle", model={"hidden": "600"}), "problem.model.hidden"),
    (DatasetProblem("circle", model={"hidden": ""}), "problem.model.hidden"),
    (DatasetProblem("circle", model={"features": "x2,cosx"}), "problem.model.features"),
    (DatasetProblem("circle", model={"features": "x2,x²"}), "problem.model.features"),
    (DatasetProblem("linear", model={"features": "xy"}), "problem.model.features"),
    (DatasetProblem("circle", model={"activation": "swish"}), "problem.model.activation"),
    (DatasetProblem("linear", loss="cross_entropy"), "problem.loss"),
    (DatasetProblem("circle", loss="mse"), "problem.loss"),
    (DatasetProblem("circle", loss="hinge"), "problem.loss"),
    (DatasetProblem("spiral", {"n_classes": 3}, loss="bce_with_logits"), "problem.loss"),
    (DatasetProblem("spiral", loss="cross_entropy", loss_params={"class_weights": "1,2,3"}),
     "problem.loss_params.class_weights"),
    (DatasetProblem("spiral", loss="cross_entropy", loss_params={"class_weights": "1,-2"}),
     "problem.loss_params.class_weights"),
    (DatasetProblem("circle", loss_params={"pos_weight": 0}), "problem.loss_params.pos_weight"),
    (DatasetProblem("linear", {"test_fraction": 1.0}), "problem.data.test_fraction"),
    (DatasetProblem("linear", model=[1]), "problem.model"),
    (DatasetProblem("iris"), "problem.dataset"),
])
def test_validation_errors_name_the_field(problem, field):
    with pytest.raises(ConfigError) as error:
        validate_dataset_problem(problem)
    assert error.value.field == field


def test_validation_fills_defaults_that_suit_the_dataset_and_keeps_an_empty_loss():
    p = validate_dataset_problem(DatasetProblem("linear", loss="", model={"hidden": " 4 , 3"}))
    assert p.model == {"kind": "linear", "hidden": "4,3", "activation": "tanh",
                       "batchnorm": False, "features": "", "dropout": 0.0}
    assert p.data == {"n_points": 100, "noise": 0.2, "test_fraction": 0.0, "slope": 2.0,
                      "intercept": 1.0}
    assert p.loss == "" and p.loss_params == {}
    weighted = validate_dataset_problem(DatasetProblem(
        "circle", loss="cross_entropy", loss_params={"class_weights": "1, 2"}))
    assert weighted.loss_params == {"label_smoothing": 0.0, "class_weights": "1.0,2.0"}


def test_batchnorm_rejects_batch_sizes_that_leave_a_single_point():
    task = circle_bn_task()  # 80 training points
    for size in (1, 79):  # 79 leaves a last batch of one
        with pytest.raises(ConfigError) as error:
            task.new_sampler(size, seed=0)
        assert error.value.field == "batch_size"
    with pytest.raises(ConfigError):
        task.validate_batch_size(-1, "runs[0].batch_size")
    assert task.validate_batch_size(78) == 78 and task.validate_batch_size(0) == 0


@pytest.mark.parametrize("beta", [1.0, 0.3, 2.5])
def test_smooth_l1_equals_torchs_smooth_l1_loss_and_huber_only_at_one(beta):
    def train_loss(loss, params):
        problem = DatasetProblem("plane", {"n_points": 20, "noise": 0.5}, loss=loss,
                                 loss_params=params)
        task = TrainingTask(validate_dataset_problem(problem), 0)
        return task, task.evaluate(task.new_model())[0]

    task, ours = train_loss("smooth_l1", {"beta": beta})
    with torch.no_grad():
        out = task.new_model()(task.dataset.x_train).squeeze(1)
    expected = nn.SmoothL1Loss(beta=beta)(out, task.dataset.y_train).item()
    assert close(ours, expected)
    _, huber = train_loss("huber", {"delta": beta})
    assert close(huber, beta * ours)  # Huber(δ) = δ · SmoothL1(β = δ): equal only at 1
    assert (huber == ours) == (beta == 1.0)


def test_class_weights_from_toml_may_be_a_list_of_numbers():
    from optplayground.core import experiment as xp

    def loss_params(weights: str) -> dict:
        exp = xp.loads(f'''
format = 1
[problem]
dataset = "circle"
loss = "cross_entropy"
[problem.loss_params]
class_weights = {weights}
[[runs]]
name = "SGD"
optimizer = "sgd"
''')
        return xp.validate(exp).problem.loss_params

    assert loss_params("[1.0, 2]") == loss_params('"1,2"') == {
        "label_smoothing": 0.0, "class_weights": "1.0,2.0"}
    for bad in ("[1, -2]", "[1, 2, 3]", '[1, "x"]', "[true, 1]"):
        with pytest.raises(ConfigError) as error:
            loss_params(bad)
        assert error.value.field.endswith("class_weights")
