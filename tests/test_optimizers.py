"""The optimizer registry: every built-in takes exactly the steps plain torch takes."""
import math

import pytest
import torch

from optplayground.core.optimizers import (
    LOOKAHEAD, OPTIMIZERS, build_optimizer, current_hyper, get_optimizer, import_optimizer,
    set_hyper)
from optplayground.core.params import ConfigError
from optplayground.core.ranger import Lookahead

START = (-1.5, 2.0)


def rosenbrock(xy):
    x, y = xy[0], xy[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def leaf():
    return torch.tensor(START, dtype=torch.float64, requires_grad=True)


# name -> (our non-default hyperparameters, the same optimizer built directly with torch)
TORCH_CASES = {
    "sgd": ({"lr": 1e-4, "weight_decay": 0.01},
            lambda p: torch.optim.SGD(p, lr=1e-4, weight_decay=0.01)),
    "momentum": ({"lr": 1e-4, "momentum": 0.8, "dampening": 0.1},
                 lambda p: torch.optim.SGD(p, lr=1e-4, momentum=0.8, dampening=0.1)),
    "nesterov": ({"lr": 1e-4, "momentum": 0.85, "weight_decay": 1e-3},
                 lambda p: torch.optim.SGD(p, lr=1e-4, momentum=0.85, weight_decay=1e-3,
                                           nesterov=True)),
    "rmsprop": ({"lr": 1e-3, "alpha": 0.9, "eps": 1e-6, "momentum": 0.5, "centered": True},
                lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-6, momentum=0.5,
                                              centered=True)),
    "adagrad": ({"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
                lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01,
                                              initial_accumulator_value=0.1)),
    "adadelta": ({"lr": 0.5, "rho": 0.8, "eps": 1e-5},
                 lambda p: torch.optim.Adadelta(p, lr=0.5, rho=0.8, eps=1e-5)),
    "adam": ({"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-3},
             lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6,
                                        weight_decay=1e-3)),
    "adamw": ({"lr": 0.01, "weight_decay": 0.05, "amsgrad": True},
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.05, amsgrad=True)),
    "amsgrad": ({"lr": 0.02, "betas": "0.85, 0.995"},
                lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.85, 0.995), amsgrad=True)),
    "adamax": ({"lr": 0.01, "betas": (0.8, 0.99)},
               lambda p: torch.optim.Adamax(p, lr=0.01, betas=(0.8, 0.99))),
    "nadam": ({"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.01,
               "decoupled_weight_decay": True},
              lambda p: torch.optim.NAdam(p, lr=0.01, momentum_decay=0.01, weight_decay=0.01,
                                          decoupled_weight_decay=True)),
    "radam": ({"lr": 0.02, "betas": (0.85, 0.99), "weight_decay": 1e-3},
              lambda p: torch.optim.RAdam(p, lr=0.02, betas=(0.85, 0.99), weight_decay=1e-3)),
    "rprop": ({"lr": 1e-3, "etas": (0.4, 1.3), "step_sizes": (1e-5, 1.0)},
              lambda p: torch.optim.Rprop(p, lr=1e-3, etas=(0.4, 1.3), step_sizes=(1e-5, 1.0))),
    "asgd": ({"lr": 1e-4, "lambd": 1e-3, "alpha": 0.6, "t0": 50.0},
             lambda p: torch.optim.ASGD(p, lr=1e-4, lambd=1e-3, alpha=0.6, t0=50.0)),
    "lbfgs": ({"lr": 0.5, "max_iter": 5, "history_size": 7, "line_search_fn": "strong_wolfe"},
              lambda p: torch.optim.LBFGS(p, lr=0.5, max_iter=5, history_size=7,
                                          line_search_fn="strong_wolfe")),
}

# name -> the torch optimizer with only the arguments our spec fixes (defaults otherwise)
TORCH_DEFAULTS = {
    "sgd": lambda p: torch.optim.SGD(p),
    "momentum": lambda p: torch.optim.SGD(p, momentum=0.9),
    "nesterov": lambda p: torch.optim.SGD(p, momentum=0.9, nesterov=True),
    "rmsprop": lambda p: torch.optim.RMSprop(p),
    "adagrad": lambda p: torch.optim.Adagrad(p),
    "adadelta": lambda p: torch.optim.Adadelta(p),
    "adam": lambda p: torch.optim.Adam(p),
    "adamw": lambda p: torch.optim.AdamW(p),
    "amsgrad": lambda p: torch.optim.Adam(p, amsgrad=True),
    "adamax": lambda p: torch.optim.Adamax(p),
    "nadam": lambda p: torch.optim.NAdam(p),
    "radam": lambda p: torch.optim.RAdam(p),
    "rprop": lambda p: torch.optim.Rprop(p),
    "asgd": lambda p: torch.optim.ASGD(p),
    "lbfgs": lambda p: torch.optim.LBFGS(p),
}


def trajectory(optimizer, p, steps, on_step=None):
    """Points after each step; LBFGS (and everything else) gets a closure."""
    def closure():
        optimizer.zero_grad()
        loss = rosenbrock(p)
        loss.backward()
        return loss

    points = []
    for step in range(steps):
        if on_step:
            on_step(step)
        optimizer.step(closure)
        points.append(p.detach().clone())
    return torch.stack(points)


def test_registry_names_in_menu_order():
    assert list(OPTIMIZERS) == [
        "sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adadelta", "adam", "adamw",
        "amsgrad", "adamax", "nadam", "radam", "rprop", "asgd", "lbfgs", "ranger"]
    assert set(TORCH_CASES) == set(OPTIMIZERS) - {"ranger"}
    assert [n for n, s in OPTIMIZERS.items() if s.needs_closure] == ["lbfgs"]


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_trajectory_equals_plain_torch_loop(name):
    hyper, make_torch = TORCH_CASES[name]
    ours, theirs = leaf(), leaf()
    got = trajectory(build_optimizer(get_optimizer(name), [ours], hyper), ours, 200)
    want = trajectory(make_torch([theirs]), theirs, 200)
    assert torch.isfinite(want).all()
    assert not torch.equal(want[-1], torch.tensor(START, dtype=torch.float64))  # it moved
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", list(TORCH_DEFAULTS))
def test_defaults_are_torch_defaults(name):
    ours = build_optimizer(OPTIMIZERS[name], [leaf()], {}).param_groups[0]
    theirs = TORCH_DEFAULTS[name]([leaf()]).param_groups[0]
    del ours["params"], theirs["params"]
    assert ours == theirs


def test_set_hyper_mid_run_equals_setting_the_group():
    spec = get_optimizer("adam")
    ours, theirs = leaf(), leaf()
    optimizer = build_optimizer(spec, [ours], {"lr": 0.01})
    reference = torch.optim.Adam([theirs], lr=0.01)

    def ours_change(step):
        if step == 50:
            set_hyper(optimizer, spec, {"lr": 0.003, "betas": (0.8, 0.99)})

    def theirs_change(step):
        if step == 50:
            reference.param_groups[0]["lr"] = 0.003
            reference.param_groups[0]["betas"] = (0.8, 0.99)

    got = trajectory(optimizer, ours, 100, ours_change)
    want = trajectory(reference, theirs, 100, theirs_change)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    assert optimizer.param_groups[0]["lr"] == 0.003
    # a plain loop that never changed lr ends elsewhere: the change did something
    unchanged = leaf()
    assert not torch.allclose(trajectory(torch.optim.Adam([unchanged], lr=0.01), unchanged,
                                         100)[-1], got[-1])


def test_set_hyper_checks_values_and_rules():
    spec = get_optimizer("nesterov")
    optimizer = build_optimizer(spec, [leaf()], {})
    with pytest.raises(ConfigError) as error:
        set_hyper(optimizer, spec, {"dampening": 0.5})
    assert "dampening" in str(error.value)
    with pytest.raises(ConfigError) as error:
        set_hyper(optimizer, spec, {"lr": -1}, where="runs[0].hyper")
    assert error.value.field == "runs[0].hyper.lr"
    assert optimizer.param_groups[0]["lr"] == 1e-3 and optimizer.param_groups[0]["dampening"] == 0


def test_set_hyper_lbfgs_line_search_choice_maps_to_none():
    spec = get_optimizer("lbfgs")
    optimizer = build_optimizer(spec, [leaf()], {"line_search_fn": "strong_wolfe"})
    assert current_hyper(optimizer, spec)["line_search_fn"] == "strong_wolfe"
    set_hyper(optimizer, spec, {"line_search_fn": "none", "history_size": 5})
    assert optimizer.param_groups[0]["line_search_fn"] is None
    assert optimizer.param_groups[0]["history_size"] == 5
    assert current_hyper(optimizer, spec)["line_search_fn"] == "none"


def test_set_hyper_on_lookahead_forwards_to_inner_and_sets_k_alpha():
    spec = get_optimizer("rmsprop")
    inner = build_optimizer(spec, [leaf()], {})
    wrapped = Lookahead(inner, k=5, alpha=0.5)
    # RMSprop has its own alpha: `hyper` is the inner's, `lookahead` the wrapper's
    set_hyper(wrapped, spec, {"lr": 0.02, "alpha": 0.9}, lookahead={"k": 3, "alpha": 0.25})
    assert inner.param_groups[0]["lr"] == 0.02 and inner.param_groups[0]["alpha"] == 0.9
    assert (wrapped.k, wrapped.alpha) == (3, 0.25)
    with pytest.raises(ConfigError) as error:
        set_hyper(wrapped, spec, {}, lookahead={"k": 0})
    assert error.value.field == "k"
    with pytest.raises(ConfigError):
        set_hyper(inner, spec, {}, lookahead={"k": 2})  # no wrapper to set it on


def test_import_optimizer_reads_the_signature():
    spec = import_optimizer("torch.optim:Adam")
    assert get_optimizer("torch.optim:Adam") is spec  # cached per path
    assert spec.title == "Adam"
    assert spec.param("lr").kind == "float" and spec.param("lr").default == 0.001
    assert spec.param("betas").kind == "floats" and spec.param("betas").default == (0.9, 0.999)
    assert spec.param("weight_decay").kind == "float"  # annotated float, default int 0
    assert spec.param("amsgrad").kind == "bool" and spec.param("amsgrad").default is False
    names = [p.name for p in spec.params]
    assert "params" not in names and "foreach" not in names and "capturable" not in names
    # the imported spec builds the same optimizer as the built-in one
    ours, theirs = leaf(), leaf()
    got = trajectory(build_optimizer(spec, [ours], {"lr": 0.01}), ours, 20)
    want = trajectory(torch.optim.Adam([theirs], lr=0.01), theirs, 20)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def test_import_optimizer_int_params_and_closure():
    spec = import_optimizer("torch.optim:LBFGS")
    assert spec.param("max_iter").kind == "int" and spec.param("max_iter").default == 20
    assert spec.needs_closure
    assert [p.name for p in spec.params if p.name in ("max_eval", "line_search_fn")] == []


@pytest.mark.parametrize("path, words", [
    ("nosuchmodule:X", ["cannot import module", "nosuchmodule"]),
    ("torch.optim:Nope", ["torch.optim", "no attribute", "Nope"]),
    ("builtins:dict", ["not a subclass of torch.optim.Optimizer"]),
    ("torch.optim.Adam", ["module:ClassName", "did you mean torch.optim:Adam"]),
    ("torch.optim:Optimizer", ["required argument", "defaults"]),
])
def test_import_optimizer_errors(path, words):
    with pytest.raises(ConfigError) as error:
        import_optimizer(path)
    assert error.value.field == "optimizer"
    for word in words:
        assert word in error.value.message


def test_get_optimizer_unknown_names():
    with pytest.raises(ConfigError) as error:
        get_optimizer("adamm")
    assert error.value.field == "optimizer" and "adamm" in error.value.message
    assert "sgd" in error.value.message
    with pytest.raises(ConfigError) as error:
        get_optimizer("lookahead")
    assert "wraps" in error.value.message


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_spec_defaults_validate_and_text_is_present(name):
    spec = OPTIMIZERS[name]
    assert spec.validate({}) == spec.defaults()
    assert spec.title and spec.help and spec.formula
    assert all(p.help for p in spec.params)
    assert "θ ←" in spec.formula


# A value outside each kind of range, by parameter name.
BAD_VALUES = {
    "lr": -1, "eps": 0, "weight_decay": -0.1, "betas": (0.9, 1.0), "momentum": -0.5,
    "dampening": 1.5, "alpha": -0.1, "rho": 1.5, "lr_decay": -1, "initial_accumulator_value": -1,
    "momentum_decay": -1, "etas": (0.0, 1.2), "step_sizes": (-1.0, 50.0), "lambd": -1,
    "t0": -1, "max_iter": 0, "max_eval": 0, "tolerance_grad": -1, "tolerance_change": -1,
    "history_size": 0, "line_search_fn": "armijo", "k": 0, "n_sma_threshold": -1,
    "centered": "maybe", "amsgrad": 3, "decoupled_weight_decay": "x", "maximize": "x",
    "use_gc": "x", "nesterov": "x",
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_range_rejects_a_bad_value(name):
    spec = OPTIMIZERS[name]
    for param in spec.params:
        with pytest.raises(ConfigError) as error:
            build_optimizer(spec, [leaf()], {param.name: BAD_VALUES[param.name]}, where="hyper")
        assert error.value.field == f"hyper.{param.name}"


def test_cross_field_rules():
    with pytest.raises(ConfigError, match="dampening"):
        build_optimizer(OPTIMIZERS["nesterov"], [leaf()], {"dampening": 0.5})
    with pytest.raises(ConfigError, match="momentum > 0"):
        build_optimizer(OPTIMIZERS["nesterov"], [leaf()], {"momentum": 0})
    with pytest.raises(ConfigError, match="etas"):
        build_optimizer(OPTIMIZERS["rprop"], [leaf()], {"etas": (1.1, 1.2)})
    with pytest.raises(ConfigError, match="step_sizes"):
        build_optimizer(OPTIMIZERS["rprop"], [leaf()], {"step_sizes": (1.0, 0.1)})
    with pytest.raises(ConfigError, match="momentum > 0"):
        build_optimizer(OPTIMIZERS["sgd"], [leaf()], {"nesterov": True})  # sgd's momentum is 0
    build_optimizer(OPTIMIZERS["sgd"], [leaf()], {"momentum": 0.9, "nesterov": True})


def test_lookahead_spec():
    assert LOOKAHEAD.validate({}) == {"k": 5, "alpha": 0.5}
    for bad in ({"alpha": 1.5}, {"alpha": 0}, {"k": 0}, {"k": 2.5}):
        with pytest.raises(ConfigError):
            LOOKAHEAD.validate(bad)
    assert math.isclose(LOOKAHEAD.param("alpha").high, 1.0)


def test_weight_decay_help_says_how_each_optimizer_decays():
    """AdamW and Ranger take lr·λθ off θ (decoupled); the others add λθ to g (L2)."""
    def help_of(name):
        return next(p.help for p in OPTIMIZERS[name].params if p.name == "weight_decay")
    for name in ("adamw", "ranger"):
        assert help_of(name).startswith("decoupled weight decay") and "lr·λθ" in help_of(name)
    for name in ("sgd", "momentum", "adam", "rmsprop", "adagrad"):
        assert help_of(name).startswith("L2 penalty"), name
    assert "nesterov" in OPTIMIZERS["sgd"].formula
