"""How the engine races the batchable runs of an ordinary surface race together.

Runs that share an optimizer kind and everything a batched rule fixes per batch (its
true/false and choice settings, whether Lookahead wraps it) and have no optimizer switch
become the rows of one BatchedRace; the others stay on the engine's per-run path. Every
row is watched, so the engine gets each run's rows, status and message exactly as its
per-run path would make them (tests/test_batched_race.py compares the two).

A live edit of a batched run applies in place (numbers and Lookahead's k and alpha through
the rule's set_hyper, the schedule and lr through the row's own LRDriver, clipping per row). An edit that makes the
per-run path build a fresh optimizer (a true/false setting, momentum leaving 0) takes the run
out of its group instead: it goes on alone from its current point, LR driver and noise
stream, and the engine's per-run code then applies the edit as it always does.
"""
from __future__ import annotations

import torch

from .race import BatchedRace

# Measured here: one run alone is ~1.6× slower as a batch of one (the per-row bookkeeping
# is a fixed cost per update), two are even, three and more are faster (8: ~4×).
MIN_ROWS = 3


def batchable(run) -> bool:
    from .rules import batchable as rule_exists

    return run.switch is None and rule_exists(run.optimizer)


def _key(run) -> tuple:
    from ..optimizers import get_optimizer

    spec = get_optimizer(run.optimizer)
    fixed = tuple((p.name, run.hyper.get(p.name)) for p in spec.params
                  if p.kind in ("bool", "choice"))
    return run.optimizer, fixed, run.lookahead is None


def group_runs(engine) -> list["RunGroup"]:
    """Groups of the engine's runs that can race as rows (see the module's docstring)."""
    by_key: dict[tuple, list] = {}
    for state in engine.runs:
        if batchable(state.config):
            by_key.setdefault(_key(state.config), []).append(state)
    return [RunGroup(engine, states) for states in by_key.values() if len(states) >= MIN_ROWS]


class RunGroup:
    """One BatchedRace whose rows are some of the engine's runs (their _RunState objects
    keep the rows, status and message the engine hands out)."""

    def __init__(self, engine, states: list):
        self.states = states
        self.race = BatchedRace(engine.surface, engine.surface_params,
                                [state.config for state in states], [engine.start] * len(states),
                                engine.steps, engine.seed, engine.device, engine.dtype,
                                paths=range(len(states)), driver_per_row=True)
        for row, state in enumerate(states):
            state.group, state.row = self, row
        self.hyper_seen = None

    def watch(self, state) -> None:
        """Record `state`'s internals update by update (None: nobody's)."""
        self.hyper_seen = None  # the row's hyperparameters, read again after an edit
        if state is None:
            self.race.on_update = None
            return

        def record(grad, clipped, lr) -> None:
            from ..internals import snapshot_of_row

            if state.group is self and state.watch is not None:
                snapshot = snapshot_of_row(self.race, state.row, state.watch.index, grad, clipped,
                                           lr, self.hyper_seen)
                if snapshot is not None:
                    self.hyper_seen = snapshot.hyper
                    state.watch.add(snapshot)
        self.race.on_update = record

    def advance(self, n: int) -> None:
        try:
            self.race.advance(n)
        except Exception as error:  # a device fault: it ends the group's runs, not the race
            self._fail(f"{type(error).__name__}: {error}")
            return
        paths = self.race.take_paths()
        summary = self.race.summary()
        for row, state in enumerate(self.states):
            if state.group is not self:
                continue
            state.buffer.extend(paths[row])
            state.status, state.message = summary.status_of(row), summary.message_of(row)
            running = state.status == "running"  # else the step it stopped at (Engine.advance)
            state.step = self.race.step if running else summary.stopped_at(row)

    def _fail(self, message: str) -> None:
        for state in self.states:
            if state.group is self and state.status == "running":
                state.status, state.message = "error", message

    # ------------------------------------------------------------ live edits

    def edit(self, state, run, needs_fresh_state: bool) -> bool:
        """Apply `run`'s settings to `state`'s row from the next update on; False when the
        row left the group instead (the engine's per-run code then applies the edit)."""
        old = state.config
        self.hyper_seen = None
        if needs_fresh_state:
            self.detach(state)
            return False
        row = state.row
        lookahead = run.lookahead if run.lookahead != old.lookahead else None
        if run.hyper != old.hyper or lookahead:
            self.race.set_hyper(row, run.hyper if run.hyper != old.hyper else {}, lookahead)
        if run.clip != old.clip:
            self.race.set_clip(row, run.clip)
        if run.schedule != old.schedule or run.hyper.get("lr") != old.hyper.get("lr"):
            self.race.set_schedule(row, run.schedule, run.hyper.get("lr", 1.0))
        state.config = run
        return True

    def detach(self, state) -> None:
        """The row goes on alone on the engine's per-run path, from where it is now."""
        row, race = state.row, self.race
        j = race.position(row)
        if j is None or not bool(race.running[j]):
            state.group = None  # it has stopped: nothing to carry over
            return
        objective = state.objective
        with torch.no_grad():
            objective.point.copy_(race.point(row))
        if race.generator is not None:
            objective.generator.set_state(race.generator.get_state())
        summary = race.summary()
        if race.step > 0:
            state.last_xy = (float(summary.x[row]), float(summary.y[row]))
        state.driver = race.lrs.driver(row)
        state.step = race.step
        race.detach(row)
        state.group = None

