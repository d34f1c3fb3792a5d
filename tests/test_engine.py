"""The engine against plain torch loops: same trajectories, LRs, norms; statuses; edits."""
import math

import numpy as np
import pytest
import torch

from optplayground.core.engine import Engine
from optplayground.core.experiment import Clip, Experiment, Problem, Run, Switch
from optplayground.core.history import COL
from optplayground.core.schedules import Stage


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def race(*runs, steps=100, surface="rosenbrock", start=(-1.5, 2.0), **kw):
    exp = Experiment(problem=Problem(surface=surface, start=start), runs=list(runs), steps=steps, **kw)
    engine = Engine(exp)
    engine.run_to_end()
    return engine


def plain_loop(make_opt, steps, f=rosenbrock, start=(-1.5, 2.0), clip=None, on_step=None):
    """x_k, loss_k, lr_k, raw_k, clipped_k for k = 0..steps, written the obvious way."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt, sched = make_opt(p)
    rows = []
    for k in range(steps + 1):
        if on_step:
            on_step(k, opt)
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        raw = torch.linalg.vector_norm(p.grad).item()
        if clip:
            raw = torch.nn.utils.clip_grad_norm_([p], clip).item()
        clipped = torch.linalg.vector_norm(p.grad).item()
        rows.append([k, *p.detach().tolist(), loss.item(), opt.param_groups[0]["lr"], raw, clipped])
        if k < steps:
            opt.step()
            if sched:
                sched.step()
    return np.array(rows)


def test_rows_equal_a_plain_torch_loop_with_schedule_and_clipping():
    engine = race(Run("adam", "adam", {"lr": 0.02},
                      schedule=[Stage("step", {"step_size": 30, "gamma": 0.5})],
                      clip=Clip(mode="norm", max_norm=10.0)), steps=120)

    def make(p):
        opt = torch.optim.Adam([p], lr=0.02)
        return opt, torch.optim.lr_scheduler.StepLR(opt, 30, 0.5)

    expected = plain_loop(make, 120, clip=10.0)
    got = engine.history[0].array()
    assert got.shape == (121, 7)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert engine.history[0].status == "done"
    assert got[0, COL["grad_norm"]] > 10 and got[0, COL["grad_norm_clipped"]] == pytest.approx(10)


def test_clip_by_value_records_both_norms():
    engine = race(Run("sgd", "sgd", {"lr": 1e-3}, clip=Clip(mode="value", clip_value=1.0)), steps=5)
    first = engine.history[0].array()[0]
    assert first[COL["grad_norm"]] == pytest.approx(math.hypot(155, 50))  # ∇f(-1.5, 2)
    assert first[COL["grad_norm_clipped"]] == pytest.approx(math.sqrt(2))


def test_lbfgs_runs_with_a_closure_like_torch():
    engine = race(Run("lbfgs", "lbfgs", {"lr": 0.5, "max_iter": 5}), steps=10)

    def make(p):
        return torch.optim.LBFGS([p], lr=0.5, max_iter=5), None

    p = torch.tensor((-1.5, 2.0), dtype=torch.float64, requires_grad=True)
    opt, _ = make(p)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(p)
        loss.backward()
        return loss

    path = [p.detach().clone()]
    for _ in range(10):
        opt.step(closure)
        path.append(p.detach().clone())
    got = engine.history[0].array()[:, 1:3]
    np.testing.assert_allclose(got, torch.stack(path).numpy(), atol=1e-12)


def test_a_diverging_run_stops_and_the_others_go_on():
    engine = race(Run("wild", "sgd", {"lr": 0.5}), Run("calm", "adam", {"lr": 0.01}), steps=200,
                  surface="saddle", start=(0.5, 0.01))
    wild, calm = engine.history[0], engine.history[1]
    assert wild.status == "diverged" and "diverged at step" in wild.message
    assert np.all(np.isfinite(wild.array()))
    assert len(wild.array()) < 200
    assert calm.status in ("done", "diverged") and len(calm.array()) > len(wild.array())


def test_nan_rows_are_never_stored():
    engine = race(Run("huge", "sgd", {"lr": 1e6}), steps=50)
    assert engine.history[0].status == "diverged"
    assert np.all(np.isfinite(engine.history[0].array()))


def test_an_optimizer_that_raises_ends_its_run_with_error_only(allow_fake_optimizers):
    engine = race(Run("buggy", "fake_optimizers:ExplodingSGD", {"lr": 1e-4}),
                  Run("fine", "sgd", {"lr": 1e-4}), steps=20)
    buggy, fine = engine.history[0], engine.history[1]
    assert buggy.status == "error" and "boom in step 4" in buggy.message
    assert len(buggy.array()) == 4  # rows 0..3 were written before update 4 failed
    assert fine.status == "done" and len(fine.array()) == 21


def test_a_converged_run_stops():
    engine = race(Run("nr", "sgd", {"lr": 0.5}), surface="quadratic", start=(1.0, -1.0), steps=500)
    record = engine.history[0]
    assert record.status == "converged"
    assert len(record.array()) < 500


def test_editing_lr_mid_run_takes_effect_at_the_next_update():
    exp = Experiment(problem=Problem(start=(-1.5, 2.0)), runs=[Run("m", "momentum", {"lr": 1e-4})],
                     steps=100)
    engine = Engine(exp)
    engine.advance(40)
    edited = Run("m", "momentum", {"lr": 5e-4})
    engine.update_run(0, edited)
    engine.advance(60)
    got = engine.history[0].array()

    def make(p):
        return torch.optim.SGD([p], lr=1e-4, momentum=0.9), None

    def change(k, opt):
        if k == 40:
            opt.param_groups[0]["lr"] = 5e-4

    expected = plain_loop(make, 100, on_step=change)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert got[39, COL["lr"]] == 1e-4 and got[40, COL["lr"]] == 5e-4


def test_editing_a_schedule_mid_run_rebuilds_it_at_the_current_step():
    stage = [Stage("exponential", {"gamma": 0.9})]
    exp = Experiment(runs=[Run("a", "sgd", {"lr": 1e-3}, schedule=stage)], steps=20)
    engine = Engine(exp)
    engine.advance(10)
    engine.update_run(0, Run("a", "sgd", {"lr": 1e-3}, schedule=[Stage("exponential", {"gamma": 0.5})]))
    engine.advance(10)
    lrs = engine.history[0].column("lr")
    np.testing.assert_allclose(lrs[:10], 1e-3 * 0.9 ** np.arange(10), rtol=1e-12)
    np.testing.assert_allclose(lrs[10:], 1e-3 * 0.5 ** np.arange(10, 21), rtol=1e-12)


def test_noisy_runs_are_deterministic_per_seed_and_differ_across_seeds():
    def rows(seed):
        exp = Experiment(problem=Problem(surface="noisy_quadratic", params={"noise_scale": 1.0}),
                         runs=[Run("a", "sgd", {"lr": 0.1})], steps=50, seed=seed)
        return Engine(exp).run_to_end()[0].array()

    np.testing.assert_array_equal(rows(3), rows(3))
    assert not np.array_equal(rows(3), rows(4))


def test_lockstep_batches_and_disabled_runs():
    exp = Experiment(runs=[Run("a", "adam"), Run("b", "sgd", enabled=False), Run("c", "rmsprop")], steps=10)
    engine = Engine(exp)
    batch = engine.advance(4)
    assert [r.index for r in batch.runs] == [0, 1] and engine.step == 4
    assert all(len(r.rows) == 4 for r in batch.runs)
    batches = list(engine.batches(4))
    assert [b.step for b in batches] == [8, 10] and batches[-1].done
    assert len(batches[-1].runs[0].rows) == 3  # rows 8, 9 and the final row 10


def test_cuda_requested_without_cuda_falls_back_with_a_note():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    engine = Engine(Experiment(runs=[Run("a", "adam")], device="cuda", steps=3))
    assert engine.device.type == "cpu" and "CUDA is not available" in engine.device_note


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_rows_equal_cpu_rows():
    def rows(device):
        exp = Experiment(runs=[Run("a", "adam", {"lr": 0.01})], steps=50, device=device)
        return Engine(exp).run_to_end()[0].array()

    np.testing.assert_allclose(rows("cuda"), rows("cpu"), atol=1e-10)


def test_a_run_can_switch_optimizer_at_a_chosen_step():
    run = Run("adam→sgd", "adam", {"lr": 0.02}, switch=Switch(at=30, optimizer="sgd", hyper={"lr": 1e-4}))
    engine = race(run, steps=60)
    p = torch.tensor((-1.5, 2.0), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.02)
    path, lrs = [], []
    for k in range(61):
        if k == 30:
            opt = torch.optim.SGD([p], lr=1e-4)
        path.append(p.detach().tolist())
        lrs.append(opt.param_groups[0]["lr"])
        if k < 60:
            opt.zero_grad()
            rosenbrock(p).backward()
            opt.step()
    got = engine.history[0].array()
    np.testing.assert_allclose(got[:, 1:3], np.array(path), atol=1e-12)
    np.testing.assert_array_equal(got[:, COL["lr"]], lrs)


@pytest.mark.parametrize("name, edit", [
    ("rmsprop", {"momentum": 0.9}), ("rmsprop", {"centered": True}), ("adam", {"amsgrad": True}),
])
def test_edits_that_need_new_optimizer_state_do_not_break_the_run(name, edit):
    exp = Experiment(runs=[Run("a", name, {"lr": 1e-3})], steps=20)
    engine = Engine(exp)
    engine.advance(10)
    engine.update_run(0, Run("a", name, {"lr": 1e-3, **edit}))
    engine.advance(10)
    record = engine.history[0]
    assert record.status == "done", record.message
    assert len(record.array()) == 21


@pytest.mark.parametrize("norm_type", [1.0, 3.0, math.inf])
def test_clip_norm_types_equal_clip_grad_norm(norm_type):
    engine = race(Run("sgd", "sgd", {"lr": 1e-3},
                      clip=Clip(mode="norm", max_norm=5.0, norm_type=norm_type)), steps=40)

    def clip_then_measure(p):  # what the engine records: raw and clipped, both in that norm
        raw = torch.nn.utils.clip_grad_norm_([p], 5.0, norm_type).item()
        return raw, torch.linalg.vector_norm(p.grad, norm_type).item()

    p = torch.tensor((-1.5, 2.0), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1e-3)
    got = engine.history[0].array()
    for k in range(41):
        opt.zero_grad()
        rosenbrock(p).backward()
        raw, clipped = clip_then_measure(p)
        assert got[k, 1:3].tolist() == p.detach().tolist()
        assert (got[k, COL["grad_norm"]], got[k, COL["grad_norm_clipped"]]) == (raw, clipped)
        opt.step()
    assert got[0, COL["grad_norm"]] > 5 and got[0, COL["grad_norm_clipped"]] == pytest.approx(5)


def test_lookahead_through_the_engine_equals_a_plain_loop():
    from optplayground.core.ranger import Lookahead

    engine = race(Run("la", "adam", {"lr": 0.05}, lookahead={"k": 4, "alpha": 0.3},
                      clip=Clip(mode="norm", max_norm=3.0, norm_type=1.0)), steps=60)

    def make(p):
        return Lookahead(torch.optim.Adam([p], lr=0.05), k=4, alpha=0.3), None

    p = torch.tensor((-1.5, 2.0), dtype=torch.float64, requires_grad=True)
    opt, _ = make(p)
    rows = []
    for k in range(61):
        opt.zero_grad()
        loss = rosenbrock(p)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p], 3.0, 1.0)
        rows.append([*p.detach().tolist(), loss.item()])
        if k < 60:
            opt.step()
    np.testing.assert_allclose(engine.history[0].array()[:, 1:4], rows, rtol=0, atol=1e-12)


# ---------------------------------------------------------------- faults inside a step

def test_a_step_calling_sys_exit_ends_only_its_run(allow_fake_optimizers):
    engine = race(Run("exits", "fake_optimizers:Exiting", {"lr": 1e-4}), Run("fine", "adam", {"lr": 0.01}),
                  steps=20)
    exits, fine = engine.history[0], engine.history[1]
    assert exits.status == "error" and exits.message == "SystemExit: 3"
    assert len(exits.array()) == 4  # rows 0..3: update 4 raised
    assert fine.status == "done" and len(fine.array()) == 21


def test_keyboard_interrupt_stops_the_race_on_the_main_thread_and_ends_a_run_elsewhere(allow_fake_optimizers):
    import threading

    exp = Experiment(problem=Problem(start=(-1.5, 2.0)), steps=10,
                     runs=[Run("ctrl-c", "fake_optimizers:Interrupting", {"lr": 1e-4}), Run("fine", "adam")])
    with pytest.raises(KeyboardInterrupt):  # Ctrl+C in `optplayground run`
        Engine(exp).run_to_end()
    result = {}
    worker = threading.Thread(target=lambda: result.update(history=Engine(exp).run_to_end()))
    worker.start()
    worker.join(60)
    history = result["history"]
    assert history[0].status == "error" and history[0].message == "KeyboardInterrupt"
    assert history[1].status == "done"


@pytest.mark.parametrize("batched", [True, False])
def test_the_race_ends_when_every_run_has_stopped(batched):
    """The warm-up preset started at x = 19: every run leaves the map at step 1, and the
    race ends there (its clock used to run on to step 1,000 with nothing left racing)."""
    from optplayground.core.presets import load_preset

    exp = load_preset("warmup_cosine")
    exp.problem.start = (19.0, 2.0)
    engine = Engine(exp, batched=batched)
    batch = engine.advance(100)
    assert [r.status for r in batch.runs] == ["diverged"] * len(engine.runs)
    assert all(r.message.startswith("diverged at step 1:") for r in batch.runs)
    assert (batch.step, batch.done, engine.step, engine.done) == (1, True, 1, True)
    assert engine.advance(100).step == 1  # nothing more happens
    assert [len(record.array()) for record in engine.history.runs] == [2] * len(engine.runs)


def test_a_race_goes_on_while_one_run_still_runs():
    engine = race(Run("wild", "sgd", {"lr": 0.5}), Run("calm", "adam", {"lr": 0.01}), steps=200,
                  surface="saddle", start=(0.5, 0.01))
    assert engine.history[0].status == "diverged" and engine.step == 200
