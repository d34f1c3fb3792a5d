"""The command line feels native: --version, a help that shows every form, a fast `list`."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from optplayground import __version__, cli
from optplayground.listing import KINDS

TESTS = Path(__file__).parent


def run_main(*args):
    """main(args) in a fresh interpreter; reports whether torch was imported along the way."""
    code = textwrap.dedent(f"""
        import sys
        from optplayground.cli import main
        try:
            status = main({list(args)!r})
        except SystemExit as exit:
            status = exit.code
        print("torch imported:", "torch._C" in sys.modules, file=sys.stderr)  # its code ran
        sys.exit(status)
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=str(TESTS)))


def test_version_names_the_app_and_what_it_runs_on_without_importing_torch():
    result = run_main("--version")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"optplayground {__version__}"
    assert any(line.startswith("torch 2.") for line in lines)
    assert any(line.startswith("Qt for Python (PySide6) 6.") for line in lines)
    assert "torch imported: False" in result.stderr


def test_top_level_help_shows_every_form():
    result = run_main("--help")
    assert result.returncode == 0
    usage = result.stdout.split("\n\n")[0]
    assert "optplayground [EXPERIMENT.toml]" in usage  # the window, with or without a file
    assert "open the window with a default race" in result.stdout
    commands = next(a for a in cli._parser()._actions if a.dest == "command").choices
    for command in commands:  # a new subcommand must join the usage too
        assert f"optplayground {command} " in usage, command
    assert "--version" in usage and "quick form" in usage


@pytest.mark.parametrize("what", KINDS)
def test_list_answers_without_torch(what):
    result = run_main("list", what)
    assert result.returncode == 0, result.stderr
    assert "torch imported: False" in result.stderr
    assert len(result.stdout.splitlines()) >= 6


def test_list_datasets_and_losses_name_each_with_its_task():
    datasets = run_main("list", "datasets").stdout
    for name, task in [("circle", "classification, 2 classes"), ("linear", "regression"),
                       ("spiral", "classification")]:
        line = next(l for l in datasets.splitlines() if l.startswith(name + " "))
        assert task in line, line
    losses = run_main("list", "losses").stdout
    assert "\ncross_entropy " in losses and "label_smoothing" in losses
    assert next(l for l in losses.splitlines() if l.startswith("mse ")).endswith("(regression)")


def test_shot_takes_the_quick_form():
    argv = ["shot", "--surface", "booth", "--start", "-2,3", "--opt", "adam:lr=0.1", "--name",
            "A", "--opt", "sgd", "--steps", "40", "--out", "x.png"]
    args = cli._parser().parse_args(cli._glue_negative_values(argv))
    exp = cli._experiment_from_args(args)
    assert exp.problem.surface == "booth" and exp.problem.start == (-2.0, 3.0)
    assert [(r.name, r.optimizer, r.hyper.get("lr")) for r in exp.runs] == [
        ("A", "adam", 0.1), ("sgd #2", "sgd", 0.001)]
    assert exp.steps == 40


def test_a_deferred_torch_loads_when_used_and_is_the_real_one():
    code = textwrap.dedent("""
        import sys
        from optplayground.core.lazy import defer_torch, torch_loaded
        defer_torch()
        import torch
        from optplayground.core.optimizers import OPTIMIZERS
        from optplayground.core.schedules import SCHEDULES
        assert not torch_loaded()
        x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        assert torch_loaded() and sys.modules["torch"] is torch and torch.optim.SGD
        optimizer = OPTIMIZERS["lbfgs"].factory([x], OPTIMIZERS["lbfgs"].defaults())
        assert type(optimizer).__name__ == "LBFGS"
        scheduler = SCHEDULES["step"].factory(optimizer, SCHEDULES["step"].defaults(), 10)
        assert isinstance(scheduler, torch.optim.lr_scheduler.StepLR)
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout == "ok\n", result.stderr
