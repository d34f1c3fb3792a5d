"""Each run's result in one row: its status, final and best loss, the step it converged at,
and how far it ended from the nearest known minimum (the window's results table, its CSV,
the summary `run` prints, and `<stem>.summary.csv` beside every runs CSV). Numpy only (no
Qt; the surfaces, for `known_minima`, only when asked)."""
from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .atomic import all_or_nothing, write_text_atomic
from .history import write_csv_file

COLUMNS = ("run", "optimizer", "status", "step", "final_loss", "best_loss",
           "steps_to_converge", "distance_to_minimum")


@dataclass(frozen=True)
class RunResult:
    run: str
    optimizer: str
    status: str
    step: int | None  # the last row's step (None: no row yet)
    final_loss: float  # the last row's loss (NaN: none, or not finite)
    best_loss: float  # the lowest finite loss of its rows (NaN: none)
    steps_to_converge: int | None  # the step it converged at (None: it did not)
    distance_to_minimum: float  # from its last finite point (NaN: no known minimum)

    def values(self) -> tuple:
        return tuple(getattr(self, name) for name in COLUMNS)


def best_loss(loss: np.ndarray, best: float = math.nan) -> float:
    """The lowest finite value of `loss` and `best` (NaN: none)."""
    finite = loss[np.isfinite(loss)]
    low = float(finite.min()) if len(finite) else math.nan
    return low if math.isnan(best) else best if math.isnan(low) else min(low, best)


def last_finite(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """The last point with both coordinates finite (the last row, unless it diverged)."""
    if len(x) and math.isfinite(x[-1]) and math.isfinite(y[-1]):
        return float(x[-1]), float(y[-1])
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    return (float(x[ok[-1]]), float(y[ok[-1]])) if len(ok) else None


def run_result(record, minima: Sequence[tuple[float, float]], best: float | None = None
               ) -> RunResult:
    """The result of one RunHistory; `minima`: the surface's known minima (none: a dataset,
    a saddle); `best`: its best loss when the caller keeps it up to date (else computed)."""
    steps, loss = record.column("step"), record.column("loss")
    step = int(steps[-1]) if len(steps) else None
    distance = math.nan
    if minima and "x" in record.columns_names:
        x, y = record.column("x"), record.column("y")
        last = last_finite(x, y)
        if last is not None:
            distance = min(math.hypot(last[0] - mx, last[1] - my) for mx, my in minima)
    return RunResult(record.name, record.optimizer, record.status, step,
                     float(loss[-1]) if len(loss) else math.nan,
                     best_loss(loss) if best is None else best,
                     step if record.status == "converged" else None, distance)


def results(history, minima: Sequence[tuple[float, float]] = ()) -> list[RunResult]:
    return [run_result(record, minima) for record in history.runs]


def to_csv(rows: Sequence[RunResult]) -> str:
    """The results as CSV, floats at full precision, empty where there is no value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow("" if v is None or (isinstance(v, float) and math.isnan(v)) else
                        repr(v) if isinstance(v, float) else v for v in row.values())
    return out.getvalue()


def known_minima(exp) -> tuple[tuple[float, float], ...]:
    """The minima a run's distance is measured to: the surface's known ones (none for a
    dataset race, nor on a saddle). `exp`: a validated Experiment."""
    if exp.problem.is_dataset:
        return ()
    from . import experiment as xp  # the surfaces need torch: only when asked

    return tuple(xp.surface_of(exp.problem).minima_for(exp.problem.params))


def summary_path(csv_path: str) -> str:
    """Where the results go beside a runs CSV: 'out.csv' -> 'out.summary.csv'."""
    return os.path.splitext(csv_path)[0] + ".summary.csv"


def write_csv_with_summary(history, path: str, minima: Sequence[tuple[float, float]] = (),
                           progress: Callable[[int, int], bool] | None = None) -> bool:
    """Every row of every run at `path` (history.write_csv, streamed) and their results at
    summary_path(path): both files or neither. False when `progress` stopped the writing
    (then neither is written)."""
    with all_or_nothing():
        if not write_csv_file(history, path, progress):
            return False
        write_text_atomic(summary_path(path), to_csv(results(history, minima)))
    return True
