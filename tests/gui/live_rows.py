"""Made-up rows for the plot tests: a LiveRuns holding given columns, and a curve's data."""
import numpy as np

from optplayground.core.engine import Batch, RunRows
from optplayground.core.experiment import default_experiment, validate
from optplayground.core.history import COLUMNS
from optplayground.gui.live import LiveRuns


def synthetic_live(losses, xs=None, ys=None, cap=1_000_000, lrs=None):
    """A LiveRuns holding given loss (and optionally x, y, lr) rows, one array per run."""
    exp = default_experiment()
    exp.runs = exp.runs[:len(losses)]
    exp.history_cap = cap
    live = LiveRuns()
    live.reset(validate(exp), 1)
    append_rows(live, losses, xs, ys, lrs)
    return live


def append_rows(live, losses, xs=None, ys=None, lrs=None):
    parts = []
    for i, loss in enumerate(losses):
        n = len(loss)
        start = live.run(i).rows_seen
        rows = np.zeros((n, len(COLUMNS)))
        rows[:, 0] = np.arange(start, start + n)
        rows[:, 1] = xs[i] if xs is not None else 0.0
        rows[:, 2] = ys[i] if ys is not None else 0.0
        rows[:, 3] = loss
        rows[:, 4] = lrs[i] if lrs is not None else 0.01
        parts.append(RunRows(i, rows, "running"))
    assert live.add_batch(1, Batch(live.step + max(map(len, losses)), parts))


def original(curve):
    x, y = curve.getOriginalDataset()
    return np.asarray(x), np.asarray(y)
