"""LR schedules: the driver's LRs equal a plain torch loop with the same torch scheduler."""
import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as S

from optplayground.core.params import ConfigError
from optplayground.core.lr_driver import LRDriver, build_scheduler
from optplayground.core.schedules import SCHEDULES, Stage, get_schedule, validate_stages

N = 250
BASE_LR = 0.1

pytestmark = pytest.mark.filterwarnings("error")  # no scheduler-order or deprecation warnings


def torch_lrs(make, n, base_lr=BASE_LR, losses=None):
    """The LR of each of n updates, then the LR after them, from a plain torch loop."""
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr, momentum=0.9)
    scheduler = make(opt)
    lrs = []
    for t in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        p.grad = torch.ones_like(p)
        opt.step()
        if scheduler is not None:
            scheduler.step() if losses is None else scheduler.step(losses[t])
    return lrs + [opt.param_groups[0]["lr"]]


def driver_lrs(stages, n, base_lr=BASE_LR, total=None, losses=None):
    driver = LRDriver(stages, base_lr, total or n)
    lrs = []
    for t in range(n):
        lrs.append(driver.lr)
        driver.step(None if losses is None else losses[t])
    assert driver.steps_done == n
    return lrs + [driver.lr]


def _inverse_sqrt(warmup):
    return lambda t: min((t + 1) / warmup, math.sqrt(warmup / (t + 1)))


# name, params, the same scheduler built by hand in torch
CASES = [
    ("constant", {}, lambda o: None),
    ("step", {"step_size": 7, "gamma": 0.5}, lambda o: S.StepLR(o, 7, 0.5)),
    ("step", {}, lambda o: S.StepLR(o, 100, 0.1)),
    ("multistep", {"milestones": "5, 12 30", "gamma": 0.3},
     lambda o: S.MultiStepLR(o, [5, 12, 30], 0.3)),
    ("multistep", {"milestones": [3, 40]}, lambda o: S.MultiStepLR(o, [3, 40], 0.1)),
    ("exponential", {"gamma": 0.95}, lambda o: S.ExponentialLR(o, 0.95)),
    ("cosine", {}, lambda o: S.CosineAnnealingLR(o, N, 0.0)),
    ("cosine", {"T_max": 20, "eta_min": 0.01}, lambda o: S.CosineAnnealingLR(o, 20, 0.01)),
    ("cosine_restarts", {"T_0": 7, "T_mult": 2, "eta_min": 0.001},
     lambda o: S.CosineAnnealingWarmRestarts(o, 7, 2, 0.001)),
    ("linear", {}, lambda o: S.LinearLR(o, 1 / 3, 1.0, N)),
    ("linear", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 15},
     lambda o: S.LinearLR(o, 0.2, 0.9, 15)),
    ("onecycle", {"pct_start": 0.25, "anneal_strategy": "linear", "div_factor": 10.0,
                  "final_div_factor": 100.0},
     lambda o: S.OneCycleLR(o, BASE_LR, total_steps=N, pct_start=0.25, anneal_strategy="linear",
                            div_factor=10.0, final_div_factor=100.0)),
    ("onecycle", {"max_lr": 0.5, "three_phase": True},
     lambda o: S.OneCycleLR(o, 0.5, total_steps=N, three_phase=True)),
    ("cyclic", {}, lambda o: S.CyclicLR(o, BASE_LR / 10, BASE_LR, 100)),
    ("cyclic", {"base_lr": 0.01, "max_lr": 0.2, "step_size_up": 5, "step_size_down": 8,
                "mode": "triangular2"},
     lambda o: S.CyclicLR(o, 0.01, 0.2, 5, 8, "triangular2")),
    ("cyclic", {"base_lr": 0.0, "max_lr": 0.3, "step_size_up": 4, "mode": "exp_range",
                "gamma": 0.97},
     lambda o: S.CyclicLR(o, 0.0, 0.3, 4, mode="exp_range", gamma=0.97)),
    ("inverse_sqrt", {"warmup_steps": 10}, lambda o: S.LambdaLR(o, _inverse_sqrt(10))),
    ("lambda", {"factor": "0.97 ** epoch + 0.1 * sin(step) ** 2"},
     lambda o: S.LambdaLR(o, lambda t: 0.97 ** t + 0.1 * math.sin(t) ** 2)),
    ("polynomial", {}, lambda o: S.PolynomialLR(o, N, 1.0)),
    ("polynomial", {"total_iters": 40, "power": 2.0}, lambda o: S.PolynomialLR(o, 40, 2.0)),
]


@pytest.mark.parametrize("name, params, make", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_single_schedule_equals_torch(name, params, make):
    expected = torch_lrs(make, N)
    got = driver_lrs([Stage(name, params)], N)
    assert got == expected
    if name != "constant":
        assert len(set(expected)) > 2  # the schedule really moves within N updates


def test_cases_cover_every_schedule():
    assert {c[0] for c in CASES} | {"plateau"} == set(SCHEDULES)


def test_inverse_sqrt_peaks_at_base_lr_after_warmup():
    lrs = driver_lrs([Stage("inverse_sqrt", {"warmup_steps": 10})], 30)
    assert max(lrs) == BASE_LR == lrs[9]  # the 10th update (s = t + 1 = warmup)
    assert lrs[0] == pytest.approx(BASE_LR / 10, rel=1e-15)
    assert lrs[29] == pytest.approx(BASE_LR * math.sqrt(10 / 30), rel=1e-15)  # s = 30


def test_chain_warmup_then_cosine_equals_sequential_lr():
    stages = [Stage("linear", {"start_factor": 0.1}, steps=10), Stage("cosine")]

    def make(o):
        warmup = S.LinearLR(o, 0.1, 1.0, 10)
        cosine = S.CosineAnnealingLR(o, 70)
        return S.SequentialLR(o, [warmup, cosine], milestones=[10])

    expected = torch_lrs(make, 80)
    assert driver_lrs(stages, 80) == expected
    assert expected[9] < expected[10] == BASE_LR  # warm-up ends, cosine starts at the base lr


def test_three_stage_chain_with_constant_equals_sequential_lr():
    stages = [Stage("step", {"step_size": 3, "gamma": 0.5}, steps=8), Stage("constant", steps=5),
              Stage("exponential", {"gamma": 0.9})]

    def make(o):
        parts = [S.StepLR(o, 3, 0.5), S.LambdaLR(o, lambda t: 1.0), S.ExponentialLR(o, 0.9)]
        return S.SequentialLR(o, parts, milestones=[8, 13])

    assert driver_lrs(stages, 30) == torch_lrs(make, 30)


def test_chain_ending_in_onecycle_spans_the_rest_of_the_run():
    stages = [Stage("linear", {}, steps=10), Stage("onecycle", {"max_lr": 0.4})]

    def make(o):
        parts = [S.LinearLR(o, 1 / 3, 1.0, 10), S.OneCycleLR(o, 0.4, total_steps=40)]
        return S.SequentialLR(o, parts, milestones=[10])

    assert driver_lrs(stages, 50) == torch_lrs(make, 50)


def test_build_scheduler_shapes():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    assert build_scheduler(opt, [], 10) is None
    assert build_scheduler(opt, [Stage("constant")], 10) is None
    assert isinstance(build_scheduler(opt, [Stage("step")], 10), S.StepLR)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    stages = [Stage("step", steps=8), Stage("constant", steps=5), Stage("cosine")]
    chain = build_scheduler(opt, stages, 50)
    assert isinstance(chain, S.SequentialLR) and chain._milestones == [8, 13]


def _plateau_losses(n=120):
    rng = np.random.default_rng(3)
    falling = 1.0 / (1.0 + np.arange(n // 3))
    flat = falling[-1] * (1 + 0.002 * rng.standard_normal(n - n // 3))
    return [float(x) for x in np.concatenate([falling, flat])]


def test_plateau_equals_torch():
    losses = _plateau_losses()
    params = {"factor": 0.5, "patience": 3, "cooldown": 2, "threshold": 0.01, "min_lr": 0.002}

    def make(o):
        return S.ReduceLROnPlateau(o, "min", factor=0.5, patience=3, threshold=0.01,
                                   threshold_mode="rel", cooldown=2, min_lr=0.002, eps=1e-8)

    expected = torch_lrs(make, len(losses), losses=losses)
    assert driver_lrs([Stage("plateau", params)], len(losses), losses=losses) == expected
    assert len(set(expected)) > 3 and min(expected) == 0.002  # it reduced, down to min_lr


def test_plateau_needs_the_loss():
    driver = LRDriver([Stage("plateau")], 0.1, 10)
    assert driver.watches_loss
    with pytest.raises(ValueError, match="loss"):
        driver.step()
    assert not LRDriver([Stage("cosine")], 0.1, 10).watches_loss


def test_onecycle_holds_its_last_lr_past_total_steps():
    driver = LRDriver([Stage("onecycle")], 0.1, 20)
    for _ in range(20):
        driver.step()
    last = driver.lr
    assert last == torch_lrs(lambda o: S.OneCycleLR(o, 0.1, total_steps=20), 20)[-1]
    for _ in range(5):
        driver.step()
    assert driver.lr == last and driver.steps_done == 25
    driver.rebuild([Stage("onecycle")], 0.1)  # the fast-forward holds too
    assert driver.lr == last


def _stepped(stages, base_lr, k, total=200, losses=None):
    driver = LRDriver(stages, base_lr, total)
    for t in range(k):
        driver.step(None if losses is None else losses[t])
    return driver


@pytest.mark.parametrize("old, new", [
    ([Stage("exponential", {"gamma": 0.99})], [Stage("exponential", {"gamma": 0.9})]),
    ([Stage("step", {"step_size": 10, "gamma": 0.5})],
     [Stage("step", {"step_size": 10, "gamma": 0.1})]),
    ([Stage("linear", steps=10), Stage("cosine")], [Stage("linear", steps=20), Stage("cosine")]),
])
def test_rebuild_equals_a_fresh_driver_fast_forwarded(old, new):
    k = 37
    driver = _stepped(old, 0.1, k)
    driver.rebuild(new, 0.05)
    fresh = _stepped(new, 0.05, k)
    assert driver.steps_done == k
    assert driver.lr == fresh.lr
    assert driver.lr != _stepped(old, 0.1, k).lr
    for _ in range(10):
        driver.step()
        fresh.step()
        assert driver.lr == fresh.lr


def test_rebuild_plateau_replays_the_losses():
    losses = _plateau_losses()
    k = 70
    old = [Stage("plateau", {"factor": 0.5, "patience": 2})]
    new = [Stage("plateau", {"factor": 0.2, "patience": 2})]
    driver = _stepped(old, 0.1, k, losses=losses)
    driver.rebuild(new, 0.1)
    fresh = _stepped(new, 0.1, k, losses=losses)
    assert driver.lr == fresh.lr < 0.1
    assert driver.lr != _stepped(old, 0.1, k, losses=losses).lr
    for loss in losses[k:]:
        driver.step(loss)
        fresh.step(loss)
        assert driver.lr == fresh.lr


def test_plateau_chosen_mid_run_watches_from_then_on():
    losses = _plateau_losses()
    driver = _stepped([Stage("exponential")], 0.1, 40)
    driver.rebuild([Stage("plateau", {"patience": 1})], 0.1)
    assert driver.lr == 0.1 and driver.watches_loss
    fresh = LRDriver([Stage("plateau", {"patience": 1})], 0.1, 200)
    for loss in losses[40:]:
        driver.step(loss)
        fresh.step(loss)
        assert driver.lr == fresh.lr
    assert driver.lr < 0.1
    driver.rebuild([Stage("constant")], 0.3)
    assert driver.lr == 0.3 and not driver.watches_loss
    driver.step()  # no loss needed any more


def test_rebuild_with_bad_settings_keeps_the_old_ones():
    driver = _stepped([Stage("exponential", {"gamma": 0.9})], 0.1, 5)
    lr = driver.lr
    with pytest.raises(ConfigError) as err:
        driver.rebuild([Stage("exponential", {"gamma": -1})], 0.2)
    assert err.value.field == "schedule[0].gamma"
    assert driver.lr == lr and driver.steps_done == 5
    driver.step()
    assert driver.lr == pytest.approx(lr * 0.9, rel=1e-15)


def test_fast_forward_of_100k_steps():
    stages = [Stage("linear", {"start_factor": 0.01}, steps=1000), Stage("cosine")]
    driver = LRDriver(stages, 0.1, 200_000)
    for _ in range(100_000):
        driver.step()
    lr = driver.lr
    driver.rebuild(stages, 0.1)  # replays 100k scheduler steps, linear in the steps
    assert driver.steps_done == 100_000
    assert driver.lr == lr
    assert lr == pytest.approx(0.05 * (1 + math.cos(math.pi * 99_000 / 199_000)), rel=1e-9)


# ---------------------------------------------------------------- validation

def _field(stages, where="schedule"):
    with pytest.raises(ConfigError) as err:
        validate_stages(stages, where)
    return err.value.field, err.value.message


def test_errors_name_stage_and_field():
    assert _field([Stage("step", {"gamma": 1.5})])[0] == "schedule[0].gamma"
    chain = [Stage("linear", steps=5), Stage("exponential", {"gamma": -1})]
    assert _field(chain)[0] == "schedule[1].gamma"
    assert _field([Stage("step", {"gama": 0.5})])[0] == "schedule[0].gama"
    where = "runs[2].schedule"
    assert _field([Stage("cosine", {"T_max": 2.5})], where)[0] == "runs[2].schedule[0].T_max"
    assert _field([Stage("cyclic", {"mode": "sine"})])[0] == "schedule[0].mode"


def test_unknown_schedule():
    field, message = _field([Stage("constant", steps=3), Stage("cosnie")])
    assert field == "schedule[1].name" and "cosine" in message
    with pytest.raises(ConfigError) as err:
        get_schedule("nope")
    assert err.value.field == "schedule" and "nope" in err.value.message


def test_plateau_cannot_be_chained():
    field, message = _field([Stage("linear", steps=10), Stage("plateau")])
    assert field == "schedule[1].name" and "plateau" in message and "alone" in message


def test_every_stage_but_the_last_needs_steps():
    field, message = _field([Stage("linear"), Stage("cosine")])
    assert field == "schedule[0].steps" and "steps" in message
    assert _field([Stage("linear", steps=0), Stage("cosine")])[0] == "schedule[0].steps"
    assert _field([Stage("cosine", steps=-3)])[0] == "schedule[0].steps"
    assert validate_stages([Stage("linear", steps="10"), Stage("cosine")])[0].steps == 10


@pytest.mark.parametrize("text, reason", [
    ("100,50", "increase"), ("100,100", "increase"), ("a,b", "expected a number"),
    ("10,1.5", "whole number"), ("", "at least one"),
    ("0,10", "[1, inf]"), (7, "update counts"),
])
def test_bad_milestones(text, reason):
    field, message = _field([Stage("multistep", {"milestones": text})])
    assert field == "schedule[0].milestones" and reason in message


def test_milestones_are_normalised_text():
    stage = validate_stages([Stage("multistep", {"milestones": [10, 20]})])[0]
    assert stage.params["milestones"] == "10,20"
    stage = validate_stages([Stage("multistep", {"milestones": " 10; 20 30 "})])[0]
    assert stage.params["milestones"] == "10,20,30"


def test_onecycle_settings_torch_cannot_run():
    field, message = _field([Stage("onecycle", {"three_phase": True, "pct_start": 0.6})])
    assert field == "schedule[0]" and "three_phase" in message
    with pytest.raises(ConfigError) as err:  # pct_start·steps = 1: a phase of zero updates
        LRDriver([Stage("onecycle", {"pct_start": 0.1})], 0.1, 10)
    assert err.value.field == "schedule[0].pct_start"


def test_validation_fills_defaults_and_is_idempotent():
    original = Stage("step", {"gamma": "0.5"})
    stage = validate_stages([original])[0]
    assert stage.params == {"step_size": 100, "gamma": 0.5} and original.params == {"gamma": "0.5"}
    for spec in SCHEDULES.values():
        once = spec.validate({}, "s")
        assert spec.validate(once, "s") == once == spec.defaults()


def test_specs_document_themselves():
    for name, spec in SCHEDULES.items():
        assert spec.name == name and spec.title and spec.help and spec.formula
        assert all(p.help for p in spec.params), name
