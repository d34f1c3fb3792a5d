"""What the torch.optim tutorials use, against plain torch: LambdaLR from a formula, BCELoss and
NLLLoss with the sigmoid / log-softmax written out, dropout in the MLP, per-group learning rates."""
import math

import pytest
import torch
from torch import nn

from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.objectives import dropout_seed
from optplayground.core.params import ConfigError
from optplayground.core.schedules import Stage
from optplayground.core.training import TrainingTask

STEPS = 6


def surface_race(schedule):
    run = xp.Run("r", "sgd", {"lr": 1e-3, "momentum": 0.5}, schedule=schedule)
    return xp.Experiment(problem=xp.Problem(surface="rosenbrock", start=(-1.2, 1.5)), runs=[run],
                         steps=STEPS)


def dataset_race(model=None, loss="", hyper=None, lr_factors=None, optimizer="sgd"):
    problem = xp.Problem(dataset="circle", data={"n_points": 60}, model=model or {"kind": "mlp", "hidden": "4"},
                         loss=loss)
    run = xp.Run("r", optimizer, hyper or {"lr": 0.1}, lr_factors=lr_factors or {})
    return xp.validate(xp.Experiment(problem=problem, runs=[run], steps=STEPS))


def engine_after(exp, n=STEPS - 1):
    engine = Engine(exp, keep_history=True, checked=True)
    engine.advance(n)
    return engine


# ---------------------------------------------------------------- LambdaLR

def test_lambda_schedule_is_torchs_lambdalr():
    exp = xp.validate(surface_race([Stage("lambda", {"factor": "0.9 ** epoch / (1 + 0.5 * step)"})]))
    lrs = Engine(exp).run_to_end().runs[0].column("lr")
    p = torch.tensor((-1.2, 1.5), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1e-3, momentum=0.5)
    plain = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.9 ** t / (1 + 0.5 * t))
    want = []
    for _ in range(STEPS + 1):
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        plain.step()
    assert list(lrs) == want


@pytest.mark.parametrize("factor,words", [
    ("__import__('os')", "unknown function '__import__'"), ("x + 1", "name 'x' is not allowed"),
    ("0.5 - step", "is -0.5 at step 1"), ("1 / step", "is inf at step 0"), ("step +", "syntax error"),
    (3, "expected text"),
])
def test_lambda_schedule_refuses_bad_formulas(factor, words):
    with pytest.raises(ConfigError, match=words) as error:
        xp.validate(surface_race([Stage("lambda", {"factor": factor})]))
    assert error.value.field == "runs[0].schedule[0].factor"


def test_a_factor_that_goes_bad_mid_race_ends_that_run_with_a_message():
    exp = xp.validate(surface_race([Stage("lambda", {"factor": "3 - step"})]))
    history = Engine(exp).run_to_end()
    assert history.runs[0].status == "error" and "at step 4" in history.runs[0].message


# ---------------------------------------------------------------- losses

def test_bce_and_nll_are_torchs_with_the_activation_written_out():
    torch.manual_seed(0)
    logits, labels = torch.randn(7, 3, dtype=torch.float64), torch.tensor([0, 2, 1, 1, 0, 2, 2])
    task = TrainingTask(dataset_race(loss="nll").problem.dataset_problem(), 0)
    assert task.criterion(logits, labels) == nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), labels)
    task = TrainingTask(dataset_race(loss="bce").problem.dataset_problem(), 0)
    one, binary = logits[:, :1], labels.clamp(max=1)
    assert task.criterion(one, binary) == nn.BCELoss()(nn.Sigmoid()(one[:, 0]), binary.double())


def test_nll_trains_exactly_as_cross_entropy_and_bce_as_bce_with_logits():
    def train_loss(loss):
        return list(engine_after(dataset_race(loss=loss)).history.runs[0].column("train_loss"))
    assert train_loss("nll") == train_loss("cross_entropy")
    assert train_loss("bce") == pytest.approx(train_loss("bce_with_logits"), rel=1e-12)


# ---------------------------------------------------------------- dropout

def test_dropout_trains_as_a_plain_loop_with_the_same_masks():
    exp = dataset_race(model={"kind": "mlp", "hidden": "6", "dropout": 0.5})
    engine = engine_after(exp)
    task = engine.task
    model = task.new_model()
    assert any(isinstance(m, nn.Dropout) and m.p == 0.5 for m in model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    data = task.dataset
    for k in range(STEPS - 1):
        torch.manual_seed(dropout_seed(exp.seed, k))
        opt.zero_grad()
        task.criterion(model(data.x_train), data.y_train).backward()
        opt.step()
    for mine, theirs in zip(engine.runs[0].params, model.parameters()):
        assert torch.equal(mine, theirs)
    model.eval()  # evaluation: no dropout, the same every time
    assert torch.equal(model(data.x_train), model(data.x_train))


def test_dropout_is_checked():
    with pytest.raises(ConfigError, match="dropout acts on hidden layers"):
        dataset_race(model={"kind": "linear", "dropout": 0.2})
    with pytest.raises(ConfigError, match="dropout"):
        dataset_race(model={"kind": "mlp", "hidden": "4", "dropout": 1.0})


# ---------------------------------------------------------------- per-group learning rates

def test_a_lower_lr_for_the_bias_is_torchs_param_groups():
    exp = dataset_race(hyper={"lr": 0.1, "momentum": 0.9}, lr_factors={"bias": 0.1},
                       optimizer="momentum")
    engine = engine_after(exp)
    task = engine.task
    model = task.new_model()
    weights = [p for n, p in model.named_parameters() if not n.endswith("bias")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    opt = torch.optim.SGD([{"params": weights}, {"params": biases, "lr": 0.01}], lr=0.1, momentum=0.9)
    for _ in range(STEPS - 1):
        opt.zero_grad()
        task.criterion(model(task.dataset.x_train), task.dataset.y_train).backward()
        opt.step()
    mine = dict(engine.runs[0].objective.model.named_parameters())
    for name, p in model.named_parameters():
        assert torch.equal(mine[name], p), name
    assert xp.loads(xp.dumps(exp)).runs[0].lr_factors == {"bias": 0.1}


@pytest.mark.parametrize("factors,optimizer,words", [
    ({"head": 0.1}, "sgd", "unknown parameter group 'head'"),
    ({"bias": -1}, "sgd", "expected a number in"),
    ({"bias": math.nan}, "sgd", "expected a number in"),
    ({"bias": "0.1"}, "sgd", "expected a number in"),
    ({"bias": 0.1}, "lbfgs", "one parameter group"),
])
def test_lr_factors_are_checked(factors, optimizer, words):
    with pytest.raises(ConfigError, match=words):
        dataset_race(lr_factors=factors, optimizer=optimizer)


def test_lr_factors_do_not_apply_to_a_surfaces_point():
    plain = xp.validate(surface_race([]))
    factors = surface_race([])
    factors.runs[0].lr_factors = {"bias": 0.5}
    factors = xp.validate(factors)
    assert factors.runs[0].lr_factors == {"bias": 0.5}
    assert Engine(factors).run_to_end().runs[0].array().tolist() == \
        Engine(plain).run_to_end().runs[0].array().tolist()
