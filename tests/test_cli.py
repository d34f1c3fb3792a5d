"""The command line as a user runs it: a subprocess, its output, its files, its exit status."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optplayground.core import experiment as xp
from optplayground.core.history import CSV_HEADER

TESTS = Path(__file__).parent


def cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    return subprocess.run([sys.executable, "-m", "optplayground", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_quick_form_writes_one_long_csv(tmp_path):
    out = tmp_path / "out.csv"
    result = cli("run", "--surface", "rosenbrock:b=50", "--start", "-1.5,2",
                 "--opt", "adam:lr=0.01,betas=0.9,0.99", "--name", "A",
                 "--opt", "sgd:lr=0.001,momentum=0.9",
                 "--schedule", "linear:steps=10,start_factor=0.5,total_iters=10", "--schedule", "cosine",
                 "--clip", "norm=5", "--steps", "30", "--csv", str(out))
    assert result.returncode == 0, result.stderr
    rows = read_csv(out)
    assert tuple(rows[0]) == CSV_HEADER
    assert [r[0] for r in rows[1:]].count("A") == 31 and [r[0] for r in rows[1:]].count("sgd #2") == 31
    first = rows[1]
    assert first[:5] == ["A", "adam", "0", "-1.5", "2.0"]
    assert float(first[5]) == pytest.approx((1 + 1.5) ** 2 + 50 * (2 - 2.25) ** 2)
    sgd = [r for r in rows if r[0] == "sgd #2"]
    assert float(sgd[0][6]) == pytest.approx(0.0005)  # linear warm-up starts at half the lr
    assert max(float(r[8]) for r in sgd) <= 5 + 1e-9  # clipped norms
    assert rows[-1][-1] == "done" and "A" in result.stdout and "sgd #2" in result.stdout


def test_experiment_file_and_quick_form_give_the_same_csv(tmp_path):
    saved = tmp_path / "exp.toml"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    r1 = cli("run", "--formula", "x**2 + 3*y**2 + sin(x)", "--start", "1,1", "--opt", "nadam:lr=0.05",
             "--lookahead", "k=3", "--steps", "40", "--csv", str(first), "--save", str(saved))
    assert r1.returncode == 0, r1.stderr
    r2 = cli("run", str(saved), "--csv", str(second))
    assert r2.returncode == 0, r2.stderr
    assert first.read_text() == second.read_text()
    assert xp.load(str(saved)).runs[0].lookahead == {"k": 3, "alpha": 0.5}


def test_custom_optimizer_by_import_path(tmp_path):
    result = cli("run", "--opt", "torch.optim:SGD:lr=0.001", "--opt", "fake_optimizers:ExplodingSGD",
                 "--steps", "10", "--allow-import", "--csv", str(tmp_path / "o.csv"))
    assert result.returncode == 0, result.stderr
    assert "error" in result.stdout and "boom in step 4" in result.stdout


@pytest.mark.parametrize("args, words", [
    (("--opt", "nosuch"), "unknown optimizer"),
    (("--opt", "adam:lr=-1"), "lr"),
    (("--opt", "adam:lr=abc"), "expected a number"),
    (("--opt", "adam:zeta=1"), "zeta"),
    (("--surface", "nope", "--opt", "adam"), "unknown surface"),
    (("--formula", "x + foo(y)", "--opt", "adam"), "foo"),
    (("--formula", "x.__class__", "--opt", "adam"), "not allowed"),
    (("--opt", "adam", "--steps", "0"), "steps"),
    (("--opt", "adam", "--clip", "sometimes=3"), "clip"),
    (("--opt", "adam", "--schedule", "cosine", "--schedule", "step"), "steps"),
    (("--opt", "nosuchmodule:Thing"), "nosuchmodule"),
    (("--opt", "fake_optimizers:NotAnOptimizer", "--allow-import"), "not a subclass"),
    (("--opt", "fake_optimizers:NotAnOptimizer"), "--allow-import"),
    (("--start", "1", "--opt", "adam"), "--start"),
    (("--opt", "adam:lr"), "expected key=value, got 'lr'"),
    (("--opt", "adam:=3"), "missing a name before '='"),
])
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, args, words):
    out = tmp_path / "never.csv"
    result = cli("run", *args, "--csv", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optplayground: error:"), result.stderr
    assert words in lines[0]
    assert "Traceback" not in result.stderr and not out.exists()


def test_malformed_experiment_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("steps = 10\n[[runs]]\nname = 'a'\noptimizer = 'adam'\n[runs.hyper]\nlr = = 1\n[problem]\n")
    result = cli("run", str(bad))
    assert result.returncode == 2 and "not valid TOML" in result.stderr and "line" in result.stderr


def test_unwritable_csv_path_is_a_clear_error(tmp_path):
    result = cli("run", "--opt", "adam", "--steps", "3", "--csv", str(tmp_path / "no" / "such" / "dir.csv"))
    assert result.returncode == 2 and "cannot write" in result.stderr


@pytest.mark.parametrize("what, names", [
    ("surfaces", ["rosenbrock", "noisy_quadratic", "styblinski_tang"]),
    ("optimizers", ["sgd", "adam", "ranger", "lbfgs"]),
    ("schedules", ["cosine", "onecycle", "plateau", "inverse_sqrt"]),
])
def test_list_prints_names_params_and_defaults(what, names):
    result = cli("list", what)
    assert result.returncode == 0
    for name in names:
        assert f"\n{name} " in "\n" + result.stdout
    if what == "optimizers":
        assert "lr" in result.stdout and "0.001" in result.stdout


def test_dataset_quick_form(tmp_path):
    out = tmp_path / "d.csv"
    result = cli("run", "--dataset", "circle:n_points=100", "--model", "mlp:8,8,activation=relu",
                 "--opt", "adam:lr=0.01", "--batch", "16", "--opt", "sgd:lr=0.1", "--steps", "20",
                 "--csv", str(out))
    assert result.returncode == 0, result.stderr
    rows = read_csv(out)
    assert rows[0][-5:] == ["epoch", "train_loss", "test_loss", "accuracy", "status"]
    assert "accuracy" in result.stdout and "Circle" in result.stdout
    bad = cli("run", "--dataset", "linear", "--loss", "cross_entropy", "--opt", "adam")
    assert bad.returncode == 2 and "problem.loss" in bad.stderr


@pytest.mark.parametrize("args, words", [
    (("run", "--device", "tpu"), "--device"),
    (("run", "--steps", "abc", "--opt", "adam"), "--steps"),
    (("run", "--schedule", "cosine", "--opt", "adam"), "must follow an --opt"),
    (("run", "--bogus"), "--bogus"),
    (("list", "foo"), "foo"),
])
def test_usage_mistakes_are_one_line_too(args, words):
    result = cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "usage:" not in result.stderr, result.stderr


def test_every_output_path_is_checked_before_the_race(tmp_path):
    csv_out = tmp_path / "ok.csv"
    result = cli("run", "--opt", "adam", "--steps", "5", "--csv", str(csv_out),
                 "--save", str(tmp_path / "missing" / "x.toml"))
    assert result.returncode == 2 and "--save" in result.stderr and "cannot write" in result.stderr
    assert not csv_out.exists()  # nothing written, not even the outputs that could be
    folder = tmp_path / "a-folder.csv"
    folder.mkdir()
    result = cli("run", "--opt", "adam", "--steps", "5", "--csv", str(folder))
    assert result.returncode == 2 and "it is a folder" in result.stderr


def test_a_run_not_finite_at_its_start_still_says_how_it_ended(tmp_path):
    out = tmp_path / "z.csv"
    result = cli("run", "--formula", "log(x)", "--start", "-1,1", "--opt", "sgd",
                 "--steps", "3", "--csv", str(out))
    assert result.returncode == 0, result.stderr
    assert read_csv(out)[1:] == [["sgd #1", "sgd", "0", "", "", "", "", "", "", "diverged"]]
    assert "diverged at step 0: not finite" in result.stdout


def test_list_optimizers_shows_the_lookahead_wrapper():
    result = cli("list", "optimizers")
    block = result.stdout.split("\nlookahead ")[1].splitlines()
    assert "wraps any" in block[0]
    assert block[1].split()[:3] == ["k", "=", "5"] and block[2].split()[:3] == ["alpha", "=", "0.5"]
