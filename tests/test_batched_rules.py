"""Batched update rules (core/batched/rules*.py) against plain torch optimizers run alone.

Every row of a batch must equal the same run stepped by core.optimizers.build_optimizer on a
(2,) float64 point, to 1e-12, points and every state tensor, after every step: hypothesis
draws the hyperparameters (inside each spec's Param ranges), the gradients and the LRs.
"""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from optplayground.core.batched.rules import (NOT_BATCHED, RULES, BatchedLookahead, batchable,
                                              batched_rule)
from optplayground.core.edits import needs_fresh_optimizer
from optplayground.core.optimizers import (OPTIMIZERS, build_optimizer, get_optimizer,
                                           set_hyper)
from optplayground.core.params import ConfigError
from optplayground.core.ranger import Lookahead

F64 = torch.float64
TOL = 1e-12
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# Where a Param has no upper bound (or a log range starting at 0), draw from here instead:
# values a user would try, and small t0 / k so averaging and syncs happen within the steps.
DRAW_RANGE = {"lr": (1e-4, 1.0), "eps": (1e-10, 1e-2), "weight_decay": (1e-4, 0.5),
              "lr_decay": (1e-4, 1.0), "initial_accumulator_value": (0.0, 1.0),
              "momentum_decay": (1e-4, 0.1), "lambd": (1e-5, 0.1), "alpha": (0.0, 1.0),
              "t0": (1.0, 20.0), "etas": (0.05, 3.0), "step_sizes": (1e-6, 50.0),
              "k": (1, 8), "n_sma_threshold": (4, 8)}


# --- drawing --------------------------------------------------------------------------

def number(param, draw):
    """A value of `param` inside its range (or DRAW_RANGE's part of it); its closed ends,
    like a weight decay or momentum of exactly 0, come up often."""
    low, high = DRAW_RANGE.get(param.name, (param.low, param.high))
    low = low if param.low is None else max(low, param.low)
    high = high if param.high is None else min(high, param.high)
    if param.kind == "int":
        return draw(st.integers(int(low), int(high)))
    edges = [v for v, open_ in ((param.low, param.low_open), (param.high, param.high_open))
             if v is not None and not open_ and v <= high]
    if param.name == "betas":
        edges += [0.9, 0.99, 0.999]
    if param.log and low > 0:
        inner = st.floats(math.log(low), math.log(high)).map(lambda v: min(max(math.exp(v),
                                                                                low), high))
    else:
        inner = st.floats(low, high, exclude_min=param.low_open and low == param.low,
                          exclude_max=param.high_open and high == param.high)
    return draw(st.sampled_from(edges) | inner if edges else inner)


@st.composite
def hyper_rows(draw, name, n):
    """n valid hyper dicts of optimizer `name`, sharing their on/off and choice settings."""
    spec = OPTIMIZERS[name]
    shared = {p.name: draw(st.booleans() if p.kind == "bool" else st.sampled_from(p.choices))
              for p in spec.params if p.kind in ("bool", "choice")}
    rows = []
    for _ in range(n):
        for _attempt in range(50):
            row = dict(shared)
            for p in spec.params:
                if p.kind == "floats":
                    row[p.name] = tuple(number(p, draw) for _ in p.default)
                elif p.kind in ("float", "int"):
                    row[p.name] = number(p, draw)
            try:
                rows.append(spec.validate(row))
                break
            except ConfigError:
                continue
        else:
            assume(False)
    return rows


@st.composite
def races(draw, name, max_rows=4, max_steps=12):
    """(hyper rows, starts (n, 2), gradients [(n, 2)] per step, LRs [(n, 1)] per step)."""
    n = draw(st.integers(1, max_rows))
    steps = draw(st.integers(1, max_steps))
    hypers = draw(hyper_rows(name, n))
    coordinate = st.floats(-5, 5)
    starts = torch.tensor(draw(st.lists(coordinate, min_size=2 * n, max_size=2 * n)),
                          dtype=F64).reshape(n, 2)
    gradient = st.floats(-100, 100) | st.just(0.0) | st.floats(-1e-3, 1e-3)
    grads = [torch.tensor(draw(st.lists(gradient, min_size=2 * n, max_size=2 * n)),
                          dtype=F64).reshape(n, 2) for _ in range(steps)]
    factors = draw(st.lists(st.sampled_from([1.0, 0.5]) | st.floats(0.0, 1.0),
                            min_size=steps, max_size=steps))
    base = torch.tensor([h["lr"] for h in hypers], dtype=F64).reshape(n, 1)
    return hypers, starts, grads, [base * f for f in factors]


# --- the reference: each row alone through torch -----------------------------------------

class Alone:
    """One run through the registry's plain torch optimizer, stepped as the engine steps it."""

    def __init__(self, name, hyper, start, lookahead=None):
        self.spec, self.hyper, self.lookahead = get_optimizer(name), dict(hyper), lookahead
        self.p = start.clone().requires_grad_(True)
        self.optimizer = self._build()

    def _build(self):
        optimizer = build_optimizer(self.spec, [self.p], self.hyper)
        return Lookahead(optimizer, **self.lookahead) if self.lookahead else optimizer

    def step(self, grad, lr):
        for group in self.optimizer.param_groups:
            group["lr"] = float(lr)
        self.p.grad = grad.clone()
        self.optimizer.step()

    def edit(self, hyper, lookahead=None):
        """The engine's live edit (Engine.update_run); ConfigError leaves the run as it was."""
        old, new = self.hyper, {**self.hyper, **hyper}
        if lookahead:
            self.lookahead = {**self.lookahead, **lookahead}
        if needs_fresh_optimizer(self.spec, old, new):
            self.hyper = new
            try:
                self.optimizer = self._build()
            except ConfigError:
                self.hyper = old
                raise
        else:
            # set_hyper checks the group's values: give it the run's lr, not the scheduled
            # one (a schedule's lr 0 is outside Ranger's range); the next step sets it again
            for group in self.optimizer.param_groups:
                group["lr"] = self.hyper["lr"]
            set_hyper(self.optimizer, self.spec, hyper, lookahead)
            self.hyper = new

    def state(self):
        inner = self.optimizer.inner if isinstance(self.optimizer, Lookahead) else self.optimizer
        state = dict(inner.state[self.p])
        if isinstance(self.optimizer, Lookahead) and state:
            state["slow"] = self.optimizer._slow[self.p]
            state["steps_since_sync"] = self.optimizer.steps_since_sync
        return state


def close(got, want, what):
    got = torch.as_tensor(got, dtype=F64)
    want = torch.as_tensor(want, dtype=F64)
    both_nan = torch.isnan(got) & torch.isnan(want)
    ok = both_nan | ((got - want).abs() <= TOL * torch.clamp(want.abs(), min=1.0)) | (got == want)
    assert bool(ok.all()), f"{what}: batched {got.tolist()} alone {want.tolist()}"


def assert_rows_match(rule, x, alone, step, states=True):
    close(x, torch.stack([run.p.detach() for run in alone]), f"points after step {step}")
    for i, run in enumerate(alone if states else ()):
        mine, theirs = rule.state_of(i), run.state()
        assert set(mine) == set(theirs), f"row {i} state names after step {step}"
        for key, value in theirs.items():
            close(mine[key], value, f"row {i} state {key} after step {step}")


def race(name, hypers, starts, grads, lrs, lookahead=None):
    rule = batched_rule(name, hypers, F64, "cpu", lookahead=lookahead)
    per_row = lookahead if lookahead is None or isinstance(lookahead, list) \
        else [lookahead] * len(hypers)
    alone = [Alone(name, h, starts[i], per_row[i] if per_row else None)
             for i, h in enumerate(hypers)]
    x = starts.clone()
    for step, (grad, lr) in enumerate(zip(grads, lrs), start=1):
        before = grad.clone()
        rule.step(x, grad, lr)
        assert torch.equal(grad, before), "the rule changed the gradient it was given"
        for i, run in enumerate(alone):
            run.step(grad[i], lr[i, 0])
        assert_rows_match(rule, x, alone, step, states=step in (len(grads) // 2, len(grads)))
    return rule, x, alone


# --- every batchable optimizer -----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(RULES))
@SETTINGS
@given(data=st.data())
def test_every_row_equals_its_run_alone(name, data):
    race(name, *data.draw(races(name)))


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "nadam", "rprop", "asgd"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_lookahead_around_a_rule_with_per_row_k_and_alpha(name, data):
    hypers, starts, grads, lrs = data.draw(races(name, max_steps=14))
    lookahead = [{"k": data.draw(st.integers(1, 5)), "alpha": data.draw(st.floats(0.01, 1.0))}
                 for _ in hypers]
    rule, _, _ = race(name, hypers, starts, grads, lrs, lookahead)
    assert isinstance(rule, BatchedLookahead)


def test_the_registry_is_covered():
    """Every registry optimizer is batched or says why not; presets reuse SGD's rule."""
    assert set(RULES) | set(NOT_BATCHED) == set(OPTIMIZERS)
    assert not set(RULES) & set(NOT_BATCHED)
    assert issubclass(RULES["momentum"], RULES["sgd"]) and issubclass(RULES["nesterov"],
                                                                      RULES["sgd"])


# --- compaction and live edits -----------------------------------------------------------

def lookahead_of(data, hypers):
    if not data.draw(st.booleans()):
        return None
    return [{"k": data.draw(st.integers(1, 4)), "alpha": data.draw(st.floats(0.1, 1.0))}
            for _ in hypers]


def started(name, hypers, starts, lookahead):
    rule = batched_rule(name, hypers, F64, "cpu", lookahead=lookahead)
    alone = [Alone(name, h, starts[i], lookahead[i] if lookahead else None)
             for i, h in enumerate(hypers)]
    return rule, starts.clone(), alone


def step_all(rule, x, alone, grad, lr, step):
    rule.step(x, grad, lr)
    for i, run in enumerate(alone):
        run.step(grad[i], lr[i, 0])
    assert_rows_match(rule, x, alone, step)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(RULES)))
def test_select_keeps_the_chosen_rows_exactly(data, name):
    """Rows dropped mid-run (compaction) leave the others as if nothing happened."""
    hypers, starts, grads, lrs = data.draw(races(name, max_rows=5, max_steps=10))
    rule, x, alone = started(name, hypers, starts, lookahead_of(data, hypers))
    cut = data.draw(st.integers(0, len(grads)))
    keep = data.draw(st.lists(st.booleans(), min_size=len(hypers), max_size=len(hypers)))
    assume(any(keep))
    kept = torch.tensor(keep)
    for step, (grad, lr) in enumerate(zip(grads, lrs), start=1):
        if step == cut + 1:
            rule.select(kept)
            x, alone = x[kept].clone(), [run for run, k in zip(alone, keep) if k]
            assert rule.n == len(alone)
        if step > cut:
            grad, lr = grad[kept], lr[kept]
        step_all(rule, x, alone, grad, lr, step)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(RULES)))
def test_set_hyper_is_the_engines_live_edit(data, name):
    """New numbers for some rows mid-run act from the next step, as core.optimizers.set_hyper
    (or, for momentum switched on from 0, a rebuilt optimizer) makes them act alone; values
    the registry refuses change nothing."""
    hypers, starts, grads, lrs = data.draw(races(name, max_rows=4, max_steps=10))
    lookahead = lookahead_of(data, hypers)
    rule, x, alone = started(name, hypers, starts, lookahead)
    at = data.draw(st.integers(0, len(grads)))
    rows = data.draw(st.lists(st.integers(0, len(hypers) - 1), min_size=1, unique=True))
    source = data.draw(hyper_rows(name, 1))[0]
    for key in [p.name for p in OPTIMIZERS[name].params if p.kind in ("bool", "choice")]:
        source[key] = hypers[0][key]
    keys = data.draw(st.lists(st.sampled_from(sorted(source)), min_size=1, unique=True))
    edit = {key: source[key] for key in keys}
    la_edit = {"k": data.draw(st.integers(1, 4))} if lookahead and data.draw(st.booleans()) \
        else None
    for step, (grad, lr) in enumerate(zip(grads, lrs), start=1):
        if step == at + 1:
            before = [rule.state_of(i) for i in range(rule.n)]
            refused = []
            for i in rows:
                try:
                    alone[i].edit(edit, la_edit)
                except ConfigError:
                    refused.append(i)
            if refused:
                with pytest.raises(ConfigError):
                    rule.set_hyper(torch.tensor(rows), edit, **_la(la_edit))
                for i in range(rule.n):  # nothing changed, in any row
                    assert rule.state_of(i).keys() == before[i].keys()
                    for key, value in before[i].items():
                        assert torch.equal(rule.state_of(i)[key], value)
                alone = [Alone(name, h, starts[i], lookahead[i] if lookahead else None)
                         for i, h in enumerate(hypers)]  # replay from the start, unedited
                rule, x, _ = started(name, hypers, starts, lookahead)
                for s, (g, r) in enumerate(zip(grads[:at], lrs[:at]), start=1):
                    step_all(rule, x, alone, g, r, s)
            else:
                rule.set_hyper(torch.tensor(rows), edit, **_la(la_edit))
        step_all(rule, x, alone, grad, lr, step)


def _la(la_edit):
    return {"lookahead": la_edit} if la_edit else {}


def test_a_switch_cannot_change_within_a_batch():
    rule = batched_rule("adam", [{}, {}])
    rule.set_hyper(torch.tensor([1]), {"amsgrad": False, "lr": 0.5})  # unchanged: fine
    assert rule.hyper_of(1)["lr"] == 0.5 and rule.hyper_of(0)["lr"] == 1e-3
    with pytest.raises(ConfigError, match="amsgrad.*new batch"):
        rule.set_hyper(torch.tensor([0]), {"amsgrad": True})
    with pytest.raises(ConfigError, match="Nesterov"):
        batched_rule("sgd", [{"nesterov": True, "momentum": 0.5}]).set_hyper(
            torch.tensor([True]), {"dampening": 0.1})
    with pytest.raises(ConfigError, match="no Lookahead"):
        rule.set_hyper(torch.tensor([0]), {}, lookahead={"k": 2})


def test_momentum_switched_on_starts_the_row_afresh():
    """torch keeps no momentum buffer at momentum 0, so the engine rebuilds the optimizer
    when momentum becomes non-zero: that row's state (step, v) starts over, not its point."""
    rule = batched_rule("rmsprop", [{"momentum": 0.0}, {"momentum": 0.0}])
    x = torch.zeros(2, 2, dtype=F64)
    ones, lr = torch.ones(2, 2, dtype=F64), torch.full((2, 1), 0.1, dtype=F64)
    for _ in range(3):
        rule.step(x, ones, lr)
    rule.set_hyper(torch.tensor([0]), {"momentum": 0.5})
    assert rule.state_of(0) == {} and float(rule.state_of(1)["step"]) == 3
    rule.step(x, ones, lr)
    assert float(rule.state_of(0)["step"]) == 1 and float(rule.state_of(1)["step"]) == 4
    assert set(rule.state_of(0)) == {"step", "square_avg", "momentum_buffer"}
    assert set(rule.state_of(1)) == {"step", "square_avg"}


def test_list_optimizers_says_which_are_not_batched(capsys):
    from optplayground.cli import main

    assert main(["list", "optimizers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    notes = [((lines[i - 1] if line.startswith(" ") else line).split()[0], line)
             for i, line in enumerate(lines) if "not batched" in line]
    assert [name for name, _ in notes] == ["lbfgs", "module:Class"]
    assert "line search" in notes[0][1] and "import path" in notes[1][1]


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(RULES)))
def test_rows_with_the_same_numbers_a_basin(data, name):
    """Rows that share every number (a basin: only the start differs) take the path that
    works the coefficients out once; a step where one row's lr differs takes the other."""
    hypers, starts, grads, lrs = data.draw(races(name, max_rows=1))
    n = data.draw(st.integers(2, 4))
    starts = torch.tensor(data.draw(st.lists(st.floats(-5, 5), min_size=2 * n,
                                             max_size=2 * n)), dtype=F64).reshape(n, 2)
    grads = [torch.cat([g, g * 0.5 + 1.0, -g, g * 3.0])[:n] for g in grads]
    lrs = [lr.expand(n, 1).clone() for lr in lrs]
    odd = data.draw(st.integers(0, len(lrs) - 1))
    lrs[odd][-1, 0] *= 0.5
    race(name, hypers * n, starts, grads, lrs)


@pytest.mark.parametrize("name", ["asgd", "nadam", "sgd", "rmsprop"])
def test_rows_alike_again_after_a_step_with_different_lrs(name):
    """ASGD's eta takes each row's lr of the step before: once one row's lr differed, the
    rows are no longer alike even when the next lrs are (CI's hypothesis found this)."""
    hyper = {p.name: p.default for p in get_optimizer(name).params}
    hyper.update(lr=1.0, **({"lambd": 0.0, "alpha": 0.0, "t0": 0.0} if name == "asgd" else {}))
    starts = torch.zeros(2, 2, dtype=F64)
    grads = [torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=F64)] * 3
    lrs = [torch.tensor([[1.0], [0.5]], dtype=F64), torch.ones(2, 1, dtype=F64),
           torch.ones(2, 1, dtype=F64)]
    _, x, _ = race(name, [hyper, dict(hyper)], starts, grads, lrs)
    if name == "asgd":  # by hand: steps of eta 0.5 (start), 0.5 (lr of step 1), 1.0
        assert x[1].tolist() == [-2.0, -2.0]
