"""Columnar per-run metric store, bounded in memory, and the CSV writer.

Rows are kept in fixed-size float64 blocks (no doubling overshoot). The first `cap` rows
of a run are kept exactly; later rows go to a bounded tail that halves its density
whenever it fills, so a very long run stays visible end to end in bounded memory.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Iterable, TextIO

import numpy as np

COLUMNS = ("step", "x", "y", "loss", "lr", "grad_norm", "grad_norm_clipped")
COL = {name: i for i, name in enumerate(COLUMNS)}
CSV_HEADER = ("run", "optimizer", "step", "x", "y", "loss", "lr", "grad_norm",
              "grad_norm_clipped", "status")
BLOCK_ROWS = 16384


class _Blocks:
    """An append-only 2-D float64 array stored as fixed-size blocks."""

    def __init__(self, width: int, block_rows: int = BLOCK_ROWS):
        self.width, self.block_rows = width, block_rows
        self.blocks: list[np.ndarray] = []
        self.n = 0

    def append(self, rows: np.ndarray) -> None:
        done = 0
        while done < len(rows):
            offset = self.n % self.block_rows
            if offset == 0:
                self.blocks.append(np.empty((self.block_rows, self.width)))
            take = min(self.block_rows - offset, len(rows) - done)
            self.blocks[-1][offset:offset + take] = rows[done:done + take]
            done += take
            self.n += take

    def array(self) -> np.ndarray:
        if not self.blocks:
            return np.empty((0, self.width))
        last = self.n - (len(self.blocks) - 1) * self.block_rows
        return np.concatenate(self.blocks[:-1] + [self.blocks[-1][:last]])

    def nbytes(self) -> int:
        return sum(b.nbytes for b in self.blocks)


class _DecimatedTail:
    """Keeps every `stride`-th row past the cap; halves itself when it holds `size` rows."""

    def __init__(self, width: int, size: int):
        self.rows = np.empty((size, width))
        self.n = 0
        self.stride = 1
        self.seen = 0

    def append(self, rows: np.ndarray) -> None:
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
        return self.rows[:self.n]


@dataclass
class RunHistory:
    name: str
    optimizer: str
    cap: int
    status: str = "running"
    message: str = ""
    exact: _Blocks = field(init=False)
    tail: _DecimatedTail | None = field(init=False, default=None)

    def __post_init__(self):
        self.exact = _Blocks(len(COLUMNS), min(BLOCK_ROWS, self.cap))

    def append(self, rows: np.ndarray) -> None:
        room = self.cap - self.exact.n
        if room > 0:
            self.exact.append(rows[:room])
            rows = rows[room:]
        if len(rows):
            if self.tail is None:
                self.tail = _DecimatedTail(len(COLUMNS), max(1024, self.cap // 4))
            self.tail.append(rows)

    @property
    def rows_seen(self) -> int:
        return self.exact.n + (self.tail.seen if self.tail else 0)

    def array(self) -> np.ndarray:
        """All kept rows, in step order: the exact part, then the decimated tail."""
        if self.tail is None:
            return self.exact.array()
        return np.concatenate([self.exact.array(), self.tail.array()])

    def column(self, name: str) -> np.ndarray:
        return self.array()[:, COL[name]]

    def nbytes(self) -> int:
        return self.exact.nbytes() + (self.tail.rows.nbytes if self.tail else 0)


class History:
    """One RunHistory per run, in run order."""

    def __init__(self, names: Iterable[str], optimizers: Iterable[str], cap: int):
        self.runs = [RunHistory(n, o, cap) for n, o in zip(names, optimizers)]

    def __getitem__(self, i: int) -> RunHistory:
        return self.runs[i]

    def __len__(self) -> int:
        return len(self.runs)

    def write_csv(self, out: TextIO) -> None:
        """Long format, one row per run and step; the last row of a run carries its final
        status, the others `running`. Floats are written at full precision (repr)."""
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for run in self.runs:
            data = run.array()
            last = len(data) - 1
            for k, row in enumerate(data.tolist()):
                status = run.status if k == last else "running"
                writer.writerow([run.name, run.optimizer, int(row[0]), *map(repr, row[1:]), status])
