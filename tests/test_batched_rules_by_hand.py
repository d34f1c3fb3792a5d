"""Batched update rules checked by hand (RAdam's rectification from step 6, Ranger's syncs,
momentum-0 rows beside momentum rows), the exactness they rest on (Python's pow, torch's
fused single-tensor ops), and how a batch is built. Property tests against torch run
alone: tests/test_batched_rules.py."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from optplayground.core.batched.rules import batchable, batched_rule, not_batched_reason, stack_hyper
from optplayground.core.batched.rules_base import py_pow, py_sqrt
from optplayground.core.optimizers import OPTIMIZERS
from optplayground.core.params import ConfigError

F64 = torch.float64


# --- the exactness this rests on ---------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(base=st.floats(0.0, 1.0), exponent=st.integers(1, 100_000))
def test_py_pow_rounds_as_python_does(base, exponent):
    got = py_pow(torch.tensor([[base], [0.5]], dtype=F64), torch.tensor([[float(exponent)], [3.0]],
                                                                        dtype=F64))
    assert got[0, 0].item() == base ** float(exponent)
    assert py_pow(torch.tensor([[base]], dtype=F64), 0.5).item() == base ** 0.5  # not sqrt


def test_py_pow_is_python_pow_where_sqrt_is_not():
    x = 0.7071067811865476 ** 2 * 1.0000000000000002  # numpy's x ** 0.5 would be sqrt here
    rng = np.random.default_rng(3)
    values = rng.random(20_000)
    got = py_pow(torch.from_numpy(values).reshape(-1, 1), 0.5).flatten().tolist()
    assert got == [v ** 0.5 for v in values.tolist()]
    assert any(v ** 0.5 != math.sqrt(v) for v in values.tolist()), "the case the helper is for"
    assert py_sqrt(torch.tensor([x], dtype=F64)).item() == math.sqrt(x)
    # where Python raises OverflowError or gives a complex number: inf and nan, as a row
    one, two = torch.tensor([[10.0]], dtype=F64), torch.tensor([[10.0], [-2.0]], dtype=F64)
    assert py_pow(one, 1e6).item() == math.inf and math.isnan(py_pow(-one, 0.5).item())
    assert py_pow(two, 1e6)[0, 0] == math.inf and math.isnan(py_pow(two, 0.5)[1, 0])


def test_torch_fuses_the_single_tensor_ops_the_rules_copy():
    """What rules_base says about torch's CPU kernels, on this machine: add_ with alpha and
    addcmul_ with value round once; addcdiv_ is self + (value·t1)/t2."""
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(500, 2, generator=gen, dtype=F64), torch.randn(500, 2, generator=gen,
                                                                      dtype=F64)
    c = torch.rand(500, 2, generator=gen, dtype=F64) + 0.1
    s = torch.randn(500, 1, generator=gen, dtype=F64)
    for i in range(500):
        v = float(s[i])
        assert torch.equal(a[i].clone().add_(b[i], alpha=v), torch.addcmul(a, s, b)[i])
        assert torch.equal(a[i].clone().addcmul_(b[i], b[i], value=v),
                           torch.addcmul(a, s * b, b)[i])
        assert torch.equal(a[i].clone().addcdiv_(b[i], c[i], value=v),
                           torch.addcdiv(a, s * b, c)[i])


# --- hand-checked values -----------------------------------------------------------------

def test_radam_rectifies_from_step_6_with_beta2_0_999():
    """DESIGN.md: with β₂ 0.999 RAdam takes plain momentum steps for t ≤ 5 (ρₜ ≤ 5), then
    rectified Adam steps. A constant gradient 1 makes m̂ = 1 and v̂ = 1 exactly enough to
    check each move by hand."""
    lr, beta1, beta2 = 0.01, 0.9, 0.999
    rule = batched_rule("radam", [{"lr": lr, "betas": (beta1, beta2), "eps": 1e-8}])
    x = torch.zeros(1, 2, dtype=F64)
    rho_inf = 2 / (1 - beta2) - 1
    moves = []
    for t in range(1, 9):
        before = x.clone()
        rule.step(x, torch.ones(1, 2, dtype=F64), torch.full((1, 1), lr, dtype=F64))
        moves.append(float(before[0, 0] - x[0, 0]))
        rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
        assert (rho_t > 5) == (t >= 6)
        if t <= 5:
            assert moves[-1] == pytest.approx(lr, rel=1e-12)  # m̂ = 1: a plain lr step
        else:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(1 - beta2 ** t) / (math.sqrt(1 - beta2 ** t) + 1e-8)
            assert moves[-1] == pytest.approx(lr * rect * adaptive, rel=1e-12)
    assert 0.02 < moves[5] / lr < 0.03  # the first rectified step is small: r₆ ≈ 0.026


def test_ranger_by_hand_switch_at_step_6_and_sync_every_k():
    """Ranger (β 0.95/0.999, threshold 5, k 3, α 0.5), gradient 1 every step: plain steps
    of lr until t = 5, then the rectified step; the point is pulled halfway back to the
    slow weights after steps 3 and 6."""
    lr, k = 0.1, 3
    rule = batched_rule("ranger", [{"lr": lr, "k": k, "alpha": 0.5}])
    x = torch.zeros(1, 2, dtype=F64)
    slow = fast = 0.0
    for t in range(1, 8):
        rule.step(x, torch.ones(1, 2, dtype=F64), torch.full((1, 1), lr, dtype=F64))
        rho_inf = 2 / (1 - 0.999) - 1
        rho_t = rho_inf - 2 * t * 0.999 ** t / (1 - 0.999 ** t)
        if t <= 5:
            fast -= lr  # exp_avg / (1 − β₁ᵗ) = 1
        else:
            r = math.sqrt((1 - 0.999 ** t) * (rho_t - 4) / (rho_inf - 4) * (rho_t - 2) / rho_t
                          * rho_inf / (rho_inf - 2))
            v_hat_root = math.sqrt(1 - 0.999 ** t)  # √v with v = 1 − β₂ᵗ
            fast -= lr * r / v_hat_root * (1 - 0.95 ** t) / (1 - 0.95 ** t) \
                * v_hat_root / (v_hat_root + 1e-5)
        if t % k == 0:
            slow += 0.5 * (fast - slow)
            fast = slow
        assert float(x[0, 0]) == pytest.approx(fast, rel=1e-12, abs=1e-15), f"step {t}"
    state = rule.state_of(0)
    assert set(state) == {"step", "exp_avg", "exp_avg_sq", "slow_buffer"}
    assert float(state["slow_buffer"][0]) == pytest.approx(slow, rel=1e-12)


def test_sgd_momentum_zero_rows_ignore_dampening_beside_momentum_rows():
    """In one batch a row with momentum 0 takes bare steps (torch ignores dampening there)
    while its neighbour builds velocity: b₁ = g, then b = μb + (1−τ)g."""
    rule = batched_rule("sgd", [{"momentum": 0.0, "dampening": 0.5},
                                {"momentum": 0.5, "dampening": 0.5}])
    x = torch.zeros(2, 2, dtype=F64)
    for _ in range(3):
        rule.step(x, torch.ones(2, 2, dtype=F64), torch.full((2, 1), 0.1, dtype=F64))
    assert x[0].tolist() == pytest.approx([-0.3, -0.3], rel=1e-15)
    # b: 1, 0.5 + 0.5 = 1, 1 → moves 0.1 each
    assert x[1].tolist() == pytest.approx([-0.3, -0.3], rel=1e-15)
    assert rule.state_of(0) == {} and set(rule.state_of(1)) == {"momentum_buffer"}


# --- building a batch --------------------------------------------------------------------

def test_stack_hyper_makes_per_row_columns_and_refuses_mixed_switches():
    spec = OPTIMIZERS["adam"]
    hyper = stack_hyper(spec, [{"lr": 0.1}, {"betas": "0.8,0.9", "eps": 1e-6}], F64, "cpu")
    assert hyper["lr"].shape == (2, 1) and hyper["lr"].flatten().tolist() == [0.1, 1e-3]
    assert [b.flatten().tolist() for b in hyper["betas"]] == [[0.9, 0.8], [0.999, 0.9]]
    assert hyper["amsgrad"] is False
    with pytest.raises(ConfigError, match="amsgrad.*share on/off"):
        stack_hyper(spec, [{}, {"amsgrad": True}], F64, "cpu")
    with pytest.raises(ConfigError, match="runs.1..lr"):
        stack_hyper(spec, [{}, {"lr": -1}], F64, "cpu", where="runs")


def test_what_is_not_batchable_says_why():
    assert batchable("adam") and not batchable("lbfgs")
    assert "line search" in not_batched_reason("lbfgs")
    assert not_batched_reason("adam") is None and not_batched_reason("lookahead") is None
    assert "runs alone" in not_batched_reason("torch.optim:SGD")
    with pytest.raises(ConfigError, match="lbfgs cannot be batched"):
        batched_rule("lbfgs", [{}])
    with pytest.raises(ConfigError, match="cannot be batched"):
        batched_rule("torch.optim:SGD", [{}])
    with pytest.raises(ConfigError, match="unknown optimizer"):
        batched_rule("nope", [{}])
    with pytest.raises(ConfigError, match="alpha"):
        batched_rule("adam", [{}], lookahead={"k": 2, "alpha": 0.0})
