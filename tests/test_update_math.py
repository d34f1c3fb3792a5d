"""The step-through panel's numbers (core/update_math.py): the rule's terms, recomputed from
torch's state, give the update torch made."""
import pytest

from optplayground.core import experiment as xp
from optplayground.core.trace import trace
from optplayground.core.update_math import (effective_step, first_moment, radam_rectified,
                                            rectifier_step, terms, to_html)


def snapshots(name, hyper=None, steps=8):
    run = xp.Run(name=name, optimizer=name, hyper=hyper or {})
    exp = xp.validate(xp.Experiment(problem=xp.Problem(surface="rosenbrock", start=(-1.2, 1.5)),
                                    runs=[run], steps=steps))
    return trace(exp)[0]


def step_term(s):
    return [t.value for t in terms(s) if t.symbol == "step"][-1]


@pytest.mark.parametrize("name,hyper", [
    ("sgd", {"lr": 1e-4}), ("momentum", {"lr": 1e-4}), ("nesterov", {"lr": 1e-4}),
    ("adam", {"lr": 0.01}), ("amsgrad", {"lr": 0.01}), ("radam", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.001}), ("adagrad", {"lr": 0.1}), ("adamax", {}),
])
def test_the_rules_step_is_the_update_torch_made(name, hyper):
    for s in snapshots(name, hyper):
        step = step_term(s)
        for got, moved in zip(step, s.update):
            assert got == pytest.approx(-moved, rel=1e-11, abs=1e-15), f"{name} step {s.step}"
        assert "<sub>" in to_html(s) or name == "adamax"


def test_radam_switches_on_at_step_six_as_torch_does():
    assert rectifier_step(0.999) == 6 and rectifier_step(0.99) == 6
    assert rectifier_step(0.5) is None and rectifier_step(0.999, threshold=10) == 11
    for s in snapshots("radam", {"lr": 0.01}):
        assert radam_rectified(s) == (s.step >= 6)
        assert (effective_step(s) is None) == (s.step < 6)
        if s.step < 6:  # a momentum step: lr·m̂ exactly as torch took it
            assert "momentum step" in to_html(s)


def test_effective_step_and_first_moment():
    s = snapshots("adam", {"lr": 0.01}, steps=3)[-1]
    v_hat = [v / (1 - 0.999 ** 3) for v in s.state["exp_avg_sq"]]
    assert effective_step(s) == pytest.approx([0.01 / (v ** 0.5 + 1e-8) for v in v_hat], rel=1e-12)
    assert first_moment(s) == s.state["exp_avg"]
    sgd = snapshots("sgd", {"lr": 1e-4}, steps=2)[-1]
    assert first_moment(sgd) is None and effective_step(sgd) is None


def test_rangers_rule_gives_its_step_and_marks_the_syncs():
    for s in snapshots("ranger", {"lr": 0.01}, steps=12):
        html = to_html(s)
        assert ("rectified" in html) == (s.step >= 6)
        if s.step % 6:  # between syncs the point moved by exactly the rule's step
            assert step_term(s) == pytest.approx([-u for u in s.update], rel=1e-9, abs=1e-15)
        else:
            assert "sync" in html
