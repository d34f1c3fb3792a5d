"""The base of the batched update rules, and the exact-rounding helpers they share.

A rule holds N independent runs of one optimizer as the rows of (N, 2) tensors: every number
a run may choose (lr, betas, eps, ...) is a per-row (N, 1) tensor, every on/off or choice
setting is one Python value for the whole batch. Each rule replays torch.optim's
single-tensor update (`torch/optim/*.py`, `_single_tensor_*`) op for op, so row i equals the
same run stepped alone by a plain torch optimizer. Two facts of torch's CPU kernels (measured,
and held by tests/test_batched_rules.py) shape the code:

- `add_(t, alpha=a)`, `addcmul_(t1, t2, value=v)` round once, as a fused multiply-add, and
  `addcdiv_(t1, t2, value=v)` is `self + (v·t1)/t2`: with a per-row `a` or `v` the batched
  form is `addcmul_(a, t)` / `addcmul_(v·t1, t2)` / `addcdiv_(v·t1, t2)`, never `self + a·t`.
- Numbers torch computes as Python floats (bias corrections, RAdam's rectification) go
  through C's `pow` and `sqrt`; torch's own tensor `pow` and `sqrt` differ from them in the
  last bit now and then, so `py_pow` / `py_sqrt` compute them with numpy (which calls C's)
  on the CPU. On other devices they are torch's ops (no exactness promise there).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

from ..params import ConfigError


def py_pow(base: Tensor | float, exponent: Tensor | float) -> Tensor:
    """`base ** exponent` per element, rounded as Python's float `**` rounds it."""
    like = base if isinstance(base, Tensor) else exponent
    if like.device.type != "cpu":
        return torch.pow(base, exponent)
    b, e = _array(base), _array(exponent)
    shape = np.broadcast_shapes(b.shape, e.shape)
    if _uniform(b) and _uniform(e):  # a basin's rows: one Python pow for all
        return torch.full(shape, _one_pow(float(b.flat[0]), float(e.flat[0])), dtype=like.dtype)
    # Both operands full arrays: numpy turns `x ** 0.5` with a scalar 0.5 into sqrt.
    b, e = (np.ascontiguousarray(np.broadcast_to(a, shape)) for a in (b, e))
    with np.errstate(all="ignore"):  # overflow: inf, a negative base: nan (as torch.pow)
        return torch.from_numpy(np.power(b, e)).to(like.dtype)


def py_sqrt(x: Tensor) -> Tensor:
    """`math.sqrt` per element (correctly rounded; torch's tensor sqrt is not always)."""
    if x.device.type != "cpu":
        return torch.sqrt(x)
    with np.errstate(invalid="ignore"):  # a negative number: nan, as torch.sqrt
        return torch.from_numpy(np.sqrt(x.contiguous().numpy()))


def _one_pow(base: float, exponent: float) -> float:
    """Python's pow, except that it gives inf where Python raises OverflowError (as numpy
    does for the rows of a batch) and nan where Python would give a complex number."""
    try:
        value = base ** exponent
    except OverflowError:
        with np.errstate(all="ignore"):
            return float(np.power(base, exponent))
    return value if isinstance(value, float) else float("nan")


def _array(value: Tensor | float) -> np.ndarray:
    return value.contiguous().numpy() if isinstance(value, Tensor) else np.array(float(value))


def _uniform(a: np.ndarray) -> bool:
    return a.size == 1 or bool((a == a.flat[0]).all())


def scalar_dtype() -> torch.dtype:
    """The dtype torch gives an optimizer's scalar state (`_get_scalar_dtype`): NAdam's
    mu_product and ASGD's eta and mu are rounded to it between steps."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


class BatchedRule:
    """N runs of optimizer `name`; the interface the batched race drives.

    Subclasses list torch's names of their per-row (N, 2) state in `state_names` (zeros at
    the start unless `_start` says otherwise) and implement `_update`.
    """

    name: str = ""
    state_names: tuple[str, ...] = ()
    has_step = True  # torch keeps a "step" in this optimizer's state
    fixed: dict[str, Any] = {}  # on/off settings the registry entry fixes (AdamW: decoupled)
    row_attrs: tuple[str, ...] = ()  # more per-row (N, 1) tensors, kept as attributes
    scalar_state: tuple[str, ...] = ()  # those of them torch keeps as scalar state tensors

    def __init__(self, hyper: dict, n: int, dtype: torch.dtype, device):
        self.hyper = dict(hyper)
        self.n, self.dtype, self.device = n, dtype, torch.device(device)
        self.step_count = torch.zeros(n, 1, dtype=dtype, device=self.device)
        self.state = {name: self._zeros() for name in self._state_names()}
        self._first: Tensor | None = torch.ones(n, 1, dtype=torch.bool, device=self.device)
        self._one = False  # during an update: every row alike, coefficients computed once
        self._scratch: list[Tensor] = []
        self._refresh()

    # ------------------------------------------------------------ the interface

    def step(self, x: Tensor, grad: Tensor, lr: Tensor) -> None:
        """One update of every row: x (N, 2) in place, from `grad` (left untouched), `lr` (N, 1)."""
        first, self._first = self._first, None
        if first is not None:
            self._start(first, x, lr)
        self.step_count += 1
        # per-row state such as ASGD's eta follows each row's lr: a step where the lrs
        # differed leaves it differing even when every other number is alike again
        self._one = self._alike and _same_rows(lr) \
            and all(_same_rows(getattr(self, name)) for name in self.row_attrs)
        try:
            self._update(x, grad, lr[:1] if self._one else lr, first)
        finally:
            self._one = False

    def select(self, keep: Tensor) -> None:
        """Keep only the rows where `keep` (bool, (N,)) is true, in order."""
        self.hyper = {k: _take(v, keep) for k, v in self.hyper.items()}
        self.state = {k: v[keep] for k, v in self.state.items()}
        self.step_count = self.step_count[keep]
        for name in self.row_attrs:
            setattr(self, name, getattr(self, name)[keep])
        if self._first is not None:
            self._first = self._first[keep]
        self.n = int(self.step_count.shape[0])
        self._scratch = []
        self._refresh()

    def set_hyper(self, rows: Tensor, hyper: dict, lookahead: dict | None = None) -> None:
        """New values for `rows` (indices or a bool mask) from the next step on, checked as
        the registry checks them. Like the engine's live edit: an on/off or choice setting
        cannot change (that is another batch), and a momentum switched on from 0 starts
        those rows afresh (torch only creates the buffer at a first step)."""
        if lookahead:
            raise ConfigError("lookahead", "these runs have no Lookahead wrapper")
        rows = _indices(rows, self.n, self.device)
        if not rows.numel():
            return
        spec = self.spec
        known = {p.name: p for p in spec.params}
        for name, value in hyper.items():
            param = known.get(name)
            if param is not None and param.kind in ("bool", "choice") \
                    and param.coerce(value) != self.hyper[name]:
                raise ConfigError(name, "an on/off or choice setting cannot change within a "
                                        "batch (the run needs a new batch)")
        checked = {}
        for values in self._distinct_hyper(rows):  # a slider over 65,536 alike rows: one
            checked = spec.validate({**values, **hyper})  # with the cross-field rules
        fresh = None
        if "momentum" in hyper and checked:
            before = self.hyper["momentum"][rows, 0]
            fresh = rows[(before == 0) & (checked["momentum"] != 0)]
        for name in hyper:
            target = self.hyper.get(name)
            if isinstance(target, tuple):
                for column, value in zip(target, checked[name]):
                    column[rows] = float(value)
            elif isinstance(target, Tensor):
                target[rows] = float(checked[name])
        if fresh is not None and fresh.numel():
            mask = torch.zeros(self.n, 1, dtype=torch.bool, device=self.device)
            mask[fresh] = True
            self._reset(mask)
        self._refresh()

    def state_of(self, row: int) -> dict:
        """Row `row`'s optimizer state, named as torch names it (copies)."""
        out = {k: v[row].clone() for k, v in self.state.items() if self._row_has(k, row)}
        if int(self.step_count[row]) == 0:
            return {}
        out.update({name: getattr(self, name)[row, 0].clone() for name in self.scalar_state})
        if self.has_step:
            out["step"] = self.step_count[row, 0].clone()
        return out

    def hyper_of(self, row: int) -> dict:
        """Row `row`'s hyperparameters as plain Python values."""
        return self._distinct_hyper(torch.tensor([row], device=self.device))[0]

    def _distinct_hyper(self, rows: Tensor) -> list[dict]:
        """The distinct hyper dicts (plain values) among `rows`."""
        numbers = [k for k, v in self.hyper.items() if isinstance(v, (Tensor, tuple))]
        columns = [c for k in numbers for c in (self.hyper[k] if isinstance(self.hyper[k], tuple)
                                                 else (self.hyper[k],))]
        table = torch.cat([c[rows] for c in columns], dim=1)
        table = (table[:1] if _same_rows(table) else table.unique(dim=0)).tolist()
        ints = {p.name for p in self.spec.params if p.kind == "int"}
        out = []
        for values in table:
            row, it = {k: v for k, v in self.hyper.items() if k not in numbers}, iter(values)
            for k in numbers:
                size = len(self.hyper[k]) if isinstance(self.hyper[k], tuple) else 0
                row[k] = tuple(next(it) for _ in range(size)) if size else next(it)
                row[k] = int(row[k]) if k in ints else row[k]
            out.append(row)
        return out

    # ------------------------------------------------------------ for subclasses

    @property
    def spec(self):
        from ..optimizers import OPTIMIZERS
        return OPTIMIZERS[self.name]

    def flag(self, name: str) -> Any:
        """An on/off or choice setting of the batch."""
        return self.fixed[name] if name in self.fixed else self.hyper[name]

    def h(self, name: str) -> Tensor:
        """Hyperparameter `name`: (N, 1), or (1, 1) while every row has the same numbers
        (a basin): the per-row coefficients are then worked out once and broadcast."""
        return self.rowwise(self.hyper[name])

    def rowwise(self, value: Any) -> Any:
        if not self._one:
            return value
        return tuple(t[:1] for t in value) if isinstance(value, tuple) else value[:1]

    @property
    def steps(self) -> Tensor:
        """The rows' step counts (after this update's increment), as `h` gives numbers."""
        return self.rowwise(self.step_count)

    def scratch(self, i: int) -> Tensor:
        """Workspace i, (N, 2), reused from step to step for a temporary: a fresh megabyte
        each step costs page faults that, at 65,536 rows, take longer than the arithmetic."""
        while len(self._scratch) <= i:
            self._scratch.append(self._zeros())
        return self._scratch[i]

    def _state_names(self) -> tuple[str, ...]:
        return self.state_names

    def _zeros(self) -> Tensor:
        return torch.zeros(self.n, 2, dtype=self.dtype, device=self.device)

    def _refresh(self) -> None:
        decay = self.hyper.get("weight_decay")
        decays = None if decay is None else decay != 0
        # None: no row decays; True: every row does; else the (N, 1) mask of those that do
        self._decays = None if decays is None or not bool(decays.any()) else \
            True if bool(decays.all()) else decays
        columns = [t for v in self.hyper.values() if isinstance(v, (Tensor, tuple))
                   for t in (v if isinstance(v, tuple) else (v,))]
        self._alike = all(_same_rows(t) for t in (*columns, self.step_count))
        self._prepare()

    def _prepare(self) -> None:
        """Recompute what depends on the hyperparameters (masks of rows); after any change."""

    def _l2(self, g: Tensor, x: Tensor) -> Tensor:
        """torch's `grad.add(param, alpha=weight_decay)`, skipped where the decay is 0 (as
        torch skips it: 0·x is not 0 once x is inf)."""
        return self._where_decays(lambda: torch.addcmul(g, self.h("weight_decay"), x), g)

    def _where_decays(self, decayed: Callable[[], Tensor], plain: Tensor) -> Tensor:
        if self._decays is None:
            return plain
        return decayed() if self._decays is True else torch.where(self._decays, decayed(), plain)

    def _start(self, first: Tensor, x: Tensor, lr: Tensor) -> None:
        """Set the state of rows about to take their first step (`first`: (N, 1) bool)."""

    def _update(self, x: Tensor, grad: Tensor, lr: Tensor, first: Tensor | None) -> None:
        raise NotImplementedError

    def _row_has(self, name: str, row: int) -> bool:
        """Whether torch's state would hold `name` for this row (e.g. only with momentum)."""
        return True

    def _grad(self, grad: Tensor) -> Tensor:
        return -grad if self.flag("maximize") else grad

    def _reset(self, rows: Tensor) -> None:
        """Rows (N, 1) bool start afresh: zero state, step 0, first-step setup pending."""
        for value in self.state.values():
            value.masked_fill_(rows, 0)
        self.step_count.masked_fill_(rows, 0)
        self._first = rows if self._first is None else self._first | rows


def choose(mask: Tensor, yes: Callable[[], Tensor], no: Callable[[], Tensor]) -> Tensor:
    """torch.where(mask, yes(), no()), working out only the branch taken when the mask is
    one value for all rows."""
    if mask.numel() == 1:
        return yes() if bool(mask) else no()
    return torch.where(mask, yes(), no())


def _same_rows(t: Tensor) -> bool:
    return t.shape[0] <= 1 or bool((t == t[:1]).all())


def _take(value: Any, keep: Tensor) -> Any:
    if isinstance(value, Tensor):
        return value[keep]
    if isinstance(value, tuple):
        return tuple(t[keep] for t in value)
    return value


def _indices(rows: Tensor, n: int, device) -> Tensor:
    rows = torch.as_tensor(rows, device=device)
    if rows.dtype == torch.bool:
        return rows.nonzero().flatten()
    rows = rows.flatten().long()
    if rows.numel() and not (0 <= int(rows.min()) and int(rows.max()) < n):
        raise IndexError(f"row index out of range for {n} rows")
    return rows

