"""The 2-D surfaces: known minima, hand-computed values, vectorization, gradients, noise."""
import math

import numpy as np
import pytest
import torch

from optplayground.core.params import ConfigError
from optplayground.core.surfaces import SURFACES, Surface, get_surface

F64 = torch.float64


def point(x, y, dtype=F64, grad=False):
    return torch.tensor([x, y], dtype=dtype, requires_grad=grad)


def value(name, x, y, params=None):
    return get_surface(name).value(point(x, y), params).item()


KNOWN_MINIMUM = {
    "rosenbrock": 0.0, "noisy_quadratic": 0.0, "rastrigin": 0.0, "beale": 0.0,
    "himmelblau": 0.0, "ackley": 0.0, "booth": 0.0, "styblinski_tang": -78.33233,
    "quadratic": 0.0, "six_hump_camel": -1.0316284534898774,
}
TOLERANCE = {"styblinski_tang": 1e-4, "himmelblau": 1e-10}

# One non-trivial point per surface and its value, worked out by hand.
SPOT_VALUES = {
    "rosenbrock": ((-1.5, 2.0), (1 + 1.5) ** 2 + 100 * (2 - 2.25) ** 2),  # 12.5
    "saddle": ((1.5, 0.5), 2.25 - 0.25),
    "monkey_saddle": ((2.0, 1.0), 8 - 6),
    "noisy_quadratic": ((2.0, 10.0), 0.5 * (1 * 4 + 0.01 * 100)),  # 2.5
    "rastrigin": ((1.0, 0.5), 20 + (1 - 10) + (0.25 + 10)),  # cos 2π = 1, cos π = −1
    "beale": ((1.0, 1.0), 1.5 ** 2 + 2.25 ** 2 + 2.625 ** 2),
    "himmelblau": ((1.0, 1.0), 81 + 25),
    "ackley": ((1.0, 1.0), 20 - 20 * math.exp(-0.2)),  # r = 1, the e terms cancel
    "booth": ((0.0, 0.0), 49 + 25),
    "styblinski_tang": ((1.0, -1.0), 0.5 * ((1 - 16 + 5) + (1 - 16 - 5))),  # −15
    "quadratic": ((1.0, -2.0), 5.0),
    "six_hump_camel": ((1.0, 1.0), (4 - 2.1 + 1 / 3) + 1 + 0),
}


def test_registry_order_and_names():
    assert list(SURFACES)[:10] == [
        "rosenbrock", "saddle", "monkey_saddle", "noisy_quadratic", "rastrigin", "beale",
        "himmelblau", "ackley", "booth", "styblinski_tang"]
    assert set(SPOT_VALUES) == set(SURFACES)
    for name, s in SURFACES.items():
        assert isinstance(s, Surface) and s.name == name
        assert s.title and s.help and s.formula


@pytest.mark.parametrize("name", list(KNOWN_MINIMUM))
def test_value_at_known_minima(name):
    s = get_surface(name)
    assert s.minima and s.bounded_below
    for m in s.minima_for():
        assert value(name, *m) == pytest.approx(KNOWN_MINIMUM[name], abs=TOLERANCE.get(name, 1e-12))
        p = point(*m, grad=True)
        s.value(p).backward()
        assert torch.allclose(p.grad, torch.zeros(2, dtype=F64), atol=1e-6)


def test_himmelblau_rounded_minima_from_the_design_notes():
    for m in [(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]:
        assert abs(value("himmelblau", *m)) < 1e-9
    assert len(get_surface("himmelblau").minima) == 4


def test_styblinski_tang_minimum_at_the_reference_point():
    assert value("styblinski_tang", -2.903534, -2.903534) == pytest.approx(-78.33233, abs=1e-4)


@pytest.mark.parametrize("name", list(SPOT_VALUES))
def test_spot_value(name):
    (x, y), expected = SPOT_VALUES[name]
    assert value(name, x, y) == pytest.approx(expected, rel=1e-14, abs=1e-14)


@pytest.mark.parametrize("name", list(SURFACES))
def test_start_and_minima_in_view_and_start_not_a_minimum(name):
    s = get_surface(name)
    (x0, x1), (y0, y1) = s.bounds
    assert x0 < x1 and y0 < y1
    for x, y in (s.start, *s.minima):
        assert x0 <= x <= x1 and y0 <= y <= y1
    if name in KNOWN_MINIMUM:
        assert value(name, *s.start) > KNOWN_MINIMUM[name] + 1.0


@pytest.mark.parametrize("name", list(SURFACES))
def test_vectorized_equals_pointwise(name):
    s = get_surface(name)
    xy = torch.rand(5, 7, 2, dtype=F64, generator=torch.Generator().manual_seed(1)) * 4 - 2
    batch = s.value(xy)
    assert batch.shape == (5, 7) and batch.dtype == F64
    single = torch.stack([torch.stack([s.value(xy[i, j]) for j in range(7)]) for i in range(5)])
    torch.testing.assert_close(batch, single, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("name", list(SURFACES))
def test_keeps_float32(name):
    out = get_surface(name).value(torch.zeros(3, 2, dtype=torch.float32))
    assert out.dtype == torch.float32 and out.shape == (3,)


def test_rosenbrock_gradient_is_analytic():
    x, y, a, b = -1.3, 0.7, 1.0, 100.0
    p = point(x, y, grad=True)
    get_surface("rosenbrock").objective(p, {}, None).backward()
    expected = [-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)]
    torch.testing.assert_close(p.grad, torch.tensor(expected, dtype=F64), rtol=0, atol=1e-10)


def test_beale_gradient_is_analytic():
    x, y = 1.7, -0.6
    p = point(x, y, grad=True)
    get_surface("beale").value(p).backward()
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3
    expected = [2 * t1 * (y - 1) + 2 * t2 * (y ** 2 - 1) + 2 * t3 * (y ** 3 - 1),
                2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y ** 2]
    torch.testing.assert_close(p.grad, torch.tensor(expected, dtype=F64), rtol=0, atol=1e-10)


def test_ackley_gradient_at_the_origin_is_zero_not_nan():
    p = point(0.0, 0.0, grad=True)
    get_surface("ackley").value(p).backward()
    assert p.grad.tolist() == [0.0, 0.0]


def test_grid_shape_and_orientation():
    s = get_surface("rosenbrock")
    xs, ys, z = s.grid(box=((-1.0, 0.5), (2.0, 3.0)), resolution=11)
    assert xs.shape == ys.shape == (11,) and z.shape == (11, 11) and z.dtype == np.float64
    assert xs[0] == -1.0 and xs[-1] == 0.5 and ys[0] == 2.0 and ys[-1] == 3.0
    for j, i in [(0, 10), (3, 7), (10, 0)]:
        assert z[j, i] == pytest.approx(value("rosenbrock", xs[i], ys[j]), rel=1e-15)
    xs, ys, z = s.grid()  # default: the surface's own box
    assert z.shape == (200, 200) and (xs[0], xs[-1], ys[0], ys[-1]) == (-2.0, 2.0, -1.0, 3.0)


def test_grid_uses_params_and_rejects_tiny_resolution():
    s = get_surface("rosenbrock")
    box = ((0.0, 4.0), (0.0, 8.0))  # xs = 0, 1, 2, 3, 4; ys = 0, 2, 4, 6, 8
    _, _, z = s.grid(box=box, resolution=5, params={"a": 2.0})
    assert z[2, 2] == 0.0 and (z > 0).sum() == 24  # only (2, 4) is the minimum
    _, _, z = s.grid(box=box, resolution=5)
    assert z[2, 2] == 1.0  # default a = 1
    with pytest.raises(ConfigError):
        s.grid(resolution=1)


def test_rosenbrock_params_move_the_minimum():
    s = get_surface("rosenbrock")
    assert s.minima_for() == ((1.0, 1.0),)
    assert s.minima_for({"a": 2.0, "b": 5.0}) == ((2.0, 4.0),)
    assert value("rosenbrock", 2.0, 4.0, {"a": 2.0}) == 0.0
    assert value("rosenbrock", 2.0, 4.0) == 1.0  # default a = 1: (1 − 2)² + 0
    assert value("rosenbrock", 0.0, 1.0, {"b": 3.0}) == 1 + 3 * 1


def test_saddles_are_unbounded_below():
    for name in ("saddle", "monkey_saddle"):
        s = get_surface(name)
        assert not s.bounded_below and s.minima == ()
    assert value("saddle", 0.0, 10.0) == -100.0
    assert value("saddle", 0.0, 1e3) == -1e6
    assert value("monkey_saddle", -10.0, 0.0) == -1000.0
    assert value("monkey_saddle", 1.0, 10.0) == 1 - 300


def noisy(params, seed, xy=(1.0, -2.0)):
    return get_surface("noisy_quadratic").objective(
        point(*xy), params, torch.Generator().manual_seed(seed))


def test_noisy_quadratic_same_seed_same_noise():
    s = get_surface("noisy_quadratic")
    assert s.stochastic and not get_surface("rosenbrock").stochastic
    assert noisy({}, 3).item() == noisy({}, 3).item()
    assert noisy({}, 3).item() != noisy({}, 4).item()
    assert noisy({}, 3).item() != s.value(point(1.0, -2.0)).item()


def test_noisy_quadratic_without_noise_is_the_clean_loss():
    s = get_surface("noisy_quadratic")
    params = s.validate({"noise_scale": 0.0})
    assert noisy(params, 3).item() == s.value(point(1.0, -2.0)).item() == 0.5 * (1 + 0.04)
    assert s.objective(point(1.0, -2.0), params, None).item() == 0.5 * (1 + 0.04)


def test_noisy_quadratic_gradient_noise_covariance():
    s = get_surface("noisy_quadratic")
    params = s.validate({"h1": 1.0, "h2": 0.01, "noise_scale": 2.0, "batch_size": 4})
    n = 20000
    xy = torch.tensor([1.5, -0.5], dtype=F64).repeat(n, 1).requires_grad_()
    s.objective(xy, params, torch.Generator().manual_seed(0)).sum().backward()
    clean = torch.tensor([1.0 * 1.5, 0.01 * -0.5], dtype=F64)
    noise = xy.grad - clean
    cov = torch.cov(noise.T)
    expected = 2.0 ** 2 * torch.diag(torch.tensor([1.0, 0.01], dtype=F64)) / 4
    assert noise.mean(0).abs().max() < 0.05
    assert cov[0, 0] == pytest.approx(expected[0, 0].item(), rel=0.05)
    assert cov[1, 1] == pytest.approx(expected[1, 1].item(), rel=0.05)
    assert abs(cov[0, 1]) < 0.05 * math.sqrt(expected[0, 0] * expected[1, 1])


def test_unknown_surface_names_it():
    with pytest.raises(ConfigError) as e:
        get_surface("banana")
    assert e.value.field == "problem.surface"
    assert "'banana'" in e.value.message and "rosenbrock" in e.value.message


def test_bad_parameter_names_the_field():
    s = get_surface("noisy_quadratic")
    with pytest.raises(ConfigError) as e:
        s.validate({"batch_size": 0}, "problem.params")
    assert e.value.field == "problem.params.batch_size"
    with pytest.raises(ConfigError) as e:
        s.value(point(0.0, 0.0), {"noise_scale": -1.0})
    assert e.value.field == "noise_scale"
    with pytest.raises(ConfigError) as e:
        get_surface("rosenbrock").value(point(0.0, 0.0), {"c": 1.0})
    assert e.value.field == "c"


def test_rejects_points_without_two_coordinates():
    with pytest.raises(ValueError):
        get_surface("booth").value(torch.zeros(3, dtype=F64))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_with_a_cuda_generator():
    for s in SURFACES.values():
        xy = torch.rand(4, 2, dtype=F64) * 2 - 1
        cpu = s.value(xy)
        torch.testing.assert_close(s.value(xy.cuda()).cpu(), cpu, rtol=1e-12, atol=1e-12)
    s = get_surface("noisy_quadratic")
    out = [s.objective(torch.ones(2, dtype=F64, device="cuda"), {},
                       torch.Generator(device="cuda").manual_seed(5)).item() for _ in range(2)]
    assert out[0] == out[1] != s.value(torch.ones(2, dtype=F64)).item()
