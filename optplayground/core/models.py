"""Tiny models for the small datasets, and the losses they train with.

A model is an `nn.Sequential`: a `Features` module that adds TF Playground's extra inputs
(x², y², xy, sin x, sin y), then Linear [BatchNorm1d] activation [Dropout] blocks, then the
output layer.
It is built in float64 from a seed with torch's own initialisation, without touching the
global RNG, so every run of a race starts from the same weights.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import torch
from torch import Tensor, nn

from .datasets import Dataset
from .losses import LOSSES, LossSpec, get_loss
from .params import ConfigError, Param, validate_values
from .i18n import tr

__all__ = ["MODEL_PARAMS", "FEATURES", "Features", "validate_model", "build_model",
           "two_parameters", "LossSpec", "LOSSES", "get_loss", "default_loss", "default_loss_for",
           "loss_task_error",
           "validate_loss_params", "output_dim", "make_criterion"]

MAX_LAYERS = 6
MAX_WIDTH = 512
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}

MODEL_PARAMS = (
    Param("kind", "mlp", "choice", choices=("linear", "mlp"),
          help="linear: one affine layer; mlp: hidden layers with activations"),
    Param("hidden", "8,8", "str",
          help=f"neurons per hidden layer, e.g. 16,16 (at most {MAX_LAYERS} layers of "
               f"{MAX_WIDTH}); mlp only"),
    Param("activation", "tanh", "choice", choices=tuple(ACTIVATIONS),
          help="the nonlinearity after each hidden layer"),
    Param("batchnorm", False, "bool",
          help="BatchNorm1d after each hidden layer's linear map, before the activation"),
    Param("features", "", "str",
          help="extra inputs, comma separated: x2, y2, xy, sinx, siny"),
    Param("dropout", 0.0, low=0.0, high=1.0, high_open=True,
          help="while training, zero each hidden unit with this probability (nn.Dropout after "
               "each hidden layer's activation; evaluation turns it off); mlp only"),
)

# name -> (label, how it is computed from the inputs' columns x = u[:, 0], y = u[:, 1])
FEATURES: dict[str, tuple[str, Callable[[Tensor], Tensor]]] = {
    "x2": ("x²", lambda u: u[:, 0] ** 2),
    "y2": ("y²", lambda u: u[:, 1] ** 2),
    "xy": ("x·y", lambda u: u[:, 0] * u[:, 1]),
    "sinx": ("sin x", lambda u: torch.sin(u[:, 0])),
    "siny": ("sin y", lambda u: torch.sin(u[:, 1])),
}


class Features(nn.Module):
    """The raw inputs followed by the named extra features, as columns."""

    def __init__(self, names: tuple[str, ...] = ()):
        super().__init__()
        self.names = tuple(names)

    def forward(self, inputs: Tensor) -> Tensor:
        if not self.names:
            return inputs
        extra = [FEATURES[name][1](inputs)[:, None] for name in self.names]
        return torch.cat([inputs, *extra], dim=1)

    def extra_repr(self) -> str:
        return ", ".join(self.names)


# --- validation ----------------------------------------------------------------------------

def parse_hidden(text: str, field: str = "hidden") -> tuple[int, ...]:
    """"16, 16" -> (16, 16); ConfigError(field) unless 0..MAX_LAYERS widths in 1..MAX_WIDTH."""
    tokens = text.replace(",", " ").split()
    if not all(t.isdecimal() for t in tokens):
        raise ConfigError(field, tr("expected widths separated by commas, e.g. 16,16; got {text}",
                                    text=repr(text)))
    widths = tuple(int(t) for t in tokens)
    if len(widths) > MAX_LAYERS:
        raise ConfigError(field, tr("at most {most} hidden layers, got {count}", most=MAX_LAYERS,
                                    count=len(widths)))
    if any(not 1 <= w <= MAX_WIDTH for w in widths):
        raise ConfigError(field, tr("each width must be in [1, {most}], got {text}", most=MAX_WIDTH,
                                    text=repr(text)))
    return widths


def parse_features(text: str, input_dim: int = 2, field: str = "features") -> tuple[str, ...]:
    """"x², sin(x)" -> ("x2", "sinx"); unknown, repeated or y-features on 1-D data raise."""
    names = []
    for token in text.split(","):
        name = (token.strip().lower().replace(" ", "").replace("^", "").replace("²", "2")
                .replace("*", "").replace("·", "").replace("(", "").replace(")", ""))
        if not name:
            continue
        if name not in FEATURES:
            raise ConfigError(field, tr("unknown feature {name} (known: {known})",
                                        name=repr(token.strip()), known=", ".join(FEATURES)))
        if name in names:
            raise ConfigError(field, tr("feature {name} is listed twice", name=repr(name)))
        if "y" in name and input_dim < 2:
            raise ConfigError(field, tr("feature {name} needs a second input; this dataset has one",
                                        name=repr(name)))
        names.append(name)
    return tuple(names)


def validate_model(values: Mapping[str, Any], input_dim: int = 2,
                   where: str = "") -> dict[str, Any]:
    """MODEL_PARAMS values, defaults filled in; `hidden` and `features` in canonical spelling."""
    prefix = f"{where}." if where else ""
    out = validate_values(MODEL_PARAMS, values, where)
    hidden = parse_hidden(out["hidden"], prefix + "hidden")
    if out["kind"] == "mlp" and not hidden:
        raise ConfigError(prefix + "hidden", tr("an mlp needs at least one hidden layer, e.g. 8,8 "
                                                "(or choose kind linear)"))
    if out["kind"] != "mlp" and out["dropout"] > 0:
        raise ConfigError(prefix + "dropout", tr("dropout acts on hidden layers: choose kind mlp "
                                                 "(or dropout 0)"))
    out["hidden"] = ",".join(map(str, hidden))
    out["features"] = ",".join(parse_features(out["features"], input_dim, prefix + "features"))
    return out


# --- building ------------------------------------------------------------------------------

def build_model(model_params: Mapping[str, Any], dataset: Dataset, seed: int,
                loss: str = "") -> nn.Sequential:
    """The model `model_params` describe for `dataset`, float64 on the CPU, initialised by
    torch's defaults from `seed` (the global RNG is left as it was). `loss` ("" = the
    dataset's default) decides the output width: see `output_dim`."""
    p = validate_model(model_params, dataset.input_dim)
    features = parse_features(p["features"], dataset.input_dim)
    width = dataset.input_dim + len(features)
    hidden = parse_hidden(p["hidden"]) if p["kind"] == "mlp" else ()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers: list[nn.Module] = [Features(features)]
        for size in hidden:
            layers.append(nn.Linear(width, size, dtype=torch.float64))
            if p["batchnorm"]:
                layers.append(nn.BatchNorm1d(size, dtype=torch.float64))
            layers.append(ACTIVATIONS[p["activation"]]())
            if p["dropout"] > 0:
                layers.append(nn.Dropout(p["dropout"]))
            width = size
        layers.append(nn.Linear(width, output_dim(dataset, loss or default_loss(dataset)),
                                dtype=torch.float64))
    return nn.Sequential(*layers)


def two_parameters(model: nn.Module) -> tuple[Tensor, Tensor] | None:
    """(w, b) when the model has exactly two scalar parameters (a line fit), else None."""
    params = list(model.parameters())
    if len(params) == 2 and all(p.numel() == 1 for p in params):
        return params[0], params[1]
    return None


# --- losses (their specs: losses.py) -------------------------------------------------------

def default_loss(dataset: Dataset) -> str:
    """mse for regression, bce_with_logits for two classes, cross_entropy for more."""
    return default_loss_for(dataset.task, dataset.n_classes)


def default_loss_for(task: str, n_classes: int) -> str:
    if task == "regression":
        return "mse"
    return "bce_with_logits" if n_classes == 2 else "cross_entropy"


def loss_task_error(name: str, task: str, n_classes: int) -> str | None:
    """Why loss `name` cannot train a `task` dataset with n_classes classes, or None."""
    spec = get_loss(name)
    if spec.task != task:
        fits = ", ".join(n for n, s in LOSSES.items() if s.task == task)
        return f"{name} is a {spec.task} loss but the dataset is {task}: choose {fits}"
    if name in ("bce_with_logits", "bce") and n_classes != 2:
        return f"{name} needs two classes, the dataset has {n_classes}: use cross_entropy or nll"
    return None


def validate_loss_params(name: str, values: Mapping[str, Any], n_classes: int,
                         where: str = "") -> dict[str, Any]:
    if name == "cross_entropy":
        values = _weights_as_text(values)
    out = get_loss(name).validate(values, where)
    if name == "cross_entropy":
        prefix = f"{where}." if where else ""
        weights = _class_weights(out["class_weights"], n_classes, prefix + "class_weights")
        out["class_weights"] = ",".join(map(repr, weights)) if weights else ""
    return out


def _weights_as_text(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """A TOML list of numbers, class_weights = [1.0, 2.0], means the same as "1,2"."""
    weights = values.get("class_weights") if isinstance(values, Mapping) else None
    if isinstance(weights, (list, tuple)):
        return {**values, "class_weights": ",".join(map(str, weights))}
    return values


def _class_weights(text: str, n_classes: int, field: str) -> tuple[float, ...]:
    if not text.strip():
        return ()
    param = Param(field, (1.0,) * n_classes, "floats", low=0.0, low_open=True)
    return param.coerce(text)


def output_dim(dataset: Dataset, loss: str) -> int:
    """1 for regression and the binary losses, one logit per class for cross_entropy and nll."""
    return dataset.n_classes if loss in ("cross_entropy", "nll") else 1


Criterion = Callable[[Tensor, Tensor], Tensor]


def make_criterion(name: str, params: Mapping[str, Any], dataset: Dataset,
                   device=None, dtype: torch.dtype = torch.float64) -> Criterion:
    """loss(output, target) -> the mean loss, with the output as the model returns it."""
    p = validate_loss_params(name, params, dataset.n_classes)
    if name == "cross_entropy":
        weights = _class_weights(p["class_weights"], dataset.n_classes, "class_weights")
        weight = torch.tensor(weights, dtype=dtype, device=device) if weights else None
        return nn.CrossEntropyLoss(weight=weight, label_smoothing=p["label_smoothing"])
    if name == "bce_with_logits":
        pos = p["pos_weight"]
        weight = None if pos is None else torch.tensor([pos], dtype=dtype, device=device)
        module = nn.BCEWithLogitsLoss(pos_weight=weight)
        return lambda output, target: module(output.squeeze(-1), target.to(output.dtype))
    if name == "bce":  # the sigmoid made explicit: the model's output stays a logit
        module = nn.BCELoss()
        return lambda output, target: module(torch.sigmoid(output.squeeze(-1)),
                                             target.to(output.dtype))
    if name == "nll":  # the log-softmax made explicit
        module = nn.NLLLoss()
        return lambda output, target: module(torch.log_softmax(output, dim=-1), target)
    regression = {"mse": nn.MSELoss, "l1": nn.L1Loss,
                  "huber": lambda: nn.HuberLoss(delta=p["delta"]),
                  "smooth_l1": lambda: nn.SmoothL1Loss(beta=p["beta"])}
    module = regression[name]()
    return lambda output, target: module(output.squeeze(-1), target)
