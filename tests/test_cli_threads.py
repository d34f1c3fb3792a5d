"""`optplayground run` computes with the window's torch thread count: the same CSV to the
last digit (sums split over threads add in another order, BatchNorm's most of all)."""
import io
import os
import subprocess
import sys

import pytest
import torch

from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.threads import use_torch_threads

BATCHNORM_CIRCLE = Experiment(
    name="batchnorm circle", steps=40, seed=1,
    problem=Problem(dataset="circle", data={"n_points": 200},
                    model={"hidden": "16,16", "batchnorm": True}),
    runs=[Run("Adam", "adam", {"lr": 0.01}), Run("SGD", "sgd", {"lr": 0.1}, batch_size=32)])


@pytest.fixture
def window_threads():
    """This process set up as the window sets itself up (and put back afterwards)."""
    before = torch.get_num_threads()
    use_torch_threads()
    yield
    torch.set_num_threads(before)


def test_run_csv_equals_the_in_process_engine_with_the_windows_threads(tmp_path, window_threads):
    path = tmp_path / "bn.toml"
    xp.save(BATCHNORM_CIRCLE, str(path))
    # Two threads by default, even on one core: without the shared set-up the digits differ.
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, "-m", "optplayground", "run", str(path), "--csv",
                           str(tmp_path / "cli.csv"), "--quiet"], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    text = io.StringIO()
    Engine(xp.load(str(path))).run_to_end().write_csv(text)
    assert (tmp_path / "cli.csv").read_text() == text.getvalue()


def test_run_help_lists_the_per_run_options():
    done = subprocess.run([sys.executable, "-m", "optplayground", "run", "--help"],
                          capture_output=True, text=True, timeout=120)
    for option in ("--schedule", "--clip", "--lookahead", "--name", "--color", "--batch K"):
        assert option in done.stdout
