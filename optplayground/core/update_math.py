"""One update's rule with every term filled in: the numbers behind the step-through panel
and the map's internals (the first moment, the per-coordinate effective step, RAdam's phase).

Everything here is read from an `Internals` (core/internals.py): torch's state after the
update and the hyperparameters it used; the derived terms (m̂, v̂, the denominator, the step)
are recomputed from them the way torch's `_single_tensor_*` functions compute them. The
rendering is HTML a QLabel shows (sub- and superscripts); no Qt here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from .i18n import tr
from .internals import Internals

Pair = tuple[float, float]
ADAM_LIKE = ("adam", "adamw", "amsgrad", "nadam", "radam")
RECTIFIED = ("radam", "ranger")
DECOUPLED = ("adamw", "ranger")  # always decay the weights directly (θ ← θ − lr·λθ)
# m̂ and v̂ drawn as the letter with a bar over it: Qt's rich text misplaces a combining circumflex (U+0302),
# drawing it detached or on the next row's digits
M_HAT = "<span style='text-decoration:overline'>m</span>"
V_HAT = "<span style='text-decoration:overline'>v</span>"


@dataclass(frozen=True)
class Term:
    """One line of the rule: `symbol = formula = value` (a pair or a number)."""

    symbol: str  # HTML
    formula: str  # HTML, the rule's right-hand side ("" for a given value)
    value: Pair | float | str


def first_moment(s: Internals) -> Pair | None:
    """The momentum buffer or first moment after the update, if the optimizer keeps one."""
    for key in ("momentum_buffer", "exp_avg"):
        value = s.state.get(key)
        if isinstance(value, tuple):
            return value
    return None


def bias_corrected(s: Internals) -> tuple[Pair, Pair, Pair] | None:
    """Adam's (m̂, v̂, √v̂ + ε) after the update (v̂ of v_max with AMSGrad)."""
    if s.optimizer not in ADAM_LIKE or "exp_avg_sq" not in s.state:
        return None
    beta1, beta2 = s.hyper.get("betas", (0.9, 0.999))
    t, eps = s.state["step"], s.hyper.get("eps", 1e-8)
    m = s.state["exp_avg"]
    v = s.state.get("max_exp_avg_sq", s.state["exp_avg_sq"])
    m_hat = _map(lambda a: a / (1 - beta1 ** t), m)
    v_hat = _map(lambda a: a / (1 - beta2 ** t), v)
    return m_hat, v_hat, _map(lambda a: math.sqrt(a) + eps, v_hat)


def weight_decay(s: Internals) -> tuple[float, bool]:
    """(λ, decoupled): λθ added to g (coupled, torch's default) or lr·λθ taken off θ first."""
    decay = float(s.hyper.get("weight_decay", 0.0) or 0.0)
    return decay, s.optimizer in DECOUPLED or bool(s.hyper.get("decoupled_weight_decay"))


def rule_gradient(s: Internals) -> Pair:
    """The g the rule uses: the (clipped) gradient, plus λθ with coupled weight decay."""
    decay, decoupled = weight_decay(s)
    if not decay or decoupled:
        return s.clipped
    return s.clipped[0] + decay * s.before[0], s.clipped[1] + decay * s.before[1]


def adagrad_lr(s: Internals) -> float:
    """Adagrad's decayed learning rate at its step t: lr / (1 + (t−1)·lr_decay), as torch's."""
    t = s.state.get("step", s.step)
    return s.lr / (1 + (t - 1) * s.hyper.get("lr_decay", 0.0))


def effective_step(s: Internals) -> Pair | None:
    """The per-coordinate step size an adaptive method used: lr/(√v̂ + ε) for Adam's family
    (lr/(√v + ε) for RMSprop, lrₜ/(√s + ε) for Adagrad, Ranger's rectified size); None for
    the others. `effective_label` says which."""
    eps = s.hyper.get("eps", 1e-8)
    if s.optimizer == "radam" and not radam_rectified(s):
        return None  # a momentum step: no per-coordinate scaling yet
    corrected = bias_corrected(s)
    if corrected is not None:
        return _map(lambda d: s.lr / d, corrected[2])
    if s.optimizer == "ranger" and isinstance(s.state.get("exp_avg_sq"), tuple):
        n_sma, size = _ranger_rectification(s)
        if n_sma <= s.hyper.get("n_sma_threshold", 5):
            return None
        return _map(lambda a: s.lr * size / (math.sqrt(a) + s.hyper.get("eps", 1e-5)),
                    s.state["exp_avg_sq"])
    if s.optimizer == "rmsprop" and isinstance(s.state.get("square_avg"), tuple):
        return _map(lambda a: s.lr / (math.sqrt(a) + eps), s.state["square_avg"])
    if s.optimizer == "adagrad" and isinstance(s.state.get("sum"), tuple):
        return _map(lambda a: adagrad_lr(s) / (math.sqrt(a) + eps), s.state["sum"])
    return None


def effective_label(s: Internals) -> str:
    """What `effective_step(s)` is, as HTML (the map's key)."""
    if s.optimizer == "ranger":
        return ("lr·r·√(1−β<sub>2</sub><sup>t</sup>)/(1−β<sub>1</sub><sup>t</sup>) / (√v + ε)")
    if s.optimizer == "rmsprop":
        return "lr / (√v + ε)"
    if s.optimizer == "adagrad":
        return "lr<sub>t</sub> / (√s + ε)"
    return f"lr / (√{V_HAT} + ε)"


def rectifier_step(beta2: float, threshold: float = 5.0, limit: int = 100_000) -> int | None:
    """The first step at which RAdam's rectifier is on: ρₜ > threshold (torch's RAdam: 5;
    Ranger: its n_sma_threshold). None if it never turns on within `limit` steps."""
    rho_inf = 2 / (1 - beta2) - 1
    for t in range(1, limit + 1):
        if _rho(t, beta2, rho_inf) > threshold:
            return t
    return None


def radam_rectified(s: Internals) -> bool:
    beta2 = s.hyper.get("betas", (0.9, 0.999))[1]
    threshold = s.hyper.get("n_sma_threshold", 5)
    return _rho(int(s.state.get("step", s.step)), beta2, 2 / (1 - beta2) - 1) > threshold


def terms(s: Internals) -> list[Term]:
    """The update's rule, term by term, with the numbers of this step."""
    out = [Term("t", "", float(s.step)), Term("g", "∇f(θ<sub>t−1</sub>)", s.grad)]
    if s.clipped != s.grad:
        out.append(Term("g", "clip(g)", s.clipped))
    decay, decoupled = weight_decay(s)
    if decay and not decoupled:
        out.append(Term("g", f"g + λθ<sub>t−1</sub> &nbsp;(λ={decay:g})", rule_gradient(s)))
    out += _FAMILY.get(_family(s.optimizer), _generic)(s)
    delta = "θ<sub>t</sub> − θ<sub>t−1</sub>"
    if decay and decoupled:  # torch shrinks θ before the step
        out.append(Term(tr("decay"), f"lr·λθ<sub>t−1</sub> &nbsp;(λ={decay:g})",
                        _map(lambda a: s.lr * decay * a, s.before)))
        if out[-2].symbol != tr("sync"):  # (a Lookahead sync moves θ too)
            delta = tr("−(decay + step)") + " = " + delta
    out.append(Term("Δθ", delta, s.update))
    out.append(Term("θ<sub>t</sub>", "", s.after))
    return out


def to_html(s: Internals, digits: int = 4) -> str:
    """`terms` as an HTML table: each term's symbol and rule, its numbers on the line below
    (a narrow panel shows it without scrolling sideways)."""
    rows = []
    for t in terms(s):
        number = f"<b>{escape(_number(t.value, digits))}</b>"
        if t.formula:
            rows.append(f"<tr><td align='right'><i>{t.symbol}</i></td><td>=</td>"
                        f"<td>{t.formula}</td></tr>"
                        f"<tr><td></td><td>=</td><td>{number}</td></tr>")
        else:
            rows.append(f"<tr><td align='right'><i>{t.symbol}</i></td><td>=</td><td>{number}</td></tr>")
    return f"<table cellspacing='3'>{''.join(rows)}</table>"


# ---------------------------------------------------------------- the families

def _sgd(s: Internals) -> list[Term]:
    mu, lr, g = s.hyper.get("momentum", 0.0), s.lr, rule_gradient(s)
    b = s.state.get("momentum_buffer")
    if not isinstance(b, tuple):
        return [Term(tr("step"), "lr·g", _map(lambda a: lr * a, g))]
    tau = s.hyper.get("dampening", 0.0)
    out = [Term("b", f"μb + (1−τ)g &nbsp;(μ={mu:g}, τ={tau:g})", b)]
    if s.hyper.get("nesterov") or s.optimizer == "nesterov":
        out.append(Term("g", "g + μb", (g[0] + mu * b[0], g[1] + mu * b[1])))
        return out + [Term(tr("step"), "lr·g", (lr * (g[0] + mu * b[0]), lr * (g[1] + mu * b[1])))]
    return out + [Term(tr("step"), f"lr·b &nbsp;(lr={lr:g})", _map(lambda a: lr * a, b))]


def _adam(s: Internals) -> list[Term]:
    beta1, beta2 = s.hyper.get("betas", (0.9, 0.999))
    t = s.state.get("step", s.step)
    out = [Term("m", f"β<sub>1</sub>m + (1−β<sub>1</sub>)g &nbsp;(β<sub>1</sub>={beta1:g})",
                s.state["exp_avg"]),
           Term("v", f"β<sub>2</sub>v + (1−β<sub>2</sub>)g<sup>2</sup> &nbsp;(β<sub>2</sub>={beta2:g})",
                s.state["exp_avg_sq"])]
    if "max_exp_avg_sq" in s.state:
        out.append(Term("v<sub>max</sub>", "max(v<sub>max</sub>, v)", s.state["max_exp_avg_sq"]))
    m_hat, v_hat, denom = bias_corrected(s)
    out.append(Term(M_HAT, f"m / (1−β<sub>1</sub><sup>{t:g}</sup>)", m_hat))
    if s.optimizer == "radam":
        return out + _radam_tail(s, m_hat)
    v = "v<sub>max</sub>" if "max_exp_avg_sq" in s.state else "v"
    out.append(Term(V_HAT, f"{v} / (1−β<sub>2</sub><sup>{t:g}</sup>)", v_hat))
    out.append(Term(f"√{V_HAT} + ε", f"(ε={s.hyper.get('eps', 1e-8):g})", denom))
    out.append(Term("η", f"lr / (√{V_HAT} + ε)", effective_step(s)))
    if s.optimizer == "nadam":
        rest = _map(lambda u: -u, s.update)
        decay, decoupled = weight_decay(s)
        if decay and decoupled:
            rest = (rest[0] - s.lr * decay * s.before[0], rest[1] - s.lr * decay * s.before[1])
        return out + [Term(tr("step"), tr("lr·(μ-weighted {m_hat} and g) / (√{v_hat} + ε)",
                                          m_hat=M_HAT, v_hat=V_HAT), rest)]
    return out + [Term(tr("step"), f"lr·{M_HAT} / (√{V_HAT} + ε) &nbsp;(lr={s.lr:g})",
                       (s.lr * m_hat[0] / denom[0], s.lr * m_hat[1] / denom[1]))]


def _radam_tail(s: Internals, m_hat: Pair) -> list[Term]:
    beta2 = s.hyper.get("betas", (0.9, 0.999))[1]
    t = int(s.state.get("step", s.step))
    rho_inf = 2 / (1 - beta2) - 1
    rho = _rho(t, beta2, rho_inf)
    out = [Term("ρ<sub>t</sub>", "ρ<sub>∞</sub> − 2tβ<sub>2</sub><sup>t</sup>/(1−β<sub>2</sub><sup>t</sup>)",
                rho)]
    if rho <= 5:
        out.append(Term(tr("phase"), "ρ<sub>t</sub> ≤ 5", tr("momentum step (rectifier off)")))
        return out + [Term(tr("step"), f"lr·{M_HAT}", _map(lambda a: s.lr * a, m_hat))]
    r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    v = s.state["exp_avg_sq"]
    bc2 = math.sqrt(1 - beta2 ** t)
    denom = _map(lambda a: (math.sqrt(a) + s.hyper.get("eps", 1e-8)) / bc2, v)  # as torch
    out += [Term(tr("phase"), "ρ<sub>t</sub> > 5", tr("rectified (adaptive)")),
            Term("r", "√( (ρ<sub>t</sub>−4)(ρ<sub>t</sub>−2)ρ<sub>∞</sub> / "
                      "(ρ<sub>∞</sub>−4)(ρ<sub>∞</sub>−2)ρ<sub>t</sub> )", r),
            Term("d", "(√v + ε) / √(1−β<sub>2</sub><sup>t</sup>)", denom),
            Term(tr("step"), f"lr·r·{M_HAT} / d",
                 (s.lr * r * m_hat[0] / denom[0], s.lr * r * m_hat[1] / denom[1]))]
    return out


def _rmsprop(s: Internals) -> list[Term]:
    alpha = s.hyper.get("alpha", 0.99)
    out = [Term("v", f"αv + (1−α)g<sup>2</sup> &nbsp;(α={alpha:g})", s.state["square_avg"])]
    if isinstance(s.state.get("grad_avg"), tuple):
        out.append(Term("ḡ", "αḡ + (1−α)g", s.state["grad_avg"]))
    if isinstance(s.state.get("momentum_buffer"), tuple):
        out.append(Term("b", "μb + g/(√ṽ + ε)", s.state["momentum_buffer"]))
    eff = effective_step(s)
    if eff is not None and "grad_avg" not in s.state:
        out.append(Term("η", "lr / (√v + ε)", eff))
    b = s.state.get("momentum_buffer")
    if isinstance(b, tuple):
        return out + [Term(tr("step"), f"lr·b &nbsp;(lr={s.lr:g})", _map(lambda a: s.lr * a, b))]
    eps, g, v = s.hyper.get("eps", 1e-8), rule_gradient(s), s.state["square_avg"]
    mean = s.state.get("grad_avg")
    tilde = [v[i] - mean[i] ** 2 for i in (0, 1)] if isinstance(mean, tuple) else v
    root = "√(v − ḡ<sup>2</sup>)" if isinstance(mean, tuple) else "√v"
    return out + [Term(tr("step"), f"lr·g / ({root} + ε)",
                       tuple(s.lr * g[i] / (math.sqrt(tilde[i]) + eps) for i in (0, 1)))]


def _adagrad(s: Internals) -> list[Term]:
    t, decay = s.state.get("step", s.step), s.hyper.get("lr_decay", 0.0)
    out = [Term("s", "s + g<sup>2</sup>", s.state["sum"]),
           Term("lr<sub>t</sub>", f"lr / (1 + (t−1)·lr_decay) &nbsp;(lr={s.lr:g}, "
                                  f"lr_decay={decay:g}, t={t:g})", adagrad_lr(s))]
    eff, g = effective_step(s), rule_gradient(s)
    out.append(Term("η", "lr<sub>t</sub> / (√s + ε)", eff))
    return out + [Term(tr("step"), "η·g", (eff[0] * g[0], eff[1] * g[1]))]


def _ranger(s: Internals) -> list[Term]:
    """Ranger (core/ranger.py): RAdam's rectified step, then Lookahead every k steps."""
    beta1, beta2 = s.hyper.get("betas", (0.95, 0.999))
    m, v = s.state["exp_avg"], s.state["exp_avg_sq"]
    n_sma, size = _ranger_rectification(s)
    threshold, eps = s.hyper.get("n_sma_threshold", 5), s.hyper.get("eps", 1e-5)
    out = [Term("m", f"β<sub>1</sub>m + (1−β<sub>1</sub>)g &nbsp;(β<sub>1</sub>={beta1:g})", m),
           Term("v", f"β<sub>2</sub>v + (1−β<sub>2</sub>)g<sup>2</sup> &nbsp;(β<sub>2</sub>={beta2:g})", v),
           Term("N<sub>t</sub>", "N<sub>∞</sub> − 2tβ<sub>2</sub><sup>t</sup>/(1−β<sub>2</sub><sup>t</sup>)", n_sma)]
    if n_sma > threshold:
        out += [Term(tr("phase"), f"N<sub>t</sub> > {threshold:g}", tr("rectified (adaptive)")),
                Term("s", "r·√(1−β<sub>2</sub><sup>t</sup>)/(1−β<sub>1</sub><sup>t</sup>)", size),
                Term("η", "lr·s / (√v + ε)", effective_step(s)),
                Term(tr("step"), "lr·s·m / (√v + ε)",
                     (s.lr * size * m[0] / (math.sqrt(v[0]) + eps),
                      s.lr * size * m[1] / (math.sqrt(v[1]) + eps)))]
    else:
        out += [Term(tr("phase"), f"N<sub>t</sub> ≤ {threshold:g}", tr("momentum step (rectifier off)")),
                Term(tr("step"), "lr·m / (1−β<sub>1</sub><sup>t</sup>)", _map(lambda a: s.lr * size * a, m))]
    k = s.hyper.get("k")
    if k and int(s.state.get("step", s.step)) % int(k) == 0:
        out.append(Term(tr("sync"), "φ ← φ + α(θ − φ), θ ← φ " + tr("(every {k})", k=k),
                        s.state["slow_buffer"]))
    return out


def _ranger_rectification(s: Internals) -> tuple[float, float]:
    from .ranger import rectification

    beta1, beta2 = s.hyper.get("betas", (0.95, 0.999))
    return rectification(int(s.state.get("step", s.step)), beta1, beta2,
                         s.hyper.get("n_sma_threshold", 5))


def _generic(s: Internals) -> list[Term]:
    """Any other optimizer: its state as torch keeps it."""
    return [Term(escape(key), "", value) for key, value in s.state.items() if key != "step"] \
        + [Term(tr("step"), "θ<sub>t−1</sub> − θ<sub>t</sub>", _map(lambda u: -u, s.update))]


_FAMILY = {"sgd": _sgd, "adam": _adam, "rmsprop": _rmsprop, "adagrad": _adagrad,
           "ranger": _ranger}


def _family(name: str) -> str:
    if name in ("sgd", "momentum", "nesterov"):
        return "sgd"
    return "adam" if name in ADAM_LIKE else name


# ---------------------------------------------------------------- helpers

def _rho(t: int, beta2: float, rho_inf: float) -> float:
    beta2_t = beta2 ** t
    return rho_inf - 2 * t * beta2_t / (1 - beta2_t)


def _map(f, pair: Pair) -> Pair:
    return f(pair[0]), f(pair[1])


def _number(value, digits: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:.{digits}g}" for v in value) + ")"
    return f"{value:.{digits}g}"
