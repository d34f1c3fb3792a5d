"""A batched race: N runs of one optimizer kind on one 2-D surface, as the rows of one (N, 2)
tensor stepped together.

Row i makes the same numbers as run i raced alone by core/engine.py: the gradients of all rows
come from one backward pass (a surface is vectorized over xy[..., 2] and rows do not mix), the
LR of each row comes from an LRDriver (lrs.py), clipping is torch's per row (clipping.py),
the update is the optimizer's batched rule (rules.py), and a row stops exactly where the
engine stops its run (`_check`, after engine._record and SurfaceObjective.check).

Noise (the noisy quadratic): a run alone draws its gradient noise from a generator seeded
with the experiment's seed, one draw of shape (2,) per evaluation, so every run of a race sees
the same stream (common random numbers). A batched race therefore keeps ONE such generator
and makes one shared draw per update: row i gets exactly the draw run i would make alone,
however many rows there are.

A stopped row stops costing: its row is dropped from the tensors (compacted) once enough rows
have stopped. The race keeps a summary of every row (last kept point, loss, best loss, status,
step) and the full path only of the rows asked for.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch

from ..experiment import Run
from ..i18n import tr
from ..objectives import CONVERGED_GRAD, CONVERGED_MOVE, ESCAPE_MARGIN
from .clipping import RowClip
from .lrs import RowLRs

# Row status codes; the two ways to diverge are told apart so the message can say why.
RUNNING, DONE, CONVERGED, LEFT_MAP, NOT_FINITE, DETACHED = range(6)
STATUS = ("running", "done", "converged", "diverged", "diverged", "detached")
WHY = {LEFT_MAP: "left the map", NOT_FINITE: "not finite"}
COMPACT_BELOW = 0.75  # compact once fewer than this share of the rows still run


@dataclass
class Summary:
    """Per row (numpy): the last kept row's step, x, y, loss (step 0 and NaN where the run
    kept no row), the best loss over its kept rows, and the status code (STATUS)."""

    steps: int
    step: np.ndarray
    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    best_loss: np.ndarray
    status: np.ndarray

    def status_of(self, row: int) -> str:
        return STATUS[int(self.status[row])]

    def stopped_at(self, row: int) -> int:
        """The update at which the row stopped (`steps` when it ran to the end)."""
        code = int(self.status[row])
        if code == NOT_FINITE:  # its row at that step was not kept
            return 0 if self.x[row] != self.x[row] else int(self.step[row]) + 1
        return int(self.step[row]) if code in (CONVERGED, LEFT_MAP) else self.steps

    def message_of(self, row: int) -> str:
        """The message the engine gives the run."""
        code = int(self.status[row])
        if code in WHY:
            return tr("diverged at step {step}: {why}", step=self.stopped_at(row), why=tr(WHY[code]))
        if code == CONVERGED:
            return tr("converged at step {step}", step=self.stopped_at(row))
        return ""


class BatchedRace:
    """`runs` (one optimizer kind, batchable together) from `starts` (N, 2) on `surface`."""

    def __init__(self, surface, surface_params: dict, runs: Sequence[Run], starts,
                 steps: int, seed: int, device=torch.device("cpu"), dtype=torch.float64,
                 paths: Iterable[int] = (), driver_per_row: bool = False):
        from .rules import batched_rule  # the update rules live beside, in rules.py

        self.surface, self.params = surface, surface.validate(surface_params)
        self.steps, self.step = steps, 0
        self.device, self.dtype = torch.device(device), dtype
        n = len(runs)
        self.x = torch.as_tensor(starts, dtype=dtype).to(self.device).reshape(n, 2).clone()
        self.rule = batched_rule(runs[0].optimizer, [r.hyper for r in runs], dtype, self.device,
                                 lookahead=_lookahead(runs))
        self.lrs = RowLRs([r.schedule for r in runs], [r.hyper.get("lr", 1.0) for r in runs],
                          steps, dtype, self.device, per_row=driver_per_row)
        self.clip = RowClip([r.clip for r in runs], dtype, self.device)
        self.generator = None
        if surface.stochastic:
            self.generator = torch.Generator(device=self.device).manual_seed(seed)
        (x0, x1), (y0, y1) = surface.bounds
        mx, my = ESCAPE_MARGIN * (x1 - x0), ESCAPE_MARGIN * (y1 - y0)
        self.escape_box = (x0 - mx, x1 + mx, y0 - my, y1 + my)  # as SurfaceObjective's
        self.can_converge = not surface.stochastic
        # Live rows (row j of these tensors is original row ids[j]): the point, the last
        # kept row's point and loss (row step-1; NaN before the first), the best loss, and
        # whether the row still runs. A row that stops has its summary written to the
        # full-size arrays at once; the live tensors drop it at the next compaction.
        self.ids = torch.arange(n, device=self.device)
        self.live_ids = list(range(n))
        self.prev = torch.full((n, 2), float("nan"), dtype=dtype, device=self.device)
        self.prev_loss = torch.full((n,), float("nan"), dtype=dtype, device=self.device)
        self.best = torch.full((n,), float("inf"), dtype=dtype, device=self.device)
        self.running = torch.ones(n, dtype=torch.bool, device=self.device)
        self.alive = n
        self.full_last = torch.full((n, 4), float("nan"), dtype=dtype, device=self.device)
        self.full_best = self.best.clone()
        self.full_status = torch.zeros(n, dtype=torch.long, device=self.device)
        self.watched = sorted(set(paths))
        self._pending: list[tuple[np.ndarray, torch.Tensor, torch.Tensor]] = []
        self._watch_positions()
        self.on_update = None  # called after each update with (grad, clipped, lr): internals

    # ------------------------------------------------------------ stepping

    @property
    def done(self) -> bool:
        return self.step >= self.steps

    @property
    def rows(self) -> int:
        """Rows still in the tensors (running, or stopped since the last compaction)."""
        return len(self.live_ids)

    def advance(self, n: int) -> None:
        """Make up to n updates of every running row; at the end, the final rows."""
        n = max(0, min(n, self.steps - self.step))
        with torch.no_grad():
            for _ in range(n):
                if not self.alive:
                    self.step = self.steps  # every row stopped: nothing left to step
                    break
                self._update()
                self._compact_if_it_pays()
            else:
                if self.done:
                    self._final_rows()
                    self._compact_if_it_pays()

    def run_to_end(self, chunk: int = 1000) -> "BatchedRace":
        while not self.done:
            self.advance(chunk)
        return self

    def _update(self) -> None:
        """Record row k of every running row, then update k+1 of those that go on."""
        lr = self.lrs.current()
        loss, grad, measured = self._evaluate()
        clipped, raw, clipped_norm = self.clip.apply(grad)
        self._check(measured, lr, raw, clipped_norm)
        self.rule.step(self.x, clipped, lr)  # rows that stopped move too, unseen until compacted
        if self.on_update is not None:
            self.on_update(grad, clipped, lr)
        self.lrs.step(loss.tolist() if self.lrs.watches_loss else None)
        self.step += 1

    def _final_rows(self) -> None:
        """Row `steps` of every row still running: record it, and a kept row is done."""
        lr = self.lrs.current()
        _, grad, measured = self._evaluate()
        _, raw, clipped_norm = self.clip.apply(grad)
        self._check(measured, lr, raw, clipped_norm)
        self._write_running(DONE)
        self.running.fill_(False)
        self.alive = 0

    def _evaluate(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(loss with noise, its gradient, the clean loss) at every live row."""
        with torch.enable_grad():
            xy = self.x.detach().requires_grad_(True)
            loss = self.surface.checked_objective(xy, self.params, self.generator,
                                                  shared_noise=True)
            grad, = torch.autograd.grad(loss.sum(), xy)
        measured = loss.detach()
        if self.generator is not None:
            measured = self.surface.fn(self.x, self.params)
        return loss.detach(), grad, measured

    def _check(self, loss, lr, raw, clipped) -> None:
        """engine._record for every running row at once: keep the row unless a number of it
        is not finite; stop the row if it diverged (not finite, or it left the map: the
        objective's escape box) or converged (raw gradient ≤ CONVERGED_GRAD and a move ≤
        CONVERGED_MOVE since the last row). Column-wise ops: a reduction over a row's 2 or 7
        numbers costs more than all of these."""
        xs, ys = self.x[:, 0], self.x[:, 1]
        zero = xs * 0 + ys * 0 + loss * 0 + raw * 0 + clipped * 0  # NaN where one is not finite
        if not self.lrs.all_finite:
            zero = zero + lr[:, 0] * 0
        finite = zero == 0
        lx, hx, ly, hy = self.escape_box
        inside = (xs >= lx) & (xs <= hx) & (ys >= ly) & (ys <= hy)
        goes_on = finite & inside
        if self.can_converge and self.step > 0:
            flat = raw <= CONVERGED_GRAD
            if bool(flat.any()):  # rare: the move is measured only then
                move = torch.hypot(xs - self.prev[:, 0], ys - self.prev[:, 1])
                goes_on = goes_on & ~(flat & (move <= CONVERGED_MOVE))
        stop = self.running & ~goes_on
        if len(self._watch_ids):
            self._record_paths(finite & self.running, loss, lr, raw, clipped)
        if bool(stop.any()):  # one device sync per update, none per row
            self._stop(stop, finite, inside, loss)
        self.prev = self.x.clone()
        self.prev_loss = loss
        self.best = torch.fmin(self.best, loss)

    def _stop(self, stop, finite, inside, loss) -> None:
        """Rows `stop` stop at this step: their summaries go to the full-size arrays. A row
        that is not finite ends with its previous row; one that left the map or converged
        ends with this one."""
        k, xs, ys = float(self.step), self.x[:, 0], self.x[:, 1]
        code = torch.where(finite, torch.where(inside, CONVERGED, LEFT_MAP), NOT_FINITE)
        before = torch.tensor(k - 1 if k > 0 else float("nan"), dtype=self.dtype, device=self.device)
        last = torch.stack((torch.where(finite, k, before), torch.where(finite, xs, self.prev[:, 0]),
                            torch.where(finite, ys, self.prev[:, 1]),
                            torch.where(finite, loss, self.prev_loss)), dim=-1)
        best = torch.where(finite, torch.fmin(self.best, loss), self.best)
        at = stop.nonzero().flatten()
        rows = self.ids[at]
        self.full_last[rows], self.full_best[rows], self.full_status[rows] = last[at], best[at], code[at]
        self.running &= ~stop
        self.alive -= len(at)

    def _write_running(self, code: int) -> None:
        """The summaries of the running rows: their last kept row (row step-1, or row steps
        once the final rows are in) and best loss."""
        at = self.running.nonzero().flatten()
        rows = self.ids[at]
        step = float(self.step if self.done else self.step - 1)
        last = torch.cat((torch.full((len(at), 1), step if step >= 0 else float("nan"),
                                     dtype=self.dtype, device=self.device),
                          self.prev[at], self.prev_loss[at].unsqueeze(-1)), dim=-1)
        self.full_last[rows], self.full_best[rows] = last, self.best[at]
        self.full_status[rows] = code

    # ------------------------------------------------------------ paths

    def _watch_positions(self) -> None:
        watched = set(self.watched)
        positions = [j for j, row in enumerate(self.live_ids) if row in watched]
        self._watch_ids = np.array([self.live_ids[j] for j in positions], dtype=np.int64)
        self._watch_all = len(positions) == len(self.live_ids)
        self._watch_at = torch.tensor(positions, dtype=torch.long, device=self.device)

    def _record_paths(self, keep, loss, lr, raw, clipped) -> None:
        """Rows of the watched runs (history.COLUMNS), and which of them to keep."""
        columns = (self.x, loss.unsqueeze(-1), lr, raw.unsqueeze(-1), clipped.unsqueeze(-1))
        if not self._watch_all:
            columns = tuple(column[self._watch_at] for column in columns)
            keep = keep[self._watch_at]
        step = torch.full_like(columns[1], float(self.step))
        self._pending.append((self._watch_ids, torch.cat((step, *columns), dim=1), keep))

    def take_paths(self) -> dict[int, np.ndarray]:
        """The rows recorded since the last call, per watched row: (k, 7) arrays in
        history.COLUMNS order (step, x, y, loss, lr, grad_norm, grad_norm_clipped)."""
        out = {row: np.empty((0, 7)) for row in self.watched}
        if not self._pending:
            return out
        ids = np.concatenate([entry[0] for entry in self._pending])
        rows = torch.cat([entry[1] for entry in self._pending]).cpu().numpy()
        keep = torch.cat([entry[2] for entry in self._pending]).cpu().numpy()
        self._pending.clear()
        ids, rows = ids[keep], rows[keep]
        order = np.argsort(ids, kind="stable")  # steps stay in order within a row
        ids, rows = ids[order], rows[order]
        starts = np.searchsorted(ids, np.array(self.watched), side="left")
        ends = np.searchsorted(ids, np.array(self.watched), side="right")
        for row, a, b in zip(self.watched, starts, ends):
            out[row] = rows[a:b]
        return out

    # ------------------------------------------------------------ rows that stop

    def _compact_if_it_pays(self) -> None:
        if self.alive < COMPACT_BELOW * len(self.live_ids):
            self._compact()

    def _compact(self) -> None:
        keep = self.running
        positions = keep.nonzero().flatten()
        for name in ("x", "prev", "prev_loss", "best", "running", "ids"):
            setattr(self, name, getattr(self, name)[positions])
        self.live_ids = [self.live_ids[j] for j in positions.tolist()]
        self.rule.select(keep)
        self.clip.select(keep)
        self.lrs.set_live(self.live_ids)
        self._watch_positions()

    def summary(self) -> Summary:
        """Every row's summary so far (see Summary)."""
        if self.alive:
            self._write_running(RUNNING)
        last = self.full_last.cpu().numpy()
        step = np.nan_to_num(last[:, 0], nan=0.0)
        return Summary(self.steps, step, last[:, 1], last[:, 2], last[:, 3],
                       self.full_best.cpu().numpy(), self.full_status.cpu().numpy())

    # ------------------------------------------------------------ one row (live edits)

    def position(self, row: int) -> int | None:
        """Where original row `row` sits in the live tensors (None once compacted away)."""
        try:
            return self.live_ids.index(row)
        except ValueError:
            return None

    def set_hyper(self, row: int, hyper: dict, lookahead: dict | None = None) -> None:
        j = self.position(row)
        if j is not None:
            self.rule.set_hyper(torch.tensor([j], device=self.device), hyper, lookahead)

    def set_clip(self, row: int, clip) -> None:
        j = self.position(row)
        if j is not None:
            self.clip.set(j, clip)

    def set_schedule(self, row: int, stages, lr: float) -> None:
        self.lrs.rebuild(row, stages, lr)
        self.lrs.set_live(self.live_ids)

    def point(self, row: int) -> torch.Tensor:
        return self.x[self.position(row)].clone()

    def detach(self, row: int) -> None:
        """Row `row` leaves the race (it goes on elsewhere): it is no longer stepped."""
        j = self.position(row)
        if j is not None and bool(self.running[j]):
            self.running[j] = False
            self.alive -= 1
            self.full_status[row] = DETACHED


def _lookahead(runs: Sequence[Run]):
    """Lookahead settings of the rows (all wrapped or none): one dict of per-row lists."""
    if runs[0].lookahead is None:
        return None
    return [dict(run.lookahead) for run in runs]
