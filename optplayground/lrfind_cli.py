"""`optplayground lrfind`: the LR range test (core/lrfind.py) on a dataset race."""
from __future__ import annotations

import argparse
import csv

from .core.atomic import check_writable, write_atomic
from .core.i18n import tr
from .core.params import ConfigError
from .quick_form import NewRun, RunOption, quick_experiment

EPILOG = """\
  optplayground lrfind --dataset circle --model mlp:16,16 --opt sgd:momentum=0.9 \\
      --start-lr 1e-5 --end-lr 10 --steps 200 --csv lr.csv

Trains the model from its initial weights with an LR growing exponentially from --start-lr
to --end-lr over --steps updates (one batch each; --batch K after --opt for mini-batches),
smooths the loss (EMA, f = 0.05), stops once the smoothed loss is 5× its best, and suggests
the LR where the smoothed loss falls steepest (as pytorch-lr-finder). The run's schedule,
clipping and Lookahead are not used. CSV columns: step,lr,loss,smoothed_loss.
exit status: 0 ok, 2 bad input (one line on stderr says what and where)
"""


def add_command(sub) -> None:
    parser = sub.add_parser("lrfind", help="the LR range test of a dataset race",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, help="NAME[:key=value,...]")
    parser.add_argument("--model", help="linear | mlp[:H1,H2,...][,...]")
    parser.add_argument("--loss", help="NAME[:key=value,...] (default: the dataset's)")
    parser.add_argument("--opt", action=NewRun, required=True, help="NAME[:key=value,...]")
    parser.add_argument("--batch", action=RunOption, help=argparse.SUPPRESS)
    parser.add_argument("--start-lr", type=float, default=1e-7)
    parser.add_argument("--end-lr", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--csv", metavar="OUT.csv")
    parser.add_argument("--seed", type=int, help="data, weights and batches (default 0)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--quiet", action="store_true", help="no summary")
    parser.set_defaults(func=_cmd_lrfind)


def _cmd_lrfind(args) -> int:
    from .core import experiment as xp
    from .core.lrfind import CSV_HEADER, check_range, lr_range_test
    from .core.threads import use_torch_threads

    if len(getattr(args, "quick_runs", None) or []) != 1:
        raise ConfigError("--opt", tr("give exactly one --opt NAME[:key=value,...]"))
    quick = argparse.Namespace(**vars(args), surface=None, formula=None, start=None)
    exp = quick_experiment(quick)
    exp.seed = 0 if args.seed is None else args.seed
    exp.device = args.device or exp.device
    exp = xp.validate(exp)
    check_range(args.start_lr, args.end_lr, args.steps)
    if args.csv is not None:
        check_writable(args.csv, "--csv")
    use_torch_threads()
    result = lr_range_test(exp, 0, args.start_lr, args.end_lr, args.steps)
    if args.csv is not None:
        def write(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(CSV_HEADER)
                writer.writerows(result.rows())

        write_atomic(args.csv, write)
    if not args.quiet:
        ended = (tr("stopped at update {n} (the smoothed loss passed 5× its best)", n=result.diverged_at)
                 if result.diverged_at is not None else tr("ran all {n} updates", n=args.steps))
        print(tr("LR range test of {optimizer} on {dataset}: {ended}", optimizer=exp.runs[0].optimizer,
                 dataset=exp.problem.dataset, ended=ended))
        if result.suggested_lr is None:
            print("  " + tr("too few updates for a suggestion (need more than 15)"))
        else:
            print("  " + tr("suggested lr: {lr} (steepest descent of the smoothed loss)",
                            lr=f"{result.suggested_lr:.6g}"))
    return 0
