"""Bad input is refused by name before anything runs; bad runs end cleanly, never crash.

Every hyperparameter's range lives in its spec and `validate` applies it (bad files:
tests/test_bad_files.py); runs that escape an unbounded surface end as diverged with finite
rows. The last section keeps the examples tests/test_fuzz.py found as plain regression tests.
"""
import math

import numpy as np
import pytest
import torch

from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.experiment import (CLIP_PARAMS, LOOKAHEAD_PARAMS, Clip, Experiment,
                                           Problem, Run, Switch)
from optplayground.core.history import COL
from optplayground.core.optimizers import OPTIMIZERS, get_optimizer
from optplayground.core.params import ConfigError, Param
from optplayground.core.schedules import SCHEDULES, Stage
from optplayground.core.surfaces import SURFACES, get_surface


def refusal(exp: Experiment) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        xp.validate(exp)
    return info.value


def one_run(run: Run, **kw) -> Experiment:
    return Experiment(runs=[run], steps=20, device="cpu", **kw)


def race(exp: Experiment) -> Engine:
    engine = Engine(exp)
    engine.run_to_end()
    return engine


# ---------------------------------------------------------------- every range, by name

def out_of_range(p: Param) -> list:
    """Values p must refuse: past each end of its range, and of the wrong type."""
    bad: list = []
    if p.kind in ("float", "int", "floats"):
        if p.low is not None:
            bad.append(p.low if p.low_open else p.low - 1)
        if p.high is not None:
            bad.append(p.high if p.high_open else p.high + 1)
        infinite = [] if p.inf_ok else [math.inf, "1e999"]  # inf_ok: +inf is a setting
        bad += [math.nan, *infinite, -math.inf, 10 ** 400, "fast", True, [], {}]
        if p.kind == "int":
            bad.append(2.5)
        if p.kind == "floats":
            bad = [tuple([v] * len(p.default)) for v in bad[:2]] + bad + [(0.5,), (0.5,) * 3]
    elif p.kind == "bool":
        bad += ["maybe", 3, 0.5, []]
    elif p.kind == "choice":
        bad += ["bogus", 3, True]
    elif p.kind == "str":  # milestones; a lambda schedule's factor
        bad += (["fast", "", "10,5", "-1", "1/step", "open('f')", 7, []] if p.name == "factor"
                else ["fast", "", "10,5", "0", "2.5", 7, []])
    if not p.optional:
        bad.append(None)
    return bad


def cases(specs):
    return [pytest.param(spec.name, p, id=f"{spec.name}.{p.name}")
            for spec in specs for p in spec.params]


def assert_refused(exp: Experiment, field: str, p: Param, value) -> None:
    """Refused by name; a number past an end of the range is told the range."""
    error = refusal(exp)
    assert error.field == field, (value, error)
    assert error.message
    number = type(value) in (int, float) and abs(value) < 1e300
    if number and p.range_text() and (p.kind == "float" or type(value) is int):
        assert p.range_text() in error.message, error


@pytest.mark.parametrize("name, p", cases(OPTIMIZERS.values()))
def test_every_optimizer_parameter_refuses_values_out_of_range(name, p):
    for value in out_of_range(p):
        run = Run("r", name, {p.name: value})
        assert_refused(one_run(run), f"runs[0].hyper.{p.name}", p, value)


@pytest.mark.parametrize("name, p", cases(SCHEDULES.values()))
def test_every_schedule_parameter_refuses_values_out_of_range(name, p):
    for value in out_of_range(p):
        run = Run("r", "sgd", schedule=[Stage(name, {p.name: value})])
        assert_refused(one_run(run), f"runs[0].schedule[0].{p.name}", p, value)


@pytest.mark.parametrize("name, p", cases(SURFACES.values()))
def test_every_surface_parameter_refuses_values_out_of_range(name, p):
    for value in out_of_range(p):
        exp = one_run(Run("r", "sgd"), problem=Problem(surface=name, params={p.name: value}))
        assert_refused(exp, f"problem.params.{p.name}", p, value)


@pytest.mark.parametrize("p", CLIP_PARAMS, ids=lambda p: p.name)
def test_every_clip_setting_refuses_values_out_of_range(p):
    for value in out_of_range(p):
        assert_refused(one_run(Run("r", "sgd", clip=Clip(**{p.name: value}))),
                       f"runs[0].clip.{p.name}", p, value)


@pytest.mark.parametrize("p", LOOKAHEAD_PARAMS, ids=lambda p: p.name)
def test_every_lookahead_setting_refuses_values_out_of_range(p):
    for value in out_of_range(p):
        assert_refused(one_run(Run("r", "sgd", lookahead={p.name: value})),
                       f"runs[0].lookahead.{p.name}", p, value)


def test_a_later_run_and_a_later_stage_are_named():
    runs = [Run("a", "adam"), Run("b", "sgd", schedule=[
        Stage("linear", steps=5), Stage("step", {"gamma": 1.5})])]
    assert refusal(Experiment(runs=runs)).field == "runs[1].schedule[1].gamma"
    runs[1] = Run("b", "sgd", switch=Switch(10, "adam", {"betas": (0.9, 1.0)}))
    assert refusal(Experiment(runs=runs)).field == "runs[1].switch.hyper.betas"


@pytest.mark.parametrize("run, field, words", [
    (Run("r", "nesterov", {"momentum": 0.0}), "runs[0].hyper", "momentum > 0"),
    (Run("r", "nesterov", {"dampening": 0.5}), "runs[0].hyper", "dampening = 0"),
    (Run("r", "sgd", {"nesterov": True}), "runs[0].hyper", "momentum > 0"),
    (Run("r", "rprop", {"etas": (1.1, 1.2)}), "runs[0].hyper", "η₋ < 1 < η₊"),
    (Run("r", "rprop", {"step_sizes": (1.0, 0.1)}), "runs[0].hyper", "min ≤ max"),
    (Run("r", "sgd", schedule=[Stage("onecycle", {"three_phase": True, "pct_start": 0.5})]),
     "runs[0].schedule[0]", "pct_start < 0.5"),
    (Run("r", "sgd", schedule=[Stage("linear"), Stage("cosine")]), "runs[0].schedule[0].steps",
     "every stage but the last"),
    (Run("r", "sgd", schedule=[Stage("linear", steps=5), Stage("plateau")]),
     "runs[0].schedule[1].name", "alone"),
    (Run("r", "sgd", schedule=[Stage("cosnie")]), "runs[0].schedule[0].name", "unknown schedule"),
])
def test_rules_across_fields_name_the_spec(run, field, words):
    error = refusal(one_run(run))
    assert error.field == field and words in error.message, error


@pytest.mark.parametrize("changes, field", [
    ({"steps": "ten"}, "steps"), ({"steps": 0}, "steps"), ({"steps": 10.0}, "steps"),
    ({"steps": True}, "steps"), ({"steps": None}, "steps"), ({"seed": -1}, "seed"),
    ({"seed": "7"}, "seed"), ({"history_cap": 5}, "history_cap"), ({"device": "tpu"}, "device"),
    ({"runs": []}, "runs"), ({"problem": Problem(surface="nope")}, "problem.surface"),
    ({"problem": Problem(surface="formula", formula="x +")}, "problem.formula"),
    ({"problem": Problem(start=(math.nan, 0.0))}, "problem.start"),
])
def test_experiment_fields_are_named(changes, field):
    exp = one_run(Run("r", "adam"))
    for key, value in changes.items():
        setattr(exp, key, value)
    assert refusal(exp).field == field


# ---------------------------------------------------------------- unbounded surfaces

# The engine stops a run once it is farther outside the view box than this many box sizes.
ESCAPE_MARGIN = 10


def plain_sgd(f, start, lr, steps):
    """Points x_0..x_steps of plain torch SGD."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    points = []
    for _ in range(steps + 1):
        points.append(p.detach().tolist())
        opt.zero_grad()
        f(p).backward()
        opt.step()
    return np.array(points)


@pytest.mark.parametrize("name, start, lr", [("saddle", (-1.8, 0.01), 0.1),
                                             ("monkey_saddle", (1.5, 0.2), 0.01)])
def test_escaping_a_saddle_ends_as_diverged_at_the_step_it_left(name, start, lr):
    surface = get_surface(name)
    engine = race(Experiment(problem=Problem(surface=name, start=start),
                             runs=[Run("sgd", "sgd", {"lr": lr})], steps=500, device="cpu"))
    record = engine.history[0]
    rows = record.array()
    (x0, x1), (y0, y1) = surface.bounds
    mx, my = ESCAPE_MARGIN * (x1 - x0), ESCAPE_MARGIN * (y1 - y0)

    def outside(xy):
        x, y = xy[..., 0], xy[..., 1]
        return (x < x0 - mx) | (x > x1 + mx) | (y < y0 - my) | (y > y1 + my)

    left = len(rows) - 1
    assert record.status == "diverged"
    assert record.message == f"diverged at step {left}: left the map"
    assert np.all(np.isfinite(rows)) and outside(rows[left, 1:3])
    assert not outside(rows[:left, 1:3]).any()
    expected = plain_sgd(lambda p: surface.value(p), start, lr, left)
    np.testing.assert_allclose(rows[:, 1:3], expected, rtol=0, atol=1e-12)


def test_a_jump_straight_to_infinity_ends_as_diverged_with_finite_rows():
    engine = race(Experiment(problem=Problem(surface="monkey_saddle"),
                             runs=[Run("huge", "sgd", {"lr": 1e300})], steps=50, device="cpu"))
    record = engine.history[0]
    assert record.status == "diverged" and "not finite" in record.message
    assert len(record.array()) == 1 and np.all(np.isfinite(record.array()))


# ---------------------------------------------------------------- custom optimizers

@pytest.mark.parametrize("path, words", [
    ("nosuchmodule:Thing", "cannot import module 'nosuchmodule'"),
    ("torch.optim:Nope", "has no attribute 'Nope'"),
    ("fake_optimizers:NotAnOptimizer", "not a subclass of torch.optim.Optimizer"),
    ("builtins:len", "not a subclass of torch.optim.Optimizer"),
    ("torch.optim.Adam", "did you mean torch.optim:Adam"),
    ("torch.optim:Optimizer", "required argument"),
    ("lookahead", "wraps one"),
    ("", "unknown optimizer"),
])
def test_a_custom_optimizer_that_is_not_one_is_refused_by_validate(path, words, allow_fake_optimizers):
    from optplayground.core.trust import POLICY

    POLICY.allow("nosuchmodule", "builtins")  # allowed, as after --allow-import: still refused
    error = refusal(Experiment(runs=[Run("ok", "adam"), Run("custom", path)], device="cpu"))
    assert error.field == "runs[1].optimizer" and words in error.message, error
    switch = Run("s", "adam", switch=Switch(5, path))
    error = refusal(one_run(switch))
    assert error.field == "runs[0].switch.optimizer" and words in error.message, error


def test_a_custom_optimizers_own_constructor_checks_its_values_in_validate():
    """Imported classes have no known ranges: validate asks their constructor (found: torch's
    ValueError escaped Engine())."""
    error = refusal(one_run(Run("c", "torch.optim:Adam", {"lr": -1})))
    assert error.field == "runs[0].hyper" and "Invalid learning rate: -1.0" in error.message
    error = refusal(one_run(Run("c", "torch.optim:Adam", {"lr": "fast"})))
    assert error.field == "runs[0].hyper.lr"
    engine = race(one_run(Run("c", "torch.optim:Adam", {"lr": 0.01})))
    assert engine.history[0].status == "done"


# ---------------------------------------------------------------- device

@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_runs_on_the_cpu_with_a_note():
    def rows(device):
        exp = Experiment(runs=[Run("a", "adam", {"lr": 0.05}), Run("b", "momentum", {"lr": 1e-4})],
                         steps=30, device=device)
        engine = race(exp)
        return engine, [r.array() for r in engine.history.runs]

    engine, on_cuda = rows("cuda")
    assert engine.device.type == "cpu" and "CUDA is not available" in engine.device_note
    assert [r.status for r in engine.history.runs] == ["done", "done"]
    _, on_cpu = rows("cpu")
    for got, want in zip(on_cuda, on_cpu):
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- found by test_fuzz.py

@pytest.mark.parametrize("run, field", [
    (Run("r", "sgd", schedule=[Stage("step", steps=math.nan), Stage("cosine")]),
     "runs[0].schedule[0].steps"),                                        # was ValueError
    (Run("r", "ranger", {"k": "inf"}), "runs[0].hyper.k"),                 # was OverflowError
    (Run("r", "adam", {"lr": 10 ** 400}), "runs[0].hyper.lr"),              # was OverflowError
    (Run("r", None), "runs[0].optimizer"),                                # was TypeError
    (Run("r", "sgd", enabled="no"), "runs[0].enabled"),                   # raced anyway
    (Run("r", "lbfgs", {"max_iter": 10 ** 6}), "runs[0].hyper.max_iter"),  # stalled the race
    (Run("r", "ranger", {"n_sma_threshold": 3}), "runs[0].hyper.n_sma_threshold"),
    (Run("r", "sgd", clip=Clip("norm", norm_type=1000)), "runs[0].clip.norm_type"),
])
def test_found_values_that_escaped_or_slipped_through_validate(run, field):
    assert refusal(one_run(run)).field == field


def test_found_onecycle_with_a_zero_length_phase_is_refused_before_the_engine():
    run = Run("r", "sgd", {"lr": 0.1}, schedule=[Stage("onecycle", {"pct_start": 0.5})])
    exp = Experiment(runs=[run], steps=2, device="cpu")  # warm-up of 0.5·2 - 1 = 0 updates
    error = refusal(exp)
    assert error.field == "runs[0].schedule[0].pct_start" and "zero updates" in error.message
    exp.steps = 3
    assert race(exp).history[0].status == "done"


@pytest.mark.parametrize("bounds, field", [
    ("box", "problem.bounds"), (((1.0, -1.0), (0.0, 1.0)), "problem.bounds[0]"),
    (((0.0, 1.0), (2.0, 2.0)), "problem.bounds[1]"),
    (((math.nan, 1.0), (0.0, 1.0)), "problem.bounds[0]"),
])
def test_found_a_formula_view_box_is_checked(bounds, field):
    exp = one_run(Run("r", "sgd"), problem=Problem(surface="formula", formula="x*x + y*y",
                                                    bounds=bounds))
    assert refusal(exp).field == field  # "box" crashed Engine(); the others ended every run


def test_found_a_ranger_threshold_of_4_runs_where_3_crashed():
    engine = race(one_run(Run("r", "ranger", {"lr": 0.01, "n_sma_threshold": 4})))
    assert engine.history[0].status == "done" and len(engine.history[0].array()) == 21


def test_found_an_infinite_gradient_at_a_finite_point_is_not_stored():
    exp = one_run(Run("r", "sgd"), problem=Problem(surface="formula", formula="sqrt(abs(x)) + y*y",
                                                    start=(0.0, 1.0)))
    record = race(exp).history[0]
    assert (record.status, record.message) == ("diverged", "diverged at step 0: not finite")
    assert len(record.array()) == 0


def test_found_an_infinite_lr_is_not_stored():
    """At the minimum the point never moves, but lr·2ᵗ overflows after one update."""
    run = Run("r", "sgd", {"lr": 1e308}, schedule=[Stage("exponential", {"gamma": 2.0})])
    exp = one_run(run, problem=Problem(surface="quadratic", start=(0.0, 0.0)))
    record = race(exp).history[0]
    assert (record.status, record.message) == ("diverged", "diverged at step 1: not finite")
    np.testing.assert_array_equal(record.array(), [[0, 0, 0, 0, 1e308, 0, 0]])


def test_found_get_optimizer_refuses_a_name_that_is_not_text():
    for name in (None, 3, ["adam"]):
        with pytest.raises(ConfigError) as info:
            get_optimizer(name, "runs[2].optimizer")
        assert info.value.field == "runs[2].optimizer" and "optimizer name" in info.value.message


def test_found_an_overflow_inside_a_built_in_step_is_divergence_not_error():
    """ASGD computes (1 + λ·lr·t)^α with Python floats: α = 1e300 raised OverflowError."""
    engine = race(one_run(Run("r", "asgd", {"alpha": 1e300}), problem=Problem(surface="booth")))
    record = engine.history[0]
    assert record.status == "diverged" and record.message.startswith("diverged at step 0:")
    assert "out of range" in record.message and len(record.array()) == 1


def test_found_a_validated_experiment_with_empty_optional_values_saves_and_reads_back():
    """validate fills optional values with None, which TOML cannot hold: dumps raised."""
    exp = xp.validate(Experiment(runs=[
        Run("l", "lbfgs"), Run("c", "sgd", schedule=[Stage("cyclic")]),
        Run("o", "adam", schedule=[Stage("onecycle")])], steps=50))
    assert exp.runs[0].hyper["max_eval"] is None
    assert exp.runs[1].schedule[0].params["base_lr"] is None
    text = xp.dumps(exp)
    assert "max_eval" not in text and "base_lr" not in text
    assert xp.validate(xp.loads(text)) == exp


def test_found_lbfgs_line_search_at_lr_0_makes_no_move_instead_of_failing():
    """The strong-Wolfe search starts at step lr: at lr 0 (cosine at T_max) torch divided by 0."""
    run = Run("l", "lbfgs", {"lr": 0.5, "line_search_fn": "strong_wolfe", "max_iter": 3},
              schedule=[Stage("cosine", {"T_max": 4})])
    record = race(Experiment(problem=Problem(surface="rastrigin"), runs=[run], steps=8,
                             device="cpu")).history[0]
    rows = record.array()
    assert record.status == "done" and len(rows) == 9
    assert rows[4, COL["lr"]] == 0 and rows[3, COL["lr"]] > 0 and rows[5, COL["lr"]] > 0
    np.testing.assert_array_equal(rows[5, 1:4], rows[4, 1:4])  # x, y, loss: no move at lr 0
    assert not np.array_equal(rows[4, 1:3], rows[3, 1:3])      # but moves before and after
    assert not np.array_equal(rows[6, 1:3], rows[5, 1:3])
