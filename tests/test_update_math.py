"""The step-through panel's numbers (core/update_math.py): the rule's terms, recomputed from
torch's state, give the update torch made."""
import math

import pytest
import torch

from optplayground.core import experiment as xp
from optplayground.core.trace import trace
from optplayground.core.update_math import (effective_label, effective_step, first_moment,
                                            radam_rectified, rectifier_step, terms, to_html)


def snapshots(name, hyper=None, steps=8, start=(-1.2, 1.5)):
    run = xp.Run(name=name, optimizer=name, hyper=hyper or {})
    exp = xp.validate(xp.Experiment(problem=xp.Problem(surface="rosenbrock", start=start),
                                    runs=[run], steps=steps))
    return trace(exp)[0]


def step_term(s):
    return [t.value for t in terms(s) if t.symbol == "step"][-1]


def term(s, symbol):
    return [t.value for t in terms(s) if t.symbol == symbol][-1]


def torch_loop(optimizer_class, hyper, steps, start=(-1.5, 2.0)):
    """A plain float64 torch loop on Rosenbrock: (θ before, torch's state, θ after) of the
    last update."""
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = optimizer_class([point], **hyper)
    for _ in range(steps):
        before = point.detach().clone()
        opt.zero_grad()
        x, y = point
        ((1 - x) ** 2 + 100 * (y - x * x) ** 2).backward()
        grad = point.grad.detach().clone()
        opt.step()
    return before, grad, opt.state[point], point.detach().clone()


def test_adamws_panel_shows_the_decoupled_decay_torch_applied():
    """wd.toml's AdamW at update 62: the decay lr·λθ and Adam's step add up to Δθ."""
    s = snapshots("adamw", {"lr": 0.01, "weight_decay": 0.5}, steps=62, start=(-1.5, 2.0))[-1]
    before, _, state, after = torch_loop(torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.5}, 62)
    m_hat = state["exp_avg"] / (1 - 0.9 ** 62)
    v_hat = state["exp_avg_sq"] / (1 - 0.999 ** 62)
    step = (0.01 * m_hat / (v_hat.sqrt() + 1e-8)).tolist()
    decay = (0.01 * 0.5 * before).tolist()
    assert s.before == pytest.approx(before.tolist(), rel=1e-12)
    assert step_term(s) == pytest.approx(step, rel=1e-12)
    assert term(s, "decay") == pytest.approx(decay, rel=1e-12)
    assert [-d - a for d, a in zip(decay, step)] == pytest.approx((after - before).tolist(),
                                                                 rel=1e-12)
    assert "lr·λθ" in to_html(s)


def test_adagrads_step_size_decays_as_torchs():
    """lr 0.5, lr_decay 0.5 at update 64: η = lrₜ/(√s + ε), lrₜ = lr/(1 + 63·0.5)."""
    hyper = {"lr": 0.5, "lr_decay": 0.5}
    s = snapshots("adagrad", hyper, steps=64, start=(-1.5, 2.0))[-1]
    before, grad, state, after = torch_loop(torch.optim.Adagrad, hyper, 64)
    lr_t = 0.5 / (1 + 63 * 0.5)
    eta = (lr_t / (state["sum"].sqrt() + 1e-10)).tolist()
    assert term(s, "lr<sub>t</sub>") == pytest.approx(lr_t, rel=1e-15)
    assert effective_step(s) == pytest.approx(eta, rel=1e-12)
    assert step_term(s) == pytest.approx([e * g for e, g in zip(eta, grad.tolist())], rel=1e-12)
    assert step_term(s) == pytest.approx((before - after).tolist(), rel=1e-11)
    assert "lr<sub>t</sub>" in effective_label(s)


def parts_add_up(s):
    """The shown parts of the update (the step, and the decay taken off θ) give −Δθ."""
    decay = [t.value for t in terms(s) if t.symbol == "decay"]
    total = [a + (decay[0][i] if decay else 0.0) for i, a in enumerate(step_term(s))]
    return total == pytest.approx([-u for u in s.update], rel=1e-11, abs=1e-15)


@pytest.mark.parametrize("name,hyper", [
    ("adamw", {"lr": 0.01, "weight_decay": 0.5}),
    ("adam", {"lr": 0.01, "weight_decay": 1.0}),
    ("adam", {"lr": 0.01, "weight_decay": 0.5, "decoupled_weight_decay": True}),
    ("amsgrad", {"lr": 0.01, "weight_decay": 0.5}),
    ("radam", {"lr": 0.01, "weight_decay": 0.5, "decoupled_weight_decay": True}),
    ("radam", {"lr": 0.01, "weight_decay": 0.5}),
    ("nadam", {"lr": 0.01, "weight_decay": 0.5, "decoupled_weight_decay": True}),
    ("sgd", {"lr": 1e-4, "weight_decay": 0.5}), ("momentum", {"lr": 1e-4, "weight_decay": 0.5}),
    ("nesterov", {"lr": 1e-4, "weight_decay": 0.5}),
    ("rmsprop", {"lr": 0.001, "weight_decay": 0.5}),
    ("rmsprop", {"lr": 0.001, "momentum": 0.9}), ("rmsprop", {"lr": 0.001, "centered": True}),
    ("adagrad", {"lr": 0.5, "lr_decay": 0.5, "weight_decay": 0.5}),
])
def test_every_shown_part_adds_up_to_the_update(name, hyper):
    for s in snapshots(name, hyper):
        assert parts_add_up(s), f"{name} {hyper} update {s.step}"
        decay, decoupled = hyper.get("weight_decay", 0), name == "adamw" or \
            hyper.get("decoupled_weight_decay")
        g = [t for t in terms(s) if t.symbol == "g" and "λθ" in t.formula]
        assert bool(g) == bool(decay and not decoupled)
        if g:  # the g the rule uses is ∇f + λθ, and says so
            assert g[0].value == pytest.approx([a + decay * b for a, b in zip(s.grad, s.before)],
                                            rel=1e-15)


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
    updates = snapshots("ranger", {"lr": 1e-3, "weight_decay": 0.5}, steps=12)
    assert len(updates) == 12  # (at lr 0.01 it diverges at update 5, before any sync)
    for s in updates:
        html = to_html(s)
        assert ("rectified" in html) == (s.step >= 6)
        assert "lr·λθ" in html  # Ranger decays decoupled
        if s.step >= 6:  # the map's key says the rectifier is in its η
            assert "r·√(1−β" in effective_label(s)
        if s.step % 6:  # between syncs the point moved by exactly the rule's parts
            assert parts_add_up(s)
        else:
            assert "sync" in html and "−(decay + step)" not in html


def test_labels_say_what_their_numbers_are():
    amsgrad = snapshots("amsgrad", {"lr": 0.01}, steps=3)[-1]
    v_hat = [t for t in terms(amsgrad) if t.formula.startswith("v<sub>max</sub> / (1−β")]
    assert v_hat and v_hat[0].value == pytest.approx(
        [v / (1 - 0.999 ** 3) for v in amsgrad.state["max_exp_avg_sq"]], rel=1e-15)
    for name in ("adam", "amsgrad", "radam", "nadam"):
        html = to_html(snapshots(name, {"lr": 0.01}, steps=6)[-1])
        # Qt's rich text draws a combining circumflex detached: the hats are bars over letters
        assert "\u0302" not in html and "text-decoration:overline'>m<" in html, name
