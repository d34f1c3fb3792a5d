"""Steps every run of an experiment in lockstep and hands back new rows in batches.

A run minimises an objective (core/objectives.py): a point on a 2-D surface, or a small
model on a dataset, whose rows add the epoch, train and test loss and accuracy.

Row k of a run is the iterate after k updates: step k, x_k, y_k, f(x_k), the LR update k+1
uses, the raw gradient norm at x_k and its norm after clipping (the gradient update k+1
applies). A row is therefore written when update k+1 happens, so an edit made between two
updates shows in the row of the update it affected. The last row (k = steps) is written
when the race ends. The race ends when every run has stopped (diverged, converged, an
error): its step is then the one where the last run stopped.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch

from .edits import needs_fresh_optimizer, structure
from .experiment import Experiment, Run, surface_of, validate, validate_run
from .history import History
from .internals import Watch
from .i18n import tr
from .objectives import CONVERGED_GRAD, CONVERGED_MOVE, DatasetObjective, SurfaceObjective
from .training import TrainingTask
from .optimizers import build_optimizer, get_optimizer, set_hyper
from .ranger import Lookahead
from .trust import POLICY
from .lr_driver import LRDriver



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
    internals: list = field(default_factory=list)  # the watched run's updates (core/internals.py)


class _RunState:
    """One run's tensors, optimizer, LR driver and status."""

    def __init__(self, run: Run, engine: "Engine"):
        self.config = run
        self.objective = engine.new_objective(run)
        self.params = self.objective.params
        self.use(run.optimizer, run.hyper)
        self.switched = False
        self.driver = LRDriver(run.schedule, run.hyper.get("lr", 1.0), engine.steps)
        self.status = "running"
        self.message = ""
        self.step = 0
        self.buffer: list[list[float]] = []
        self.last_xy: tuple[float, float] | None = None
        self.group = None  # the batched group stepping this run (core/batched/groups.py)
        self.watch: Watch | None = None  # its internals are recorded (Engine.watch)


    def use(self, name: str, hyper: dict) -> None:
        """A fresh optimizer `name` on this run's point (Lookahead-wrapped if configured)."""
        self.spec = get_optimizer(name)
        factors = self.config.lr_factors
        groups = self.objective.param_groups(factors) if factors else self.params
        optimizer = build_optimizer(self.spec, groups, hyper)
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

    def __init__(self, experiment: Experiment, keep_history: bool = True, checked: bool = False,
                 batched: bool = True):
        """keep_history=False: batches only (the window keeps its own copy of the rows).
        checked=True: `experiment` is already what `validate` returned (not checked twice).
        batched=False: every run on the per-run path (surface races batch runs by kind)."""
        # The process that checked the experiment allowed these (core/trust.py); this one
        # steps what it was given, and its live edits name the same modules.
        POLICY.allow(*experiment.allowed_imports)
        exp = experiment if checked else validate(experiment)
        self.keep_history = keep_history
        self.experiment = exp
        self.device, self.device_note = resolve_device(exp.device)
        self.dtype = torch.float64 if self.device.type != "mps" else torch.float32
        self.steps = exp.steps
        self.seed = exp.seed
        self.surface = self.task = None
        if exp.problem.is_dataset:
            self.task = TrainingTask(exp.problem.dataset_problem(), exp.seed, self.device, self.dtype)
            columns = DatasetObjective.columns
        else:
            self.surface = surface_of(exp.problem)
            self.surface_params = exp.problem.params
            self.start = exp.problem.start or self.surface.start
            columns = SurfaceObjective.columns
        torch.manual_seed(exp.seed)
        enabled = [(i, r) for i, r in enumerate(exp.runs) if r.enabled]
        self.runs = [self._new_run(i, r) for i, r in enabled]
        self.groups = []
        if batched and self.surface is not None:
            from .batched.groups import group_runs

            self.groups = group_runs(self)
        self.history = History([r.name for _, r in enabled], [r.optimizer for _, r in enabled],
                               exp.history_cap, exp.steps + 1 if keep_history else 0, columns)
        self.step = 0
        self.all_stopped = False  # every run stopped before `steps`: the race is over

    def _new_run(self, index: int, run: Run) -> _RunState:
        if self.task is not None:  # checked here: it depends on the data and the model
            self.task.validate_batch_size(run.batch_size, f"runs[{index}].batch_size")
        return _RunState(run, self)

    def new_objective(self, run: Run):
        if self.task is not None:
            return DatasetObjective(self.task, run.batch_size, self.seed)
        return SurfaceObjective(self.surface, self.surface_params, self.start, self.seed,
                                self.device, self.dtype)

    # ------------------------------------------------------------ stepping

    @property
    def done(self) -> bool:
        return self.step >= self.steps or self.all_stopped

    def advance(self, n: int = 1) -> Batch:
        """Make up to n updates of every running run (never past `steps`)."""
        n = max(0, min(n, self.steps - self.step)) if not self.done else 0
        for group in self.groups:
            group.advance(n)  # its final rows too, once it reaches `steps`
        for state in self.runs:
            if state.status == "running" and state.group is None:
                self._advance_run(state, n)
        self.step += n
        if self.step < self.steps and self.runs and all(s.status != "running" for s in self.runs):
            self.all_stopped = True  # the clock stops where the last run did
            self.step = min(self.step, max(state.step for state in self.runs))
        if self.done:
            for state in self.runs:
                if state.status == "running" and state.group is None:
                    self._final_row(state)
                _release(state)
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
            self._stop(state, "diverged", tr("diverged at step {step}: {why}", step=state.step, why=error))
        except BaseException as error:  # a user's optimizer (even sys.exit), a device fault
            if _must_propagate(error):
                raise
            self._stop(state, "error", _describe(error))  # ends this run only

    def _update(self, state: _RunState) -> bool:
        """Record row k and make update k+1; False once the run has stopped."""
        state.switch_if_due()
        state.objective.next_batch()
        lr = state.driver.lr
        for group in state.optimizer.param_groups:
            group["lr"] = lr * group.get("lr_factor", 1.0)  # Run.lr_factors
        extras = state.objective.extras()  # before the training forward moves BatchNorm stats
        loss, raw, clipped = self._gradient(state)
        if not self._record(state, self._row(state, loss, lr, raw, clipped, extras)):
            return False
        if state.watch is not None:
            state.watch.before_step(state.params[0])
        if state.spec.needs_closure:
            state.optimizer.step(lambda: self._closure(state))
        else:
            state.optimizer.step()
        if state.watch is not None:
            state.watch.after_step(state, lr)
        state.driver.step(state.objective.plateau_metric(loss, extras) if state.driver.watches_loss else None)
        state.step += 1
        return True

    def _gradient(self, state: _RunState) -> tuple[torch.Tensor, float, float]:
        """Loss and gradient at the current parameters; the gradient is left clipped in .grad."""
        for p in state.params:
            p.grad = None
        loss = state.objective.loss()
        loss.backward()
        if state.watch is not None:
            state.watch.gradient(state.params[0])
        raw, clipped = self._clip(state)
        return loss, raw, clipped

    def _closure(self, state: _RunState) -> torch.Tensor:
        with torch.enable_grad():
            state.optimizer.zero_grad()
            loss = state.objective.loss()
            loss.backward()
            self._clip(state)
        return loss

    def _clip(self, state: _RunState) -> tuple[float, float]:
        """Clip .grad as the run says; the norms before and after (in the clip's norm)."""
        clip = state.config.clip
        params = state.params
        if clip.mode == "norm":
            raw = torch.nn.utils.clip_grad_norm_(params, clip.max_norm, clip.norm_type)
            return float(raw), _grad_norm(params, clip.norm_type)
        raw = _grad_norm(params)
        if clip.mode == "value":
            torch.nn.utils.clip_grad_value_(params, clip.clip_value)
            return raw, _grad_norm(params)
        return raw, raw

    def _row(self, state, loss, lr, raw, clipped, extras) -> list[float]:
        x, y, measured = state.objective.measure(loss)
        return [float(state.step), x, y, measured, lr, raw, clipped, *extras]

    def _record(self, state: _RunState, row: list[float]) -> bool:
        """Keep the row unless it is not finite; stop the run if it diverged or converged."""
        keep, why = state.objective.check(row)
        if keep and not all(math.isfinite(v) for v in row[4:7]):  # lr and gradient norms
            keep, why = False, "not finite"
        if keep:
            state.buffer.append(row)
        if why:
            return self._stop(state, "diverged", tr("diverged at step {step}: {why}", step=state.step,
                                                     why=tr(why)))
        x, y, raw = row[1], row[2], row[5]
        last, state.last_xy = state.last_xy, (x, y)
        if (raw <= CONVERGED_GRAD and last is not None and state.objective.can_converge
                and math.hypot(x - last[0], y - last[1]) <= CONVERGED_MOVE):
            return self._stop(state, "converged", tr("converged at step {step}", step=state.step))
        return True

    def _final_row(self, state: _RunState) -> None:
        try:
            state.objective.next_batch()
            extras = state.objective.extras()
            loss, raw, clipped = self._gradient(state)
            row = self._row(state, loss, state.driver.lr, raw, clipped, extras)
        except Exception as error:
            self._stop(state, "error", f"{type(error).__name__}: {error}")
            return
        if self._record(state, row) and state.status == "running":
            state.status = "done"

    @staticmethod
    def _stop(state: _RunState, status: str, message: str) -> bool:
        state.status, state.message = status, message
        _release(state)
        return False

    def _collect(self) -> Batch:
        batch = Batch(step=self.step, done=self.done)
        for index, state in enumerate(self.runs):
            rows = np.array(state.buffer, dtype=np.float64).reshape(-1, len(self.history.columns))
            state.buffer.clear()
            record = self.history[index]
            if self.keep_history:
                record.append(rows)
            record.status, record.message = state.status, state.message
            batch.runs.append(RunRows(index, rows, state.status, state.message))
            if state.watch is not None:
                batch.internals = state.watch.take()
        return batch

    def watch(self, index: int | None) -> None:
        """Record the internals (core/internals.py) of run `index` from its next update on,
        and of no other run; None: of none. Only a surface race has them."""
        for state in self.runs:
            state.watch = None
        for group in self.groups:
            group.watch(None)
        if index is None or self.surface is None or not 0 <= index < len(self.runs):
            return
        state = self.runs[index]
        state.watch = Watch(index)
        if state.group is not None:
            state.group.watch(state)

    # ------------------------------------------------------------ live edits

    def update_run(self, index: int, run: Run) -> None:
        """Apply a LIVE or REBUILD edit (core/edits.py) of run `index` (among enabled runs)
        from the next update on: hyperparameters, schedule, clipping, Lookahead's k and
        alpha. What changes the run's structure needs a new engine."""
        state = self.runs[index]
        run = validate_run(run, f"runs[{index}]")
        old, old_lr = state.config, state.hyper.get("lr")
        if structure(run) != structure(old):
            raise ValueError("changing the optimizer, Lookahead or the switch needs a restart")
        old_hyper = state.hyper
        fresh = needs_fresh_optimizer(state.spec, old_hyper, run.hyper)
        if state.group is not None and state.group.edit(state, run, fresh):
            return
        state.config = run
        hyper = state.hyper
        if needs_fresh_optimizer(state.spec, old_hyper, hyper):
            state.use(state.spec.name, hyper)
        else:
            set_hyper(state.optimizer, state.spec, hyper, run.lookahead)
        if run.schedule != old.schedule or hyper.get("lr") != old_lr:
            state.driver.rebuild(run.schedule, hyper.get("lr", 1.0))


def _release(state: _RunState) -> None:
    """A user's optimizer steps in a process of its own (core/isolated.py): it ends with
    its run, not when the collector gets to it."""
    optimizer = getattr(state.optimizer, "inner", state.optimizer)
    close = getattr(optimizer, "close", None)
    if close is not None:
        close()


def _must_propagate(error: BaseException) -> bool:
    """Ctrl+C in the CLI (the main thread) still stops the race, and a closing generator
    closes; anything else a step raises, even SystemExit, ends only its run."""
    if isinstance(error, GeneratorExit):
        return True
    return isinstance(error, KeyboardInterrupt) and threading.current_thread() is threading.main_thread()


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _grad_norm(params: list[torch.Tensor], norm_type: float = 2.0) -> float:
    """The global gradient norm, as clip_grad_norm_ measures it."""
    if len(params) == 1:
        return float(torch.linalg.vector_norm(params[0].grad, norm_type))
    grads = [p.grad for p in params if p.grad is not None]
    return float(torch.nn.utils.get_total_norm(grads, norm_type))
