"""The batched race against today's engine: row i of a batched race equals the same run
raced alone by the per-run engine — rows (step, x, y, loss, lr, both norms), status, message
and the step where it stopped — for every batchable optimizer, with drawn hyperparameters,
schedules, clipping, starts and surfaces; and the engine's ordinary races, batched, write the
same CSV byte for byte."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from optplayground.core.batched import groups
from optplayground.core.batched.race import BatchedRace
from optplayground.core.batched.rules import RULES
from optplayground.core.engine import Engine
from optplayground.core.experiment import Clip, Experiment, Problem, Run, validate, validate_run
from optplayground.core.optimizers import get_optimizer
from optplayground.core.params import ConfigError
from optplayground.core.schedules import Stage
from optplayground.core.surfaces import get_surface

STEPS = 40
SURFACES = {  # name -> a box of starts; the saddle's runs leave the map
    "rosenbrock": (-2.0, 2.0, -1.0, 3.0),
    "noisy_quadratic": (-3.0, 3.0, -3.0, 3.0),
    "saddle": (-1.9, 1.9, -0.3, 0.3),
    "himmelblau": (-5.0, 5.0, -5.0, 5.0),
    "ackley": (-4.0, 4.0, -4.0, 4.0),
}
SCHEDULES = (
    [], [Stage("step", {"step_size": 7, "gamma": 0.5})], [Stage("cosine", {})],
    [Stage("exponential", {"gamma": 0.9})], [Stage("onecycle", {})],
    [Stage("cyclic", {"step_size_up": 5, "mode": "triangular2"})],
    [Stage("linear", {"start_factor": 0.1}, steps=10), Stage("cosine", {})],
    [Stage("plateau", {"patience": 2, "factor": 0.5, "threshold": 0.01})],
    [Stage("inverse_sqrt", {"warmup_steps": 5})],
    [Stage("cosine_restarts", {"T_0": 6, "T_mult": 2})],
)
CLIPS = st.one_of(
    st.just(Clip()),
    st.builds(lambda m, p: Clip("norm", max_norm=m, norm_type=p),
              st.floats(0.05, 10.0), st.sampled_from([1.0, 2.0, 3.0, math.inf])),
    st.builds(lambda v: Clip("value", clip_value=v), st.floats(0.05, 5.0)),
)


def _bools(name):
    return [p for p in get_optimizer(name).params if p.kind == "bool"]


@st.composite
def hyper(draw, name: str, flags: dict) -> dict:
    """Defaults scaled by a factor, lr log-uniform; flags shared by the batch."""
    spec = get_optimizer(name)
    values = dict(flags)
    for p in spec.params:
        if p.name == "lr":
            values["lr"] = 10 ** draw(st.floats(-3.5, -0.5))
        elif p.kind == "float" and isinstance(p.default, float) and p.default > 0:
            high = p.high if p.high is not None else math.inf
            values[p.name] = min(p.default * draw(st.floats(0.5, 1.5)), (p.default + high) / 2)
        elif p.kind == "float" and p.name in ("weight_decay", "dampening"):
            values[p.name] = draw(st.sampled_from([0.0, 0.0, 0.01, 0.1]))
    try:
        return spec.validate(values)
    except ConfigError:
        assume(False)


@st.composite
def races(draw, name: str):
    flags = {p.name: draw(st.booleans()) for p in _bools(name)}
    surface = draw(st.sampled_from(sorted(SURFACES)))
    x0, x1, y0, y1 = SURFACES[surface]
    n = draw(st.integers(1, 4))
    lookahead = draw(st.sampled_from([None, {"k": 3, "alpha": 0.5}]))
    runs, starts = [], []
    for i in range(n):
        run = Run(f"r{i}", name, draw(hyper(name, flags)), schedule=draw(st.sampled_from(SCHEDULES)),
                  clip=draw(CLIPS), lookahead=None if lookahead is None else dict(lookahead,
                                                                                  alpha=draw(st.floats(0.2, 0.8))))
        try:
            runs.append(validate_run(run, f"runs[{i}]"))
        except ConfigError:
            assume(False)
        starts.append((draw(st.floats(x0, x1)), draw(st.floats(y0, y1))))
    return surface, runs, starts


def alone(surface: str, run: Run, start, steps: int = STEPS, seed: int = 3):
    """The run raced alone by the engine's per-run path: its rows, status and message."""
    exp = Experiment(problem=Problem(surface=surface, start=start), runs=[run], steps=steps,
                     seed=seed, device="cpu")
    engine = Engine(exp, batched=False)
    history = engine.run_to_end()
    return history[0].array(), history[0].status, history[0].message


def assert_rows_equal(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def check_race(surface: str, runs: list[Run], starts, steps: int = STEPS, seed: int = 3):
    race = BatchedRace(get_surface(surface), {}, runs, starts, steps, seed,
                       paths=range(len(runs)))
    race.run_to_end(chunk=13)  # chunks that do not divide the compaction period
    paths, summary = race.take_paths(), race.summary()
    for i, (run, start) in enumerate(zip(runs, starts)):
        rows, status, message = alone(surface, run, start, steps, seed)
        assert_rows_equal(paths[i], rows)
        assert summary.status_of(i) == status
        assert summary.message_of(i) == message
        if len(rows):
            np.testing.assert_allclose([summary.step[i], summary.x[i], summary.y[i], summary.loss[i]],
                                       rows[-1, :4], rtol=1e-12, atol=1e-12)
            assert summary.best_loss[i] == pytest.approx(rows[:, 3].min(), rel=1e-12, abs=1e-12)
    return race, paths


@pytest.mark.parametrize("name", sorted(RULES))
def test_each_row_equals_its_run_raced_alone(name):
    @settings(max_examples=4, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(races(name))
    def check(drawn):
        check_race(*drawn)

    check()


def test_rows_stop_where_their_runs_stop_and_leave_the_tensors():
    """Saddle runs leave the map at different steps (diverged, left the map), big steps
    overflow (not finite), a start at the minimum converges; the race compacts them away."""
    sgd = validate_run(Run("s", "sgd", {"lr": 0.05, "momentum": 0.0}), "r")
    huge = validate_run(Run("h", "sgd", {"lr": 1e308, "momentum": 0.0}), "r")
    runs = [sgd] * 7 + [huge]
    starts = [(0.5, 10 ** -k) for k in range(6)] + [(0.0, 0.0), (1.0, 1.0)]
    race, _ = check_race("saddle", runs, starts, steps=400)
    assert race.rows == 0  # every row stopped and was compacted away
    summary = race.summary()
    assert [summary.status_of(i) for i in range(8)] == ["diverged"] * 6 + ["converged", "diverged"]
    assert summary.message_of(5) != summary.message_of(0)  # different steps
    assert summary.message_of(7) == "diverged at step 1: not finite"


def test_noisy_rows_draw_what_their_runs_draw_alone():
    """Every run of a race draws its noise from the experiment's seed: a row of a big batch
    sees exactly the draws of its run alone, whatever the other rows do."""
    adam = validate_run(Run("a", "adam", {"lr": 0.05}), "r")
    starts = [(-2.5 + 0.1 * i, 2.5 - 0.2 * i) for i in range(20)]
    race = BatchedRace(get_surface("noisy_quadratic"), {"noise_scale": 2.0}, [adam] * 20, starts,
                       60, 11, paths=[0, 13])
    race.run_to_end()
    paths = race.take_paths()
    assert sorted(paths) == [0, 13]  # only the rows asked for keep their paths
    for i in (0, 13):
        exp = Experiment(problem=Problem(surface="noisy_quadratic", params={"noise_scale": 2.0},
                                         start=starts[i]), runs=[adam], steps=60, seed=11, device="cpu")
        assert_rows_equal(paths[i], Engine(exp, batched=False).run_to_end()[0].array())


def test_plateau_rows_keep_their_own_state():
    """Rows with the same plateau schedule and lr still reduce their LR on their own losses."""
    run = validate_run(Run("p", "sgd", {"lr": 0.02, "momentum": 0.5},
                           schedule=[Stage("plateau", {"patience": 1, "factor": 0.5})]), "r")
    _, paths = check_race("rastrigin", [run] * 3, [(-4.4, 3.8), (0.01, 0.01), (2.2, -1.1)], steps=60)
    schedules = {tuple(paths[i][:, 4]) for i in range(3)}
    assert len(schedules) == 3  # each row cut its LR on its own losses, at its own steps


# ---------------------------------------------------------------- the engine uses it

def _mixed(surface="rosenbrock", params=None, start=(-1.5, 2.0), steps=120):
    runs = [
        Run("sgd a", "sgd", {"lr": 1e-3, "momentum": 0.9}),
        Run("sgd b", "sgd", {"lr": 2e-3, "momentum": 0.9}, schedule=[Stage("cosine", {})],
            clip=Clip("norm", 5.0, 3.0)),
        Run("adam", "adam", {"lr": 1e-2}),
        Run("lbfgs", "lbfgs", {"lr": 0.1}),  # not batchable
        Run("adam ams", "adam", {"lr": 2e-2, "amsgrad": True}, lookahead={"k": 3, "alpha": 0.4}),
        Run("sgd c", "sgd", {"lr": 0.3, "momentum": 0.9}, clip=Clip("value", clip_value=0.5)),
        Run("switch", "adam", {"lr": 1e-2}, switch=None),
        Run("sgd d", "sgd", {"lr": 1e-2, "momentum": 0.9},
            schedule=[Stage("plateau", {"patience": 2})], clip=Clip("norm", 1.0, math.inf)),
        Run("ranger", "ranger", {"lr": 0.03}, schedule=[Stage("onecycle", {})]),
    ]
    from optplayground.core.experiment import Switch

    runs[6].switch = Switch(at=30, optimizer="sgd", hyper={"lr": 1e-3})
    return Experiment(problem=Problem(surface=surface, params=params or {}, start=start),
                      runs=runs, steps=steps, seed=5, device="cpu")


def _csv(engine, chunk=17, edits=()) -> str:
    edits = dict(edits)
    while not engine.done:
        engine.advance(chunk)
        for index, run in edits.pop(engine.step, []):
            engine.update_run(index, run)
    out = io.StringIO()
    engine.history.write_csv(out)
    return out.getvalue()


@pytest.mark.parametrize("surface,params,start", [
    ("rosenbrock", {}, (-1.5, 2.0)),
    ("noisy_quadratic", {"noise_scale": 1.0}, (-2.5, 2.5)),
    ("saddle", {}, (-1.8, 0.01)),
])
def test_engine_csv_is_byte_identical_with_and_without_batching(surface, params, start,
                                                                monkeypatch):
    monkeypatch.setattr(groups, "MIN_ROWS", 1)  # batch even single runs: every kind here
    batched = Engine(_mixed(surface, params, start))
    assert sum(len(g.states) for g in batched.groups) == 7  # all but L-BFGS and the switch
    assert _csv(batched) == _csv(Engine(_mixed(surface, params, start), batched=False))


def test_live_edits_of_batched_runs_match_the_per_run_path(monkeypatch):
    monkeypatch.setattr(groups, "MIN_ROWS", 1)
    exp = _mixed()
    validated = validate(exp).runs

    def edited(index, **changes):
        run = validate_run(validated[index], "r")
        for key, value in changes.items():
            setattr(run, key, value)
        return run

    edits = {
        34: [(0, edited(0, hyper={"lr": 5e-3, "momentum": 0.5, "dampening": 0.0,
                                  "weight_decay": 0.0, "nesterov": False, "maximize": False})),
             (1, edited(1, clip=Clip("value", clip_value=0.2))),
             (4, edited(4, lookahead={"k": 4, "alpha": 0.7}))],
        51: [(2, edited(2, schedule=[Stage("exponential", {"gamma": 0.97})])),
             (5, edited(5, hyper={**validated[5].hyper, "nesterov": True}))],  # leaves its group
        68: [(7, edited(7, hyper={**validated[7].hyper, "lr": 0.03}))],
    }
    batched = Engine(exp)
    assert _csv(batched, edits=edits) == _csv(Engine(exp, batched=False), edits=edits)
