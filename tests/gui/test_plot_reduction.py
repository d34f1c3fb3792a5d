"""Long races draw few points: the step plots keep each pixel column's extremes, the map's
paths keep the points where they move to another pixel cell, and both stay exact while
they are short. Incremental updates equal a fresh computation."""
import math

import numpy as np
import pytest

from optplayground.core.history import COLUMNS, RunHistory
from optplayground.core.surfaces import get_surface
from optplayground.gui.plots import LossPlot, TrajectoryMap
from optplayground.gui.plots.base import CURVE_WIDTH, DENSE_WIDTH, nice_bounds, nice_ceiling
from optplayground.gui.plots.envelope import BLOCK, MIN_RAW, Envelope
from optplayground.gui.plots.paths import CELL_PIXELS, MIN_THIN, PixelPath, cell_size

from .live_rows import append_rows, original, synthetic_live


def brute_peaks(x, y, i0, i1, k):
    """Each bucket of k values from the multiple of k at or below i0: (x, max), (x, min)."""
    starts = np.arange(i0 - i0 % k, i1, k)
    hi = [y[a:min(a + k, i1)].max() for a in starts]
    lo = [y[a:min(a + k, i1)].min() for a in starts]
    return np.repeat(x[starts], 2), np.ravel(np.column_stack([hi, lo]))


def run_history(n, cap=10**9):
    run = RunHistory("r", "sgd", cap)
    rows = np.zeros((n, len(COLUMNS)))
    rows[:, 0] = np.arange(n)
    run.append(rows)
    return run


@pytest.mark.parametrize("i0, i1, width", [(0, 300_000, 700), (12_345, 250_001, 500),
                                           (5, 60_000, 300), (0, 9_000, 1000)])
def test_envelope_points_are_each_pixel_columns_max_and_min(i0, i1, width):
    y = np.random.default_rng(0).normal(size=300_000).cumsum()
    x = np.arange(len(y), dtype=float)
    source = run_history(len(y))
    envelope = Envelope()
    for n in (10, 5_000, 177_777, len(y)):  # grown in steps, as a race grows
        envelope.update(y[:n], source)
    xs, ys = envelope.points(x, y, i0, i1, width)
    k = -(-(i1 - i0) // width)
    k += -k % BLOCK if k >= 4 * BLOCK else 0
    ex, ey = brute_peaks(x, y, i0, i1, k)
    np.testing.assert_array_equal(xs, ex)
    np.testing.assert_array_equal(ys, ey)
    assert len(xs) <= 2 * (width + 1)
    assert ys.max() == y[i0 - i0 % k:i1].max() and ys.min() == y[i0 - i0 % k:i1].min()


def test_a_short_curve_is_drawn_point_by_point():
    y = np.arange(MIN_RAW, dtype=float)
    envelope = Envelope()
    envelope.update(y, run_history(len(y)))
    xs, ys = envelope.points(y, y, 0, len(y), 300)
    np.testing.assert_array_equal(ys, y)


def test_envelope_forgets_a_new_race_and_the_rethinned_tail():
    y = np.random.default_rng(1).normal(size=10 * BLOCK)
    old, new = run_history(len(y)), run_history(len(y))
    envelope = Envelope()
    envelope.update(y, old)
    envelope.update(-y, new)  # another race: the old extremes must go
    np.testing.assert_array_equal(envelope.lo.view(), (-y).reshape(-1, BLOCK).min(axis=1))
    capped = run_history(0, cap=3 * BLOCK)
    capped.append(np.zeros((20 * BLOCK, len(COLUMNS))))  # past the cap: a decimated tail
    envelope.update(y, capped)
    capped.tail.stride *= 2  # the tail thinned itself: only the exact rows are still valid
    envelope.update(y[:5 * BLOCK] + 1, capped)
    expected = np.concatenate([y[:3 * BLOCK], y[3 * BLOCK:5 * BLOCK] + 1]).reshape(-1, BLOCK)
    np.testing.assert_array_equal(envelope.hi.view(), expected.max(axis=1))


def shown_loss_plot(qtbot, live):
    """A linear-axis loss plot of `live`, shown 600 pixels wide."""
    plot = LossPlot(log_y=False)
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.show()
    plot.refresh(live)
    return plot


def test_loss_plot_draws_two_points_per_pixel_and_keeps_the_spike(qtbot):
    loss = np.random.default_rng(2).uniform(1.0, 2.0, 200_000)
    loss[123_457] = 1e6
    live = synthetic_live([loss])
    plot = shown_loss_plot(qtbot, live)
    x, y = original(plot.curves[0])
    width = plot.plotItem.vb.width()
    assert 0 < len(x) <= 2 * (width + 1)
    assert y.max() == 1e6 and y.min() == loss.min()
    assert x[0] == 0 and x[-1] <= len(loss) - 1
    assert plot.curves[0].opts["pen"].widthF() == DENSE_WIDTH  # a band: a hairline is enough
    short = synthetic_live([loss[:100]])
    plot.refresh(short)
    assert plot.curves[0].opts["pen"].widthF() == CURVE_WIDTH


def test_zooming_in_draws_the_points_in_view(qtbot):
    loss = np.random.default_rng(3).uniform(1.0, 2.0, 100_000)
    live = synthetic_live([loss])
    plot = shown_loss_plot(qtbot, live)
    plot.setXRange(5_000, 5_200, padding=0)
    x, y = original(plot.curves[0])
    assert x[0] <= 5_000 and x[-1] >= 5_200 and len(x) < 300
    np.testing.assert_array_equal(y, loss[int(x[0]):int(x[-1]) + 1])


def test_step_plots_fit_round_bounds_so_axes_keep_still():
    assert nice_ceiling(1234) == 2000 and nice_ceiling(0.03) == pytest.approx(0.05)
    assert nice_bounds(0.37, 42.0, log=True) == (0.1, 100.0)
    low, high = nice_bounds(0.0101, 0.0149, log=False)
    assert low <= 0.0101 and high >= 0.0149 and high - low <= 0.01
    assert nice_bounds(0.5, 0.5, log=False)[0] < 0.5 < nice_bounds(0.5, 0.5, log=False)[1]


@pytest.mark.parametrize("last_step, x_end", [(100_000, 5_000), (3_000, 3_000)])
def test_the_step_axis_ends_at_a_round_step_or_where_the_race_ends(qtbot, last_step, x_end):
    live = synthetic_live([np.linspace(2.0, 1.0, 3_001)])
    live.steps = last_step
    plot = LossPlot(log_y=False)
    qtbot.addWidget(plot)
    plot.refresh(live)
    assert plot._box[0] == [0.0, x_end]


def test_pixel_path_keeps_a_point_per_cell_change_and_the_last_point():
    rng = np.random.default_rng(4)
    n = 20_000
    x = np.cumsum(rng.normal(0, 1e-4, n))  # a crawl far below a pixel per step
    y = np.cumsum(rng.normal(0, 1e-4, n))
    source = run_history(n)
    pixel = (0.01, 0.02)
    path = PixelPath()
    for m in (MIN_THIN + 1, 7_000, n):  # grown in steps
        xs, ys = path.points(x[:m], y[:m], source, pixel)
    fresh = PixelPath().points(x, y, source, pixel)
    np.testing.assert_array_equal(xs, fresh[0])
    cx = np.floor(x / cell_size(CELL_PIXELS * 0.01))
    cy = np.floor(y / cell_size(CELL_PIXELS * 0.02))
    changed = np.concatenate([[True], (np.diff(cx) != 0) | (np.diff(cy) != 0)])
    changed[-1] = True  # the path always ends on its last point
    np.testing.assert_array_equal(xs, x[changed])
    np.testing.assert_array_equal(ys, y[changed])
    assert len(xs) < n / 4


def test_cell_size_is_a_power_of_two_within_a_pixel():
    for pixel in (0.006, 1.0, 3.0, 1e-7):
        cell = cell_size(pixel)
        assert cell <= pixel < 2 * cell and math.log2(cell) == int(math.log2(cell))


def test_trajectory_map_thins_a_long_path_and_ends_on_the_last_point(qtbot):
    n = 30_000
    t = np.linspace(0, 1, n)
    live = synthetic_live([np.ones(n)], xs=[-1.5 + 2.5 * t], ys=[2.0 - 1.0 * t ** 2])
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    view.set_surface(get_surface("rosenbrock"), {}, (-1.5, 2.0))
    view.refresh(live)
    px, py = view._paths[0].xData, view._paths[0].yData
    assert len(px) < 2_000
    assert (px[0], py[0]) == (-1.5, 2.0) and (px[-1], py[-1]) == (live.column(0, "x")[-1],
                                                                  live.column(0, "y")[-1])
    assert view.head(0) == (px[-1], py[-1])


def test_the_map_paints_the_old_part_of_a_path_once_and_the_tail_each_frame(qtbot):
    from optplayground.gui.plots.trajectory_map import TAIL_POINTS

    n = 4_000  # a spiral: every step moves to another pixel cell
    t = np.linspace(0, 6 * np.pi, n)
    xs, ys = [0.5 + 0.1 * t * np.cos(t)], [1.0 + 0.1 * t * np.sin(t)]
    live = synthetic_live([np.ones(n // 2)], xs=[xs[0][:n // 2]], ys=[ys[0][:n // 2]])
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    view.set_surface(get_surface("rosenbrock"), {}, (-1.5, 2.0))

    def parts():
        path, settled = view._paths[0], view._settled[0]
        tail = path.getPath()
        old = settled.getData()[0]
        assert settled.getPath().elementCount() == len(old)  # it paints what it holds
        return path.xData, old, path.settled, tail.elementCount()

    view.refresh(live)
    full, old, start, tail_points = parts()
    assert len(full) > TAIL_POINTS and start == len(old) - 1  # the tail starts where it ends
    np.testing.assert_array_equal(old, full[:len(old)])
    assert tail_points == len(full) - start <= TAIL_POINTS
    assert view._settled[0].cacheMode() != view._settled[0].CacheMode.NoCache

    append_rows(live, [np.ones(10)], xs=[xs[0][n // 2:n // 2 + 10]], ys=[ys[0][n // 2:n // 2 + 10]])
    kept_before = old
    view.refresh(live)
    full, old, start, tail_points = parts()
    assert old is kept_before  # a few new points: only the tail is new
    assert tail_points == len(full) - start

    rest = slice(n // 2 + 10, n)
    append_rows(live, [np.ones(n - n // 2 - 10)], xs=[xs[0][rest]], ys=[ys[0][rest]])
    view.refresh(live)
    full, old, start, tail_points = parts()
    np.testing.assert_array_equal(old, full[:len(old)])  # moved on, and still the same path
    assert tail_points == len(full) - start <= TAIL_POINTS

    before = old.copy()
    view.vb.scaleBy((0.5, 0.5))  # zoomed in: finer cells, a new path, settled afresh
    full, old, start, _ = parts()
    assert len(full) > len(before) and not np.array_equal(old[:len(before)], before)
    np.testing.assert_array_equal(old, full[:len(old)])
    assert start == len(old) - 1 and len(full) - start <= TAIL_POINTS


def test_step_curves_are_hairlines_while_racing_and_full_width_after(qtbot):
    from optplayground.gui.plots.lr_plot import LRPlot

    live = synthetic_live([np.linspace(1.0, 2.0, 20)])
    plot = LRPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.set_runs(live.styles)
    plot.refresh(live)
    assert plot.curves[0].opts["pen"].widthF() == CURVE_WIDTH  # 20 points: not dense
    plot.racing = True
    plot._forget_drawn()
    plot.refresh(live)
    assert plot.curves[0].opts["pen"].widthF() == DENSE_WIDTH
