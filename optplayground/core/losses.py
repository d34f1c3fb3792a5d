"""The losses a dataset race can train with: names, parameters and formulas (no torch here:
`optplayground list losses` reads them; models.make_criterion builds them)."""
from __future__ import annotations

from dataclasses import dataclass

from .params import ConfigError, Param, Spec
from .i18n import tr

__all__ = ["LossSpec", "LOSSES", "get_loss"]


@dataclass(frozen=True)
class LossSpec(Spec):
    """A loss by name; `task` says which datasets it fits."""

    task: str = "regression"


_LOSSES = (
    LossSpec("mse", "Mean squared error", help="Mean of squared errors.",
             formula="L = mean((ŷ − y)²)"),
    LossSpec("l1", "Mean absolute error", help="Mean of absolute errors: robust to outliers.",
             formula="L = mean(|ŷ − y|)"),
    LossSpec("huber", "Huber", help="Squared near zero, absolute beyond delta.",
             params=(Param("delta", 1.0, low=0.0, low_open=True, log=True,
                           help="where the loss turns from squared to linear"),),
             formula="L = mean(½e² if |e| ≤ δ else δ(|e| − ½δ)),  e = ŷ − y"),
    # Huber divided by its delta: the two agree only at delta = beta = 1.
    LossSpec("smooth_l1", "Smooth L1", help="Squared near zero (scaled by 1/beta), absolute "
                                            "beyond beta.",
             params=(Param("beta", 1.0, low=0.0, low_open=True, log=True,
                           help="where the loss turns from squared to linear"),),
             formula="L = mean(½e²/β if |e| < β else |e| − ½β),  e = ŷ − y"),
    LossSpec("cross_entropy", "Cross-entropy", task="classification",
             help="Softmax cross-entropy over one output per class.",
             params=(Param("label_smoothing", 0.0, low=0.0, high=1.0,
                           help="mix this much of the uniform distribution into the targets"),
                     Param("class_weights", "", "str",
                           help="one positive weight per class, e.g. 1,2 or [1, 2] "
                                "(empty: all 1)")),
             formula="L = Σᵢ −wᵧᵢ Σ_c qᵢc log softmax(ŷᵢ)_c / Σᵢ wᵧᵢ,  "
                     "q = (1−ε)·onehot(y) + ε/C"),
    LossSpec("bce_with_logits", "Binary cross-entropy", task="classification",
             help="Sigmoid cross-entropy on a single output (two classes).",
             params=(Param("pos_weight", None, low=0.0, low_open=True, log=True, optional=True,
                           help="weight of class 1 examples (empty: 1)"),),
             formula="L = mean(−p·y·log σ(ŷ) − (1−y)·log(1−σ(ŷ)))"),
    # The two below take the model's logits through an explicit activation first, as the
    # tutorials write them: nn.BCELoss(torch.sigmoid(ŷ), y), nn.NLLLoss(log_softmax(ŷ), y).
    LossSpec("bce", "Binary cross-entropy on probabilities (BCELoss)", task="classification",
             help="Sigmoid first, then torch's BCELoss on the probability: the same loss as "
                  "bce_with_logits in exact arithmetic, but log(p) is clamped at −100, so a "
                  "very confident wrong answer stops teaching (the reason BCEWithLogits exists).",
             formula="p = σ(ŷ),  L = mean(−y·log p − (1−y)·log(1−p)),  log clamped ≥ −100"),
    LossSpec("nll", "Negative log-likelihood (NLLLoss)", task="classification",
             help="LogSoftmax first, then torch's NLLLoss: picks minus the log-probability of "
                  "the true class. Together they are cross_entropy, written out in two steps.",
             formula="log pᵢ = log_softmax(ŷᵢ),  L = −mean(log pᵢ[yᵢ])"),
)
LOSSES: dict[str, LossSpec] = {spec.name: spec for spec in _LOSSES}


def get_loss(name: str, where: str = "problem.loss") -> LossSpec:
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ConfigError(where, tr("unknown loss {name} (known: {known})", name=repr(name), known=", ".join(LOSSES))) from None
