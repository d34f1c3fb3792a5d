"""The LR range test (core/lrfind.py) against a plain torch loop, and `optplayground lrfind`."""
import math

import numpy as np
import pytest
import torch

from optplayground.cli import main
from optplayground.core import experiment as xp
from optplayground.core.lrfind import lr_range_test
from optplayground.core.training import TrainingTask


def _experiment(batch: int = 0):
    exp = xp.Experiment(problem=xp.Problem(dataset="linear", data={"n_points": 40}),
                        runs=[xp.Run("m", "sgd", {"lr": 0.1, "momentum": 0.9}, batch_size=batch)],
                        seed=3, device="cpu")
    return xp.validate(exp)


def _plain_loop(exp, start, end, steps):
    """pytorch-lr-finder's loop, written out with torch.optim.SGD."""
    task = TrainingTask(exp.problem.dataset_problem(), exp.seed, "cpu")
    model = task.new_model()
    opt = torch.optim.SGD(model.parameters(), lr=start, momentum=0.9)
    sampler = task.new_sampler(exp.runs[0].batch_size, exp.seed)
    lrs, smoothed, best = [], [], math.inf
    for i in range(steps):
        lr = start * (end / start) ** (i / (steps - 1))
        opt.param_groups[0]["lr"] = lr
        indices, _, _ = sampler.next()
        opt.zero_grad()
        loss = task.criterion(model(task.dataset.x_train[indices]), task.dataset.y_train[indices])
        loss.backward()
        opt.step()
        value = loss.item()
        smooth = value if i == 0 else 0.05 * value + 0.95 * smoothed[-1]
        lrs.append(lr)
        smoothed.append(smooth)
        best = min(best, smooth)
        if smooth > 5 * best:
            break
    lrs, smoothed = np.array(lrs), np.array(smoothed)
    suggested = lrs[10:-5][np.gradient(smoothed[10:-5]).argmin()]
    return lrs, smoothed, suggested


@pytest.mark.parametrize("batch", [0, 8])
def test_range_test_equals_a_plain_torch_loop(batch):
    exp = _experiment(batch)
    result = lr_range_test(exp, 0, 1e-4, 50.0, 120)
    lrs, smoothed, suggested = _plain_loop(exp, 1e-4, 50.0, 120)
    assert result.diverged_at == len(lrs) - 1 < 119  # it diverged before the end
    np.testing.assert_allclose(result.lrs, lrs, rtol=0, atol=0)
    np.testing.assert_allclose(result.smoothed, smoothed, rtol=1e-12, atol=1e-12)
    assert result.suggested_lr == suggested


def test_cli_writes_the_csv_and_refuses_bad_input(tmp_path, capsys):
    out = tmp_path / "lr.csv"
    assert main(["lrfind", "--dataset", "linear:n_points=40", "--opt", "sgd:momentum=0.9",
                 "--seed", "3", "--start-lr", "1e-4", "--end-lr", "50", "--steps", "120",
                 "--csv", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "step,lr,loss,smoothed_loss"
    result = lr_range_test(_experiment(), 0, 1e-4, 50.0, 120)
    assert len(lines) == len(result.lrs) + 1
    assert lines[1].split(",")[1] == repr(1e-4)
    assert f"suggested lr: {result.suggested_lr:.6g}" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    for args in (["--start-lr", "0"], ["--end-lr", "1e-9"], ["--steps", "1"]):
        assert main(["lrfind", "--dataset", "linear", "--opt", "sgd", "--csv", str(bad), *args]) == 2
    assert not bad.exists()
