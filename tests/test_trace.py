"""The internals of an update (core/internals.py) and `optplayground trace`: the numbers are
torch's own optimizer state, step for step, for every built-in optimizer."""
import csv
import io

import pytest
import torch

from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.optimizers import OPTIMIZERS
from optplayground.core.ranger import Ranger
from optplayground.core.surfaces import get_surface
from optplayground.core.trace import trace, write_trace

STEPS = 12
START = (-1.2, 1.5)
TOL = 1e-12
# the plain torch class (and what the registry entry fixes) for every built-in
PLAIN = {"sgd": ("SGD", {}), "momentum": ("SGD", {}), "nesterov": ("SGD", {"nesterov": True}),
         "rmsprop": ("RMSprop", {}), "adagrad": ("Adagrad", {}), "adadelta": ("Adadelta", {}),
         "adam": ("Adam", {}), "adamw": ("AdamW", {}), "amsgrad": ("Adam", {"amsgrad": True}),
         "adamax": ("Adamax", {}), "nadam": ("NAdam", {}), "radam": ("RAdam", {}),
         "rprop": ("Rprop", {}), "asgd": ("ASGD", {}), "lbfgs": ("LBFGS", {}), "ranger": (Ranger, {})}


GENTLER = {"asgd": {"lr": 1e-4}}  # at its default lr ASGD leaves the map at update 3 here


def experiment(name, lookahead=None, clip=None, steps=STEPS):
    run = xp.Run(name=name, optimizer=name, hyper=dict(GENTLER.get(name, {})), lookahead=lookahead)
    if clip is not None:
        run.clip = clip
    problem = xp.Problem(surface="rosenbrock", start=START)
    return xp.validate(xp.Experiment(problem=problem, runs=[run], steps=steps))


def plain_loop(name, lookahead=None, steps=STEPS):
    """The same run as a plain torch loop: (point, gradient, state) after every update."""
    cls, fixed = PLAIN[name]
    cls = getattr(torch.optim, cls) if isinstance(cls, str) else cls
    hyper = {k: (None if v == "none" else v) for k, v in OPTIMIZERS[name].defaults().items()}
    hyper.update(GENTLER.get(name, {}))
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **hyper, **fixed)
    surface = get_surface("rosenbrock")
    params = surface.validate({})
    slow = p.detach().clone()
    out = []

    def closure():
        opt.zero_grad()
        loss = surface.fn(p, params)
        loss.backward()
        return loss

    for t in range(1, steps + 1):
        closure()
        grad = p.grad.clone()
        opt.step(closure) if name == "lbfgs" else opt.step()
        state = {k: v.clone() if torch.is_tensor(v) else v for k, v in opt.state[p].items()}
        if lookahead:
            with torch.no_grad():
                if t % lookahead["k"] == 0:
                    slow += lookahead["alpha"] * (p - slow)
                    p.copy_(slow)
            state.update(slow=slow.clone(), steps_since_sync=t % lookahead["k"])
        out.append((p.detach().clone(), grad, state))
    return out


def assert_close(got, want, what):
    got, want = torch.as_tensor(got, dtype=torch.float64), torch.as_tensor(want, dtype=torch.float64)
    assert torch.allclose(got, want.reshape(got.shape), rtol=TOL, atol=TOL), f"{what}: {got} vs {want}"


def assert_matches_torch(snapshots, expected):
    assert [s.step for s in snapshots] == list(range(1, len(expected) + 1))
    for s, (point, grad, state) in zip(snapshots, expected):
        assert_close(s.after, point, f"point after update {s.step}")
        assert_close(s.grad, grad, f"gradient of update {s.step}")
        numbers = {k: v for k, v in state.items()
                   if not isinstance(v, (list, bool)) and (not torch.is_tensor(v) or v.numel() <= 2)}
        assert set(s.state) == set(numbers), f"state names of update {s.step}"
        for key, value in numbers.items():
            assert_close(s.state[key], value, f"{key} after update {s.step}")


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_trace_is_torchs_own_state_for_every_builtin(name):
    snapshots, _ = trace(experiment(name))
    assert_matches_torch(snapshots, plain_loop(name))


def test_trace_of_lookahead_has_its_slow_weights():
    look = {"k": 3, "alpha": 0.5}
    snapshots, _ = trace(experiment("adam", lookahead=look))
    assert_matches_torch(snapshots, plain_loop("adam", lookahead=look))
    synced = [s for s in snapshots if s.state["steps_since_sync"] == 0]
    assert [s.step for s in synced] == [3, 6, 9, 12]
    assert all(s.after == s.state["slow"] for s in synced)


@pytest.mark.parametrize("name,look", [("adam", None), ("ranger", None), ("momentum", {"k": 4, "alpha": 0.5})])
def test_a_batched_row_has_the_same_internals_as_the_run_alone(name, look):
    runs = [xp.Run(name=f"r{i}", optimizer=name, hyper={"lr": 0.0005 * (i + 1)}, lookahead=look)
            for i in range(3)]
    exp = xp.validate(xp.Experiment(problem=xp.Problem(surface="rosenbrock", start=START),
                                    runs=runs, steps=STEPS))
    got = {}
    for batched in (True, False):
        engine = Engine(exp, keep_history=False, checked=True, batched=batched)
        assert bool(engine.groups) == batched
        engine.watch(1)
        got[batched] = engine.advance(5).internals + engine.advance(STEPS).internals
    assert len(got[True]) == len(got[False]) == STEPS
    for a, b in zip(got[True], got[False]):
        assert (a.run, a.step, a.optimizer, a.lr) == (b.run, b.step, b.optimizer, b.lr)
        assert a.state.keys() == b.state.keys()
        for key in a.state:
            assert_close(a.state[key], b.state[key], f"{key} at {a.step}")
        for field in ("before", "after", "grad", "clipped"):
            assert_close(getattr(a, field), getattr(b, field), f"{field} at {a.step}")


def test_clipped_gradient_and_csv_columns():
    snapshots, _ = trace(experiment("momentum", clip=xp.Clip(mode="value", clip_value=0.5), steps=3))
    assert all(max(map(abs, s.clipped)) <= 0.5 < max(map(abs, s.grad)) for s in snapshots)
    out = io.StringIO()
    write_trace(snapshots, True, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == ["step", "x", "y", "lr", "grad_x", "grad_y", "clipped_grad_x",
                             "clipped_grad_y", "update_x", "update_y",
                             "momentum_buffer_x", "momentum_buffer_y"]
    assert [r["step"] for r in rows] == ["1", "2", "3"]
    s = snapshots[-1]
    assert float(rows[-1]["update_x"]) == s.after[0] - s.before[0]
    assert float(rows[-1]["momentum_buffer_y"]) == s.state["momentum_buffer"][1]


def test_no_watch_records_nothing():
    engine = Engine(experiment("adam"), keep_history=False, checked=True)
    assert engine.advance(3).internals == []
    engine.watch(0)
    assert [s.step for s in engine.advance(2).internals] == [4, 5]
    engine.watch(None)
    assert engine.advance(2).internals == []


def test_trace_command_writes_the_csv(tmp_path, capsys):
    from optplayground.cli import _dispatch  # the command as parsed (no child process: ~5 s)

    out = tmp_path / "trace.csv"
    assert _dispatch(["trace", "--surface", "rosenbrock", "--start", "-1.2,1.5",
                      "--opt", "adam:lr=0.01", "--steps", "4", "--csv", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: 4 updates of adam #1 (done)")
    rows = list(csv.DictReader(out.open()))
    want = plain_loop_with("adam", {"lr": 0.01}, 4)
    assert [r["step"] for r in rows] == ["1", "2", "3", "4"]
    for row, (point, grad, state) in zip(rows, want):
        assert (float(row["x"]), float(row["y"])) == tuple(point.tolist())
        assert (float(row["exp_avg_sq_x"]), float(row["exp_avg_sq_y"])) == tuple(state["exp_avg_sq"].tolist())


def plain_loop_with(name, hyper, steps):
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], **hyper)
    surface = get_surface("rosenbrock")
    out = []
    for _ in range(steps):
        opt.zero_grad()
        surface.fn(p, surface.validate({})).backward()
        grad = p.grad.clone()
        opt.step()
        out.append((p.detach().clone(), grad, {k: v.clone() for k, v in opt.state[p].items()}))
    return out


@pytest.mark.parametrize("args,words", [
    (["--dataset", "circle", "--opt", "adam"], "trace follows a point on a surface"),
    (["--opt", "adam", "--opt", "sgd"], "exactly one --opt"),
    (["--opt", "adam", "--steps", "100001"], "at most 100,000"),
])
def test_trace_refuses_bad_input(tmp_path, args, words):
    from optplayground.cli import _dispatch
    from optplayground.core.params import ConfigError

    argv = ["trace", "--steps", "3", "--csv", str(tmp_path / "t.csv"), *args]
    with pytest.raises(ConfigError, match=words):
        _dispatch(argv)
    assert not (tmp_path / "t.csv").exists()


def test_lookahead_around_plain_sgd_still_has_its_slow_weights():
    runs = [xp.Run(name=f"r{i}", optimizer="sgd", hyper={"lr": 1e-4 * (i + 1)},
                   lookahead={"k": 2, "alpha": 0.5}) for i in range(3)]
    exp = xp.validate(xp.Experiment(problem=xp.Problem(surface="rosenbrock", start=START),
                                    runs=runs, steps=4))
    for batched in (True, False):
        engine = Engine(exp, keep_history=False, checked=True, batched=batched)
        engine.watch(2)
        got = engine.advance(4).internals
        assert [s.state["steps_since_sync"] for s in got] == [1, 0, 1, 0]
        assert got[1].state["slow"] == got[1].after
