"""An experiment: the problem, the runs racing on it, and how long they race.

The single source of truth shared by the window, the worker and the command line. TOML is
the file format; `save` and `load` round-trip exactly (floats are written with repr).
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .params import ConfigError, Param, validate_values
from .i18n import tr
from .trust import import_paths, split_import_path
from .optimizers import LOOKAHEAD, get_optimizer
from .training import DatasetProblem, validate_dataset_problem
from .schedules import Stage, check_stage_lengths, validate_stages
from .toml_file import decode, parse_toml, read_limited, to_toml

FORMAT_VERSION = 1
# Limits on what a file may hold (files come from strangers): checked before and after parsing.
MAX_RUNS = 65_536
LR_FACTOR_GROUPS = ("weight", "bias")  # a model's parameters by the end of their name
LR_FACTOR_MAX = 1e6
DEVICES = ("auto", "cpu", "cuda", "mps")
CLIP_MODES = ("none", "norm", "value")
# matplotlib's tab10; runs without a colour cycle them. (The light theme draws the four
# palest darker: gui/theme.run_color.)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f")


def run_color(runs: list, index: int) -> str:
    """The colour run `index` is shown in: its own, else the palette's by position."""
    return runs[index].color or PALETTE[index % len(PALETTE)]

CLIP_PARAMS = (
    Param("mode", "none", "choice", choices=CLIP_MODES,
          help="none; norm: rescale the whole gradient so its norm is at most max_norm; "
               "value: clamp each component to [-clip_value, clip_value]"),
    Param("max_norm", 1.0, low=0, low_open=True, log=True,
          help="largest allowed gradient norm (mode = norm)"),
    # torch sums |g|^p unscaled: a large p overflows to inf on ordinary gradients (p = 1000: |g| > 2)
    Param("norm_type", 2.0, low=1, high=10, inf_ok=True,
          help="which p-norm measures the gradient (2 = Euclidean, 1 = sum of |components|, "
               "inf = the largest |component|)"),
    Param("clip_value", 1.0, low=0, low_open=True, log=True,
          help="largest allowed |component| (mode = value)"),
)
LOOKAHEAD_PARAMS = LOOKAHEAD.params  # one source: the wrapper's spec


@dataclass
class Clip:
    mode: str = "none"
    max_norm: float = 1.0
    norm_type: float = 2.0
    clip_value: float = 1.0


@dataclass
class Switch:
    """Change a run's optimizer at a chosen step (e.g. Adam first, then SGD to fine-tune)."""

    at: int
    optimizer: str
    hyper: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    name: str
    optimizer: str = "sgd"
    hyper: dict[str, Any] = field(default_factory=dict)
    schedule: list[Stage] = field(default_factory=list)
    clip: Clip = field(default_factory=Clip)
    lookahead: dict[str, Any] | None = None  # {"k": 5, "alpha": 0.5} wraps the optimizer
    color: str = ""
    enabled: bool = True
    switch: Switch | None = None
    batch_size: int = 0  # dataset races: 0 = full batch, k = mini-batches of k
    # dataset races: the lr of a parameter group is the run's lr times its factor, e.g.
    # {"bias": 0.1} (torch param groups: weights and biases; see LR_FACTOR_GROUPS). A
    # surface's point is one parameter: there they do not apply (as batch_size)
    lr_factors: dict[str, float] = field(default_factory=dict)


@dataclass
class Problem:
    """A 2-D surface by name, a formula in x and y (`surface = "formula"`), or — when
    `dataset` is set — a tiny model trained on a small dataset."""

    surface: str = "rosenbrock"
    params: dict[str, Any] = field(default_factory=dict)
    formula: str = ""
    start: tuple[float, float] | None = None  # None: the surface's default start
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None  # formula view box
    dataset: str = ""  # e.g. "circle": then the fields below apply and the surface does not
    data: dict[str, Any] = field(default_factory=dict)  # the dataset's parameters
    model: dict[str, Any] = field(default_factory=dict)  # kind, hidden, activation, ...
    loss: str = ""  # "" = the dataset's default loss
    loss_params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_dataset(self) -> bool:
        return bool(self.dataset)

    def dataset_problem(self) -> DatasetProblem:
        return DatasetProblem(self.dataset, self.data, self.model, self.loss, self.loss_params)


@dataclass
class Experiment:
    name: str = "untitled"
    description: str = ""
    problem: Problem = field(default_factory=Problem)
    runs: list[Run] = field(default_factory=list)
    steps: int = 500
    seed: int = 0
    device: str = "auto"
    history_cap: int = 1_000_000  # rows kept exactly per run; later rows are decimated
    # Modules of import-path optimizers the user allowed (core/trust.py): set by validate,
    # carried to the process that steps the race, never read from or written to a file.
    allowed_imports: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def copy(self) -> "Experiment":
        return copy.deepcopy(self)

    def color_of(self, index: int) -> str:
        return run_color(self.runs, index)


# ---------------------------------------------------------------- validation

def validate(exp: Experiment) -> Experiment:
    """Check everything that can be checked before running; returns a normalised copy.

    Raises ConfigError whose field names the culprit, e.g. ``runs[1].hyper.lr``.
    """
    out = copy.deepcopy(dataclasses.replace(exp, runs=[]))  # each run is copied once, below
    out.runs = exp.runs if isinstance(exp.runs, list) else []
    _check_int(out.steps, "steps", 1, 100_000_000)
    _check_int(out.seed, "seed", 0, 2**63 - 1)
    _check_int(out.history_cap, "history_cap", 100, 1_000_000_000)
    if out.device not in DEVICES:
        raise ConfigError("device", tr("must be one of {choices}, got {value}",
                                    choices=", ".join(DEVICES), value=repr(out.device)))
    if out.problem.is_dataset:
        _validate_dataset_problem(out.problem)
    else:
        _validate_surface_problem(out.problem)
    if not out.runs:
        raise ConfigError("runs", tr("add at least one run"))
    if len(out.runs) > MAX_RUNS:
        raise ConfigError("runs", tr("at most {most} runs, got {count}", most=MAX_RUNS, count=len(out.runs)))
    out.runs = [validate_run(run, f"runs[{i}]") for i, run in enumerate(out.runs)]
    for i, run in enumerate(out.runs):  # OneCycle's phases depend on the number of steps
        check_stage_lengths(run.schedule, out.steps, f"runs[{i}].schedule")
    seen: set[str] = set()
    dupes = sorted({r.name for r in out.runs if r.name in seen or seen.add(r.name)})
    if dupes:
        raise ConfigError("runs", tr("run names must be unique: {names}", names=", ".join(dupes)))
    out.allowed_imports = tuple(sorted({split_import_path(name)[0]
                                        for _, name in import_paths(out)}))
    return out


def _validate_surface_problem(problem: Problem) -> None:
    if problem.bounds is not None:
        problem.bounds = _box(problem.bounds, "problem.bounds")
    surface = surface_of(problem)
    problem.params = surface.validate(problem.params, "problem.params")
    if problem.start is not None:
        problem.start = _pair(problem.start, "problem.start")


def _validate_dataset_problem(problem: Problem) -> None:
    checked = validate_dataset_problem(problem.dataset_problem())
    problem.data, problem.model = checked.data, checked.model
    problem.loss_params = checked.loss_params


def validate_run(run: Run, where: str) -> Run:
    """A checked copy of one run (defaults filled in); ConfigError names the field."""
    run = copy.deepcopy(run)
    _check_int(run.batch_size, f"{where}.batch_size", 0, 100_000_000)
    if not isinstance(run.name, str) or not run.name.strip():
        raise ConfigError(f"{where}.name", tr("a run needs a name"))
    spec = get_optimizer(run.optimizer, f"{where}.optimizer")
    run.hyper = spec.validate(run.hyper, f"{where}.hyper")
    run.schedule = validate_stages(run.schedule, f"{where}.schedule")
    run.clip = Clip(**validate_values(CLIP_PARAMS, asdict(run.clip), f"{where}.clip"))
    if run.lookahead is not None:
        run.lookahead = validate_values(LOOKAHEAD_PARAMS, run.lookahead, f"{where}.lookahead")
    if not isinstance(run.enabled, bool):  # "no" would count as on
        raise ConfigError(f"{where}.enabled", tr("expected true or false, got {value}", value=repr(run.enabled)))
    if run.color and not _is_color(run.color):
        raise ConfigError(f"{where}.color", tr("expected #rrggbb, got {value}", value=repr(run.color)))
    run.lr_factors = _lr_factors(run.lr_factors, spec, f"{where}.lr_factors")
    if run.switch is not None:
        _check_int(run.switch.at, f"{where}.switch.at", 1, 100_000_000)
        spec = get_optimizer(run.switch.optimizer, f"{where}.switch.optimizer")
        run.switch.hyper = spec.validate(run.switch.hyper, f"{where}.switch.hyper")
    return run


def _lr_factors(value: Any, spec, where: str) -> dict[str, float]:
    """{group: factor}: a group of LR_FACTOR_GROUPS, a factor a number in [0, LR_FACTOR_MAX]."""
    if not isinstance(value, dict):
        raise ConfigError(where, tr("expected a table like {{ bias = 0.1 }}, got {value}",
                                    value=repr(value)))
    out = {}
    for group, factor in value.items():
        if group not in LR_FACTOR_GROUPS:
            raise ConfigError(f"{where}.{group}" if isinstance(group, str) else where,
                              tr("unknown parameter group {group}: choose one of {choices}",
                                 group=repr(group), choices=", ".join(LR_FACTOR_GROUPS)))
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) \
                or not 0 <= factor <= LR_FACTOR_MAX:
            raise ConfigError(f"{where}.{group}", tr("expected a number in [0, {most}] (the group's lr "
                                                     "= the run's lr × it), got {value}",
                                                     most=f"{LR_FACTOR_MAX:g}", value=repr(factor)))
        out[group] = float(factor)
    if out and ":" in spec.name:
        raise ConfigError(where, tr("per-group learning rates are for the built-in optimizers"))
    if out and spec.needs_closure:
        raise ConfigError(where, tr("{optimizer} takes one parameter group (torch's LBFGS has "
                                    "no per-group options)", optimizer=tr(spec.title)))
    return out


def surface_of(problem: Problem):
    """The Surface a problem names: a built-in, or the user's formula."""
    from .surfaces import get_surface

    if problem.surface == "formula":
        from .expression import formula_surface

        extra = {"bounds": problem.bounds} if problem.bounds is not None else {}
        return formula_surface(problem.formula, **extra)
    return get_surface(problem.surface)


def _check_int(value: Any, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(name, tr("expected a whole number in [{low}, {high}], got {value}",
                                 low=low, high=high, value=repr(value)))


def _pair(value: Any, name: str) -> tuple[float, float]:
    try:
        if isinstance(value, (str, bytes)) or any(isinstance(v, bool) for v in value):
            raise TypeError  # "12" would unpack as 1, 2 and true as 1
        x, y = (float(v) for v in value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(name, tr("expected two numbers x, y, got {value}", value=repr(value))) from None
    if not all(abs(v) < 1e300 for v in (x, y)):
        raise ConfigError(name, tr("expected finite numbers, got {value}", value=repr(value)))
    return (x, y)


def _is_color(text: str) -> bool:
    return len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:])


# ---------------------------------------------------------------- TOML

def loads(text: str) -> Experiment:
    """Parse TOML text into an Experiment (structure only; call `validate` for values).

    Whatever the text holds, the only error is a ConfigError (limits: core/toml_file.py)."""
    if not isinstance(text, str):
        raise ConfigError("file", tr("expected TOML text, got {kind}", kind=type(text).__name__))
    return from_dict(parse_toml(text))


def load(path: str) -> Experiment:
    """Read and parse an experiment file; every failure is one ConfigError("file", ...).

    Only a regular file of at most MAX_FILE_BYTES is read: a FIFO, a device or a folder
    named .toml is refused before a byte is read (opening never blocks)."""
    return loads(decode(read_limited(path), path))


def from_dict(data: dict) -> Experiment:
    version = data.pop("format", FORMAT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError("format", tr("expected a whole number (this app writes {version}), "
                                       "got {value}", version=FORMAT_VERSION, value=repr(version)))
    if version > FORMAT_VERSION:
        raise ConfigError("format", tr("file format {version} is newer than this app reads "
                                       "({supported}); update optplayground",
                                       version=repr(version), supported=FORMAT_VERSION))
    data.pop("swarm", None)  # a preset's swarm view (core/swarm_preset.py): not the race's
    problem_data = data.pop("problem", {})
    problem = _build(Problem, problem_data, "problem")
    _refuse_the_other_kinds_keys(problem_data, problem.is_dataset)
    problem.params = _tuples(problem.params)
    runs_data = data.pop("runs", [])
    if not isinstance(runs_data, list):
        raise ConfigError("runs", tr("expected a list of [[runs]] tables"))
    runs = [_run_from_dict(r, f"runs[{i}]") for i, r in enumerate(runs_data)]
    exp = _build(Experiment, data, "")
    exp.problem, exp.runs = problem, runs
    return exp


SURFACE_KEYS = ("surface", "params", "formula", "start", "bounds")
DATASET_KEYS = ("data", "model", "loss", "loss_params")


def _refuse_the_other_kinds_keys(table: dict, is_dataset: bool) -> None:
    """A surface's key in a dataset problem (or the reverse) would be ignored without a
    word: `[problem.params] n_classes = 3` raced a 2-class spiral (it goes in [problem.data])."""
    wrong = SURFACE_KEYS if is_dataset else DATASET_KEYS
    for key in wrong:
        if key in table:
            raise ConfigError(f"problem.{key}", tr(
                "a dataset problem has no {key} (its settings are in data, model, loss and "
                "loss_params)", key=key) if is_dataset else tr(
                "a surface problem has no {key} (that is a dataset's; set dataset to race one)",
                key=key))


def _run_from_dict(data: Any, where: str) -> Run:
    if not isinstance(data, dict):
        raise ConfigError(where, tr("expected a table"))
    data = dict(data)
    clip = _build(Clip, data.pop("clip", {}), f"{where}.clip")
    switch = data.pop("switch", None)
    if switch is not None:
        if not isinstance(switch, dict) or "at" not in switch or "optimizer" not in switch:
            raise ConfigError(f"{where}.switch", tr("expected a table with at and optimizer"))
        switch = _build(Switch, switch, f"{where}.switch")
        switch.hyper = _tuples(switch.hyper)
    stages = data.pop("schedule", [])
    if isinstance(stages, dict):  # a single [runs.schedule] table
        stages = [stages]
    if not isinstance(stages, list):
        raise ConfigError(f"{where}.schedule", tr("expected a table or a list of tables"))
    schedule = [_stage_from_dict(s, f"{where}.schedule[{i}]") for i, s in enumerate(stages)]
    if "name" not in data:
        raise ConfigError(f"{where}.name", tr("missing"))
    run = _build(Run, data, where)
    run.clip, run.schedule, run.switch = clip, schedule, switch
    run.hyper = _tuples(run.hyper)
    return run


def _tuples(values: dict) -> dict:
    """TOML arrays come back as lists; the specs hold fixed-length values as tuples."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


def _stage_from_dict(data: Any, where: str) -> Stage:
    if not isinstance(data, dict) or not isinstance(data.get("name", "constant"), str):
        raise ConfigError(where, tr("expected a table with a name"))
    data = dict(data)
    return Stage(name=data.pop("name", "constant"), steps=data.pop("steps", None), params=_tuples(data))


def _build(cls, data: Any, where: str):
    """cls(**data) with unknown keys and wrong container types reported by name."""
    if not isinstance(data, dict):
        raise ConfigError(where, tr("expected a table"))
    known = {f.name: f for f in fields(cls)}
    prefix = f"{where}." if where else ""
    kwargs = {}
    for key, value in data.items():
        if key not in known or key in ("problem", "runs", "clip", "schedule", "switch",
                                       "allowed_imports"):
            names = ", ".join(k for k in known if k != "allowed_imports")
            raise ConfigError(prefix + key, tr("unknown key (known: {names})", names=names))
        expected = str(known[key].type)
        if expected.startswith("dict") and not isinstance(value, dict):
            raise ConfigError(prefix + key, tr("expected a table"))
        if expected.startswith("dict[str, Any] | None") and not isinstance(value, dict):
            raise ConfigError(prefix + key, tr("expected a table"))
        if expected in ("str",) and not isinstance(value, str):
            raise ConfigError(prefix + key, tr("expected text, got {value}", value=repr(value)))
        if key == "bounds" and value is not None:
            value = _box(value, prefix + key)
        if key == "start" and value is not None:
            value = _pair(value, prefix + key)
        kwargs[key] = value
    return cls(**kwargs)


def _box(value: Any, name: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """A view box ((xmin, xmax), (ymin, ymax)) with min < max on both axes."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ConfigError(name, tr("expected [[xmin, xmax], [ymin, ymax]], got {value}",
                                   value=repr(value)))
    box = (_pair(value[0], f"{name}[0]"), _pair(value[1], f"{name}[1]"))
    for i, (low, high) in enumerate(box):
        if not low < high:
            raise ConfigError(f"{name}[{i}]", tr("expected min < max, got {value}", value=list(box[i])))
    return box


def to_dict(exp: Experiment) -> dict:
    """The TOML structure; empty/default pieces are left out so files stay short."""
    out: dict[str, Any] = {"format": FORMAT_VERSION, "name": exp.name}
    if exp.description:
        out["description"] = exp.description
    out.update(steps=exp.steps, seed=exp.seed, device=exp.device, history_cap=exp.history_cap)
    p = exp.problem
    if p.is_dataset:
        problem: dict[str, Any] = {"dataset": p.dataset}
        if p.loss:
            problem["loss"] = p.loss
        problem.update(data=dict(p.data), model=dict(p.model), loss_params=dict(p.loss_params))
    else:
        problem = {"surface": p.surface}
        if p.formula:
            problem["formula"] = p.formula
        if p.start is not None:
            problem["start"] = list(p.start)
        if p.bounds is not None:
            problem["bounds"] = [list(b) for b in p.bounds]
        problem["params"] = dict(p.params)
    out["problem"] = problem
    out["runs"] = [_run_to_dict(r) for r in exp.runs]
    return out


def _run_to_dict(run: Run) -> dict:
    out: dict[str, Any] = {"name": run.name, "optimizer": run.optimizer}
    if run.color:
        out["color"] = run.color
    if not run.enabled:
        out["enabled"] = False
    if run.batch_size:
        out["batch_size"] = run.batch_size
    if run.lr_factors:
        out["lr_factors"] = dict(run.lr_factors)
    out["hyper"] = dict(run.hyper)
    if run.clip != Clip():
        out["clip"] = asdict(run.clip)
    if run.lookahead is not None:
        out["lookahead"] = dict(run.lookahead)
    if run.switch is not None:
        out["switch"] = {"at": run.switch.at, "optimizer": run.switch.optimizer,
                         "hyper": dict(run.switch.hyper)}
    if run.schedule:
        out["schedule"] = [{"name": s.name, **({"steps": s.steps} if s.steps is not None else {}),
                            **s.params} for s in run.schedule]
    return out


def dumps(exp: Experiment) -> str:
    return to_toml(to_dict(exp))


def save(exp: Experiment, path: str) -> None:
    from .atomic import write_text_atomic

    write_text_atomic(path, dumps(exp))


def default_experiment() -> Experiment:
    """What the app greets a person with: four optimizers that behave visibly differently
    racing down the Rosenbrock valley from (-1.5, 2)."""
    return Experiment(
        name="Rosenbrock race",
        description="Four optimizers race down the curved Rosenbrock valley to its minimum at (1, 1).",
        problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
        runs=[
            Run("Momentum", "momentum", {"lr": 0.001, "momentum": 0.9}),
            Run("Adam", "adam", {"lr": 0.02}),
            Run("RMSprop", "rmsprop", {"lr": 0.01}),
            Run("Ranger", "ranger", {"lr": 0.01}),
        ],
        steps=1000,
    )
