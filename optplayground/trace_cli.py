"""`optplayground trace`: one run's every update as CSV, with the optimizer's state.

    optplayground trace --surface rosenbrock --opt adam:lr=0.01 --steps 100 --csv adam.csv
"""
from __future__ import annotations

import argparse

from .core.atomic import check_writable, write_atomic
from .core.params import ConfigError
from .quick_form import add_quick_form, quick_experiment

EPILOG = """\
  optplayground trace --surface rosenbrock --start -1.5,2 --opt adam:lr=0.01 \\
      --steps 100 --csv adam.csv

One CSV row per update t = 1..N: step, x,y (the point after the update), lr (the LR it
used), grad_x,grad_y (the gradient at the point before it), clipped_grad_x,clipped_grad_y
(the gradient after --clip, only with --clip), update_x,update_y (the change it made), then
every number of the optimizer's state after it, under torch's own names, a vector split
into _x and _y: exp_avg_x, exp_avg_sq_y, momentum_buffer_x, step, …; a Lookahead wrapper
adds slow_x, slow_y and steps_since_sync. --schedule, --clip and --lookahead apply to the
--opt as in `run`. At most 100,000 steps.
exit status: 0 ok, 2 bad input (one line on stderr says what and where)
"""


def add_command(sub) -> None:
    trace = sub.add_parser("trace", help="one run's every update and optimizer state as CSV",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    trace.add_argument("--steps", type=int, required=True, help="number of updates")
    trace.add_argument("--csv", required=True, metavar="OUT.csv")
    trace.add_argument("--seed", type=int, help="the noise's seed (default 0)")
    trace.add_argument("--quiet", action="store_true", help="no summary line")
    add_quick_form(trace)
    trace.set_defaults(func=_cmd_trace)


def _cmd_trace(args) -> int:
    from .core import experiment as xp
    from .core.threads import use_torch_threads
    from .core.trace import trace, write_trace

    runs = getattr(args, "quick_runs", None) or []
    if len(runs) != 1:
        raise ConfigError("--opt", "give exactly one --opt NAME[:key=value,...]")
    if args.csv == "":
        raise ConfigError("--csv", "is empty")
    exp = quick_experiment(args)
    exp.steps, exp.device = args.steps, "cpu"  # torch's exact CPU numbers
    exp.seed = 0 if args.seed is None else args.seed
    exp = xp.validate(exp)
    check_writable(args.csv, "--csv")
    use_torch_threads()
    snapshots, engine = trace(exp)
    clipped = exp.runs[0].clip.mode != "none"

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            write_trace(snapshots, clipped, f)

    write_atomic(args.csv, write)
    if not args.quiet:
        state = engine.runs[0]
        print(f"wrote {args.csv}: {len(snapshots)} updates of {exp.runs[0].name} "
              f"({state.status}{': ' + state.message if state.message else ''})")
    return 0
