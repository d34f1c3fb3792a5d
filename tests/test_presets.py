"""Presets: every shipped experiment loads, validates, runs, and shows what it teaches."""
import csv
import functools
import os
import subprocess
import sys

import numpy as np
import pytest

from optplayground import cli
from optplayground.core import experiment as xp
from optplayground.core import presets
from optplayground.core.engine import Engine
from optplayground.core.history import COLUMNS
from optplayground.core.params import ConfigError

NAMES = presets.preset_names()


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "optplayground", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=120)


@functools.cache
def race(name: str, steps: int | None = None) -> dict[str, tuple[str, np.ndarray]]:
    """Run a preset headless on the CPU (reproducible noise): run name -> (status, rows)."""
    exp = presets.load_preset(name)
    exp.device = "cpu"
    if steps is not None:
        exp.steps = steps
    engine = Engine(exp)
    engine.run_to_end()
    return {r.name: (r.status, r.array()) for r in engine.history.runs}


def final_loss(result, run: str) -> float:
    return float(result[run][1][-1, 3])


# ---------------------------------------------------------------- the collection

def test_every_shipped_file_has_its_place_in_the_teaching_order():
    files = sorted(entry.name[:-5] for entry in presets.PRESET_DIR.iterdir()
                   if entry.name.endswith(".toml"))
    assert sorted(NAMES) == files
    assert NAMES == list(presets.ORDER)
    assert len(NAMES) == 16


def test_files_missing_from_the_order_come_last_alphabetically(monkeypatch):
    monkeypatch.setattr(presets, "ORDER", ("saddle_escape", "no_such_file"))
    names = presets.preset_names()
    assert names[0] == "saddle_escape"
    assert names[1:] == sorted(set(NAMES) - {"saddle_escape"})


def test_list_presets_gives_name_title_and_a_description_that_leads_with_the_point():
    listed = presets.list_presets()
    assert [p.name for p in listed] == NAMES
    for preset in listed:
        exp = presets.load_preset(preset.name)
        assert (preset.title, preset.description) == (exp.name, exp.description)
        assert preset.title.strip() and preset.description.strip()
        sentences = [s for s in preset.description.split(". ") if s]
        assert 2 <= len(sentences) <= 4, preset.name
        assert len(sentences[0]) <= 96, preset.name  # `list presets` prints it on one line


@pytest.mark.parametrize("name", NAMES)
def test_preset_validates_round_trips_and_runs_50_finite_steps(name):
    exp = presets.load_preset(name)
    assert xp.loads(xp.dumps(exp)) == exp
    checked = xp.validate(exp)
    assert checked.steps <= 2000
    result = race(name, 50)
    assert list(result) == [run.name for run in checked.runs]
    for status, rows in result.values():
        assert status in ("done", "converged", "diverged")
        assert len(rows) == 51 or status != "done"
        assert np.isfinite(rows[:, :len(COLUMNS)]).all()  # dataset extras: NaN = does not apply


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ConfigError) as error:
        presets.load_preset("../momentum_valley")
    assert error.value.field == "preset"
    assert "unknown preset '../momentum_valley'" in error.value.message
    assert "known: lr_too_high, momentum_valley" in error.value.message


# ---------------------------------------------------------------- what each one teaches

def test_lr_too_high_fine_oscillating_diverging():
    r = race("lr_too_high")
    assert [status for status, _ in r.values()] == ["done", "done", "diverged"]
    zigzag = r["SGD lr 0.105"][1]
    steps = np.diff(zigzag[:20, 1:3], axis=0)
    assert (np.sum(steps[1:] * steps[:-1], axis=1) < 0).sum() >= 15  # successive steps reverse
    assert final_loss(r, "SGD lr 0.05") < 1e-15 and final_loss(r, "SGD lr 0.105") < 1e-15


def test_momentum_reaches_the_minimum_where_sgd_crawls():
    r = race("momentum_valley")
    assert final_loss(r, "Momentum 0.9") < 1e-4 < 1 < final_loss(r, "SGD")


def test_adam_escapes_the_saddle_first():
    r = race("saddle_escape")
    (sgd_status, sgd), (adam_status, adam) = r["SGD"], r["Adam"]
    assert sgd_status == adam_status == "diverged"
    away = lambda rows: int(np.argmax(np.abs(rows[:, 2]) > 0.5))  # noqa: E731
    assert away(adam) < 20 and away(sgd) > 600
    assert len(adam) < len(sgd) - 300


def test_himmelblau_runs_end_in_three_different_minima():
    r = race("himmelblau_basins")
    minima = np.array(xp.surface_of(xp.Problem("himmelblau")).minima)
    found = {int(np.argmin(np.hypot(*(rows[-1, 1:3] - minima).T))) for _, rows in r.values()}
    assert len(found) == 3
    assert all(np.hypot(*(rows[-1, 1:3] - minima).T).min() < 1e-3 for _, rows in r.values())


def test_noise_level_changes_the_ranking():
    low, high = race("noisy_quadratic_low_noise"), race("noisy_quadratic_high_noise")
    assert max(final_loss(low, "Momentum 0.9"), final_loss(low, "Adam")) < final_loss(low, "SGD") / 100
    tail = {run: rows[-100:, 3].mean() for run, (_, rows) in high.items()}
    assert tail["Momentum 0.9"] > 3 * tail["SGD"] > 9 * tail["Adam"]
    assert final_loss(high, "Momentum 0.9") > final_loss(high, "SGD") > final_loss(high, "Adam")


def test_clipping_survives_where_the_unclipped_run_explodes():
    r = race("clipping_tames_explosions")
    assert r["No clipping"][0] == "diverged" and len(r["No clipping"][1]) < 10
    status, rows = r["Clip norm 5"]
    assert status == "done" and rows[-1, 3] < 1e-10
    clipping = np.flatnonzero(rows[:, 5] > rows[:, 6])
    assert 0 < clipping.max() < 100  # clipping acts only on the steep start


def test_warm_up_survives_and_cosine_settles():
    r = race("warmup_cosine")
    assert r["Constant"][0] == "diverged"
    assert final_loss(r, "Warm-up + cosine") < 1e-6 < 1e-3 < final_loss(r, "Warm-up only")


def test_lookahead_settles_where_sgd_zigzags_or_diverges():
    r = race("lookahead_wrapper")
    assert r["SGD 0.12"][0] == "diverged" and final_loss(r, "SGD 0.11") > 0.1
    assert final_loss(r, "SGD 0.11 + LA") < 1e-12 and final_loss(r, "SGD 0.12 + LA") < 1e-12


def test_lbfgs_is_at_the_minimum_in_three_steps():
    r = race("lbfgs_vs_first_order")
    assert r["L-BFGS"][1][3, 3] < 1e-9
    assert min(final_loss(r, "Adam"), final_loss(r, "Momentum")) > 1


def test_linear_regression_only_momentum_reaches_the_least_squares_line():
    from optplayground.core.views import weight_surface

    exp = xp.validate(presets.load_preset("linear_regression_tutorial"))
    task = Engine(exp).task
    surface = weight_surface(task)
    best = float(surface.value(np.array(surface.minimum)))
    r = race("linear_regression_tutorial")
    sgd, momentum, adam = (r[name][1][-1] for name in ("SGD", "Momentum 0.9", "Adam"))
    assert momentum[3] < 1.001 * best  # the description's numbers, as the run makes them
    assert (round(sgd[1], 2), round(sgd[2], 2), round(sgd[3], 2)) == (1.52, 0.96, 0.12)
    assert round(surface.minimum[0], 2) == 1.99 and round(best, 3) == 0.038
    assert round(adam[1], 2) == 1.71 and round(adam[3], 3) == 0.066
    start_w = r["Adam"][1][0, 1]
    assert adam[1] - start_w <= 100 * 0.01  # Adam's steps are about lr each
    assert r["Momentum 0.9"][1][:, 2].max() > surface.minimum[1]  # it overshoots b


# ---------------------------------------------------------------- the command line

def test_list_presets_prints_every_name_and_title():
    result = run_cli("list", "presets")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 * len(NAMES)
    for preset, head, blurb in zip(presets.list_presets(), lines[::2], lines[1::2]):
        assert head.split(None, 1) == [preset.name, preset.title]
        assert blurb.strip() == preset.description.split(". ")[0] + "."


def test_run_preset_writes_a_csv(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert cli.main(["run", "--preset", "momentum_valley", "--steps", "20", "--csv", str(out)]) == 0
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert [r[0] for r in rows[1:]] == ["SGD"] * 21 + ["Momentum 0.9"] * 21
    assert rows[1][2:5] == ["0", "-1.5", "2.0"] and rows[-1][-1] == "done"
    assert "Momentum in a narrow valley on Rosenbrock, 20 steps" in capsys.readouterr().out


def test_unknown_preset_is_one_line_exit_2_and_no_file(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert cli.main(["run", "--preset", "nope", "--csv", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("optplayground: error: preset: unknown preset 'nope' (known: lr_too_high")
    assert not out.exists()


def test_file_preset_and_quick_form_are_mutually_exclusive(tmp_path, capsys):
    path = tmp_path / "exp.toml"
    xp.save(xp.default_experiment(), str(path))
    assert cli.main(["run", str(path), "--preset", "saddle_escape"]) == 2
    assert cli.main(["run", "--preset", "saddle_escape", "--opt", "adam"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "optplayground: error: command line: give one of an experiment file, --preset or the "
        "quick form, not an experiment file and --preset",
        "optplayground: error: command line: give one of an experiment file, --preset or the "
        "quick form, not --preset and the quick form"]


def test_shot_takes_a_preset():
    args = cli._parser().parse_args(["shot", "--preset", "lookahead_wrapper", "--out", "x.png"])
    exp = cli._experiment_from_args(args)
    assert exp.name == "Lookahead calms a zigzag" and exp.steps == 200
    assert [r.name for r in exp.runs] == ["SGD 0.11", "SGD 0.11 + LA", "SGD 0.12", "SGD 0.12 + LA"]
