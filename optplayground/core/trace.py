"""One run's every update, with the optimizer's state after it (`optplayground trace`).

The run steps on the engine's per-run path (a plain torch optimizer on a (2,) tensor), so
the state columns are torch's own numbers under torch's own names.
"""
from __future__ import annotations

import csv
from typing import Iterable

from .engine import Engine
from .experiment import Experiment
from .internals import Internals
from .params import ConfigError

MAX_STEPS = 100_000  # every row sits in memory until the columns are known


def trace(experiment: Experiment) -> tuple[list[Internals], Engine]:
    """Every update of the experiment's first run (checked), until it ends or stops."""
    if experiment.problem.is_dataset:
        raise ConfigError("--dataset", "trace follows a point on a surface; a dataset race "
                                       "has no 2-D point (use --surface or --formula)")
    if experiment.steps > MAX_STEPS:
        raise ConfigError("--steps", f"at most {MAX_STEPS:,} for a trace")
    engine = Engine(experiment, keep_history=False, checked=True, batched=False)
    engine.watch(0)
    snapshots: list[Internals] = []
    while not engine.done:
        snapshots.extend(engine.advance(1000).internals)
        if engine.runs[0].status != "running":
            break
    return snapshots, engine


def columns(snapshots: Iterable[Internals], clipped: bool) -> list[str]:
    """The CSV's header: the fixed columns, then each state name in order of appearance."""
    head = ["step", "x", "y", "lr", "grad_x", "grad_y"]
    if clipped:
        head += ["clipped_grad_x", "clipped_grad_y"]
    head += ["update_x", "update_y"]
    seen: dict[str, None] = {}
    for snapshot in snapshots:
        seen.update(dict.fromkeys(snapshot.columns()))
    return head + [name for name in seen if name not in head]


def write_trace(snapshots: list[Internals], clipped: bool, file) -> None:
    """One row per update; numbers at full precision (repr), a state not yet kept empty."""
    names = columns(snapshots, clipped)
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(names)
    for s in snapshots:
        values = {"step": s.step, "x": s.after[0], "y": s.after[1], "lr": s.lr,
                  "grad_x": s.grad[0], "grad_y": s.grad[1],
                  "clipped_grad_x": s.clipped[0], "clipped_grad_y": s.clipped[1],
                  "update_x": s.update[0], "update_y": s.update[1], **s.columns()}
        if "step" in s.state:  # torch's step count (it equals the update's number)
            values["step"] = s.state["step"]
        writer.writerow([_cell(values.get(name)) for name in names])


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return str(int(value))
    return repr(value)
