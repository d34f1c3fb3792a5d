"""Loss against step, one curve per run, with optional smoothing and a log scale.

Smoothing is the debiased exponential moving average TensorBoard and Adam use:
s_t = w·s_{t−1} + (1−w)·x_t from s_0 = 0, shown as s_t / (1 − w^t). It is computed
incrementally (only rows new since the last frame) and vectorized, so a million-step
curve costs nothing per frame.

A log scale needs positive values. While every loss seen is positive the curve is the
loss itself; once some run reaches zero or below (Styblinski–Tang, the saddles) the plot
shows loss − lowest loss seen over all runs, and its axis label says so.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from ..live import LiveRuns, RunStyle
from ...core.i18n import tr
from .base import RunCurvesPlot, run_curve
from .envelope import Growable

# Vectorized EMA blocks are sized so that w^-k stays below 10**BLOCK_DECADES (no overflow).
BLOCK_DECADES = 50
MAX_WEIGHT = 0.9999


def ema(x: np.ndarray, weight: float, start: float = 0.0) -> np.ndarray:
    """s_t = w·s_{t−1} + (1−w)·x_t for t = 1..len(x) from s_0 = start (not debiased).

    Inside a block of k samples s_{a+j} = w^j · (s_a + (1−w)·Σ_{i≤j} w^{−i}·x_{a+i}), so a
    block is one cumsum; blocks stay short enough that w^{−k} cannot overflow.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    if weight <= 0.0:
        out[:] = x
        return out
    block = max(1, min(len(x), int(BLOCK_DECADES / -math.log10(weight))))
    k = np.arange(1, block + 1, dtype=np.float64)
    grow, decay = weight ** -k, weight ** k
    state = float(start)
    for a in range(0, len(x), block):
        chunk = x[a:a + block]
        m = len(chunk)
        out[a:a + m] = decay[:m] * (state + (1.0 - weight) * np.cumsum(chunk * grow[:m]))
        state = float(out[a + m - 1])
    return out


def debias(biased: np.ndarray, weight: float, t: np.ndarray) -> np.ndarray:
    """s_t / (1 − w^t): undo the pull towards s_0 = 0 of the first steps."""
    if weight <= 0.0:
        return biased.copy()
    return biased / -np.expm1(t * math.log(weight))


def debiased_ema(x: np.ndarray, weight: float) -> np.ndarray:
    """The smoothed curve in one go (the reference the incremental path must equal)."""
    return debias(ema(x, weight), weight, np.arange(1, len(x) + 1, dtype=np.float64))


class Smoother:
    """Debiased EMA of one run's loss, extended by the rows new since the last call.

    Rows past the history cap arrive decimated (every stride-th step, the stride doubling
    now and then); that short tail is smoothed afresh each call, each kept row standing for
    `stride` steps (weight w^stride), continuing from the exact part's state.
    """

    def __init__(self, weight: float):
        self.weight = weight
        self._biased = Growable()
        self._shown = Growable()

    def smooth(self, loss: np.ndarray, n_exact: int, stride: int = 1) -> np.ndarray:
        """Smoothed loss; loss[:n_exact] are consecutive steps, loss[n_exact:] a decimated tail."""
        done = self._biased.n
        if n_exact > done:
            start = self._biased.data[done - 1] if done else 0.0
            biased = ema(loss[done:n_exact], self.weight, start)
            self._biased.extend(biased)
            t = np.arange(done + 1, n_exact + 1, dtype=np.float64)
            self._shown.extend(debias(biased, self.weight, t))
        exact = self._shown.view()[:n_exact]
        tail = loss[n_exact:]
        if not len(tail):
            return exact
        start = self._biased.data[n_exact - 1] if n_exact else 0.0
        w = self.weight ** stride
        t = n_exact + stride * np.arange(1, len(tail) + 1, dtype=np.float64)
        return np.concatenate([exact, debias(ema(tail, w, start), self.weight, t)])


class _RunState:
    """What the loss plot remembers about one run between frames."""

    def __init__(self, source, weight: float):
        self.source = source  # the RunHistory these numbers came from
        self.rows_seen = 0
        self.lowest = math.inf
        self.smoother = Smoother(weight) if weight > 0 else None


class LossPlot(RunCurvesPlot):
    title = "Loss"
    y_label = "loss"
    readout_column = "loss"
    coincide_columns = ("loss",)

    def __init__(self, parent=None, log_y: bool = True):
        self._smoothing = 0.0
        self._symlog: float | None = None  # unbounded below: its scale (None: not symlog)
        self._log_wanted = log_y  # the user's log-y, kept while a symlog race shows
        self._states: list[_RunState | None] = []
        self._shows_gap = False
        self._lowest = math.inf
        super().__init__(parent, log_y)

    def set_smoothing(self, weight: float) -> None:
        """0 switches smoothing off; 0 < weight < 1 is the EMA weight of the previous value."""
        weight = float(weight)
        if not 0.0 <= weight < 1.0:
            raise ValueError(f"smoothing weight must be in [0, 1), got {weight!r}")
        self._smoothing = min(weight, MAX_WEIGHT)
        self._states = [None] * len(self._items)
        suffix = (tr("  (smoothed: EMA weight {weight})", weight=f"{self._smoothing:g}")
                  if self._smoothing else "")
        self.chrome.set_title(tr(self.title) + suffix)
        self._redraw()

    @property
    def smoothing(self) -> float:
        return self._smoothing

    def _make_items(self, style: RunStyle) -> list[pg.GraphicsObject]:
        return [run_curve(style)]

    def _runs_changed(self) -> None:
        self._states = [None] * len(self._items)

    def _log_mode_changed(self) -> None:
        self._update_label()

    def set_unbounded(self, unbounded: bool) -> None:
        """A surface unbounded below (the saddles): loss on a symmetric log scale, the
        real values on the axis — "loss − lowest seen" made an escaping run look
        converged. Log-y comes back for the next bounded race."""
        if unbounded == (self._symlog is not None):
            return
        if unbounded:
            self._log_wanted = self.log_y
            self._symlog = 0.0  # chosen from the first rows
            self.set_log_y(False)
        else:
            self._symlog = None
            self.plotItem.getAxis("left").setTicks(None)
            self.set_log_y(self._log_wanted)
        self._update_label()
        self._redraw()

    @property
    def symlog(self) -> bool:
        return self._symlog is not None

    def _prepare(self, live: LiveRuns) -> bool:
        """Track every run's lowest loss; in log scale below zero it moves all curves."""
        states = [self._state(live, i) for i in range(len(self._items))]
        if self._symlog == 0.0:
            first = [float(live.column(i, "loss")[0]) for i in range(len(self._items))
                     if len(live.column(i, "loss"))]
            largest = max((abs(v) for v in first if math.isfinite(v)), default=0.0)
            if largest > 0:
                self._symlog = 10.0 ** (math.floor(math.log10(largest)) - 2)
        lowest = min((s.lowest for s in states), default=math.inf)
        gap = self.log_y and lowest <= 0
        moved = gap != self._shows_gap or (gap and lowest != self._lowest)
        if gap != self._shows_gap:
            self._shows_gap = gap
            self._update_label()
        self._lowest = lowest
        return moved

    def _draw_run(self, index: int, live: LiveRuns) -> None:
        run, state = live.run(index), self._states[index]
        loss, tag = live.column(index, "loss"), ""
        if state.smoother is not None:
            stride = run.tail.stride if run.tail is not None else 1
            loss = state.smoother.smooth(loss, min(len(loss), run.cap), stride)
            tag = f"ema {state.smoother.weight!r}"
        transform = None
        if self._symlog:
            scale = self._symlog
            transform = lambda y: np.sign(y) * np.log10(1.0 + np.abs(y) / scale)  # noqa: E731
        elif self._shows_gap:
            lowest, tiny = self._lowest, 1e-12 * max(1.0, abs(self._lowest))
            transform = lambda y: np.maximum(y - lowest, 0.0) + tiny  # keeps the order
        self._set_curve(self.curves[index], run, self.x_column(live, index), loss, tag,
                        transform)

    def _state(self, live: LiveRuns, index: int) -> _RunState:
        """The run's state, started afresh for a new race, and its lowest loss so far."""
        run = live.run(index)
        state = self._states[index]
        if state is None or state.source is not run or run.rows_seen < state.rows_seen:
            state = self._states[index] = _RunState(run, self._smoothing)
        new = run.rows_seen - state.rows_seen
        if new:
            loss = live.column(index, "loss")
            recent = loss[len(loss) - min(new, len(loss)):]  # holds every newly kept row
            if len(recent):
                state.lowest = min(state.lowest, float(recent.min()))
            state.rows_seen = run.rows_seen
        return state

    def _update_label(self) -> None:
        text = tr("loss − lowest loss seen") if self.log_y and self._shows_gap else tr("loss")
        if self._symlog is not None:
            text = tr("loss (symlog)")
        self.chrome.set_label("left", text)

    def _fit_bounds(self, last_step: int = 0) -> None:
        box = self._box
        super()._fit_bounds(last_step)
        if self._symlog and self._box != box and self._box[1]:
            self.plotItem.getAxis("left").setTicks(
                [symlog_ticks(*self._box[1], self._symlog)])


def symlog_ticks(lo: float, hi: float, scale: float, count: int = 7) -> list[tuple[float, str]]:
    """(position, label) of 0 and ±10^k between symlog positions lo and hi."""
    top = max(abs(lo), abs(hi))
    k_hi = math.floor(math.log10(scale) + top) + 1
    values = [0.0] + [sign * 10.0 ** k for k in range(math.floor(math.log10(scale)), k_hi + 1)
                      for sign in (-1.0, 1.0)]
    at = sorted((math.copysign(math.log10(1 + abs(v) / scale), v), v) for v in values)
    inside = [(p, v) for p, v in at if lo <= p <= hi]
    step = max(1, -(-len(inside) // count))
    k0 = math.floor(math.log10(scale))

    def kept(v: float) -> bool:  # 0, and every step-th decade counted from the scale
        if v == 0.0 or step == 1:
            return True
        k = round(math.log10(abs(v))) - k0
        return k > 0 and k % step == 0

    return [(p, f"{v:g}".replace("-", "−")) for p, v in inside if kept(v)]
