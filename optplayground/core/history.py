"""Columnar per-run metric store, bounded in memory, and the CSV writer.

Each run keeps one float64 array per column, preallocated for the rows the race will make
(pages are only touched as rows arrive), so a plot reads a column as a zero-copy view. The
first `cap` rows are kept exactly; later rows go to a bounded tail that halves its density
whenever it fills, so a very long run stays visible end to end in bounded memory.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Callable, Iterable, TextIO

import numpy as np

from .atomic import write_atomic

COLUMNS = ("step", "x", "y", "loss", "lr", "grad_norm", "grad_norm_clipped")
# Dataset races add these (x, y are then the model's (w, b) when it has exactly two).
DATASET_COLUMNS = ("epoch", "train_loss", "test_loss", "accuracy")
COL = {name: i for i, name in enumerate(COLUMNS + DATASET_COLUMNS)}
CSV_HEADER = ("run", "optimizer", *COLUMNS, "status")
CSV_CHUNK = 1000  # rows turned into text at a time (a few ms): bounds a CSV export's memory


class _Columns:
    """Append-only columns: data[c, :n] is column c. Grows by half when full."""

    def __init__(self, width: int, capacity: int):
        self.data = np.empty((width, max(1, capacity)))
        self.n = 0

    def append(self, rows: np.ndarray) -> None:
        end = self.n + len(rows)
        if end > self.data.shape[1]:
            grown = np.empty((self.data.shape[0], max(end, self.data.shape[1] * 3 // 2)))
            grown[:, :self.n] = self.data[:, :self.n]
            self.data = grown
        self.data[:, self.n:end] = rows.T
        self.n = end

    def view(self) -> np.ndarray:
        return self.data[:, :self.n]

class _DecimatedTail:
    """Keeps every `stride`-th row past the cap; halves itself when it holds `size` rows."""

    def __init__(self, width: int, size: int):
        self.rows = np.empty((size, width))  # row-major: the tail is small
        self.n = 0
        self.stride = 1
        self.seen = 0
        self.latest: np.ndarray | None = None  # the newest row, kept so a run's end shows

    def append(self, rows: np.ndarray) -> None:
        if len(rows):
            self.latest = rows[-1].copy()
        start, self.seen = self.seen, self.seen + len(rows)
        i = self._next_kept(start, 0)
        while i < len(rows):
            if self.n == len(self.rows):  # full: keep every other row, double the stride
                kept = self.rows[:self.n:2].copy()
                self.n = len(kept)
                self.rows[:self.n] = kept
                self.stride *= 2
                i = self._next_kept(start, i)
                continue
            self.rows[self.n] = rows[i]
            self.n += 1
            i += self.stride

    def _next_kept(self, start: int, i: int) -> int:
        """The first index >= i whose tail position start+i lies on the stride."""
        return i + (-(start + i)) % self.stride

    def array(self) -> np.ndarray:
        """The kept rows, ending with the newest row even when it is off the stride."""
        kept = self.rows[:self.n]
        if self.latest is None or (self.n and np.array_equal(kept[-1], self.latest)):
            return kept
        return np.concatenate([kept, self.latest[None]])


@dataclass
class RunHistory:
    name: str
    optimizer: str
    cap: int
    expected_rows: int = 0  # preallocate this many (at most cap); 0: grow as needed
    columns_names: tuple[str, ...] = COLUMNS
    status: str = "running"
    message: str = ""
    exact: _Columns = field(init=False)
    tail: _DecimatedTail | None = field(init=False, default=None)

    def __post_init__(self):
        self.exact = _Columns(len(self.columns_names), min(self.cap, self.expected_rows or 1024))

    def append(self, rows: np.ndarray) -> None:
        room = self.cap - self.exact.n
        if room > 0:
            self.exact.append(rows[:room])
            rows = rows[room:]
        if len(rows):
            if self.tail is None:
                self.tail = _DecimatedTail(len(self.columns_names), max(1024, self.cap // 4))
            self.tail.append(rows)

    def __len__(self) -> int:
        return self.exact.n + (len(self.tail.array()) if self.tail else 0)

    @property
    def rows_seen(self) -> int:
        return self.exact.n + (self.tail.seen if self.tail else 0)

    def columns(self) -> np.ndarray:
        """Shape (columns, kept rows): a zero-copy view unless the run went past the cap."""
        if self.tail is None:
            return self.exact.view()
        return np.concatenate([self.exact.view(), self.tail.array().T], axis=1)

    def array(self) -> np.ndarray:
        """Shape (kept rows, columns), in step order."""
        return self.columns().T

    def column(self, name: str) -> np.ndarray:
        """One column; a zero-copy view unless the run went past the cap."""
        c = self.columns_names.index(name)
        if self.tail is None:
            return self.exact.data[c, :self.exact.n]
        return np.concatenate([self.exact.data[c, :self.exact.n], self.tail.array()[:, c]])

    def last(self) -> np.ndarray | None:
        if self.tail is not None and self.tail.latest is not None:
            return self.tail.latest
        return self.exact.data[:, self.exact.n - 1] if self.exact.n else None

    def nbytes(self) -> int:
        return self.exact.data.nbytes + (self.tail.rows.nbytes if self.tail else 0)


class History:
    """One RunHistory per run, in run order."""

    def __init__(self, names: Iterable[str], optimizers: Iterable[str], cap: int,
                 expected_rows: int = 0, columns: tuple[str, ...] = COLUMNS):
        self.columns = columns
        self.runs = [RunHistory(n, o, cap, expected_rows, columns) for n, o in zip(names, optimizers)]

    def __getitem__(self, i: int) -> RunHistory:
        return self.runs[i]

    def __len__(self) -> int:
        return len(self.runs)

    def write_csv(self, out: TextIO, progress: Callable[[int, int], bool] | None = None) -> bool:
        """Long format, one row per run and step; the last row of a run carries its final
        status, the others `running` (a run not finite at its very start: one row, step 0,
        values empty). Floats at full precision (repr); a value that does not
        apply (NaN: accuracy of a regression, w and b of a bigger model) is left empty.

        Rows go out CSV_CHUNK at a time, so a million rows never sit in memory as Python
        floats. After each chunk `progress(rows written, rows in all)` says whether to go
        on; False from it stops the writing and is returned."""
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("run", "optimizer", *self.columns, "status"))
        integral = {i for i, name in enumerate(self.columns) if name in ("step", "epoch")}
        done, total = 0, sum(len(run) for run in self.runs)
        for run in self.runs:
            data = run.array()
            last = len(data) - 1
            if last < 0 and run.status != "running":  # stopped at its start: say how, at step 0
                empty = [""] * (len(self.columns) - 1)
                writer.writerow([run.name, run.optimizer, "0", *empty, run.status])
            for start in range(0, len(data), CSV_CHUNK):
                for k, row in enumerate(data[start:start + CSV_CHUNK].tolist(), start):
                    cells = [_cell(v, i in integral) for i, v in enumerate(row)]
                    writer.writerow([run.name, run.optimizer, *cells, run.status if k == last else "running"])
                done += min(CSV_CHUNK, len(data) - start)
                if progress is not None and not progress(done, total):
                    return False
        return True


def write_csv_file(history: History, path: str,
                   progress: Callable[[int, int], bool] | None = None) -> bool:
    """history.write_csv streamed into a temporary file beside `path`, then renamed onto it.
    False when `progress` stopped it: no file is left and an existing `path` is untouched."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="", buffering=1 << 20) as f:
            if not history.write_csv(f, progress):
                raise _Stopped

    try:
        write_atomic(path, write)
    except _Stopped:
        return False
    return True


class _Stopped(Exception):
    """write_csv_file's `progress` said stop: the temporary file goes, the target stays."""


def _cell(value: float, integral: bool) -> str:
    if value != value:  # NaN: does not apply
        return ""
    return str(int(value)) if integral else repr(value)
