"""A user's formula in x and y -> a torch function, without ever running the user's text.

The text is parsed with `ast.parse(mode="eval")` and walked node by node; only numbers, the
names x, y, pi, e, the operators + − * / ** (binary), unary ±, and one-argument calls of a
few math functions are accepted. Everything else is a `FormulaError` naming the piece and
its column. Constant sub-expressions are folded once with float64 torch scalars, so huge
powers give inf instead of Python big-int arithmetic; only exponent towers are refused.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Callable, Union

import torch
from torch import Tensor

from .params import ConfigError
from .surfaces import Box, Point, Surface

MAX_LENGTH = 500
MAX_DEPTH = 100  # a flat sum counts too (a+b+c is left-nested): 100 terms pass
MAX_EXPONENT = 1000.0  # |constant exponent| above this is refused (9**9**9 and friends)

FUNCTIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "exp": torch.exp,
    "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs, "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}

# What a rejected node is called in an error message.
_FORBIDDEN = {
    ast.Attribute: "attribute access is", ast.Subscript: "indexing is",
    ast.Lambda: "lambda is", ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are", ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are", ast.Compare: "comparisons are",
    ast.BoolOp: "'and' / 'or' are", ast.IfExp: "'if ... else' is",
    ast.NamedExpr: "':=' is", ast.Tuple: "tuples are", ast.List: "lists are",
    ast.Dict: "dicts are", ast.Set: "sets are", ast.Starred: "starred arguments are",
    ast.JoinedStr: "f-strings are", ast.Await: "'await' is", ast.Slice: "slices are",
}
_OPERATOR_TEXT = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
                  ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
                  ast.Not: "not", ast.Invert: "~"}

# A compiled node: a constant, or a function of the x and y tensors.
Node = Union[float, Callable[[Tensor, Tensor], Tensor]]


class FormulaError(ConfigError):
    def __init__(self, message: str):
        super().__init__("problem.formula", message)


def compile_formula(text: str) -> Callable[[Tensor], Tensor]:
    """Return f(xy[..., 2]) -> loss[...] for `text`, or raise FormulaError."""
    line = text.replace("\r", " ").replace("\n", " ") if isinstance(text, str) else text
    node = _Compiler(line).compile(text)
    if callable(node):
        return lambda xy: node(xy[..., 0], xy[..., 1])
    constant = node
    return lambda xy: xy[..., 0] * 0.0 + constant  # keeps shape, device and the autograd graph


def compile_factor(text: str) -> Callable[[float], float]:
    """A schedule's multiplier f(t) from `text` in `step` (or its alias `epoch`: one scheduler
    step per update here), the same whitelist as surfaces; FormulaError on bad text."""
    line = text.replace("\r", " ").replace("\n", " ") if isinstance(text, str) else text
    f = _as_function(_Compiler(line, FACTOR_VARIABLES).compile(text))
    return lambda t: float(f(torch.tensor(float(t), dtype=torch.float64), None))


FACTOR_VARIABLES = {"step": 0, "epoch": 0}


def formula_surface(text: str, bounds: Box = ((-3.0, 3.0), (-3.0, 3.0)),
                    start: Point = (-2.0, 2.0)) -> Surface:
    """A Surface for the user's formula; bounded below is not known, so it is not assumed."""
    f = compile_formula(text)
    return Surface("formula", "Formula", fn=lambda xy, params: f(xy), formula=text,
                   help="Your own function of x and y.", bounds=bounds, start=start,
                   bounded_below=False)


class _Compiler:
    def __init__(self, line: str, variables: dict[str, int] | None = None):
        self.line = line  # one line, so columns mean something
        self.variables = {"x": 0, "y": 1} if variables is None else variables

    def compile(self, text) -> Node:
        if not isinstance(text, str):
            raise FormulaError(f"expected text, got {text!r}")
        if len(text) > MAX_LENGTH:
            raise FormulaError(f"formula is too long ({len(text)} characters, at most {MAX_LENGTH})")
        line = self.line
        if not line.strip():
            raise FormulaError("formula is empty")
        try:
            tree = ast.parse(line, mode="eval")
        except SyntaxError as e:
            column = e.offset if e.offset and 0 < e.offset <= len(line) else len(line) + 1
            raise FormulaError(f"syntax error at column {column}: {e.msg}") from None
        except (ValueError, MemoryError, RecursionError) as e:  # e.g. null bytes, absurd nesting
            raise FormulaError(f"cannot parse formula: {e}") from None
        return self.build(tree.body, 0)

    def column(self, byte_offset: int) -> int:
        """1-based character column of an AST offset (which counts UTF-8 bytes)."""
        return len(self.line.encode()[:byte_offset].decode(errors="ignore")) + 1

    def fail(self, message: str, node: ast.AST, offset: int | None = None, hint: str = ""):
        col = self.column(node.col_offset if offset is None else offset)
        raise FormulaError(f"{message} at column {col}" + (f" ({hint})" if hint else ""))

    def build(self, node: ast.AST, depth: int) -> Node:
        if depth > MAX_DEPTH:
            self.fail(f"formula is nested too deeply (more than {MAX_DEPTH} levels)", node)
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Attribute):  # point at the dot, not at the object
            self.fail("attribute access is not allowed", node, node.value.end_col_offset)
        what = _FORBIDDEN.get(type(node), f"'{type(node).__name__}' is")
        self.fail(f"{what} not allowed", node)

    def number(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, (str, bytes)):
                what = "text is"
            elif isinstance(value, complex):
                what = "complex numbers are"
            else:
                what = f"{value!r} is"
            self.fail(f"{what} not allowed", node, hint="only numbers")
        try:
            return float(value)
        except OverflowError:
            self.fail("number is too large", node)

    def name(self, node: ast.Name) -> Node:
        name = node.id
        index = self.variables.get(name)
        if index == 0:
            return lambda x, y: x
        if index == 1:
            return lambda x, y: y
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            self.fail(f"{name!r} is a function", node, hint=f"call it like {name}(...)")
        self.fail(f"name {name!r} is not allowed", node,
                  hint=f"use {', '.join(self.variables)}, pi, e")

    def binary(self, node: ast.BinOp, depth: int) -> Node:
        op = _BINARY.get(type(node.op))
        if op is None:
            text = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            self.fail(f"operator {text!r} is not allowed", node, node.left.end_col_offset)
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        if op is operator.pow and not callable(right) and abs(right) > MAX_EXPONENT:
            self.fail(f"exponent {right:g} is too large", node.right,
                      hint=f"at most {MAX_EXPONENT:g} in size")
        if not callable(left) and not callable(right):
            return _fold(op, left, right)
        lf, rf = _as_function(left), _as_function(right)
        return lambda x, y: op(lf(x, y), rf(x, y))

    def unary(self, node: ast.UnaryOp, depth: int) -> Node:
        op = _UNARY.get(type(node.op))
        if op is None:
            text = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            self.fail(f"operator {text!r} is not allowed", node)
        operand = self.build(node.operand, depth + 1)
        if not callable(operand):
            return _fold(op, operand)
        return lambda x, y: op(operand(x, y))

    def call(self, node: ast.Call, depth: int) -> Node:
        if not isinstance(node.func, ast.Name):
            self.build(node.func, depth + 1)  # report a forbidden piece inside it first
            self.fail("only named functions can be called", node,
                      hint="known: " + ", ".join(FUNCTIONS))
        name = node.func.id
        fn = FUNCTIONS.get(name)
        if name in self.variables or name in CONSTANTS:
            self.fail(f"{name!r} is not a function", node)
        if fn is None:
            self.fail(f"unknown function {name!r}", node, hint="known: " + ", ".join(FUNCTIONS))
        if node.keywords:
            self.fail(f"keyword arguments are not allowed in {name}()", node.keywords[0].value)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail("starred arguments are not allowed", arg)
        if len(node.args) != 1:
            self.fail(f"{name}() takes exactly one argument, got {len(node.args)}", node)
        arg = self.build(node.args[0], depth + 1)
        if not callable(arg):
            return _fold(fn, arg)
        return lambda x, y: fn(arg(x, y))


def _fold(op: Callable, *values: float) -> float:
    """Evaluate a constant piece once, with torch float64 semantics (inf/nan, never raise)."""
    return op(*(torch.tensor(v, dtype=torch.float64) for v in values)).item()


def _as_function(node: Node) -> Callable[[Tensor, Tensor], Tensor]:
    if callable(node):
        return node
    return lambda x, y: node
