"""A stranger's experiment file and hostile command lines: nothing runs unasked, every
failure is one line (exit 2, no traceback, no file), writes land only on regular files,
and a user's optimizer that hangs ends only its own run.

Most command lines run in this process (`cli.main`); those that need a fresh interpreter
(`python -m`, signals) run as subprocesses."""
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from optplayground import cli
from optplayground.core import atomic
from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.experiment import Experiment, Problem, Run, Switch
from optplayground.core.params import ConfigError
from optplayground.core.trust import POLICY, ImportNotAllowed, modules_to_allow

TESTS = Path(__file__).parent
FILE = 'steps = 5\n[[runs]]\nname = "a"\noptimizer = "{opt}"\n'


def run_cli(capsys, *args):
    """`optplayground ARGS` in this process: (status, stdout, stderr)."""
    try:
        status = cli.main(list(args))
    except SystemExit as end:  # argparse's usage errors
        status = end.code
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(status, err, words=""):
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1, err
    assert re.match(r"optplayground( run| shot)?: error: ", lines[0]), err  # argparse names the command
    assert words in lines[0], lines[0]
    assert "Traceback" not in err


@pytest.fixture(autouse=True)
def _sigterm_restored():
    """cli.main turns SIGTERM into an exception for its command; put the default back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


@pytest.fixture
def evil(marker_module):
    """A module `evil_mod` on sys.path whose top-level code leaves a marker file."""
    return marker_module("evil_mod")


# ---------------------------------------------------------------- trust

def test_loading_and_validating_a_file_with_an_import_path_imports_nothing(tmp_path, evil):
    path = tmp_path / "e.toml"
    path.write_text(FILE.format(opt="evil_mod:Opt") +
                    '[[runs]]\nname = "b"\noptimizer = "adam"\n[runs.switch]\nat = 2\n'
                    'optimizer = "evil_mod:Other"\n')
    exp = xp.load(str(path))
    assert modules_to_allow(exp) == ["evil_mod"]
    with pytest.raises(ImportNotAllowed) as caught:
        xp.validate(exp)
    assert caught.value.field == "runs[0].optimizer" and caught.value.module == "evil_mod"
    with pytest.raises(ImportNotAllowed):  # the switch alone is refused as well
        xp.validate(Experiment(runs=[Run("b", "adam", switch=Switch(2, "evil_mod:Opt"))]))
    assert not evil.exists() and "evil_mod" not in sys.modules
    POLICY.allow("evil_mod")  # what --allow-import and the dialog do
    xp.validate(Experiment(runs=[Run("a", "evil_mod:Opt")]))
    assert evil.read_text() == "x"


def test_a_malformed_import_path_is_refused_without_importing(evil):
    for path in ("evil_mod:Opt:extra", ".evil_mod:Opt", "evil_mod:", "evil mod:Opt", "evil_mod:1x"):
        with pytest.raises(ConfigError, match="not an import path"):
            xp.validate(Experiment(runs=[Run("a", path)]))
    assert not evil.exists()


def test_the_cli_imports_only_with_allow_import(capsys, tmp_path, evil):
    path = tmp_path / "e.toml"
    path.write_text(FILE.format(opt="evil_mod:Opt"))
    status, _, err = run_cli(capsys, "run", str(path), "--csv", str(tmp_path / "o.csv"))
    one_line_error(status, err, "'evil_mod'")
    assert "--allow-import" in err and not evil.exists() and not (tmp_path / "o.csv").exists()
    status, _, err = run_cli(capsys, "run", str(path), "--allow-import", "--quiet",
                             "--csv", str(tmp_path / "o.csv"))
    assert status == 0, err
    assert evil.exists() and (tmp_path / "o.csv").exists()


def test_shipped_modules_need_no_permission():
    exp = xp.validate(Experiment(runs=[Run("a", "torch.optim:Adam", {"lr": 0.01})], steps=3))
    assert modules_to_allow(exp) == [] and exp.allowed_imports == ("torch.optim",)


def test_python_m_never_imports_a_module_from_the_current_folder(tmp_path, marker_module):
    """sys.path[0] is the current folder under -m: a module beside the file stays unseen
    even with --allow-import (modules come from PYTHONPATH and installed packages)."""
    marker = marker_module("beside")
    folder = tmp_path / "mods"  # the module's folder, the child's current folder
    (folder / "e.toml").write_text(FILE.format(opt="beside:Opt"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for extra in ((), ("--allow-import",)):
        result = subprocess.run([sys.executable, "-m", "optplayground", "run", "e.toml", *extra],
                                cwd=folder, capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 2, result.stderr
        assert "'beside'" in result.stderr and "Traceback" not in result.stderr
        assert not marker.exists()
    assert "never in the current folder" in result.stderr


# ---------------------------------------------------------------- a user's code under a time limit

def test_a_constructor_or_step_that_never_returns_ends_only_its_run(monkeypatch, allow_fake_optimizers):
    monkeypatch.setenv("OPTPLAYGROUND_USER_CODE_LIMIT_S", "2")  # steps; the constructor 12 s
    exp = Experiment(problem=Problem(start=(-1.5, 2.0)), steps=8, runs=[
        Run("slow init", "fake_optimizers:SlowInit"), Run("sleeper", "fake_optimizers:Sleeper"),
        Run("fine", "adam", {"lr": 0.01})])
    started = time.perf_counter()
    history = Engine(exp).run_to_end()
    assert time.perf_counter() - started < 200
    slow, sleeper, fine = history[0], history[1], history[2]
    assert slow.status == "error" and "import and constructor took longer than 12 s" in slow.message
    assert len(slow.array()) == 1  # row 0, then its optimizer never came up
    assert sleeper.status == "error" and "step took longer than 2 s" in sleeper.message
    assert len(sleeper.array()) == 3  # rows 0..2: update 3 hung
    assert fine.status == "done" and len(fine.array()) == 9


def test_an_isolated_optimizer_takes_the_steps_torch_takes(allow_fake_optimizers):
    """Stepped in a child process, a user's class gives the numbers it gives in-process:
    SGD with momentum under a schedule, and an L-BFGS subclass (closure evaluations)."""
    from optplayground.core.schedules import Stage

    sched = [Stage("exponential", {"gamma": 0.99})]
    mine = Engine(Experiment(problem=Problem(start=(-1.5, 2.0)), steps=30, runs=[
        Run("iso", "fake_optimizers:ExplodingSGD", {"lr": 1e-3, "fail_at": 1000}, schedule=sched),
        Run("lbfgs", "fake_optimizers:ClosureSGD", {"lr": 1.0})])).run_to_end()
    ref = Engine(Experiment(problem=Problem(start=(-1.5, 2.0)), steps=30, runs=[
        Run("iso", "sgd", {"lr": 1e-3}, schedule=sched),
        Run("lbfgs", "torch.optim:LBFGS", {"lr": 1.0})])).run_to_end()
    for a, b in zip(mine.runs, ref.runs):
        assert a.status == b.status
        np.testing.assert_allclose(a.array(), b.array(), rtol=0, atol=1e-12)


# ---------------------------------------------------------------- files

def _fifo(tmp_path):
    path = tmp_path / "fifo.toml"
    os.mkfifo(path)
    return path


HOSTILE_FILES = {
    "a FIFO": (_fifo, "not a regular file"),
    "a folder": (lambda p: (p / "dir.toml").mkdir() or p / "dir.toml", "not a regular file"),
    "too large": (lambda p: _write(p, "big.toml", "# " + "x" * (1 << 20)), "larger than 1024 KiB"),
    "nested deeply": (lambda p: _write(p, "deep.toml", "a = " + "[" * 50000 + "]" * 50000),
                      "nested more than 16 levels"),
    "nested 17 deep": (lambda p: _write(p, "d17.toml", "a = " + "[" * 17 + "]" * 17),
                       "nested more than 16 levels"),
    "tables nested deeply": (lambda p: _write(p, "t.toml", "a = " + "{b = " * 40 + "1" + "}" * 40),
                             "nested more than 16 levels"),
    "5000 digits": (lambda p: _write(p, "n.toml", "steps = " + "9" * 5000), "more than 4300 digits"),
    "binary": (lambda p: _write_bytes(p, "b.toml", b"\xff\xfe\x00garbage"), "not UTF-8"),
    "format 1.0": (lambda p: _write(p, "f.toml", "format = 1.0\n"), "expected a whole number"),
    "format 0": (lambda p: _write(p, "f0.toml", "format = 0\n"), "expected a whole number"),
    "format 2": (lambda p: _write(p, "f2.toml", "format = 2\n"), "newer than this app reads"),
    "allowed_imports in the file": (
        lambda p: _write(p, "g.toml", 'allowed_imports = ["evil"]\n' + FILE.format(opt="adam")),
        "unknown key"),
    "missing": (lambda p: p / "missing.toml", "cannot read"),
    "a NUL in the name": (lambda p: str(p / "a\0b.toml"), "cannot read"),
    "an unencodable name": (lambda p: str(p / "\ud800.toml"), "cannot read"),
}


def _write(folder, name, text):
    (folder / name).write_text(text)
    return folder / name


def _write_bytes(folder, name, data):
    (folder / name).write_bytes(data)
    return folder / name


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_a_hostile_file_is_one_config_error_without_blocking(tmp_path, case):
    make, words = HOSTILE_FILES[case]
    path = make(tmp_path)
    with pytest.raises(ConfigError, match=words) as caught:
        xp.validate(xp.load(str(path)))
    assert caught.value.field in ("file", "format", "allowed_imports")


def test_a_utf8_bom_is_accepted(tmp_path):
    path = _write_bytes(tmp_path, "bom.toml", b"\xef\xbb\xbf" + FILE.format(opt="adam").encode())
    assert xp.validate(xp.load(str(path))).runs[0].optimizer == "adam"


class _CountedName(str):
    """A run name that counts how often it is compared: pairwise checks compare n² times."""
    comparisons = 0
    __hash__ = str.__hash__

    def __eq__(self, other):
        _CountedName.comparisons += 1
        return str.__eq__(self, other)


def test_too_many_runs_are_refused_and_checking_names_is_linear_in_the_runs():
    def comparisons(n):
        _CountedName.comparisons = 0
        xp.validate(Experiment(runs=[Run(_CountedName(f"r{i}"), "adam") for i in range(n)], steps=5))
        return _CountedName.comparisons

    # Counted, not timed (a timed ratio failed CI on a busy machine): pairwise would be ~n²/2.
    assert comparisons(4000) <= 4 * comparisons(1000) + 100
    with pytest.raises(ConfigError, match="at most 65536 runs"):
        xp.validate(Experiment(runs=[Run(str(i)) for i in range(xp.MAX_RUNS + 1)]))


def test_run_checks_the_experiment_once(monkeypatch, capsys):
    from optplayground.core import engine

    calls = []
    real = xp.validate
    monkeypatch.setattr(xp, "validate", lambda exp: calls.append(1) or real(exp))
    monkeypatch.setattr(engine, "validate", lambda exp: calls.append(1) or real(exp))
    status, _, err = run_cli(capsys, "run", "--opt", "adam", "--steps", "3", "--quiet")
    assert status == 0, err
    assert len(calls) == 1


# ---------------------------------------------------------------- options

@pytest.mark.parametrize("args, words", [
    (("run", "--opt", "adam", "--csv", ""), "--csv: needs a file name"),
    (("run", "--opt", "adam", "--save", ""), "--save: needs a file name"),
    (("run", "--formula", "", "--opt", "adam"), "--formula: is empty"),
    (("run", "--surface", "", "--opt", "adam"), "--surface: is empty"),
    (("run", "", "--steps", "3"), "the experiment file name is empty"),
    (("run", "--opt", "adam", "--batch", "4"), "--batch: goes with --dataset"),
    (("run", "--opt", "adam", "--csv", "/dev/null"), "not a regular file"),
    (("run", "--opt", "adam", "--csv", "/dev/full"), "not a regular file"),
    (("run", "--opt", "adam", "--csv", "x" * 300 + ".csv"), "longer than"),
    (("run", "--opt", "adam", "--csv", "same.csv", "--save", "same.csv"), "same file"),
    (("run", "--opt", "adam", "--steps", "9" * 5000), "invalid int value"),
    (("run", "--opt", "adam:lr=" + "9" * 5000), "lr"),
    (("run", "--opt", "\ud800"), "unknown optimizer"),
    (("run", "--opt", "adam", "--csv", "\ud800.csv"), "cannot write"),
    (("run", "--formula", "(" * 5000 + "x" + ")" * 5000, "--opt", "adam"), "formula"),
    (("run", "--formula", "x" + "+x" * 100000, "--opt", "adam"), "formula"),
    (("shot", "--out", "x.png", "--size", "0x0"), "--size: each side must be 100 to 8192"),
    (("shot", "--out", "x.png", "--size", "100000x100000"), "--size"),
    (("shot", "--out", "x.png", "--size", "-5x100"), "--size"),
    (("shot", "--out", "x.png", "--size", "fat"), "expected WIDTHxHEIGHT"),
    (("shot", "--out", "", "--steps", "2"), "--out: needs a file name"),
    (("shot", "--out", "x.png", "--theme", "blue"), "--theme: invalid choice: 'blue'"),
    (("run", "--opt", "adam", "--png", "x.png", "--theme", ""), "--theme"),
])
def test_a_hostile_option_is_one_line_exit_2_and_no_file(capsys, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    status, _, err = run_cli(capsys, *args)
    one_line_error(status, err, words)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_the_input_file_is_never_an_output(capsys, tmp_path):
    path = _write(tmp_path, "e.toml", FILE.format(opt="adam"))
    before = path.read_bytes()
    for flag in ("--csv", "--save", "--png", "--svg"):
        status, _, err = run_cli(capsys, "run", str(path), flag, str(path))
        one_line_error(status, err, "the experiment file being read")
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["e.toml"]


def test_a_name_that_cannot_be_encoded_prints_escaped(capsys):
    status, out, err = run_cli(capsys, "run", "--opt", "adam", "--name", "bad\udcff", "--steps", "2")
    assert status == 0, err
    assert "bad\\udcff" in out


def test_a_closed_pipe_ends_quietly():
    result = subprocess.run(f"{sys.executable} -m optplayground list optimizers | head -1",
                            shell=True, capture_output=True, text=True, timeout=300)
    assert result.stdout.startswith("sgd") and result.stderr == ""


# ---------------------------------------------------------------- writes and signals

def test_writes_refuse_what_is_not_a_regular_file(tmp_path):
    fifo = _fifo(tmp_path)
    for target in ("/dev/null", str(fifo), str(tmp_path)):
        with pytest.raises(ConfigError, match="cannot write"):
            atomic.write_text_atomic(target, "x")
    assert os.path.exists("/dev/null") and not Path("/dev/null").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.toml"]


def test_a_group_of_writes_lands_all_or_nothing(tmp_path):
    old = _write(tmp_path, "old.txt", "before")
    with pytest.raises(ConfigError):
        with atomic.all_or_nothing():
            atomic.write_text_atomic(str(tmp_path / "a.txt"), "a")
            atomic.write_text_atomic(str(old), "after")
            atomic.write_text_atomic(str(tmp_path / "no" / "b.txt"), "b")  # no such folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"] and old.read_text() == "before"

    with pytest.raises(ConfigError):  # a rename fails at the end: the new files go again
        with atomic.all_or_nothing():
            atomic.write_text_atomic(str(tmp_path / "a.txt"), "a")
            atomic.write_text_atomic(str(tmp_path / "c.txt"), "c")
            (tmp_path / "c.txt").mkdir()  # taken by a folder meanwhile
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "old.txt"]

    with atomic.all_or_nothing():
        atomic.write_text_atomic(str(tmp_path / "a.txt"), "a")
        atomic.write_text_atomic(str(old), "after")
        assert not (tmp_path / "a.txt").exists()  # not before the end
    assert (tmp_path / "a.txt").read_text() == "a" and old.read_text() == "after"
    assert not list(tmp_path.glob(".optplayground-*.tmp"))


@pytest.mark.parametrize("number, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_write_leaves_no_temporary_file(tmp_path, number, status):
    script = textwrap.dedent(f"""
        import os, signal, sys, time
        from optplayground.cli_boundary import guarded
        from optplayground.core.atomic import write_atomic

        def write(tmp):
            with open(tmp, "w") as f:
                f.write("half a file")
            os.kill(os.getpid(), {int(number)})
            time.sleep(30)

        sys.exit(guarded(lambda: write_atomic({str(tmp_path / 'out.csv')!r}, write)))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == status, result.stderr
    assert list(tmp_path.iterdir()) == [] and "Traceback" not in result.stderr


def test_sigterm_mid_race_stops_run_with_no_file(tmp_path):
    """A real `run`: SIGTERM while it races ends it (143) with no CSV and no temporary file."""
    out = tmp_path / "o.csv"
    proc = subprocess.Popen([sys.executable, "-m", "optplayground", "run", "--opt", "adam",
                             "--steps", "10000000", "--csv", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(8)  # past start-up: racing
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert list(tmp_path.iterdir()) == [] and "Traceback" not in err


def test_the_cli_races_an_allowed_module_on_pythonpath(tmp_path):
    (tmp_path / "mine.py").write_text("import torch\nclass Opt(torch.optim.SGD): pass\n")
    (tmp_path / "e.toml").write_text(FILE.format(opt="mine:Opt"))
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "optplayground", "run", str(tmp_path / "e.toml"),
                             "--allow-import", "--csv", str(tmp_path / "o.csv")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert " done " in result.stdout
    assert len((tmp_path / "o.csv").read_text().splitlines()) == 7  # header + rows 0..5
