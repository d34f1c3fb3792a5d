"""Generated datasets: deterministic per seed, the geometry they promise, shapes and splits."""
import math

import numpy as np
import pytest
import torch

from optplayground.core.datasets import DATASETS, make_dataset
from optplayground.core.params import ConfigError

SMALL = {"n_points": 60}


@pytest.mark.parametrize("name", list(DATASETS))
def test_each_dataset_is_deterministic_per_seed_and_differs_across_seeds(name):
    a, b, c = (make_dataset(name, SMALL, seed) for seed in (3, 3, 4))
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a, field), getattr(b, field))
    assert not torch.equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_dtypes_labels_and_split(name):
    spec = DATASETS[name]
    data = make_dataset(name, {"n_points": 50, "test_fraction": 0.3}, seed=1)
    assert (data.n_train, data.n_test) == (35, 15)  # floor(0.3 · 50) = 15 test points
    assert data.x_train.shape == (35, spec.input_dim) and data.x_test.shape == (15, spec.input_dim)
    assert data.y_train.shape == (35,) and data.y_test.shape == (15,)
    assert data.x_train.dtype == torch.float64
    if spec.task == "classification":
        assert data.y_train.dtype == torch.int64 and data.n_classes == 2
        labels = torch.cat((data.y_train, data.y_test))
        assert set(labels.tolist()) == {0, 1}
    else:
        assert data.y_train.dtype == torch.float64 and data.n_classes == 0
    # train and test are disjoint: no point appears in both
    train = {tuple(p) for p in data.x_train.tolist()}
    assert not train & {tuple(p) for p in data.x_test.tolist()}


def test_linear_has_slope_two_and_intercept_one_and_no_test_split_by_default():
    data = make_dataset("linear", {}, seed=0)
    assert (data.n_train, data.n_test, data.input_dim) == (100, 0, 1)
    x = data.x_train[:, 0].numpy()
    assert x.min() >= -1 and x.max() <= 1
    slope, intercept = np.polyfit(x, data.y_train.numpy(), 1)
    assert abs(slope - 2) < 0.15 and abs(intercept - 1) < 0.1
    residual = data.y_train.numpy() - (slope * x + intercept)
    assert 0.15 < residual.std() < 0.25  # the noise is σ = 0.2


def test_clean_circle_is_a_disc_inside_a_ring():
    data = make_dataset("circle", {"noise": 0.0, "n_points": 200, "test_fraction": 0}, seed=2)
    r = torch.linalg.vector_norm(data.x_train, dim=1)
    assert (r[data.y_train == 1] <= 2.5).all() and (r[data.y_train == 0] >= 3.5).all()
    assert (data.y_train == 1).sum() == 100


def test_clean_xor_labels_are_the_sign_of_x_times_y_off_the_axes():
    data = make_dataset("xor", {"noise": 0.0, "test_fraction": 0}, seed=5)
    x, y = data.x_train.unbind(1)
    assert torch.equal(data.y_train, (x * y > 0).long())
    assert (x.abs() >= 0.3).all() and (y.abs() >= 0.3).all()


def test_clean_spiral_arms_are_evenly_spaced_with_balanced_classes():
    data = make_dataset("spiral", {"noise": 0.0, "n_points": 90, "n_classes": 3,
                                   "test_fraction": 0}, seed=0)
    assert data.n_classes == 3 and torch.bincount(data.y_train).tolist() == [30, 30, 30]
    radii = sorted(torch.linalg.vector_norm(data.x_train[data.y_train == 2], dim=1).tolist())
    np.testing.assert_allclose(radii, 5 * np.arange(30) / 30, atol=1e-12)


def test_gaussian_blobs_are_centred_where_documented():
    data = make_dataset("gaussians", {"noise": 0.0, "n_points": 400, "test_fraction": 0}, seed=0)
    means = [data.x_train[data.y_train == c].mean(0).tolist() for c in (0, 1)]
    np.testing.assert_allclose(means, [[2, 2], [-2, -2]], atol=0.15)


def test_dataset_generation_leaves_global_rngs_alone():
    torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    make_dataset("moons", {}, seed=0)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state)


def test_to_moves_inputs_but_keeps_labels_int64():
    data = make_dataset("moons", SMALL, seed=0).to("cpu", torch.float32)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    reg = make_dataset("plane", SMALL, seed=0).to("cpu", torch.float32)
    assert reg.y_test.dtype == torch.float32


@pytest.mark.parametrize("params, field", [
    ({"test_fraction": 1.0}, "problem.data.test_fraction"),
    ({"noise": -0.1}, "problem.data.noise"),
    ({"n_points": 2}, "problem.data.n_points"),
    ({"colour": 1}, "problem.data.colour"),
])
def test_bad_dataset_params_name_the_field(params, field):
    with pytest.raises(ConfigError) as error:
        make_dataset("circle", params, seed=0)
    assert error.value.field == field


def test_unknown_dataset_names_the_field():
    with pytest.raises(ConfigError) as error:
        make_dataset("mnist", {}, seed=0)
    assert error.value.field == "problem.dataset" and "circle" in error.value.message


def test_almost_everything_held_out_still_leaves_a_training_point():
    data = make_dataset("linear", {"n_points": 10, "test_fraction": 0.99}, seed=0)
    assert (data.n_train, data.n_test) == (1, math.floor(9.9))
