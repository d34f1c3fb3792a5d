"""The quick form: a race described on the command line, without a file.

    --surface rosenbrock --start -1.5,2 --opt adam:lr=0.01 --schedule cosine --opt sgd

`run`, `shot`, `basin` and `sweep` share it: the options, the per-run options that follow
an --opt, and the text parsers (`NAME[:key=value,...]`) that turn it into an Experiment.
"""
from __future__ import annotations

import argparse

from .core.params import ConfigError
from .core.i18n import tr


def add_quick_form(parser: argparse.ArgumentParser) -> None:
    """The options that describe a race without a file (EPILOG_RUN explains them)."""
    parser.add_argument("--surface", help="NAME[:key=value,...]")
    parser.add_argument("--formula", help="a surface in x and y")
    parser.add_argument("--start", help="x,y")
    parser.add_argument("--dataset", help="NAME[:key=value,...] (train a small model instead)")
    parser.add_argument("--model", help="linear | mlp[:H1,H2,...][,activation=relu,batchnorm=true,dropout=0.2,features=x2+y2]")
    parser.add_argument("--loss", help="NAME[:key=value,...] (default: the dataset's)")
    parser.add_argument("--opt", action=NewRun, help="NAME[:key=value,...] (one run)")
    for flag in ("--schedule", "--clip", "--lookahead", "--name", "--color", "--batch"):
        parser.add_argument(flag, action=RunOption, nargs="?" if flag == "--lookahead" else None,
                            const="", help=argparse.SUPPRESS)


class NewRun(argparse.Action):
    def __call__(self, parser, namespace, value, option_string=None):
        runs = getattr(namespace, "quick_runs", None) or []
        runs.append({"opt": value, "schedule": []})
        namespace.quick_runs = runs


class RunOption(argparse.Action):
    def __call__(self, parser, namespace, value, option_string=None):
        runs = getattr(namespace, "quick_runs", None)
        if not runs:
            parser.error(f"{option_string} must follow an --opt")
        key = option_string.lstrip("-")
        if key == "schedule":
            runs[-1]["schedule"].append(value)
        else:
            runs[-1][key] = value


def quick_experiment(args):
    from .core import experiment as xp

    problem = xp.Problem()
    if sum(bool(a) for a in (args.surface, args.formula, args.dataset)) > 1:
        raise ConfigError("command line", tr("give one of --surface, --formula or --dataset"))
    if (args.model or args.loss) and not args.dataset:
        raise ConfigError("command line", tr("--model and --loss go with --dataset"))
    if args.dataset:
        problem.dataset, problem.data = parse_spec(args.dataset, "--dataset")
        if args.model:
            problem.model = parse_model(args.model)
        if args.loss:
            problem.loss, problem.loss_params = parse_spec(args.loss, "--loss")
    elif args.formula:
        problem.surface, problem.formula = "formula", args.formula
    elif args.surface:
        problem.surface, problem.params = parse_spec(args.surface, "--surface")
    if args.start:
        problem.start = _parse_pair(args.start, "--start")
    runs = [_quick_run(r, i) for i, r in enumerate(getattr(args, "quick_runs", None) or [])]
    if not args.dataset and any("batch" in r for r in getattr(args, "quick_runs", None) or []):
        raise ConfigError("--batch", tr("goes with --dataset: a surface has no data to batch"))
    if not runs:
        raise ConfigError("--opt", tr("give at least one --opt NAME[:key=value,...]"))
    return xp.Experiment(name="command line", problem=problem, runs=runs)


def _quick_run(spec: dict, index: int):
    from .core import experiment as xp
    from .core.schedules import Stage

    name, hyper = parse_spec(spec["opt"], f"--opt #{index + 1}")
    run = xp.Run(name=spec.get("name") or _unique_label(name, index), optimizer=name, hyper=hyper)
    run.color = spec.get("color", "")
    for text in spec["schedule"]:
        stage_name, params = parse_spec(text, "--schedule")
        steps = params.pop("steps", None)
        run.schedule.append(Stage(stage_name, params, None if steps is None else _int(steps, "steps")))
    if "clip" in spec:
        run.clip = _parse_clip(spec["clip"])
    if "lookahead" in spec:
        run.lookahead = parse_values(spec["lookahead"], "--lookahead")
    if "batch" in spec:
        run.batch_size = _int(spec["batch"], "--batch")
    return run


def parse_model(text: str) -> dict:
    """'mlp:16,16,activation=relu' -> {'kind': 'mlp', 'hidden': '16,16', 'activation': 'relu'}."""
    kind, _, rest = text.partition(":")
    model: dict = {"kind": kind}
    sizes = []
    for piece in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = piece.partition("=")
        if not eq:
            sizes.append(piece)
        else:
            model[key.strip()] = value.strip().replace("+", ",")
    if sizes:
        model["hidden"] = ",".join(sizes)
    return model


def _unique_label(name: str, index: int) -> str:
    return f"{name.rsplit(':', 1)[-1]} #{index + 1}"


def _parse_clip(text: str):
    from .core.experiment import Clip

    values = parse_values(text, "--clip")
    if "norm" in values:
        return Clip(mode="norm", max_norm=values.pop("norm"), **_only(values, "norm_type"))
    if "value" in values:
        return Clip(mode="value", clip_value=values.pop("value"), **_only(values))
    raise ConfigError("--clip", tr("expected norm=MAX[,norm_type=P] or value=V"))


def _only(values: dict, *allowed: str) -> dict:
    for key in values:
        if key not in allowed:
            raise ConfigError(f"--clip.{key}", tr("unknown clip setting"))
    return values


def parse_spec(text: str, where: str) -> tuple[str, dict]:
    """'adam:lr=0.01,betas=0.9,0.99' -> ('adam', {'lr': '0.01', 'betas': '0.9,0.99'}).

    An import path 'pkg.mod:Class' keeps its colon: the values start after the next one.
    """
    head, _, rest = text.partition(":")
    cls, colon, values = rest.partition(":")
    # An import path, module:Class[:values]: a dotted module or a capitalised class
    # (so that a mistyped 'adam:lr' reads as a missing value, not as a module 'adam').
    if cls and "=" not in cls and "," not in cls and ("." in head or cls[:1].isupper()):
        head, rest = f"{head}:{cls}", values
    if not head:
        raise ConfigError(where, tr("missing a name in {text}", text=repr(text)))
    return head, parse_values(rest, where)


def parse_values(text: str, where: str) -> dict:
    """'a=1,b=2,3' -> {'a': '1', 'b': '2,3'}; the specs convert and check the text."""
    values: dict[str, str] = {}
    last = None
    for piece in filter(None, (p.strip() for p in text.split(","))):
        key, eq, value = piece.partition("=")
        if eq and not key.strip():
            raise ConfigError(where, tr("missing a name before '=' in {piece}", piece=repr(piece)))
        if eq:
            last = key.strip()
            values[last] = value.strip()
        elif last is not None:
            values[last] += "," + piece
        else:
            raise ConfigError(where, tr("expected key=value, got {piece}", piece=repr(piece)))
    return values


def _parse_pair(text: str, where: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
        return x, y
    except ValueError:
        raise ConfigError(where, tr("expected x,y (two numbers), got {text}", text=repr(text))) from None


def _int(value: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(where, tr("expected a whole number, got {value}", value=repr(value))) from None
