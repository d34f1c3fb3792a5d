"""Inside one update of one run: the gradient, the clipped gradient, the optimizer's state.

The window draws them for the selected run (arrows, the effective step, RAdam's phase,
Lookahead's slow weights) and `optplayground trace` writes them as CSV. Only surface races
(the point is 2-D) are watched. An `Internals` is a plain record (it travels from the engine
process by pickle); the state keeps torch's own names: `exp_avg`, `exp_avg_sq`,
`momentum_buffer`, `step`, … and `slow` / `steps_since_sync` for the Lookahead wrapper.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

KEEP = 4096  # the most snapshots a batch carries (the newest): a long fast batch stays small


@dataclass
class Internals:
    """Update `step` (1, 2, …) of run `run`: from `before` to `after`."""

    run: int
    step: int
    optimizer: str
    before: tuple[float, float]
    after: tuple[float, float]
    lr: float
    grad: tuple[float, float]  # the raw gradient at `before`
    clipped: tuple[float, float]  # the gradient the update used (after clipping)
    state: dict[str, float | tuple[float, float]] = field(default_factory=dict)
    hyper: dict = field(default_factory=dict)  # the optimizer's settings at this update

    @property
    def update(self) -> tuple[float, float]:
        return self.after[0] - self.before[0], self.after[1] - self.before[1]

    def columns(self) -> dict[str, float]:
        """The state flattened: a 2-vector `k` becomes `k_x`, `k_y`; a number stays `k`."""
        out: dict[str, float] = {}
        for key, value in self.state.items():
            if isinstance(value, tuple):
                out[f"{key}_x"], out[f"{key}_y"] = value
            else:
                out[key] = value
        return out


def plain_state(state: dict) -> dict[str, float | tuple[float, float]]:
    """An optimizer's per-parameter state as plain numbers: tensors of one number become a
    float, of two a pair; what is neither (L-BFGS's lists of past steps) is left out."""
    out: dict[str, float | tuple[float, float]] = {}
    for key, value in state.items():
        if isinstance(value, torch.Tensor):
            flat = value.detach().reshape(-1).double().cpu().tolist()
            if len(flat) == 1:
                out[key] = flat[0]
            elif len(flat) == 2:
                out[key] = (flat[0], flat[1])
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def optimizer_state(optimizer, point: torch.Tensor) -> dict:
    """The state torch keeps for `point` (a Lookahead wrapper adds its slow weights)."""
    from .ranger import Lookahead

    inner = optimizer.inner if isinstance(optimizer, Lookahead) else optimizer
    state = dict(inner.state.get(point, {}))
    if isinstance(optimizer, Lookahead):  # even around an optimizer that keeps no state
        state["slow"] = optimizer._slow[point]
        state["steps_since_sync"] = optimizer.steps_since_sync
    return state


def pair(tensor: torch.Tensor) -> tuple[float, float]:
    x, y = tensor.detach().reshape(-1).double().cpu().tolist()
    return x, y


class Watch:
    """Records the internals of one run on the engine's per-run path, update by update:
    `gradient` before clipping, `before_step` just before `optimizer.step()`, `after_step`."""

    def __init__(self, index: int):
        self.index = index
        self.snapshots: list[Internals] = []
        self._grad = self._clipped = self._before = None

    def gradient(self, point: torch.Tensor) -> None:
        self._grad = pair(point.grad)

    def before_step(self, point: torch.Tensor) -> None:
        self._clipped, self._before = pair(point.grad), pair(point)

    def after_step(self, state, lr: float) -> None:
        point = state.params[0]
        self.add(Internals(self.index, state.step + 1, state.spec.name, self._before, pair(point),
                           lr, self._grad, self._clipped,
                           plain_state(optimizer_state(state.optimizer, point)),
                           dict(state.hyper)))

    def add(self, snapshot: Internals) -> None:
        self.snapshots.append(snapshot)
        if len(self.snapshots) > 2 * KEEP:
            del self.snapshots[:-KEEP]

    def take(self) -> list[Internals]:
        out, self.snapshots = self.snapshots[-KEEP:], []
        return out


def snapshot_of_row(race, row: int, index: int, grad, clipped, lr,
                    hyper: dict | None = None) -> Internals | None:
    """The internals of row `row` of a BatchedRace just after an update (None once it has
    stopped): its rule keeps the state under torch's names (rules_base.state_of). `hyper`:
    the row's hyperparameters if known (reading them from the rule costs ~0.1 ms)."""
    j = race.position(row)
    if j is None or not bool(race.running[j]):
        return None
    rule = race.rule
    state = rule.state_of(j)
    if getattr(rule, "slow", None) is not None:  # Lookahead rows (rules_ranger)
        state.update(slow=rule.slow[j], steps_since_sync=rule.steps_since_sync[j, 0])
    return Internals(index, race.step + 1, rule.name, pair(race.prev[j]), pair(race.x[j]),
                     float(lr[j if lr.shape[0] > 1 else 0, 0]), pair(grad[j]), pair(clipped[j]),
                     plain_state(state), rule.hyper_of(j) if hyper is None else hyper)
