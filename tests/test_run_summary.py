"""`run --csv OUT.csv` writes OUT.summary.csv beside the rows (core/results.py), both or
neither, and prints the same numbers. In this process (a child process costs seconds)."""
import csv
import io

import numpy as np
import pytest

from optplayground.cli import main
from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.history import History
from optplayground.core.params import ConfigError
from optplayground.core.results import (COLUMNS, known_minima, results, summary_path, to_csv,
                                        write_csv_with_summary)

SURFACE = ("--surface", "rosenbrock", "--start", "-1.5,2", "--opt", "adam:lr=0.05",
           "--opt", "sgd:lr=0.001,momentum=0.9", "--steps", "30")
DATASET = ("--dataset", "circle:n_points=60", "--model", "mlp:4", "--opt", "adam:lr=0.01",
           "--batch", "16", "--opt", "sgd:lr=0.1", "--steps", "12")


def race(tmp_path, capsys, quick):
    """Run the command; the files it wrote, what it printed, and the same race here."""
    out, saved = tmp_path / "out.csv", tmp_path / "exp.toml"
    assert main(["run", *quick, "--csv", str(out), "--save", str(saved)]) == 0
    exp = xp.load(str(saved))
    engine = Engine(exp)
    for _ in engine.batches(1000):
        pass
    return out, capsys.readouterr().out, exp, engine.history


def test_a_surface_race_writes_its_results_beside_the_rows(tmp_path, capsys):
    out, printed, exp, history = race(tmp_path, capsys, SURFACE)
    summary = tmp_path / "out.summary.csv"
    rows = results(history, known_minima(exp))
    assert summary.read_text(encoding="utf-8") == to_csv(rows)
    long = io.StringIO()
    history.write_csv(long)
    assert out.read_text(encoding="utf-8") == long.getvalue()  # the rows, byte for byte as before
    table = list(csv.DictReader(summary.open(newline="")))
    assert [r["run"] for r in table] == ["adam #1", "sgd #2"] and list(table[0]) == list(COLUMNS)
    assert all(float(r["distance_to_minimum"]) > 0 for r in table)  # to Rosenbrock's (1, 1)
    head, *lines = printed.splitlines()[1:]
    assert "best loss" in head and "converged" in head and "to min" in head
    for row, line in zip(rows, lines[1:]):  # the printed numbers are the file's
        assert line.split()[:4] == [row.run.split()[0], row.run.split()[1], row.optimizer, row.status]
        assert f"{row.final_loss:.6g}" in line and f"{row.best_loss:.6g}" in line
        assert f"{row.distance_to_minimum:.3g}" in line


def test_a_dataset_race_has_no_distance_to_a_minimum(tmp_path, capsys):
    _out, printed, exp, history = race(tmp_path, capsys, DATASET)
    summary = tmp_path / "out.summary.csv"
    assert summary.read_text(encoding="utf-8") == to_csv(results(history, known_minima(exp)))
    table = list(csv.DictReader(summary.open(newline="")))
    assert len(table) == 2 and all(r["distance_to_minimum"] == "" for r in table)
    assert all(float(r["best_loss"]) <= float(r["final_loss"]) for r in table)
    assert "best loss" in printed and "accuracy" in printed


def test_the_summary_s_place_is_checked_before_the_race(tmp_path, capsys):
    (tmp_path / "out.summary.csv").mkdir()
    assert main(["run", "--opt", "adam", "--steps", "3", "--csv", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "summary" in err[0] and "it is a folder" in err[0]
    assert not (tmp_path / "out.csv").exists()


@pytest.fixture
def one_run():
    history = History(["a"], ["sgd"], 10)
    history.runs[0].append(np.array([[0.0, 1.0, 2.0, 3.0, 0.1, 1.0, 1.0]]))
    return history


def test_the_rows_are_not_left_when_the_summary_cannot_be_written(tmp_path, one_run):
    path = tmp_path / "r.csv"
    path.write_text("before\n")
    (tmp_path / "r.summary.csv").mkdir()
    with pytest.raises(ConfigError, match="it is a folder"):
        write_csv_with_summary(one_run, str(path))
    assert path.read_text() == "before\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.summary.csv"]  # no temp file
    stopped = tmp_path / "s.csv"
    assert not write_csv_with_summary(one_run, str(stopped), progress=lambda done, total: False)
    assert not stopped.exists() and not (tmp_path / "s.summary.csv").exists()


@pytest.mark.parametrize("given, beside", [("out.csv", "out.summary.csv"), ("a/b", "a/b.summary.csv"),
                                           ("x.tsv.csv", "x.tsv.summary.csv")])
def test_the_summary_is_named_after_the_rows(given, beside):
    assert summary_path(given) == beside


def test_the_printed_head_counts_the_steps_the_race_made(capsys):
    """A race whose runs all left the map at the first update ends there: "1 step"."""
    assert main(["run", "--surface", "rosenbrock", "--start", "19,2", "--opt", "sgd:lr=0.01",
                 "--steps", "1000"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert ", 1 step, device" in head
    assert main(["run", *SURFACE]) == 0
    assert ", 30 steps, device" in capsys.readouterr().out.splitlines()[0]
