"""`optplayground basin` and `optplayground sweep`: thousands of runs of one optimizer as the
rows of one batched race (core/batched), one CSV row per run.

    basin  an N×N grid of start points over a box: where does each one end up?
    sweep  a 1-D or 2-D grid of hyperparameter values from one start: which works best?

Every CSV row holds what `optplayground run` writes in the last row of that run's CSV: the
same step, x, y, loss and status, digit for digit (start points and values are written with
repr, so `run --start X,Y` or `run --opt NAME:PARAM=VALUE` with them races exactly that row).
"""
from __future__ import annotations

import argparse
import csv
import math
import sys
import time

from .core.atomic import check_writable, write_atomic
from .core.i18n import tr
from .core.params import ConfigError
from .core.swarm import (BASIN_HEADER, MAX_ROWS, MINIMUM_TOLERANCE, basin_rows,  # noqa: F401
                         grid_starts, nearest_minima, parse_axis, spaced, sweep_cells, sweep_header,
                         sweep_rows, sweep_runs)
from .quick_form import NewRun, RunOption, quick_experiment


EPILOG_BASIN = """\
  optplayground basin --surface himmelblau --opt adam:lr=0.05 --grid 64 --steps 500 \\
      --csv basin.csv

Start points are the centres of an N×N grid of equal cells over the box: row r of the CSV
(r = j·N + i, i along x, j along y) starts at x0 + (i + ½)·(x1 − x0)/N, y0 + (j + ½)·(y1 − y0)/N.
CSV columns: start_x,start_y,step,x,y,loss,status,minimum,best_loss — step, x, y, loss and
status as the last row of `run --start START_X,START_Y` (step: where the run stopped; x, y,
loss empty where it never had a finite row); minimum: the index of the known minimum
(`optplayground list surfaces` order) it ended within 1 % of the box's diagonal of, else
empty; best_loss: the lowest loss of its rows.
--schedule, --clip and --lookahead apply to the --opt as in `run`.
exit status: 0 ok, 2 bad input (one line on stderr says what and where)
"""

EPILOG_SWEEP = """\
  optplayground sweep --surface rosenbrock --start -1.5,2 --opt sgd:momentum=0.9 \\
      --vary lr=1e-4..1e-2:log:50 --vary momentum=0..0.99:50 --steps 1000 --csv sweep.csv

--vary PARAM=LOW..HIGH[:log]:COUNT  COUNT values from LOW to HIGH (both included), evenly or
evenly in log space; PARAM is a float hyperparameter of the optimizer. With two, cell
c = i1·COUNT2 + i2 (i1 indexes the first --vary). CSV columns: cell, one column per varied
hyperparameter (its value at full precision), then step,x,y,loss,status,best_loss — as the
last row of `run --opt NAME:PARAM=VALUE,...` would be.
exit status: 0 ok, 2 bad input (one line on stderr says what and where)
"""


def add_commands(sub) -> None:
    """`basin` and `sweep` on the CLI's subparsers; --opt and its options as `run` has them."""
    basin = sub.add_parser("basin", help="race a grid of start points, one CSV row each",
                           epilog=EPILOG_BASIN, formatter_class=argparse.RawDescriptionHelpFormatter)
    basin.add_argument("--grid", type=int, required=True, metavar="N", help="N×N start points")
    basin.add_argument("--box", metavar="X0,X1,Y0,Y1", help="default: the surface's view box")
    basin.set_defaults(func=_cmd_basin)
    sweep = sub.add_parser("sweep", help="race a grid of hyperparameter values, one CSV row each",
                           epilog=EPILOG_SWEEP, formatter_class=argparse.RawDescriptionHelpFormatter)
    sweep.add_argument("--start", help="x,y (default: the surface's start)")
    sweep.add_argument("--vary", action="append", required=True, metavar="PARAM=LOW..HIGH[:log]:COUNT")
    sweep.set_defaults(func=_cmd_sweep)
    for parser in (basin, sweep):
        parser.add_argument("--surface", help="NAME[:key=value,...]")
        parser.add_argument("--formula", help="a surface in x and y")
        parser.add_argument("--opt", action=NewRun, required=True, help="NAME[:key=value,...]")
        for flag in ("--schedule", "--clip", "--lookahead"):
            parser.add_argument(flag, action=RunOption, nargs="?" if flag == "--lookahead" else None,
                                const="", help=argparse.SUPPRESS)
        parser.add_argument("--steps", type=int, required=True)
        parser.add_argument("--csv", required=True, metavar="OUT.csv")
        parser.add_argument("--seed", type=int, help="the noise's seed (default 0)")
        parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
        parser.add_argument("--quiet", action="store_true", help="no summary")


# ---------------------------------------------------------------- the commands

def _cmd_basin(args) -> int:
    exp = _experiment(args)
    surface, params = _surface(exp)
    n = _count(args.grid, "--grid", 1, math.isqrt(MAX_ROWS))
    box = _box(args.box) if args.box else surface.bounds
    check_writable(args.csv, "--csv")
    starts = grid_starts(box, n)
    summary = _race(exp, [exp.runs[0]] * len(starts), starts, "basin")
    minima = surface.minima_for(params)
    (x0, x1), (y0, y1) = box
    near = nearest_minima(summary.x, summary.y, minima,
                          MINIMUM_TOLERANCE * math.hypot(x1 - x0, y1 - y0)).tolist()
    _write(args.csv, BASIN_HEADER, basin_rows(starts, summary, near))
    if not args.quiet:
        print(basin_summary(exp, surface, summary, near, minima, n))
    return 0


def _cmd_sweep(args) -> int:
    exp = _experiment(args)
    axes = [parse_vary(text, exp.runs[0].optimizer) for text in args.vary]
    if len(axes) > 2:
        raise ConfigError("--vary", tr("give one or two (a 1-D or 2-D grid)"))
    if len(axes) == 2 and axes[0][0] == axes[1][0]:
        raise ConfigError("--vary", tr("{name} is varied twice", name=axes[0][0]))
    cells = sweep_cells(axes)
    if len(cells) > MAX_ROWS:
        raise ConfigError("--vary", tr("{n} cells: at most {most}", n=f"{len(cells):,}", most=f"{MAX_ROWS:,}"))
    check_writable(args.csv, "--csv")
    runs = sweep_runs(exp.runs[0], [name for name, _ in axes], cells)
    start = exp.problem.start or _surface(exp)[0].start
    summary = _race(exp, runs, [start] * len(runs), "sweep")
    _write(args.csv, sweep_header([name for name, _ in axes]), sweep_rows(cells, summary))
    if not args.quiet:
        print(sweep_summary(exp, [name for name, _ in axes], cells, summary))
    return 0


# ---------------------------------------------------------------- input

def _experiment(args):
    """The problem and the one run, checked as `run`'s quick form checks them."""
    from .core import experiment as xp

    runs = getattr(args, "quick_runs", None) or []
    if len(runs) != 1:
        raise ConfigError("--opt", tr("give exactly one --opt NAME[:key=value,...]"))
    quick = argparse.Namespace(**vars(args))
    for name in ("dataset", "model", "loss", "start"):
        setattr(quick, name, getattr(args, name, None))
    exp = quick_experiment(quick)
    exp.steps = args.steps
    exp.device = args.device or exp.device
    exp.seed = 0 if args.seed is None else args.seed
    exp = xp.validate(exp)
    run = exp.runs[0]
    from .core.batched.groups import batchable

    if not batchable(run):
        raise ConfigError("--opt", tr("{optimizer} can't race as rows of a batched race (see "
                                      "`optplayground list optimizers`); race it with `run`",
                                      optimizer=run.optimizer))
    return exp


def _surface(exp):
    from .core.experiment import surface_of

    return surface_of(exp.problem), exp.problem.params


def _count(value: int, where: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ConfigError(where, tr("expected a whole number in [{low}, {high}], got {value}", low=low, high=high, value=value))
    return value


def _box(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        x0, x1, y0, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError("--box", tr("expected X0,X1,Y0,Y1 (four numbers), got {value}", value=repr(text))) from None
    if not all(math.isfinite(v) and abs(v) < 1e300 for v in (x0, x1, y0, y1)):
        raise ConfigError("--box", tr("expected finite numbers, got {value}", value=repr(text)))
    if not (x0 < x1 and y0 < y1):
        raise ConfigError("--box", tr("expected X0 < X1 and Y0 < Y1, got {value}", value=repr(text)))
    return (x0, x1), (y0, y1)


def parse_vary(text: str, optimizer: str) -> tuple[str, list[float]]:
    """'lr=1e-4..1e-2:log:50' -> ('lr', the 50 values)."""
    axis = parse_axis(text, optimizer)
    return axis.name, axis.values()


# ---------------------------------------------------------------- racing and output

def _race(exp, runs, starts, label: str):
    from .core.batched.race import BatchedRace
    from .core.engine import resolve_device
    from .core.threads import use_torch_threads

    use_torch_threads()
    device, note = resolve_device(exp.device)
    if note:
        print(f"note: {note}", file=sys.stderr)
    import torch

    dtype = torch.float64 if device.type != "mps" else torch.float32
    surface, params = _surface(exp)
    race = BatchedRace(surface, params, runs, starts, exp.steps, exp.seed, device, dtype)
    chunk = max(1, min(100, exp.steps // 20))
    started, shown = time.monotonic(), False
    while not race.done:
        race.advance(chunk)
        if sys.stderr.isatty() and time.monotonic() - started > 1.0:
            shown = True
            print(f"\r{label}: {race.step:,}/{exp.steps:,} updates, {race.rows:,} runs left ",
                  end="", file=sys.stderr, flush=True)
    if shown:
        print(file=sys.stderr)
    return race.summary()


def _write(path: str, header: list[str], rows) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="", buffering=1 << 20) as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    write_atomic(path, write)


def _statuses(summary) -> str:
    from collections import Counter

    counts = Counter(summary.status_of(r) for r in range(len(summary.x)))
    return ", ".join(f"{n:,} {status}" for status, n in counts.most_common())


def basin_summary(exp, surface, summary, near, minima, n: int) -> str:
    from collections import Counter

    counts = Counter(near)
    lines = [f"basin of {exp.runs[0].optimizer} on {surface.title}: {n}×{n} starts, "
             f"{exp.steps} steps: {_statuses(summary)}"]
    for index, (mx, my) in enumerate(minima):
        lines.append(f"  minimum {index} ({mx:.6g}, {my:.6g}): {counts.get(index, 0):,} starts")
    lines.append(f"  no known minimum: {counts.get(-1, 0):,} starts")
    return "\n".join(lines)


def sweep_summary(exp, names, cells, summary) -> str:
    import numpy as np

    from .core.batched.race import CONVERGED, DONE

    lines = [f"sweep of {exp.runs[0].optimizer}: {len(cells):,} cells, {exp.steps} steps: "
             f"{_statuses(summary)}"]
    ended = np.isin(summary.status, [DONE, CONVERGED])  # a diverged run's loss is no score
    scored = ended if ended.any() else np.ones_like(ended)
    loss = np.where(np.isnan(summary.loss) | ~scored, np.inf, summary.loss)
    if np.isfinite(loss).any():
        best = int(np.argmin(loss))
        values = ", ".join(f"{name}={v!r}" for name, v in zip(names, cells[best]))
        lines.append(f"  best cell {best}: {values}: loss {summary.loss[best]:.6g} at step "
                     f"{int(summary.step[best])} ({summary.status_of(best)})")
    return "\n".join(lines)


# ---------------------------------------------------------------- presets with a swarm view

def preset_view(args):
    """The swarm view of `--preset NAME` (core/swarm_preset.py), or None."""
    if not getattr(args, "preset", None):
        return None
    from .core.presets import preset_swarm_view

    return preset_swarm_view(args.preset)


def run_swarm_preset(args, exp, view) -> int:
    """`run --preset NAME` of a preset with a swarm view: its CSV is the view's (a basin:
    every batchable run's rows, `run` first; a sweep: the sweep's), --png the window."""
    from .core.swarm import BASIN_HEADER, Swarm, swarm_csv
    from .core.swarm_preset import jobs_for
    from .core.threads import use_torch_threads

    if args.svg or args.scale:
        raise ConfigError("--svg/--scale", "a preset with a swarm view writes its CSV and a PNG "
                                           "of the window (--csv, --png)")
    for flag in ("csv", "png", "save"):
        if getattr(args, flag):
            check_writable(getattr(args, flag), f"--{flag}")
    jobs = jobs_for(view, exp)
    if not jobs:
        raise ConfigError("--preset", "no run of this preset can race as rows of a batched race")
    use_torch_threads()
    blocks, lines = [], []
    for name, job in jobs:
        swarm = Swarm(job)
        while not swarm.done:
            swarm.advance(max(1, min(100, exp.steps // 20)))
        header, rows = swarm_csv(swarm)
        blocks.append((name, list(rows)))
        lines.append(_preset_line(name, swarm))
    if args.csv:
        if view.view == "basin":
            _write(args.csv, ["run", *BASIN_HEADER], ([name, *row] for name, rows in blocks
                                                      for row in rows))
        else:
            _write(args.csv, header, blocks[0][1])
    if args.save:
        from .core import experiment as xp

        xp.save(exp, args.save)
    if args.png:
        from .gui.swarm.shot import swarm_screenshot

        swarm_screenshot(exp, view, args.png, (1600, 1000), look=args.theme)
    if not args.quiet:
        print("\n".join(lines))
    return 0


def _preset_line(name: str, swarm) -> str:
    from collections import Counter

    frame = swarm.frame()
    if swarm.kind == "basin":
        counts = Counter(frame.minimum.tolist())
        found = ", ".join(f"minimum {i}: {counts.get(i, 0):,}" for i in range(len(swarm.meta["minima"])))
        return f"{name}: {len(frame.x):,} starts: {found}, none: {counts.get(-1, 0):,}"
    return sweep_summary(swarm.job.experiment, [a.name for a in swarm.meta["axes"]],
                         swarm.meta["cells"], swarm.race.summary())
