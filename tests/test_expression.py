"""User formulas: same numbers as hand-written torch, and hostile text refused quickly."""
import math
import time

import pytest
import torch

from optplayground.core.expression import FormulaError, compile_formula, formula_surface
from optplayground.core.params import ConfigError

F64 = torch.float64

TEXT = ("sin(x)*y**2 + sigmoid(x - y) - 2**x/3 + pi*e + sqrt(abs(x) + 1) "
        "+ log(1 + x**2) - tanh(y)/cos(x) + exp(-y) + tan(0.1*x) + -(+x)")


def by_hand(xy):
    x, y = xy[..., 0], xy[..., 1]
    return (torch.sin(x) * y ** 2 + torch.sigmoid(x - y) - 2 ** x / 3 + math.pi * math.e
            + torch.sqrt(torch.abs(x) + 1) + torch.log(1 + x ** 2) - torch.tanh(y) / torch.cos(x)
            + torch.exp(-y) + torch.tan(0.1 * x) + -(+x))


def random_points(*shape, dtype=F64):
    g = torch.Generator().manual_seed(7)
    return (torch.rand(*shape, 2, dtype=dtype, generator=g) * 4 - 2).requires_grad_()


def test_formula_equals_hand_written_torch_with_gradients():
    f = compile_formula(TEXT)
    a, b = random_points(50), random_points(50)
    fa, fb = f(a), by_hand(b)
    torch.testing.assert_close(fa, fb, rtol=1e-12, atol=1e-12)
    fa.sum().backward()
    fb.sum().backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-12)


def test_any_shape_and_dtype():
    f = compile_formula(TEXT)
    xy = random_points(5, 7, dtype=torch.float32)
    out = f(xy)
    assert out.shape == (5, 7) and out.dtype == torch.float32
    torch.testing.assert_close(out, by_hand(xy), rtol=1e-5, atol=1e-5)
    assert f(torch.tensor([0.5, -0.25], dtype=F64)).shape == ()


def test_constant_and_one_variable_formulas_keep_shape_and_gradient():
    xy = random_points(3)
    out = compile_formula("2*pi - e")(xy)
    assert out.shape == (3,) and torch.all(out == 2 * math.pi - math.e)
    out.sum().backward()
    assert xy.grad.abs().sum() == 0
    xy = random_points(3)
    compile_formula("x**2")(xy).sum().backward()
    assert torch.equal(xy.grad[:, 0], 2 * xy.detach()[:, 0]) and xy.grad[:, 1].abs().sum() == 0


@pytest.mark.parametrize("text, expected", [
    ("-2**2", -4.0), ("2**3**2", 512.0), ("(1 + 2) * 3 - 4 / 8", 8.5), ("+-+3", -3.0),
    ("1/0", math.inf), ("-1/0", -math.inf), ("1e308**2", math.inf), ("1e308 * 10", math.inf),
    ("sqrt(16) + log(e) + exp(0) + abs(-2) + sigmoid(0) + tanh(0) + sin(0) + cos(0) + tan(0)",
     4 + 1 + 1 + 2 + 0.5 + 0 + 0 + 1 + 0),
    ("2**x", 2 ** 1.5), ("x * y - y / x", 1.5 * -2 - -2 / 1.5),
])
def test_arithmetic_follows_python_precedence_and_torch_semantics(text, expected):
    out = compile_formula(text)(torch.tensor([1.5, -2.0], dtype=F64)).item()
    assert out == pytest.approx(expected, rel=1e-15)


def test_nan_constants_are_allowed():
    assert math.isnan(compile_formula("0/0 + x")(torch.zeros(2, dtype=F64)).item())


HOSTILE = [
    "__import__('os').system('x')", "x.__class__", "().__class__.__bases__", "9**9**9",
    "(" * 1000 + "x" + ")" * 1000, "'a'*10**9", "lambda: 1", "[x for x in y]", "x[0]",
    "foo(x)", "sin(x, y)", "sin(x=1)", "sin()", "sin(*x)", "z + 1", "x if y else 1", "x < y",
    "a" * 10000, "x and y", "not x", "~x", "x % 2", "x // 2", "x @ y", "x ^ y", "(x := 1)",
    "x.y()", "(x + 1)(2)", "__builtins__", "__class__", "sin", "{x}", "{x: 1}", "(x, y)",
    "[x]", "f'{x}'", "b'x'", "1j", "True", "None", "...", "9" * 400, "-" * 400 + "x",
    "-(" * 120 + "x" + ")" * 120, "x\0", "x = 1", "import os", "x;y", "x +", "",
    "   \n  ", "(yield x)", "await x", "x ** 1e4", "getattr(x, 'y')",
]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:20]) for t in HOSTILE])
def test_hostile_input_is_refused_quickly(text):
    start = time.perf_counter()
    with pytest.raises(FormulaError) as e:
        compile_formula(text)
    assert time.perf_counter() - start < 5.0  # a hang guard (hostile input would take minutes), not a speed test
    assert isinstance(e.value, ConfigError) and e.value.field == "problem.formula"
    assert e.value.message


def test_huge_constant_power_gives_inf_without_big_int_arithmetic():
    start = time.perf_counter()
    f = compile_formula("10**999 + 9**999 + 9.9**-999 * x")
    assert time.perf_counter() - start < 1.0
    assert f(torch.zeros(2, dtype=F64)).item() == math.inf


@pytest.mark.parametrize("text, pieces", [
    ("foo(x)", ["unknown function 'foo'", "column 1"]),
    ("x + foo(y)", ["unknown function 'foo'", "column 5"]),
    ("x.__class__", ["attribute access", "column 2"]),
    ("1 + x.__class__", ["attribute access", "column 6"]),
    ("xé.y", ["attribute access", "column 3"]),  # columns count characters, not bytes
    ("z + 1", ["name 'z'", "column 1", "use x, y"]),
    ("y * __import__('os')", ["'__import__'", "column 5"]),
    ("x + (lambda: 1)", ["lambda", "column 6"]),
    ("x + [t for t in y]", ["comprehension", "column 5"]),
    ("x + y[0]", ["indexing", "column 5"]),
    ("2 * 'a'", ["text", "column 5"]),
    ("sin(x, y)", ["one argument", "got 2", "column 1"]),
    ("sin(x=1)", ["keyword", "column 7"]),
    ("x < y", ["comparison", "column 1"]),
    ("x and y", ["'and'", "column 1"]),
    ("x if y else 1", ["'if ... else'", "column 1"]),
    ("x % 2", ["'%'", "column 2"]),
    ("9**9**9", ["exponent", "too large", "column 4"]),
    ("x + sin", ["'sin' is a function", "column 5"]),
    ("a" * 10000, ["too long", "10000"]),
    ("-" * 150 + "x", ["nested too deeply"]),
])
def test_messages_name_the_piece_and_column(text, pieces):
    with pytest.raises(FormulaError) as e:
        compile_formula(text)
    for piece in pieces:
        assert piece in e.value.message


def test_empty_formula_is_rejected():
    for text in ("", "   "):
        with pytest.raises(FormulaError, match="empty"):
            compile_formula(text)


@pytest.mark.parametrize("text, column", [("x +", 4), ("x + * y", 5), ("x² + y", 2),
                                          ("sin(x", 4), ("x y", 3)])
def test_syntax_errors_give_the_column(text, column):
    with pytest.raises(FormulaError, match=f"syntax error at column {column}:"):
        compile_formula(text)


def test_formula_surface():
    s = formula_surface("(x - 1)**2 + 3*(y + 2)**2", bounds=((-4, 4), (-5, 3)), start=(2.0, 1.0))
    assert (s.name, s.title, s.formula) == ("formula", "Formula", "(x - 1)**2 + 3*(y + 2)**2")
    assert s.bounds == ((-4, 4), (-5, 3)) and s.start == (2.0, 1.0) and not s.stochastic
    p = torch.tensor([2.0, 1.0], dtype=F64, requires_grad=True)
    loss = s.objective(p, {}, None)
    loss.backward()
    assert loss.item() == 1 + 27 and p.grad.tolist() == [2.0, 18.0]
    assert s.value(torch.tensor([1.0, -2.0], dtype=F64)).item() == 0.0
    xs, ys, z = s.grid(resolution=9)
    assert z.shape == (9, 9) and z[0, 8] == pytest.approx((xs[8] - 1) ** 2 + 3 * (ys[0] + 2) ** 2)
    assert formula_surface("x").bounds == ((-3, 3), (-3, 3))
    with pytest.raises(FormulaError):
        formula_surface("x +")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    f = compile_formula(TEXT)
    xy = random_points(20)
    xc = xy.detach().cuda().requires_grad_()
    out = f(xc)
    out.sum().backward()
    f(xy).sum().backward()
    torch.testing.assert_close(out.cpu(), f(xy.detach()), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(xc.grad.cpu(), xy.grad, rtol=1e-12, atol=1e-12)
    assert compile_formula("3")(torch.zeros(4, 2, device="cuda")).device.type == "cuda"


def test_a_long_flat_sum_is_a_formula_not_a_nesting():
    f = compile_formula("+".join(["x*y"] * 100))  # 100 terms: left-nested 99 deep
    xy = torch.tensor([2.0, 3.0], dtype=torch.float64)
    assert f(xy).item() == 600.0
