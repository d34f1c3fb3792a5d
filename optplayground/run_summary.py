"""The table `optplayground run` prints after a race: one line per run, its numbers from
core/results.py, so the printed table, the window's results table and `<stem>.summary.csv`
agree."""
from __future__ import annotations

import math

from .core.results import RunResult, run_result


def summary(engine) -> str:
    """A surface race: each run's state, final and best loss, the step it converged at,
    where it ended and its distance to the nearest known minimum. A dataset race: its
    train and test loss and accuracy instead of the place."""
    if engine.task is not None:
        return _dataset_summary(engine)
    surface = engine.surface
    minima = surface.minima_for(engine.surface_params)
    head = (f"{'run':<16} {'optimizer':<12} {'status':<10} {'step':>7} {'loss':>13} "
            f"{'best loss':>13} {'converged':>9} {'x':>10} {'y':>10} {'to min':>9}")
    lines = [f"{engine.experiment.name} on {surface.title}, {_steps(engine.step)}, "
             f"device {engine.device}", head, "-" * len(head)]
    for record in engine.history.runs:
        result, last = run_result(record, minima), record.last()
        line = _start(result)
        if last is not None:
            x, y = (last[record.columns_names.index(c)] for c in ("x", "y"))
            line += (f" {_num(result.final_loss, 13, '.6g')} {_num(result.best_loss, 13, '.6g')} "
                     f"{_num(result.steps_to_converge, 9)} {_num(x, 10, '.5g')} "
                     f"{_num(y, 10, '.5g')} {_num(result.distance_to_minimum, 9, '.3g')}")
        lines += _with_message(line, record)
    return "\n".join(lines)


def _steps(n: int) -> str:
    """"1 step", "40 steps" (a race whose runs all stopped at once ends after one)."""
    return f"{n:,} step" + ("" if n == 1 else "s")


def _dataset_summary(engine) -> str:
    task = engine.task
    head = (f"{'run':<16} {'optimizer':<12} {'status':<10} {'step':>7} {'epoch':>6} "
            f"{'best loss':>12} {'converged':>9} {'train loss':>12} {'test loss':>12} "
            f"{'accuracy':>9}")
    lines = [f"{engine.experiment.name}: {task.spec.title} ({task.dataset.n_train} train, "
             f"{task.dataset.n_test} test), loss {task.loss_name}, {_steps(engine.step)}, "
             f"device {engine.device}", head, "-" * len(head)]
    col = {name: i for i, name in enumerate(engine.history.columns)}
    for record in engine.history.runs:
        result, last = run_result(record, ()), record.last()
        line = _start(result)
        if last is not None:
            line += (f" {int(last[col['epoch']]):>6} {_num(result.best_loss, 12, '.6g')} "
                     f"{_num(result.steps_to_converge, 9)} "
                     f"{_num(last[col['train_loss']], 12, '.6g')} "
                     f"{_num(last[col['test_loss']], 12, '.6g')} "
                     f"{_num(last[col['accuracy']], 9, '.6g')}")
        lines += _with_message(line, record)
    return "\n".join(lines)


def _start(result: RunResult) -> str:
    """The run's name, optimizer, status and last step."""
    line = f"{result.run[:16]:<16} {result.optimizer[:12]:<12} {result.status:<10}"
    return line if result.step is None else f"{line} {result.step:>7}"


def _with_message(line: str, record) -> list[str]:
    """The line, and under it how the run ended when that is news (an error, a divergence)."""
    if record.message and record.status not in ("done", "running"):
        return [line, f"    {record.message}"]
    return [line]


def _num(value: float | int | None, width: int, spec: str = "") -> str:
    """A number right-aligned in `width`; '-' where there is none (NaN, None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{'-':>{width}}"
    return f"{value:>{width}{spec}}"
