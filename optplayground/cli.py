"""The command line: open the app, run experiments headless, list what is available.

    optplayground                      open the window (a default race)
    optplayground EXPERIMENT.toml      open the window with that experiment
    optplayground run …                race headless, print a summary, write CSV
    optplayground shot …               open the window offscreen, race, save a screenshot
    optplayground basin …, sweep …     many runs as rows of one batched race (swarm_cli.py)
    optplayground lrfind …             the LR range test of a dataset race (lrfind_cli.py)
    optplayground list surfaces|optimizers|schedules|datasets|losses|presets
    optplayground bench [--quick] [--json OUT.json]   measure speed and memory here
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .cli_boundary import check_outputs, guarded, parse_size, take_lang_option
from .core.atomic import all_or_nothing, check_writable
from .core.i18n import tr
from .core.params import ConfigError
from .listing import KINDS, list_kind
from .quick_form import add_quick_form, quick_experiment

EPILOG_RUN = """\
quick form (no file):
  optplayground run --surface rosenbrock --start -1.5,2 \\
      --opt adam:lr=0.01 --opt sgd:lr=0.001,momentum=0.9 --steps 500 --csv out.csv

  --surface NAME[:key=value,...]   a built-in surface and its parameters, e.g. rosenbrock:b=50
  --formula "EXPR"                 your own surface in x and y, e.g. "sin(x)*y**2 + 0.1*x**2"
  --opt NAME[:key=value,...]       one run; NAME is a built-in optimizer or an import path
                                   package.module:Class. A list value continues after a comma:
                                   adam:lr=0.01,betas=0.9,0.99
  These apply to the --opt just before them:
  --schedule NAME[:key=value,...]  an LR schedule; repeat it for a chain, every stage but the
                                   last with steps=N: --schedule linear:steps=50,start_factor=0.1
                                   --schedule cosine
  --clip norm=MAX[,norm_type=P] | value=V   gradient clipping
  --lookahead [k=5,alpha=0.5]      wrap the optimizer in Lookahead
  --name LABEL, --color #rrggbb    how the run is shown
  --batch K                        mini-batches of K in a dataset race (0 = full batch,
                                   1 = one sample at a time)

An import path runs that module's code: it is imported only with --allow-import.

exit status: 0 ok, 2 bad input (one line on stderr says what and where)
"""
ALLOW_IMPORT_HELP = ("import the modules of import-path optimizers (package.module:Class) "
                     "the experiment names: their code runs, so only for files you trust")
THEMES = ("dark", "light")  # gui/theme.THEMES (not imported: `list` loads no Qt)
THEME_HELP = ("the pictures' theme, dark or light (default dark, whatever the desktop's: "
              "the same pictures on every machine)")

USAGE = """optplayground [EXPERIMENT.toml]
       optplayground run [EXPERIMENT.toml | --preset NAME | quick form] [--steps N] [--csv OUT.csv] …
       optplayground shot [EXPERIMENT.toml | --preset NAME | quick form] --out window.png …
       optplayground basin [--surface NAME | --formula EXPR] --opt NAME[:k=v,...] --grid N --steps S --csv OUT.csv …
       optplayground sweep [--surface NAME | --formula EXPR] --opt NAME --vary PARAM=LOW..HIGH[:log]:COUNT --steps S --csv OUT.csv …
       optplayground lrfind --dataset NAME --opt NAME[:k=v,...] [--start-lr A] [--end-lr B] [--steps N] [--csv OUT.csv] …
       optplayground trace [--surface NAME | --formula EXPR] --opt NAME[:k=v,...] --steps N --csv OUT.csv …
       optplayground list surfaces|optimizers|schedules|datasets|losses|presets
       optplayground bench [--quick] [--json OUT.json]
       optplayground --version | --help | COMMAND --help"""

DESCRIPTION = """\
Watch optimizers race across loss surfaces and small datasets.

  optplayground                  open the window with a default race
  optplayground EXPERIMENT.toml  open the window with that experiment (a .toml file)
  optplayground run …            race headless, print a summary, write CSV/PNG/SVG
  optplayground shot …           race in the window offscreen and save a screenshot
  optplayground basin …          race a grid of start points: where does each one end?
  optplayground sweep …          race a grid of hyperparameter values: which ones work?
  optplayground trace …          one run's every update and optimizer state as CSV
  optplayground list WHAT        what can be chosen, with parameters and defaults
  optplayground bench            measure speed and memory on this machine

The quick form describes a race on the command line (see optplayground run --help):
  optplayground run --surface rosenbrock --opt adam:lr=0.01 --opt sgd:lr=0.001 --steps 500
"""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _dispatch(argv))  # cli_boundary: every failure is one line


def _dispatch(argv: list[str]) -> int:
    argv = take_lang_option(argv)  # --lang anywhere: this process and the engine's speak it
    if not argv or argv[0].endswith(".toml"):
        return _open_app(argv)
    args = _parser().parse_args(_glue_negative_values(argv))
    return args.func(args)


def open_window() -> int:
    """`optplayground-gui [EXPERIMENT.toml]`: the window alone (on Windows, without a console)."""
    return main(sys.argv[1:2] if sys.argv[1:2] and sys.argv[1].endswith(".toml") else [])


def _open_app(argv: list[str]) -> int:
    try:
        from .gui.app import run_app
    except ImportError as error:  # the window is not available (no Qt)
        print(f"optplayground: the window cannot open ({error}); running the default race "
              "headless instead", file=sys.stderr)
        return main(["run"] + argv[:1])
    return run_app(argv)


def _glue_negative_values(argv: list[str]) -> list[str]:
    """Let `--start -1.5,2` work: argparse would take -1.5,2 for an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in ("--start", "--box") and arg.startswith("-"):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are bad input like any other: one line on stderr, exit status 2.
    (argparse would print the whole usage block first.) Subcommands inherit the class."""

    def error(self, message: str):
        self.exit(2, tr("{prog}: error: {message} (see {prog} --help)", prog=self.prog, message=message) + "\n")


def _parser() -> argparse.ArgumentParser:
    from .versions import version_lines

    parser = _Parser(prog="optplayground", usage=USAGE, description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version="\n".join(version_lines()))
    parser.add_argument("--lang", metavar="CODE",  # taken off the command line by _dispatch
                        help="the interface's language, en or zh_CN, before or after the "
                             "subcommand (default: the window's choice or the system's)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", prog="optplayground")

    run = sub.add_parser("run", help="race headless, print a summary, write CSV",
                         epilog=EPILOG_RUN, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("experiment", nargs="?", help="an experiment .toml file")
    run.add_argument("--preset", metavar="NAME", help="a built-in experiment (optplayground list presets)")
    run.add_argument("--steps", type=int, help="number of updates (overrides the file)")
    run.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    run.add_argument("--seed", type=int)
    run.add_argument("--csv", metavar="OUT.csv", help="write every row of every run")
    run.add_argument("--save", metavar="OUT.toml", help="write the experiment as a file")
    run.add_argument("--png", metavar="OUT.png",
                     help="the dashboard (map, loss, LR, gradient norm) as the window shows it "
                          "after the race (drawn offscreen, 1600x1000 window), and each plot "
                          "beside OUT with the names --svg uses: OUT-map.png, OUT-loss.png, …")
    run.add_argument("--svg", metavar="OUT.svg",
                     help="each plot as SVG beside OUT: OUT-map.svg, OUT-loss.svg, OUT-lr.svg, "
                          "OUT-grad.svg (a dataset race adds OUT-metrics.svg, OUT-accuracy.svg, "
                          "and where they apply OUT-surface.svg, the (w, b) loss surface, and "
                          "OUT-batchnorm.svg)")
    run.add_argument("--scale", type=int, choices=(1, 2, 4),  # export.SCALES, as the window
                     help="the PNGs get 1, 2 or 4 times the window's pixels (default 1; like "
                          "File > Export > PNG Scale)")
    run.add_argument("--theme", choices=THEMES, default="dark", help=THEME_HELP)
    run.add_argument("--quiet", action="store_true", help="no summary table, no progress")
    run.add_argument("--allow-import", action="store_true", help=ALLOW_IMPORT_HELP)
    add_quick_form(run)
    run.set_defaults(func=_cmd_run)

    shot = sub.add_parser("shot", help="open the window, race N steps, save a screenshot",
                          epilog=EPILOG_RUN.replace("optplayground run", "optplayground shot")
                          .replace(" --csv out.csv", " --out shot.png"),
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    shot.add_argument("experiment", nargs="?", help="an experiment .toml file (default: the default race)")
    shot.add_argument("--preset", metavar="NAME", help="a built-in experiment (optplayground list presets)")
    shot.add_argument("--steps", type=int, help="number of updates (default: the experiment's)")
    shot.add_argument("--out", required=True, metavar="window.png")
    shot.add_argument("--size", default="1600x1000", help="WIDTHxHEIGHT (default 1600x1000; "
                                                          "each side 100 to 8192)")
    shot.add_argument("--theme", choices=THEMES, default="dark", help=THEME_HELP)
    shot.add_argument("--allow-import", action="store_true", help=ALLOW_IMPORT_HELP)
    add_quick_form(shot)
    shot.set_defaults(func=_cmd_shot)

    bench = sub.add_parser("bench", help="measure speed and memory on this machine (offscreen)")
    bench.add_argument("--quick", action="store_true", help="seconds instead of minutes (rough)")
    bench.add_argument("--json", metavar="OUT.json", help="write the figures as JSON")
    bench.set_defaults(func=_cmd_bench)

    lister = sub.add_parser("list", help="print what can be chosen, with parameters and defaults")
    lister.add_argument("what", choices=KINDS)
    lister.set_defaults(func=lambda args: list_kind(args.what))

    from .swarm_cli import add_commands
    from .trace_cli import add_command as add_trace

    from .lrfind_cli import add_command as add_lrfind

    add_commands(sub)
    add_trace(sub)
    add_lrfind(sub)
    return parser


# ---------------------------------------------------------------- run

def _cmd_run(args) -> int:
    from .core import experiment as xp
    from .core.engine import Engine
    from .core.threads import use_torch_threads
    from .progress import Progress

    exp = _experiment_from_args(args)
    from .swarm_cli import preset_view, run_swarm_preset

    if (view := preset_view(args)) is not None:  # basins_himmelblau, lr_momentum_sweep
        return run_swarm_preset(args, exp, view)
    # Every output path is checked before the race; none may be the file being read.
    from .core.results import known_minima, summary_path, write_csv_with_summary

    outputs = {f: getattr(args, f[2:]) for f in ("--csv", "--save", "--png", "--svg")}
    outputs[tr("--csv (its summary)")] = summary_path(args.csv) if args.csv else None
    check_outputs(outputs, (args.experiment or "",))
    pictures = _pictures(args)
    use_torch_threads()  # the window's thread count: its CSV export is this very file
    engine = Engine(exp, checked=True)
    if engine.device_note:
        print(f"note: {engine.device_note}", file=sys.stderr)
    with Progress(exp.steps, "race", "steps", quiet=args.quiet) as progress:
        for _ in engine.batches(100):  # ~0.1 s each: the bar moves smoothly
            progress.update(engine.step)
    history = engine.history
    with all_or_nothing():  # every file the command writes, or none of them
        if args.csv:  # and its results beside it: OUT.summary.csv
            write_csv_with_summary(history, args.csv, known_minima(exp))
        if args.save:
            xp.save(exp, args.save)
        written = pictures.export_race(exp, args.png, args.svg, args.scale or 1, look=args.theme) \
            if pictures is not None else []
    if written and not args.quiet:
        print("wrote " + ", ".join(written))
    if not args.quiet:
        from .run_summary import summary

        print(summary(engine))
    return 0


def _pictures(args):
    """The headless window module when --png or --svg asks for pictures (the window draws them)."""
    if args.scale and not args.png:
        raise ConfigError("--scale", tr("goes with --png (it sets the PNGs' pixels)"))
    if not (args.png or args.svg):
        return None
    try:
        from .gui import export, headless
    except ImportError as error:
        raise ConfigError("--png/--svg", f"drawing needs PySide6 and pyqtgraph: {error}") from None
    for flag, path, ext in (("--png", args.png, ".png"), ("--svg", args.svg, ".svg")):
        if path:  # the longest name written beside it
            check_writable(export.per_plot_paths(path, ["batchnorm"], ext)["batchnorm"], flag)
    return headless


def _experiment_from_args(args):
    from .core import experiment as xp

    for key in ("experiment", "preset", "surface", "formula", "start", "dataset", "model", "loss"):
        if getattr(args, key, None) == "":
            raise ConfigError("command line" if key == "experiment" else f"--{key}",
                              tr("is empty") if key != "experiment" else tr("the experiment file name is empty"))
    quick = any(getattr(args, k, None) for k in ("surface", "formula", "quick_runs", "start",
                                                  "dataset", "model", "loss"))
    sources = [name for name, given in (("an experiment file", args.experiment),
                                        ("--preset", args.preset), ("the quick form", quick)) if given]
    if len(sources) > 1:
        raise ConfigError("command line", tr("give one of an experiment file, --preset or the quick "
                                             "form, not {sources}", sources=" and ".join(sources)))
    if args.experiment:
        exp = xp.load(args.experiment)
    elif args.preset:
        from .core.presets import load_preset

        exp = load_preset(args.preset)
    elif quick:
        exp = quick_experiment(args)
    else:
        exp = xp.default_experiment()
    if args.steps is not None:
        exp.steps = args.steps
    if getattr(args, "device", None):
        exp.device = args.device
    if getattr(args, "seed", None) is not None:
        exp.seed = args.seed
    if args.allow_import:  # the user vouches for this experiment's modules (core/trust.py)
        from .core.trust import POLICY, modules_to_allow

        POLICY.allow(*modules_to_allow(exp))
    return xp.validate(exp)  # without the flag: one line naming the module, nothing imported


def _cmd_shot(args) -> int:
    from .gui.headless import take_screenshot

    exp = _experiment_from_args(args)
    width, height = parse_size(args.size)
    check_outputs({"--out": args.out}, (args.experiment or "",))
    from .swarm_cli import preset_view

    if (view := preset_view(args)) is not None:  # the window with the preset's swarm view
        from .gui.swarm.shot import swarm_screenshot

        first_frame = swarm_screenshot(exp, view, args.out, (width, height), look=args.theme)
    else:
        first_frame = take_screenshot(exp, args.out, (width, height), look=args.theme)
    print(f"wrote {args.out} ({width}x{height}, {exp.steps} steps; first frame after {first_frame:.2f} s)")
    return 0


def _cmd_bench(args) -> int:
    import json

    from .bench import run_bench, table
    from .core.atomic import write_text_atomic

    results = run_bench(args.quick, progress=lambda text: print(text, file=sys.stderr, flush=True))
    if args.json:
        write_text_atomic(args.json, json.dumps(results, indent=2) + "\n")
    print(table(results))
    return 0
