"""Typed hyperparameters: one `Param` describes a value, its range and its meaning.

Specs of surfaces, optimizers and schedules list their `Param`s; the GUI generates its
editors from them and `validate_values` checks user input before anything runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .i18n import tr


class ConfigError(ValueError):
    """Bad user input. `field` names where it is (e.g. ``runs[1].hyper.lr``)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)

    def __reduce__(self):  # pickles (the engine process sends it to the window's)
        return type(self), (self.field, self.message)


KINDS = ("float", "int", "bool", "choice", "floats", "str")


@dataclass(frozen=True)
class Param:
    """One typed value. Ranges are inclusive unless `low_open` / `high_open`.

    kind: float | int | bool | choice | floats (a fixed-length tuple, e.g. betas) | str.
    For `floats`, the range applies to every element.
    """

    name: str
    default: Any
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    log: bool = False
    choices: tuple = ()
    help: str = ""
    optional: bool = False  # None is allowed (e.g. a scheduler's optional bound)
    inf_ok: bool = False  # +inf is allowed beyond the range (e.g. the max-norm's p)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown Param kind {self.kind!r}")

    def range_text(self) -> str:
        if self.kind == "choice":
            return " | ".join(map(str, self.choices))
        if self.low is None and self.high is None:
            return ""
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        text = f"{'(' if self.low_open else '['}{lo}, {hi}{')' if self.high_open else ']'}"
        return tr("{range} or inf", range=text) if self.inf_ok and self.high is not None else text

    def coerce(self, value: Any) -> Any:
        """Return `value` converted to this kind, or raise ConfigError(name, reason)."""
        if value is None:
            if self.optional:
                return None
            raise ConfigError(self.name, tr("a value is required"))
        kind = self.kind
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            raise ConfigError(self.name, tr("expected true or false, got {value}", value=repr(value)))
        if kind == "choice":
            if value in self.choices:
                return value
            raise ConfigError(self.name, tr("must be one of {choices}, got {value}",
                                              choices=self.range_text(), value=repr(value)))
        if kind == "str":
            if isinstance(value, str):
                return value
            raise ConfigError(self.name, tr("expected text, got {value}", value=repr(value)))
        if kind == "floats":
            items = _split_floats(value, self.name)
            if len(items) != len(self.default):
                raise ConfigError(self.name, tr("expected {count} numbers, got {got}",
                                              count=len(self.default), got=len(items)))
            return tuple(self._check_range(_to_float(v, self.name)) for v in items)
        if kind == "int":
            number = _to_float(value, self.name)
            if not math.isfinite(number) or number != int(number):
                raise ConfigError(self.name, tr("expected a whole number, got {value}", value=repr(value)))
            return int(self._check_range(int(number)))
        return self._check_range(_to_float(value, self.name))

    def _check_range(self, x: float) -> float:
        if self.inf_ok and x == math.inf:
            return x
        if isinstance(x, float) and not math.isfinite(x):
            raise ConfigError(self.name, tr("must be a finite number, got {value}", value=repr(x)))
        if self.low is not None and (x < self.low or (self.low_open and x == self.low)):
            raise ConfigError(self.name, tr("must be in {range}, got {value}",
                                              range=self.range_text(), value=f"{x:g}"))
        if self.high is not None and (x > self.high or (self.high_open and x == self.high)):
            raise ConfigError(self.name, tr("must be in {range}, got {value}",
                                              range=self.range_text(), value=f"{x:g}"))
        return x


def _to_float(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(name, tr("expected a number, got {value}", value=repr(value)))
    try:
        return float(value)
    except OverflowError:  # an int beyond float's range
        raise ConfigError(name, tr("must be a finite number, got {value}",
                                 value=f"{value!r:.40}")) from None
    except (TypeError, ValueError):
        raise ConfigError(name, tr("expected a number, got {value}", value=repr(value))) from None


def _split_floats(value: Any, name: str) -> list:
    if isinstance(value, str):
        return [v for v in value.replace("(", "").replace(")", "").replace(" ", "").split(",") if v]
    if isinstance(value, Sequence):
        return list(value)
    raise ConfigError(name, tr("expected a list of numbers, got {value}", value=repr(value)))


# A cross-field rule: given all coerced values, return an error message or None.
Rule = Callable[[Mapping[str, Any]], "str | None"]


@dataclass(frozen=True)
class Spec:
    """Something a user picks by name and configures: a surface, optimizer or schedule."""

    name: str
    title: str
    params: tuple[Param, ...] = ()
    help: str = ""
    formula: str = ""  # the update rule / definition as text, shown in tooltips
    rules: tuple[Rule, ...] = field(default=(), repr=False)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, values: Mapping[str, Any], where: str = "") -> dict[str, Any]:
        """Defaults filled in, every value coerced and checked; unknown names rejected."""
        return validate_values(self.params, values, where, self.rules)


def validate_values(params: Sequence[Param], values: Mapping[str, Any], where: str = "",
                    rules: Sequence[Rule] = ()) -> dict[str, Any]:
    prefix = f"{where}." if where else ""
    known = {p.name: p for p in params}
    for key in values:
        if key not in known:
            names = ", ".join(known) or tr("none")
            raise ConfigError(f"{prefix}{key}", tr("unknown parameter (known: {names})", names=names))
    out: dict[str, Any] = {}
    for p in params:
        try:
            out[p.name] = p.coerce(values[p.name]) if p.name in values else p.default
        except ConfigError as e:
            raise ConfigError(prefix + e.field, e.message) from None
    for rule in rules:
        message = rule(out)
        if message:
            raise ConfigError(where, message)
    return out


def format_value(value: Any) -> str:
    """Short text for a value, as the CLI and `list` print it."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple):
        return ",".join(format_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
