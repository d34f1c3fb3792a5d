"""Property tests: random experiments and formulas never crash the core.

Every random experiment is either refused by `validate` with a ConfigError that names a real
field, or runs to its end with only finite rows and a final status. Formulas of any text
give a result or a ConfigError, never another exception or a hang (files of any text:
tests/test_fuzz_files.py). The examples are derandomized so CI sees the same ones on every run.
"""
import math
import time

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optplayground.core import experiment as xp
from optplayground.core.experiment import (CLIP_MODES, CLIP_PARAMS, LOOKAHEAD_PARAMS, Clip,
                                           Experiment, Problem, Run, Switch)
from optplayground.core.expression import FUNCTIONS, FormulaError, compile_formula
from optplayground.core.optimizers import OPTIMIZERS, get_optimizer
from optplayground.core.params import ConfigError, Param
from optplayground.core.schedules import SCHEDULES, Stage
from optplayground.core.surfaces import SURFACES
from fuzz_checks import (FUZZ, assert_names_a_real_field, assert_runs_to_the_end,
                         assert_saves_and_reads_back)

# ---------------------------------------------------------------- values of one Param

def _rarely(common, rare, one_in=12):
    """`common` most of the time, `rare` about once in `one_in` draws."""
    return st.integers(0, one_in - 1).flatmap(lambda i: rare if i == 0 else common)


ROUND = (0.1, 0.25, 0.5, 1.0, 2.0, 10.0)


def _float_in(p: Param):
    """A float inside p's range: log-uniform for log params, plus the closed ends."""
    low = p.low if p.low is not None else (-10.0 if p.high is None else p.high - 10.0)
    high = p.high if p.high is not None else (1e3 if p.log else low + 20.0)
    if p.log:
        floor = max(low, 1e-8)
        inside = st.floats(math.log(floor), math.log(high)).map(
            lambda t: min(max(math.exp(t), floor), high))
    else:
        inside = st.floats(low, high, exclude_min=p.low_open, exclude_max=p.high_open)
    ends = [v for v, is_open in ((p.low, p.low_open), (p.high, p.high_open))
            if v is not None and not is_open]
    if p.high is None:
        ends.append(1e300)  # huge but valid
    # round numbers meet the arithmetic's edges (0.5 of 2 steps is exactly 1 step)
    ends += [v for v in ROUND if (low < v or (v == low and not p.low_open))
             and (v < high or (v == high and not p.high_open))]
    return _rarely(inside, st.sampled_from(ends), one_in=4) if ends else inside


def _int_in(p: Param):
    low = int(p.low) + (1 if p.low_open else 0) if p.low is not None else -10
    high = min(int(p.high), low + 50) if p.high is not None else low + 50
    return st.integers(low, high)


def _milestones():
    return st.lists(st.integers(1, 80), min_size=1, max_size=4, unique=True).map(
        lambda ms: ",".join(map(str, sorted(ms))))


# Ranges that make a cross-field rule likely to hold (Rprop: η₋ < 1 < η₊, min ≤ max).
GOOD_OVERRIDES = {
    "etas": st.tuples(st.floats(0.01, 0.99), st.floats(1.01, 5.0)),
    "step_sizes": st.tuples(st.floats(1e-8, 1e-2), st.floats(1e-2, 100.0)),
}


def good_value(p: Param):
    if p.name in GOOD_OVERRIDES:
        return GOOD_OVERRIDES[p.name]
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.kind == "str":  # the only text parameter is a schedule's milestones
        return _milestones()
    if p.kind == "int":
        value = _int_in(p)
    elif p.kind == "floats":
        value = st.tuples(*[_float_in(p)] * len(p.default))
    else:
        value = _float_in(p)
    return st.one_of(st.none(), value) if p.optional else value


WRONG = (None, "fast", "", [], {}, True, math.nan, math.inf, -math.inf, 1e400, 10 ** 400, "1e999",
         "nan", 2.5, -1, (1.0,), (0.5, 0.5, 0.5), [math.nan, 1.0])


def bad_value(p: Param):
    """Usually outside p's range or of the wrong type (some of these happen to be valid)."""
    outside = [v for v in (p.low, p.high) if v is not None]
    outside += [p.low - 1] if p.low is not None else []
    outside += [p.high + 1] if p.high is not None else []
    if p.kind == "floats":
        outside = [tuple([v] * len(p.default)) for v in outside]
    return st.sampled_from(outside + list(WRONG))


def value_of(p: Param, corrupt: bool):
    return _rarely(good_value(p), bad_value(p)) if corrupt else good_value(p)


def param_values(params, corrupt: bool):
    """Values for a random subset of `params` (the rest keep their defaults); with `corrupt`,
    now and then a bad one."""
    if not params:
        return st.just({})
    names = st.lists(st.sampled_from(params), unique_by=lambda p: p.name, max_size=len(params))
    return names.flatmap(lambda chosen: st.fixed_dictionaries(
        {p.name: value_of(p, corrupt) for p in chosen}))


def sometimes_bad(good, bad, corrupt: bool):
    return _rarely(good, bad) if corrupt else good


# ---------------------------------------------------------------- formulas

NUMBERS = st.one_of(st.integers(0, 1000).map(str), st.floats(0, 1e6).map(repr),
                    st.sampled_from(["0", "1e308", "1e-320", "0.5", "1e3"]))
LEAVES = st.one_of(NUMBERS, st.sampled_from(["x", "y", "pi", "e"]))


def _extend(inner):
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})")
    unary = st.tuples(st.sampled_from(["-", "+"]), inner).map(lambda t: f"{t[0]}{t[1]}")
    call = st.tuples(st.sampled_from(sorted(FUNCTIONS)), inner).map(lambda t: f"{t[0]}({t[1]})")
    return st.one_of(binary, unary, call)


FORMULAS = st.recursive(LEAVES, _extend, max_leaves=12)
GARBAGE = st.one_of(st.text(max_size=60),
                    st.text(alphabet="xy()+-*/.,=<>[]{}:;'\"_0123456789 eaipnrt", max_size=60))
FORMULA_TEXT = _rarely(FORMULAS, GARBAGE, one_in=5)


# ---------------------------------------------------------------- experiments

GOOD_PAIR = st.tuples(st.floats(-6, 6), st.floats(-6, 6))
BAD_PAIR = st.sampled_from([(math.nan, 1.0), (1.0, math.inf), (1e301, 0.0), "a", "12", (1.0,),
                            (1.0, 2.0, 3.0), None, 3, ("a", "b"), (True, False)])
GOOD_BOX = st.tuples(st.tuples(st.floats(-6, -0.5), st.floats(0.5, 6)),
                     st.tuples(st.floats(-6, -0.5), st.floats(0.5, 6)))
BAD_BOX = st.sampled_from([((1.0, -1.0), (0.0, 1.0)), ((0.0, 0.0), (0.0, 1.0)), "box", 5,
                           ((math.nan, 1.0), (0.0, 1.0)), ((0.0, 1.0),),
                           ((0.0, 1e301), (0.0, 1.0))])


@st.composite
def problems(draw, corrupt: bool):
    surface = draw(st.sampled_from([*SURFACES, "formula", "formula", "formula"]))
    problem = Problem(surface=surface)
    if surface == "formula":
        problem.formula = draw(FORMULA_TEXT)
        if draw(st.booleans()):
            problem.bounds = draw(sometimes_bad(GOOD_BOX, BAD_BOX, corrupt))
    else:
        problem.params = draw(param_values(SURFACES[surface].params, corrupt))
    if draw(st.booleans()):
        problem.start = draw(sometimes_bad(GOOD_PAIR, BAD_PAIR, corrupt))
    return problem


@st.composite
def stages(draw, corrupt: bool):
    """A chain of 0-3 stages; every stage but the last lasts a given number of updates."""
    count = draw(st.integers(0, 3))
    chain = []
    for i in range(count):
        spec = SCHEDULES[draw(st.sampled_from(sorted(SCHEDULES)))]
        steps = st.one_of(st.none(), st.integers(1, 30)) if i == count - 1 else st.integers(1, 30)
        steps = sometimes_bad(steps, st.sampled_from([0, -3, None, "x", 2.5, math.nan]), corrupt)
        chain.append(Stage(spec.name, draw(param_values(spec.params, corrupt)), draw(steps)))
    return chain


BAD_OPTIMIZERS = st.sampled_from(["nosuch", "lookahead", "torch.optim.Adam", "nosuchmodule:Thing",
                                  "builtins:dict", "", None, 3])


IMPORTED = ("torch.optim:Adam", "torch.optim:SGD", "torch.optim:Adagrad")


@st.composite
def runs(draw, index: int, corrupt: bool):
    optimizers = st.sampled_from([*OPTIMIZERS, *IMPORTED])
    optimizer = draw(_rarely(optimizers, BAD_OPTIMIZERS, one_in=3) if corrupt else optimizers)
    spec = get_optimizer(optimizer) if optimizer in [*OPTIMIZERS, *IMPORTED] else None
    hyper = draw(param_values(spec.params, corrupt)) if spec else {}
    clip = Clip(draw(st.sampled_from(CLIP_MODES)), **draw(param_values(CLIP_PARAMS[1:], corrupt)))
    lookahead = draw(st.one_of(st.none(), param_values(LOOKAHEAD_PARAMS, corrupt)))
    switch = None
    if draw(st.integers(0, 4)) == 0:
        name = draw(optimizers)
        at = draw(sometimes_bad(st.integers(1, 60), st.sampled_from([0, -1, "x", None]), corrupt))
        switch = Switch(at, name, draw(param_values(get_optimizer(name).params, corrupt)))
    return Run(f"run {index}", optimizer, hyper, draw(stages(corrupt)), clip, lookahead,
               switch=switch)


@st.composite
def experiments(draw):
    """Half of them valid by construction, half with a bad value here and there."""
    corrupt = draw(st.booleans())
    steps = sometimes_bad(st.integers(1, 60), st.sampled_from([0, -1, "ten", 10.0, None, True]),
                          corrupt)
    return Experiment(
        problem=draw(problems(corrupt)),
        runs=[draw(runs(i, corrupt)) for i in range(draw(st.integers(1, 3)))],
        steps=draw(steps), seed=draw(st.integers(0, 2 ** 32)), device="cpu")


# ---------------------------------------------------------------- properties

pytestmark = pytest.mark.usefixtures("warm_torch")


@FUZZ
@given(experiments())
def test_a_random_experiment_is_refused_by_name_or_runs_to_the_end(exp):
    try:
        checked = xp.validate(exp)
    except ConfigError as error:
        assert_names_a_real_field(exp, error)
        return
    assert_saves_and_reads_back(checked)
    assert_runs_to_the_end(checked)


# Every optimizer, schedule and surface really races: the random experiments above are
# refused often enough (cross-field rules) that some names would otherwise never run.
COVER = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _ran_some(draw_experiment) -> int:
    """Race examples drawn by `draw_experiment(data)`; how many validated and ran."""
    ran = []

    @COVER
    @given(st.data())
    def check(data):
        exp = draw_experiment(data)
        try:
            checked = xp.validate(exp)
        except ConfigError as error:
            assert_names_a_real_field(exp, error)
            return
        assert_runs_to_the_end(checked)
        ran.append(exp)

    check()
    return len(ran)


def _valid_run(data, optimizer: str, schedule: str | None = None) -> Run:
    spec = get_optimizer(optimizer)
    hyper = data.draw(param_values(spec.params, corrupt=False))
    chain = []
    if schedule is not None:
        params = data.draw(param_values(SCHEDULES[schedule].params, corrupt=False))
        chain = [Stage(schedule, params)]
    clip = Clip(data.draw(st.sampled_from(CLIP_MODES)))
    return Run(optimizer, optimizer, hyper, chain, clip)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_races_with_random_valid_settings(optimizer):
    def draw(data):
        return Experiment(problem=data.draw(problems(corrupt=False)), device="cpu",
                          runs=[_valid_run(data, optimizer)], steps=data.draw(st.integers(1, 40)))

    assert _ran_some(draw) >= 1


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_every_schedule_races_with_random_valid_settings(schedule):
    def draw(data):
        return Experiment(problem=Problem(surface="rosenbrock"), device="cpu",
                          runs=[_valid_run(data, "sgd", schedule)], steps=data.draw(st.integers(1, 60)))

    assert _ran_some(draw) >= 1


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_every_surface_races_with_random_valid_settings(surface):
    def draw(data):
        params = data.draw(param_values(SURFACES[surface].params, corrupt=False))
        start = data.draw(st.one_of(st.none(), GOOD_PAIR))
        return Experiment(problem=Problem(surface=surface, params=params, start=start),
                          device="cpu", steps=data.draw(st.integers(1, 40)),
                          runs=[_valid_run(data, data.draw(st.sampled_from(sorted(OPTIMIZERS))))])

    assert _ran_some(draw) >= 1


# Long, deep or repetitive text: nesting, exponent towers, long numbers and operator runs.
PATHOLOGICAL = st.tuples(st.sampled_from(["({})", "-{}", "sin({})", "{}**2", "2**{}", "x*{}",
                                          "9{}", "{}+", "(x{}"]),
                         st.integers(1, 700)).map(lambda t: _repeat(*t))


def _repeat(template: str, n: int) -> str:
    text = "x"
    for _ in range(n):
        text = template.format(text)
    return text[:2000]


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.one_of(st.text(max_size=2000), FORMULAS, PATHOLOGICAL,
                 st.text(alphabet="()*+-x9.e", max_size=2000)))
def test_any_text_compiles_or_raises_formula_error_within_a_second(text):
    start = time.perf_counter()
    try:
        f = compile_formula(text)
    except FormulaError as error:
        assert error.field == "problem.formula" and error.message
    else:  # what compiles also evaluates, keeping the points' shape and dtype
        xy = torch.tensor([[0.5, -1.0], [2.0, 3.0], [0.0, 0.0]], dtype=torch.float64)
        out = f(xy)
        assert out.shape == (3,) and out.dtype == torch.float64
    assert time.perf_counter() - start < 5.0  # a hang guard (hostile input would take minutes), not a speed test
