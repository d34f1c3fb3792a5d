"""`optplayground basin` and `sweep`: one CSV row per run, each the last row `run` writes for
that run (start point or hyperparameter value passed on as text), and bad input refused
like `run` refuses it."""
from __future__ import annotations

import csv
import math
import subprocess
import sys

import pytest

from optplayground.cli import main
from optplayground.core.surfaces import get_surface
from optplayground.swarm_cli import MINIMUM_TOLERANCE, grid_starts, spaced


def cli(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exit:  # argparse's usage errors
        code = exit.code
    out = capsys.readouterr()
    return code, out.out, out.err


def read(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def run_alone(capsys, tmp_path, *args) -> dict:
    """The last row of `optplayground run …`'s CSV."""
    out = tmp_path / "run.csv"
    code, _, err = cli(capsys, "run", *args, "--csv", str(out), "--quiet")
    assert code == 0, err
    return read(out)[-1]


ENDING = ("step", "x", "y", "loss", "status")


def test_basin_rows_are_the_runs_raced_alone(capsys, tmp_path):
    out = tmp_path / "basin.csv"
    code, text, err = cli(capsys, "basin", "--surface", "himmelblau", "--opt", "adam:lr=0.3",
                          "--schedule", "cosine", "--clip", "norm=20", "--grid", "6",
                          "--steps", "150", "--csv", str(out))
    assert code == 0, err
    rows = read(out)
    assert list(rows[0]) == ["start_x", "start_y", "step", "x", "y", "loss", "status", "minimum",
                             "best_loss"]
    (x0, x1), (y0, y1) = get_surface("himmelblau").bounds
    assert [(float(r["start_x"]), float(r["start_y"])) for r in rows] == \
        [(x0 + (i + 0.5) * (x1 - x0) / 6, y0 + (j + 0.5) * (y1 - y0) / 6)
         for j in range(6) for i in range(6)]  # cell centres, x fastest
    for r in (0, 14, 35):
        row = rows[r]
        alone = run_alone(capsys, tmp_path, "--surface", "himmelblau", "--start",
                          f"{row['start_x']},{row['start_y']}", "--opt", "adam:lr=0.3",
                          "--schedule", "cosine", "--clip", "norm=20", "--steps", "150")
        assert [row[k] for k in ENDING] == [alone[k] for k in ENDING]
    minima = get_surface("himmelblau").minima
    tolerance = MINIMUM_TOLERANCE * math.hypot(x1 - x0, y1 - y0)
    for row in rows:
        near = [i for i, (mx, my) in enumerate(minima)
                if math.hypot(float(row["x"]) - mx, float(row["y"]) - my) <= tolerance]
        assert row["minimum"] == (str(near[0]) if near else "")
    reached = {row["minimum"] for row in rows}
    assert {"0", "1", "2", "3"} <= reached  # Himmelblau's four basins all show up
    assert "minimum 0 (3, 2):" in text


def test_noisy_basin_rows_draw_the_noise_of_their_run(capsys, tmp_path):
    out = tmp_path / "basin.csv"
    args = ("--surface", "noisy_quadratic:noise_scale=2", "--opt", "sgd:lr=0.1,momentum=0.5")
    code, _, err = cli(capsys, "basin", *args, "--grid", "3", "--box", "-2,2,-1,1", "--steps", "50",
                       "--seed", "7", "--csv", str(out))
    assert code == 0, err
    row = read(out)[4]
    alone = run_alone(capsys, tmp_path, *args, "--start", f"{row['start_x']},{row['start_y']}",
                      "--steps", "50", "--seed", "7")
    assert [row[k] for k in ENDING] == [alone[k] for k in ENDING]


def test_sweep_rows_are_the_runs_raced_alone(capsys, tmp_path):
    out = tmp_path / "sweep.csv"
    code, text, err = cli(capsys, "sweep", "--surface", "rosenbrock", "--start", "-1.5,2",
                          "--opt", "sgd:momentum=0.9", "--vary", "lr=1e-4..3e-3:log:4",
                          "--vary", "momentum=0..0.95:3", "--steps", "200", "--csv", str(out))
    assert code == 0, err
    rows = read(out)
    assert list(rows[0]) == ["cell", "lr", "momentum", "step", "x", "y", "loss", "status", "best_loss"]
    assert [r["cell"] for r in rows] == [str(c) for c in range(12)]
    lrs = spaced(1e-4, 3e-3, 4, log=True)
    assert lrs[0] == 1e-4 and lrs[-1] == 3e-3 and lrs[1] / lrs[0] == pytest.approx(lrs[2] / lrs[1])
    assert [(float(r["lr"]), float(r["momentum"])) for r in rows] == \
        [(lr, m) for lr in lrs for m in (0.0, 0.475, 0.95)]
    for c in (2, 7, 11):
        row = rows[c]
        alone = run_alone(capsys, tmp_path, "--surface", "rosenbrock", "--start", "-1.5,2",
                          "--opt", f"sgd:momentum={row['momentum']},lr={row['lr']}",
                          "--steps", "200")
        assert [row[k] for k in ENDING] == [alone[k] for k in ENDING]
    assert "best cell" in text


@pytest.mark.parametrize("args, words", [
    (("basin", "--opt", "adam", "--grid", "0"), "--grid"),
    (("basin", "--opt", "adam", "--grid", "4", "--box", "1,0,0,1"), "--box"),
    (("basin", "--opt", "adam", "--grid", "4", "--box", "1,2,3"), "--box"),
    (("basin", "--opt", "lbfgs", "--grid", "4"), "race it with `run`"),
    (("basin", "--opt", "adam", "--opt", "sgd", "--grid", "4"), "exactly one --opt"),
    (("basin", "--surface", "nope", "--opt", "adam", "--grid", "4"), "unknown surface"),
    (("basin", "--opt", "adam:lr=-1", "--grid", "4"), "lr"),
    (("basin", "--opt", "adam", "--grid", "4", "--steps", "0"), "steps"),
    (("basin", "--opt", "adam", "--grid", "four"), "--grid"),
    (("sweep", "--opt", "adam", "--vary", "zeta=1..2:3"), "--vary"),
    (("sweep", "--opt", "adam", "--vary", "lr=1..2"), "--vary lr"),
    (("sweep", "--opt", "adam", "--vary", "lr=0..1:log:3"), "positive"),
    (("sweep", "--opt", "adam", "--vary", "lr=1e-3..1e-2:lin:3"), ":log"),
    (("sweep", "--opt", "sgd", "--vary", "momentum=0..1.5:4"), "cell 3 (momentum=1.5)"),
    (("sweep", "--opt", "adam", "--vary", "lr=1..2:2", "--vary", "lr=1..2:2"), "twice"),
    (("sweep", "--opt", "adam", "--vary", "lr=1..2:2", "--vary", "eps=1..2:2",
      "--vary", "weight_decay=0..1:2"), "one or two"),
])
def test_bad_input_is_one_line_exit_2_and_no_file(capsys, tmp_path, args, words):
    out = tmp_path / "never.csv"
    extra = () if "--steps" in args else ("--steps", "5")
    code, _, err = cli(capsys, *args, *extra, "--csv", str(out))
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optplayground"), err
    assert words in lines[0]
    assert not out.exists()


def test_grid_starts_are_cell_centres():
    assert grid_starts(((0.0, 4.0), (-2.0, 2.0)), 2) == [(1.0, -1.0), (3.0, -1.0), (1.0, 1.0), (3.0, 1.0)]


def test_basin_as_a_user_runs_it(tmp_path):
    """A subprocess, --box with a negative first value, the summary on stdout."""
    out = tmp_path / "b.csv"
    done = subprocess.run([sys.executable, "-m", "optplayground", "basin", "--surface", "booth",
                           "--opt", "adam:lr=0.5", "--grid", "2", "--box", "-3,3,-3,3",
                           "--steps", "400", "--csv", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "minimum 0 (1, 3): 4 starts" in done.stdout
    assert [row["minimum"] for row in read(out)] == ["0"] * 4
