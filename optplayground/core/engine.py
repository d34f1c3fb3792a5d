"""Steps every run of an experiment in lockstep and hands back new rows in batches.

Row k of a run is the iterate after k updates: step k, x_k, y_k, f(x_k), the LR update k+1
uses, the raw gradient norm at x_k and its norm after clipping (the gradient update k+1
applies). A row is therefore written when update k+1 happens, so an edit made between two
updates shows in the row of the update it affected. The last row (k = steps) is written
when the race ends.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch

from .experiment import Experiment, Run, surface_of, validate, validate_run
from .history import History
from .optimizers import build_optimizer, get_optimizer, set_hyper
from .ranger import Lookahead
from .schedules import LRDriver

# A run is stopped as diverged once it is farther outside the view box than this many box sizes.
ESCAPE_MARGIN = 10.0
# Converged: the point stops moving and the raw gradient vanishes.
CONVERGED_GRAD = 1e-10
CONVERGED_MOVE = 1e-14


def resolve_device(name: str) -> tuple[torch.device, str]:
    """The torch device for `name` (auto | cpu | cuda | mps) and a note when it fell back."""
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu"), ""
    if name == "cuda" and not cuda:
        return torch.device("cpu"), "CUDA is not available here: running on the CPU"
    if name == "mps" and not mps:
        return torch.device("cpu"), "MPS is not available here: running on the CPU"
    return torch.device(name), ""


@dataclass
class RunRows:
    """New rows of one run: shape (n, 7) in history.COLUMNS order."""

    index: int
    rows: np.ndarray
    status: str
    message: str = ""


@dataclass
class Batch:
    step: int  # the engine's step count after this batch
    runs: list[RunRows] = field(default_factory=list)
    done: bool = False


class _RunState:
    """One run's tensors, optimizer, LR driver and status."""

    def __init__(self, run: Run, engine: "Engine"):
        self.config = run
        self.point = torch.tensor(engine.start, dtype=engine.dtype, device=engine.device,
                                  requires_grad=True)
        self.use(run.optimizer, run.hyper)
        self.switched = False
        self.driver = LRDriver(run.schedule, run.hyper.get("lr", 1.0), engine.steps)
        self.uses_loss = any(stage.name == "plateau" for stage in run.schedule)
        self.generator = None
        if engine.surface.stochastic:
            self.generator = torch.Generator(device=engine.device).manual_seed(engine.seed)
        self.status = "running"
        self.message = ""
        self.step = 0
        self.buffer: list[list[float]] = []
        self.last_xy: tuple[float, float] | None = None


    def use(self, name: str, hyper: dict) -> None:
        """A fresh optimizer `name` on this run's point (Lookahead-wrapped if configured)."""
        self.spec = get_optimizer(name)
        optimizer = build_optimizer(self.spec, [self.point], hyper)
        if self.config.lookahead is not None:
            optimizer = Lookahead(optimizer, **self.config.lookahead)
        self.optimizer = optimizer

    @property
    def hyper(self) -> dict:
        """The hyperparameters of the optimizer in use (after a switch, the switch's)."""
        return self.config.switch.hyper if self.switched else self.config.hyper

    def switch_if_due(self) -> None:
        switch = self.config.switch
        if switch is not None and not self.switched and self.step == switch.at:
            self.switched = True
            self.use(switch.optimizer, switch.hyper)
            self.driver.rebuild(self.config.schedule, switch.hyper.get("lr", 1.0))


class Engine:
    """All runs of one experiment on one device; `advance(n)` steps them n updates each."""

    def __init__(self, experiment: Experiment, keep_history: bool = True):
        """keep_history=False: batches only (the window keeps its own copy of the rows)."""
        exp = validate(experiment)
        self.keep_history = keep_history
        self.experiment = exp
        self.device, self.device_note = resolve_device(exp.device)
        self.dtype = torch.float64 if self.device.type != "mps" else torch.float32
        self.surface = surface_of(exp.problem)
        self.surface_params = exp.problem.params
        self.start = exp.problem.start or self.surface.start
        self.steps = exp.steps
        self.seed = exp.seed
        (x0, x1), (y0, y1) = self.surface.bounds
        mx, my = ESCAPE_MARGIN * (x1 - x0), ESCAPE_MARGIN * (y1 - y0)
        self._escape_box = (x0 - mx, x1 + mx, y0 - my, y1 + my)
        torch.manual_seed(exp.seed)
        enabled = [r for r in exp.runs if r.enabled]
        self.runs = [_RunState(r, self) for r in enabled]
        self.history = History([r.name for r in enabled], [r.optimizer for r in enabled],
                               exp.history_cap, exp.steps + 1 if keep_history else 0)
        self.step = 0

    # ------------------------------------------------------------ stepping

    @property
    def done(self) -> bool:
        return self.step >= self.steps

    def advance(self, n: int = 1) -> Batch:
        """Make up to n updates of every running run (never past `steps`)."""
        n = max(0, min(n, self.steps - self.step))
        for state in self.runs:
            if state.status == "running":
                self._advance_run(state, n)
        self.step += n
        if self.done:
            for state in self.runs:
                if state.status == "running":
                    self._final_row(state)
        return self._collect()

    def batches(self, steps_per_batch: int = 100) -> Iterator[Batch]:
        """The whole race as a generator of batches (the headless path)."""
        while not self.done:
            yield self.advance(steps_per_batch)

    def run_to_end(self) -> History:
        for _ in self.batches(1000):
            pass
        return self.history

    def _advance_run(self, state: _RunState, n: int) -> None:
        try:
            for _ in range(n):
                if not self._update(state):
                    return
        except OverflowError as error:  # a number outgrew float64 inside the optimizer's step
            self._stop(state, "diverged", f"diverged at step {state.step}: {error}")
        except Exception as error:  # a user's optimizer, a device fault: end this run only
            state.status = "error"
            state.message = f"{type(error).__name__}: {error}"

    def _update(self, state: _RunState) -> bool:
        """Record row k and make update k+1; False once the run has stopped."""
        state.switch_if_due()
        lr = state.driver.lr
        for group in state.optimizer.param_groups:
            group["lr"] = lr
        loss, raw, clipped = self._gradient(state)
        if not self._record(state, self._row(state, loss, lr, raw, clipped)):
            return False
        if state.spec.needs_closure:
            state.optimizer.step(lambda: self._closure(state))
        else:
            state.optimizer.step()
        state.driver.step(float(loss.detach()) if state.uses_loss else None)
        state.step += 1
        return True

    def _gradient(self, state: _RunState) -> tuple[torch.Tensor, float, float]:
        """Loss and gradient at the current point; the gradient is left clipped in .grad."""
        state.point.grad = None
        objective = self.surface.objective(state.point, self.surface_params, state.generator)
        objective.backward()
        raw, clipped = self._clip(state)
        if self.surface.stochastic:
            with torch.no_grad():
                objective = self.surface.value(state.point, self.surface_params)
        return objective, raw, clipped

    def _closure(self, state: _RunState) -> torch.Tensor:
        with torch.enable_grad():
            state.optimizer.zero_grad()
            loss = self.surface.objective(state.point, self.surface_params, state.generator)
            loss.backward()
            self._clip(state)
        return loss

    def _clip(self, state: _RunState) -> tuple[float, float]:
        """Clip .grad as the run says; the norms before and after (in the clip's norm)."""
        clip = state.config.clip
        grad = state.point.grad
        if clip.mode == "norm":
            raw = torch.nn.utils.clip_grad_norm_([state.point], clip.max_norm, clip.norm_type)
            return float(raw), float(torch.linalg.vector_norm(grad, clip.norm_type))
        raw = float(torch.linalg.vector_norm(grad))
        if clip.mode == "value":
            torch.nn.utils.clip_grad_value_([state.point], clip.clip_value)
            return raw, float(torch.linalg.vector_norm(grad))
        return raw, raw

    def _row(self, state, loss, lr, raw, clipped) -> list[float]:
        x, y = state.point.detach().tolist()
        return [float(state.step), x, y, float(loss.detach()), lr, raw, clipped]

    def _record(self, state: _RunState, row: list[float]) -> bool:
        """Keep the row unless it is not finite; stop the run if it diverged or converged."""
        x, y, loss, raw = row[1], row[2], row[3], row[5]
        if not all(math.isfinite(v) for v in row):  # the point, loss, lr or a gradient norm
            return self._stop(state, "diverged", f"diverged at step {state.step}: not finite")
        state.buffer.append(row)
        x0, x1, y0, y1 = self._escape_box
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return self._stop(state, "diverged", f"diverged at step {state.step}: left the map")
        last, state.last_xy = state.last_xy, (x, y)
        if (raw <= CONVERGED_GRAD and last is not None and not self.surface.stochastic
                and math.hypot(x - last[0], y - last[1]) <= CONVERGED_MOVE):
            return self._stop(state, "converged", f"converged at step {state.step}")
        return True

    def _final_row(self, state: _RunState) -> None:
        try:
            loss, raw, clipped = self._gradient(state)
            row = self._row(state, loss, state.driver.lr, raw, clipped)
        except Exception as error:
            self._stop(state, "error", f"{type(error).__name__}: {error}")
            return
        if self._record(state, row) and state.status == "running":
            state.status = "done"

    @staticmethod
    def _stop(state: _RunState, status: str, message: str) -> bool:
        state.status, state.message = status, message
        return False

    def _collect(self) -> Batch:
        batch = Batch(step=self.step, done=self.done)
        for index, state in enumerate(self.runs):
            rows = np.array(state.buffer, dtype=np.float64).reshape(-1, 7)
            state.buffer.clear()
            record = self.history[index]
            if self.keep_history:
                record.append(rows)
            record.status, record.message = state.status, state.message
            batch.runs.append(RunRows(index, rows, state.status, state.message))
        return batch

    # ------------------------------------------------------------ live edits

    def update_run(self, index: int, run: Run) -> None:
        """Apply new hyperparameters, schedule, clipping or lookahead settings of run
        `index` (among enabled runs) from the next update on. Changing the optimizer
        itself needs a new engine."""
        state = self.runs[index]
        run = validate_run(run, f"runs[{index}]")
        old, old_lr = state.config, state.hyper.get("lr")
        if _structure(run) != _structure(old):
            raise ValueError("changing the optimizer, Lookahead or the switch needs a restart")
        old_hyper = state.hyper
        state.config = run
        hyper = state.hyper
        if _needs_fresh_state(state.spec, old_hyper, hyper):
            state.use(state.spec.name, hyper)
        else:
            set_hyper(state.optimizer, state.spec, hyper)
        if run.lookahead is not None:
            state.optimizer.k = run.lookahead.get("k", state.optimizer.k)
            state.optimizer.alpha = run.lookahead.get("alpha", state.optimizer.alpha)
        if run.schedule != old.schedule or hyper.get("lr") != old_lr:
            state.driver.rebuild(run.schedule, hyper.get("lr", 1.0))
            state.uses_loss = any(stage.name == "plateau" for stage in run.schedule)


def _structure(run: Run) -> tuple:
    """What a live edit cannot change: which optimizers exist and how they are wrapped."""
    switch = run.switch.optimizer if run.switch else None
    return run.optimizer, run.lookahead is None, switch


def _needs_fresh_state(spec, old: dict, new: dict) -> bool:
    """Some edits need optimizer state torch only creates at the first step (amsgrad's
    max buffer, RMSprop's centered mean or momentum buffer): those rebuild the optimizer."""
    for param in spec.params:
        before, after = old.get(param.name), new.get(param.name)
        if before == after:
            continue
        if param.kind in ("bool", "choice") or (param.name == "momentum" and before == 0):
            return True
    return False
