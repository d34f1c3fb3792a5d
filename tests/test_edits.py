"""core/edits.py: one table says how a race takes an edit, for the window and the engine."""
import pytest

from optplayground.core.edits import Edit, live_edits, run_edit, runs_edit
from optplayground.core.experiment import Clip, Run, Stage, Switch
from optplayground.core.optimizers import OPTIMIZERS

ADAM = Run("Adam", "adam", OPTIMIZERS["adam"].defaults(), color="#ff0000")


def edited(**fields):
    run = Run(**{**ADAM.__dict__, **fields})
    return run


@pytest.mark.parametrize("change, expected", [
    ({}, Edit.NONE),
    ({"name": "Mine"}, Edit.STYLE),
    ({"color": "#00ff00"}, Edit.STYLE),
    ({"hyper": {**ADAM.hyper, "lr": 0.5}}, Edit.LIVE),
    ({"clip": Clip("norm", max_norm=1.0)}, Edit.LIVE),
    ({"schedule": [Stage("exponential", {"gamma": 0.5})]}, Edit.RESTART),  # a stage added
    ({"hyper": {**ADAM.hyper, "amsgrad": True}}, Edit.RESTART),  # a flag: another algorithm
    ({"optimizer": "sgd", "hyper": OPTIMIZERS["sgd"].defaults()}, Edit.RESTART),
    ({"lookahead": {"k": 5, "alpha": 0.5}}, Edit.RESTART),
    ({"switch": Switch(10, "sgd", OPTIMIZERS["sgd"].defaults())}, Edit.RESTART),
    ({"batch_size": 4}, Edit.RESTART),
    ({"enabled": False}, Edit.RESTART),
])
def test_each_kind_of_edit_of_a_run(change, expected):
    assert run_edit(ADAM, edited(**change)) is expected


def test_values_inside_a_schedule_lookahead_or_switch_are_live_and_their_shape_restarts():
    scheduled = edited(schedule=[Stage("exponential", {"gamma": 0.9})])
    assert run_edit(scheduled, edited(schedule=[Stage("exponential", {"gamma": 0.5})])) is Edit.LIVE
    assert run_edit(scheduled, edited(schedule=[Stage("cosine")])) is Edit.RESTART
    wrapped = edited(lookahead={"k": 5, "alpha": 0.5})
    assert run_edit(wrapped, edited(lookahead={"k": 3, "alpha": 0.5})) is Edit.LIVE
    switch = Switch(10, "sgd", OPTIMIZERS["sgd"].defaults())
    switching = edited(switch=switch)
    assert run_edit(switching, edited(switch=Switch(10, "sgd", {**switch.hyper, "lr": 0.1}))) is Edit.LIVE
    assert run_edit(switching, edited(switch=Switch(20, "sgd", switch.hyper))) is Edit.RESTART


def test_momentum_from_zero_rebuilds_the_optimizer():
    sgd = Run("SGD", "sgd", OPTIMIZERS["sgd"].defaults())
    assert sgd.hyper["momentum"] == 0
    with_momentum = Run("SGD", "sgd", {**sgd.hyper, "momentum": 0.9})
    assert run_edit(sgd, with_momentum) is Edit.REBUILD
    assert run_edit(with_momentum, Run("SGD", "sgd", {**sgd.hyper, "momentum": 0.5})) is Edit.LIVE


def test_a_list_of_runs_takes_its_largest_edit_and_the_engine_hears_of_the_racing_ones():
    b = Run("B", "sgd", OPTIMIZERS["sgd"].defaults(), enabled=False)
    c = Run("C", "sgd", OPTIMIZERS["sgd"].defaults())
    old = [ADAM, b, c]
    faster_c = Run("C", "sgd", {**c.hyper, "lr": 0.1})
    assert runs_edit(old, [edited(name="A2"), b, faster_c]) is Edit.LIVE
    assert live_edits(old, [edited(name="A2"), b, faster_c]) == [(1, faster_c)]  # 2nd racing run
    assert runs_edit(old, old[:2]) is Edit.RESTART
    assert runs_edit(old, [c, b, ADAM]) is Edit.RESTART  # another order: other optimizers in place
