"""Lookahead and Ranger against numbers worked out by hand (plain Python floats)."""
import copy
import math
import warnings

import pytest
import torch

from optplayground.core.optimizers import build_optimizer, get_optimizer
from optplayground.core.ranger import Lookahead, Ranger, centralize_gradient, rectification

ATOL = 1e-12


def point(*values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def run(optimizer, p, loss_fn, steps, on_step=None):
    points = []
    for step in range(steps):
        if on_step:
            on_step(step)
        optimizer.zero_grad()
        loss_fn(p).backward()
        optimizer.step()
        points.append(p.detach().tolist())
    return points


def half_norm_sq(p):  # f = ½‖x‖², ∇f = x: an SGD step with lr 0.1 multiplies x by 0.9
    return 0.5 * (p ** 2).sum()


def assert_points(got, want):
    assert len(got) == len(want)
    for step, (g, w) in enumerate(zip(got, want), start=1):
        assert g == pytest.approx(w, abs=ATOL, rel=0), f"step {step}"


# --- Lookahead --------------------------------------------------------------------------

def test_lookahead_by_hand():
    p = point(1.0, -2.0)  # x0; every value below is (scalar) · x0
    optimizer = Lookahead(torch.optim.SGD([p], lr=0.1), k=2, alpha=0.5)
    got = run(optimizer, p, half_norm_sq, 6)
    scale = [
        0.9,        # step 1: fast = 0.9
        0.905,      # step 2: fast = 0.81; sync: slow = 1 + 0.5·(0.81 − 1) = 0.905; fast ← slow
        0.8145,     # step 3: 0.9 · 0.905
        0.819025,   # step 4: fast = 0.81 · 0.905 = 0.73305; sync: 0.905 + 0.5·(0.73305 − 0.905)
        0.7371225,  # step 5: 0.9 · 0.819025
        0.741217625,  # step 6: sync: 0.819025 + 0.5·(0.81·0.819025 − 0.819025) = 0.905³
    ]
    assert_points(got, [[s * 1.0, s * -2.0] for s in scale])


def test_lookahead_k_and_alpha_change_mid_run():
    p = point(1.0, -2.0)
    optimizer = Lookahead(torch.optim.SGD([p], lr=0.1), k=2, alpha=0.5)

    def change(step):
        if step == 2:  # after the first sync (at 0.905)
            optimizer.k, optimizer.alpha = 3, 0.25

    got = run(optimizer, p, half_norm_sq, 5, change)
    scale = [
        0.9, 0.905,        # as above, sync at step 2
        0.8145,            # step 3: 0.9 · 0.905; no sync: only 1 step since the last one
        0.733050,          # step 4: 0.81 · 0.905
        0.84368625,        # step 5: fast = 0.729·0.905 = 0.659745; sync 3 steps after the last:
                           #         0.905 + 0.25·(0.659745 − 0.905) = 0.905 − 0.06131375
    ]
    assert_points(got, [[s * 1.0, s * -2.0] for s in scale])


def test_lookahead_with_step_lr_scheduler():
    p = point(1.0, -2.0)
    inner = torch.optim.SGD([p], lr=0.1)
    optimizer = Lookahead(inner, k=2, alpha=0.5)
    assert isinstance(optimizer, torch.optim.Optimizer)
    assert optimizer.param_groups is inner.param_groups and optimizer.state is inner.state
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "lr_scheduler.step() before optimizer.step()"
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        got = run(optimizer, p, half_norm_sq, 2, lambda step: step and scheduler.step())
        scheduler.step()
    assert inner.param_groups[0]["lr"] == pytest.approx(0.025, abs=ATOL)
    # step 1: lr 0.1 → 0.9; step 2: lr 0.05 → 0.9·0.95 = 0.855; sync: 1 + 0.5·(0.855 − 1)
    assert_points(got, [[0.9, -1.8], [0.9275, -1.855]])


def test_lookahead_state_dict_round_trip():
    def make(p):
        return Lookahead(torch.optim.Adam([p], lr=0.05), k=3, alpha=0.4)

    p = point(1.0, -2.0)
    first = make(p)
    run(first, p, half_norm_sq, 4)  # one sync at step 3, one step pending
    saved = copy.deepcopy(first.state_dict())  # as if saved to disk: torch's holds references
    q = point(*p.tolist())
    second = make(q)
    second.load_state_dict(saved)
    assert second.param_groups is second.inner.param_groups
    assert (second.k, second.alpha, second.steps_since_sync) == (3, 0.4, 1)
    assert_points(run(second, q, half_norm_sq, 5), run(first, p, half_norm_sq, 5))


def test_lookahead_rejects_bad_settings():
    with pytest.raises(ValueError):
        Lookahead(torch.optim.SGD([point(1.0)], lr=0.1), k=0)
    with pytest.raises(ValueError):
        Lookahead(torch.optim.SGD([point(1.0)], lr=0.1), alpha=1.5)
    with pytest.raises(TypeError):
        Lookahead("sgd")


# --- Ranger -----------------------------------------------------------------------------

H = (1.0, 4.0)  # f = ½(x² + 4y²): ∇f = (x, 4y), both coordinates evolve independently


def anisotropic(p):
    return 0.5 * (H[0] * p[0] ** 2 + H[1] * p[1] ** 2)


def ranger_by_hand(theta0, lr, weight_decay, steps, k=6):
    """Ranger's defaults (β 0.95/0.999, ε 1e-5, α 0.5, threshold 5) per coordinate, in floats.

    Returns the points after each step and the fast (pre-sync) point of every sync step."""
    beta1, beta2, eps, alpha = 0.95, 0.999, 1e-5, 0.5
    n_max = 2 / (1 - beta2) - 1  # 1999
    theta, slow = list(theta0), list(theta0)
    m, v = [0.0, 0.0], [0.0, 0.0]
    points, fast_before_sync = [], {}
    for t in range(1, steps + 1):
        n_sma = n_max - 2 * t * beta2 ** t / (1 - beta2 ** t)
        for i in range(2):
            g = H[i] * theta[i]  # gradient at the current point (before weight decay)
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            theta[i] -= lr * weight_decay * theta[i]
            if n_sma > 5:  # rectified adaptive step
                r = math.sqrt((n_sma - 4) * (n_sma - 2) * n_max / ((n_max - 4) * (n_max - 2) * n_sma))
                theta[i] -= lr * r * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * m[i] / (
                    math.sqrt(v[i]) + eps)
            else:  # momentum step with bias correction only
                theta[i] -= lr * m[i] / (1 - beta1 ** t)
        if t % k == 0:  # Lookahead: slow += α(fast − slow); fast ← slow
            fast_before_sync[t] = list(theta)
            slow = [s + alpha * (f - s) for s, f in zip(slow, theta)]
            theta = list(slow)
        points.append(list(theta))
    return points, fast_before_sync


def test_rectification_switches_at_step_6():
    # N_sma(t) = 1999 − 2t·0.999ᵗ/(1 − 0.999ᵗ): 4.99600 at t=5, 5.99416 at t=6
    for t, expected in ((5, 4.995998000395048), (6, 5.994163751655833)):
        n_sma, step_size = rectification(t, 0.95, 0.999, 5)
        assert n_sma == pytest.approx(expected, abs=1e-9)
    assert rectification(5, 0.95, 0.999, 5)[1] == pytest.approx(1 / (1 - 0.95 ** 5), abs=ATOL)
    # step 6: √((1−β₂⁶)(N−4)(N−2)·1999 / (1995·N·1997)) / (1−β₁⁶), N = 5.99416…
    n = 5.994163751655833
    want = math.sqrt((1 - 0.999 ** 6) * (n - 4) * (n - 2) * 1999 / (1995 * n * 1997)) / (
        1 - 0.95 ** 6)
    assert rectification(6, 0.95, 0.999, 5)[1] == pytest.approx(want, abs=1e-9)


def test_ranger_first_two_steps_are_momentum_steps():
    p = point(1.0, -0.5)
    got = run(Ranger([p], lr=0.1), p, anisotropic, 2)
    # step 1: m = 0.05·g, step_size = 1/0.05 → θ − lr·g: (1 − 0.1·1, −0.5 − 0.1·(−2))
    # step 2: g = (0.9, −1.2); m = 0.95·0.05·g₀ + 0.05·g₁ = (0.0925, −0.155); step 1/0.0975
    assert_points(got, [[0.9, -0.3], [0.9 - 0.00925 / 0.0975, -0.3 + 0.0155 / 0.0975]])


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_ranger_matches_hand_computation(weight_decay):
    p = point(1.0, -0.5)
    hyper = {"lr": 0.1, "weight_decay": weight_decay}
    optimizer = build_optimizer(get_optimizer("ranger"), [p], hyper)
    want, fast = ranger_by_hand((1.0, -0.5), 0.1, weight_decay, 8)
    assert_points(run(optimizer, p, anisotropic, 8), want)
    # the sync at step 6 is half way between the start (slow weights) and the fast point
    assert want[5] == pytest.approx([0.5 * (s + f) for s, f in zip((1.0, -0.5), fast[6])])
    # without the sync (k huge) step 6 lands on the fast point instead
    q = point(1.0, -0.5)
    no_sync = run(Ranger([q], lr=0.1, k=1000, weight_decay=weight_decay), q, anisotropic, 6)
    assert_points(no_sync[5:], [fast[6]])


def test_ranger_k_changes_mid_run_via_group():
    p = point(1.0, -0.5)
    optimizer = Ranger([p], lr=0.1)

    def change(step):
        if step == 2:
            optimizer.param_groups[0]["k"] = 4  # next sync at step 4 (step % k, as the reference)

    want, _ = ranger_by_hand((1.0, -0.5), 0.1, 0.0, 5, k=4)
    assert_points(run(optimizer, p, anisotropic, 5, change), want)


def test_ranger_step_evaluates_closure():
    p = point(1.0, -0.5)
    optimizer = Ranger([p], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = anisotropic(p)
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == pytest.approx(0.5 * (1.0 + 4 * 0.25))
    assert p.tolist() == pytest.approx([0.9, -0.3], abs=ATOL)


C = [[1.0, 2.0, 6.0], [-3.0, 0.0, 0.0]]  # row means 3 and −1


def linear(weights):
    return lambda p: (weights * p).sum()  # ∇ = weights, whatever p is


@pytest.mark.parametrize("use_gc", [True, False])
def test_gradient_centralization_on_a_2d_weight(use_gc):
    c = torch.tensor(C, dtype=torch.float64)
    w = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    run(Ranger([w], lr=0.1, use_gc=use_gc), w, linear(c), 1)
    # first step: θ₁ = θ₀ − lr·g (see above); centralized g = each row minus its mean
    centered = [[-2.0, -1.0, 3.0], [-2.0, 1.0, 1.0]]
    g = centered if use_gc else C
    want = torch.tensor(g, dtype=torch.float64) * -0.1
    torch.testing.assert_close(w.detach(), want, rtol=0, atol=ATOL)
    assert w.grad.tolist() == C  # p.grad itself is left as backward wrote it


def test_gradient_centralization_leaves_1d_params_alone():
    c = torch.tensor([1.0, 5.0], dtype=torch.float64)
    p = point(0.0, 0.0)
    run(Ranger([p], lr=0.1), p, linear(c), 1)
    assert p.tolist() == pytest.approx([-0.1, -0.5], abs=ATOL)  # not centred to (2, −2)·0.1
    assert centralize_gradient(c) is c
    conv = torch.ones(2, 3, 1, 1, dtype=torch.float64)
    assert centralize_gradient(c.reshape(1, 2), conv_only=True).tolist() == [[1.0, 5.0]]
    assert centralize_gradient(c.reshape(1, 2)).tolist() == [[-2.0, 2.0]]
    assert centralize_gradient(conv, conv_only=True).abs().max().item() == 0.0


def test_ranger_rejects_bad_settings():
    for kwargs in ({"lr": 0.0}, {"eps": 0.0}, {"betas": (0.95, 1.0)}, {"k": 0}, {"alpha": 2.0},
                   {"weight_decay": -1.0}):
        with pytest.raises(ValueError):
            Ranger([point(1.0)], **kwargs)


def test_ranger_defaults_are_the_reference_ones():
    defaults = Ranger([point(0.0, 0.0)]).defaults
    assert defaults["lr"] == 1e-3 and defaults["betas"] == (0.95, 0.999) and defaults["eps"] == 1e-5
    assert (defaults["k"], defaults["alpha"], defaults["n_sma_threshold"]) == (6, 0.5, 5)
    assert defaults["use_gc"] is True and defaults["weight_decay"] == 0
    spec = get_optimizer("ranger").defaults()  # what the window and the CLI start from
    assert (spec["lr"], spec["betas"], spec["eps"], spec["k"], spec["alpha"]) == (
        1e-3, (0.95, 0.999), 1e-5, 6, 0.5)
    # the first step at the default lr is lr·g (momentum with bias correction, no rectification)
    p = point(1.0, -0.5)
    assert_points(run(Ranger([p]), p, anisotropic, 1), [[1.0 - 1e-3 * 1.0, -0.5 - 1e-3 * -2.0]])
