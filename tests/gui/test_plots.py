"""The plot widgets draw exactly the race's numbers, and the maps behave under the mouse."""
import math
import warnings

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from optplayground.core.engine import Batch, Engine, RunRows
from optplayground.core.expression import formula_surface
from optplayground.core.experiment import Clip, Run, default_experiment, surface_of, validate
from optplayground.core.history import COLUMNS
from optplayground.core.surfaces import get_surface
from optplayground.gui.live import LiveRuns
from optplayground.gui.plots import (GradNormPlot, LossPlot, LRPlot, MapGrid, TrajectoryMap,
                                     link_step_axes)
from optplayground.gui.plots import heat as heat_module
from optplayground.gui.plots import map_grid as map_grid_module
from optplayground.gui.plots.heat import (Heat, compute_heat, contour_segments, log_compress,
                                          same_box)
from optplayground.gui.plots.loss_plot import Smoother, debiased_ema, ema
from optplayground.gui.plots.map_grid import grid_columns
from optplayground.gui.plots.trajectory_map import PATH_MAX, path_points
from .waits import ENGINE_MS


def race_experiment():
    exp = default_experiment()
    exp.steps = 50
    exp.runs[1].clip = Clip(mode="norm", max_norm=5.0)
    exp.runs[2].clip = Clip(mode="value", clip_value=2.0)
    return exp


@pytest.fixture(scope="module")
def race():
    """A real 50-step race of the default experiment (two runs clip their gradients)."""
    exp = race_experiment()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = Engine(exp, keep_history=False)
        live = LiveRuns()
        live.reset(validate(exp), 1)
        live.add_batch(1, engine.advance(50))
    return live


def synthetic_live(losses, xs=None, ys=None, cap=1_000_000):
    """A LiveRuns holding given loss (and optionally x, y) rows, one array per run."""
    exp = default_experiment()
    exp.runs = exp.runs[:len(losses)]
    exp.history_cap = cap
    live = LiveRuns()
    live.reset(validate(exp), 1)
    append_rows(live, losses, xs, ys)
    return live


def append_rows(live, losses, xs=None, ys=None):
    parts = []
    for i, loss in enumerate(losses):
        n = len(loss)
        start = live.run(i).rows_seen
        rows = np.zeros((n, len(COLUMNS)))
        rows[:, 0] = np.arange(start, start + n)
        rows[:, 1] = xs[i] if xs is not None else 0.0
        rows[:, 2] = ys[i] if ys is not None else 0.0
        rows[:, 3] = loss
        rows[:, 4] = 0.01
        parts.append(RunRows(i, rows, "running"))
    assert live.add_batch(1, Batch(live.step + max(map(len, losses)), parts))


def hand_debiased_ema(x, w):
    out, s = [], 0.0
    for t, v in enumerate(x, start=1):
        s = w * s + (1 - w) * v
        out.append(s / (1 - w ** t))
    return np.array(out)


def original(curve):
    x, y = curve.getOriginalDataset()
    return np.asarray(x), np.asarray(y)


# ------------------------------------------------------------------ step plots

def test_loss_plot_draws_the_loss_column_of_every_run(qtbot, race):
    plot = LossPlot(log_y=False)
    qtbot.addWidget(plot)
    plot.set_runs(race.styles)
    plot.refresh(race)
    assert len(plot.curves) == len(race) == 4
    for i, curve in enumerate(plot.curves):
        x, y = original(curve)
        np.testing.assert_array_equal(x, race.column(i, "step"))
        np.testing.assert_array_equal(y, race.column(i, "loss"))
        assert curve.opts["pen"].color().name() == race.styles[i].color
    names = [label.text for _sample, label in plot.legend.items]
    assert names == [s.name for s in race.styles]


def test_refresh_redraws_only_runs_with_new_rows(qtbot):
    live = synthetic_live([np.array([3.0, 2.0]), np.array([5.0, 4.0])])
    plot = LRPlot()
    qtbot.addWidget(plot)
    plot.refresh(live)  # makes its curves from the race's styles
    for curve in plot.curves:
        curve.setData([0.0], [123.0])
    plot.refresh(live)
    live.version += 1  # e.g. a status change: no new rows
    plot.refresh(live)
    assert [list(original(c)[1]) for c in plot.curves] == [[123.0], [123.0]]
    append_rows(live, [np.array([1.0]), np.array([])])
    plot.refresh(live)
    np.testing.assert_array_equal(original(plot.curves[0])[1], live.column(0, "lr"))
    assert list(original(plot.curves[1])[1]) == [123.0]


def test_lr_plot_shows_the_lr_column_and_toggles_log_y(qtbot, race):
    plot = LRPlot()
    qtbot.addWidget(plot)
    plot.set_runs(race.styles)
    plot.refresh(race)
    for i, curve in enumerate(plot.curves):
        x, y = original(curve)
        np.testing.assert_array_equal(x, race.column(i, "step"))
        np.testing.assert_array_equal(y, race.column(i, "lr"))
    assert not plot.log_y and not plot.getAxis("left").logMode
    plot.set_log_y(True)
    assert plot.log_y and plot.getAxis("left").logMode
    shown = plot.curves[1].getData()[1]
    np.testing.assert_allclose(shown, np.log10(race.column(1, "lr")), rtol=1e-12)
    plot.set_log_y(False)
    assert not plot.getAxis("left").logMode


def test_run_curves_map_log_y_as_plot_data_items_do_and_keep_the_original(qtbot):
    """The step plots' RunCurves skip PlotDataItem's work but not its log-y behaviour."""
    live = synthetic_live([np.array([1.0, 0.0, -2.0, 10.0, 100.0])])
    plot = LossPlot(log_y=True)
    qtbot.addWidget(plot)
    plot.set_runs(live.styles)
    reference = pg.PlotDataItem()
    plot.addItem(reference)
    curve = plot.curves[0]
    for values in ([1.0, 0.0, -2.0, 10.0, 100.0], [0.5, 2.0, np.nan, 4.0, 8.0]):
        x = np.arange(5.0)
        curve.setData(x, np.array(values))
        reference.setData(x, np.array(values))
        np.testing.assert_array_equal(curve.getOriginalDataset()[1], values)
        shown, expected = curve.getData()[1], reference.getData()[1]
        np.testing.assert_array_equal(np.isfinite(shown), np.isfinite(expected))
        np.testing.assert_allclose(shown[np.isfinite(shown)], expected[np.isfinite(expected)])
    plot.set_log_y(False)  # the PlotItem switches every curve back
    np.testing.assert_array_equal(curve.getData()[1], [0.5, 2.0, np.nan, 4.0, 8.0])
    # Options that only PlotDataItems follow are greyed out, not silently ignored.
    ctrl = plot.plotItem.ctrl
    assert not ctrl.fftCheck.isEnabled() and not ctrl.decimateGroup.isEnabled()
    assert ctrl.logYCheck.isEnabled() and ctrl.gridGroup.isEnabled()


def test_grad_norm_plot_raw_solid_clipped_dashed_and_thresholds(qtbot, race):
    plot = GradNormPlot()
    qtbot.addWidget(plot)
    plot.set_runs(race.styles)
    plot.refresh(race)
    assert plot.log_y  # by default
    for i, (raw, clipped, line) in enumerate(plot._items):
        np.testing.assert_array_equal(original(raw)[1], race.column(i, "grad_norm"))
        assert raw.opts["pen"].style() == Qt.PenStyle.SolidLine
        assert clipped.opts["pen"].style() == Qt.PenStyle.DashLine
        assert clipped.opts["pen"].color().name() == race.styles[i].color
        clips = race.styles[i].clip.mode != "none"
        assert clipped.isVisible() == clips
        if clips:
            np.testing.assert_array_equal(original(clipped)[1], race.column(i, "grad_norm_clipped"))
    # Adam clips by norm at 5 (torch divides by norm + 1e-6): the dashed curve touches 5.
    clipped_adam = race.column(1, "grad_norm_clipped")
    assert clipped_adam.max() <= 5.0 and clipped_adam.max() == pytest.approx(5.0, rel=1e-6)
    assert plot.thresholds() == [None, pytest.approx(5.0), None, None]
    line = plot._items[1][2]
    assert line.isVisible() and line.value() == pytest.approx(math.log10(5.0), abs=1e-12)
    assert line.pen.style() == Qt.PenStyle.DotLine
    assert not any(items[2].isVisible() for k, items in enumerate(plot._items) if k != 1)
    plot.set_log_y(False)
    assert line.value() == pytest.approx(5.0)


def test_set_styles_restyles_without_recreating(qtbot, race):
    plot = GradNormPlot()
    qtbot.addWidget(plot)
    plot.set_runs(race.styles)
    plot.refresh(race)
    before = [list(items) for items in plot._items]
    styles = list(race.styles)
    styles[0] = styles[0].__class__("Heavy ball", "#abcdef", styles[0].optimizer,
                                    Clip(mode="norm", max_norm=2.0))
    plot.set_styles(styles)
    assert [list(items) for items in plot._items] == before
    raw, clipped, line = plot._items[0]
    assert raw.opts["pen"].color().name() == "#abcdef"
    assert clipped.isVisible() and line.isVisible()
    assert plot.thresholds()[0] == pytest.approx(2.0)
    assert plot.legend.items[0][1].text == "Heavy ball"


def test_link_step_axes_moves_the_steps_together(qtbot, race):
    plots = [LossPlot(), LRPlot(), GradNormPlot()]
    for plot in plots:
        qtbot.addWidget(plot)
    link_step_axes(plots)
    plots[2].setXRange(10, 20, padding=0)
    for plot in plots:
        assert plot.viewRange()[0] == pytest.approx([10, 20])


# ------------------------------------------------------------------ loss: log and smoothing

def test_log_loss_is_the_loss_while_positive_and_loss_minus_best_below_zero(qtbot):
    positive = [np.array([4.0, 2.0, 1.0]), np.array([3.0, 0.5, 0.25])]
    live = synthetic_live(positive)
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.refresh(live)
    assert plot.log_y
    np.testing.assert_array_equal(original(plot.curves[1])[1], positive[1])
    assert plot.getAxis("left").labelText == "loss"
    append_rows(live, [np.array([-78.0]), np.array([-10.0])])
    plot.refresh(live)
    tiny = 1e-12 * 78.0
    np.testing.assert_allclose(original(plot.curves[0])[1],
                               np.array([4.0, 2.0, 1.0, -78.0]) + 78.0 + tiny, rtol=1e-15)
    np.testing.assert_allclose(original(plot.curves[1])[1],
                               np.array([3.0, 0.5, 0.25, -10.0]) + 78.0 + tiny, rtol=1e-15)
    assert plot.getAxis("left").labelText == "loss − lowest loss seen"
    plot.set_log_y(False)
    np.testing.assert_array_equal(original(plot.curves[0])[1], [4.0, 2.0, 1.0, -78.0])
    assert plot.getAxis("left").labelText == "loss"


@pytest.mark.parametrize("weight", [0.5, 0.9, 0.99])
def test_ema_equals_a_plain_loop(weight):
    x = np.random.default_rng(1).normal(size=700) * 10 + np.linspace(50, 0, 700)
    np.testing.assert_allclose(debiased_ema(x, weight), hand_debiased_ema(x, weight),
                               rtol=1e-12, atol=0)
    half = ema(x[:300], weight)
    rest = ema(x[300:], weight, start=half[-1])
    np.testing.assert_allclose(np.concatenate([half, rest]), ema(x, weight), rtol=1e-12)


def test_smoother_over_two_calls_equals_one_shot():
    x = np.array([5.0, 3.0, 4.0, 1.0, 2.0, 0.5, 0.7])
    one_shot = Smoother(0.8).smooth(x, len(x))
    smoother = Smoother(0.8)
    first = smoother.smooth(x[:3], 3).copy()
    second = smoother.smooth(x, len(x))
    np.testing.assert_allclose(second, one_shot, rtol=1e-15)
    np.testing.assert_allclose(second, hand_debiased_ema(x, 0.8), rtol=1e-13)
    np.testing.assert_array_equal(first, second[:3])


def test_loss_plot_smooths_incrementally_and_equals_the_hand_ema(qtbot):
    x = [np.array([5.0, 3.0, 4.0, 1.0]), np.array([2.0, 2.5, 1.5, 1.0])]
    live = synthetic_live(x)
    plot = LossPlot(log_y=False)
    qtbot.addWidget(plot)
    plot.set_smoothing(0.6)
    plot.refresh(live)
    more = [np.array([0.5, 0.8, 0.2]), np.array([0.9, 0.1, 0.3])]
    append_rows(live, more)
    plot.refresh(live)
    for i in range(2):
        whole = np.concatenate([x[i], more[i]])
        np.testing.assert_allclose(original(plot.curves[i])[1], hand_debiased_ema(whole, 0.6),
                                   rtol=1e-13)
        np.testing.assert_array_equal(original(plot.curves[i])[0], np.arange(7.0))
    plot.set_smoothing(0)
    np.testing.assert_array_equal(original(plot.curves[0])[1], np.concatenate([x[0], more[0]]))
    with pytest.raises(ValueError, match="smoothing"):
        plot.set_smoothing(1.0)


def test_smoothing_past_the_history_cap_weights_each_kept_row_by_its_stride(qtbot):
    rng = np.random.default_rng(3)
    loss = rng.uniform(1, 2, 2700)
    live = synthetic_live([loss], cap=100)
    run = live.run(0)
    assert run.tail is not None and run.tail.stride > 1
    plot = LossPlot(log_y=False)
    qtbot.addWidget(plot)
    plot.set_smoothing(0.9)
    plot.refresh(live)
    kept = live.column(0, "loss")
    w, stride = 0.9, run.tail.stride
    expected = list(hand_debiased_ema(kept[:100], w))
    s = (1 - w ** 100) * expected[-1]  # the biased state after the exact rows
    for k, value in enumerate(kept[100:], start=1):
        s = w ** stride * s + (1 - w ** stride) * value
        expected.append(s / (1 - w ** (100 + stride * k)))
    np.testing.assert_allclose(original(plot.curves[0])[1], expected, rtol=1e-12)


# ------------------------------------------------------------------ the surface picture

def test_log_compress_and_contours():
    z = np.array([[1.0, 2.0], [np.inf, np.nan], [-np.inf, 1001.0]])
    image, fmin, floor = log_compress(z)
    assert fmin == 1.0 and floor == pytest.approx(1000 * heat_module.FLOOR_FRACTION)
    assert image[0, 0] == pytest.approx(math.log10(floor))
    assert image[1, 0] == image[2, 1] == pytest.approx(math.log10(1000 + floor))  # +inf: top
    assert image[2, 0] == image[0, 0] and math.isnan(image[1, 1])
    xs = ys = np.linspace(-2, 2, 101)
    gx, gy = np.meshgrid(xs, ys)
    cx, cy = contour_segments(xs, ys, gx ** 2 + gy ** 2, [1.0])
    assert len(cx) > 100 and len(cx) % 2 == 0
    np.testing.assert_allclose(np.hypot(cx, cy), 1.0, atol=1e-3)


def test_flat_and_undefined_surfaces_still_make_a_picture():
    flat = compute_heat(formula_surface("0"), {}, ((-1.0, 1.0), (-1.0, 1.0)), 20)
    assert flat.fmin == flat.fmax == 0.0 and np.isfinite(flat.image).all()
    assert flat.levels[1] > flat.levels[0] and flat.ticks() == [(flat.levels[0], "0")]
    assert len(flat.contour_x) == 0
    nowhere = compute_heat(formula_surface("sqrt(-1 - x*x)"), {}, ((-1.0, 1.0), (-1.0, 1.0)), 20)
    assert np.isnan(nowhere.image).all() and nowhere.ticks() == [] and len(nowhere.contour_x) == 0


def test_colour_bar_ticks_are_round_losses_on_the_log_scale():
    rosen = compute_heat(get_surface("rosenbrock"), {}, get_surface("rosenbrock").bounds)
    labels = [text for _, text in rosen.ticks()]
    assert len(labels) >= 4
    for position, text in rosen.ticks():
        value = float(text.replace("−", "-"))
        assert f"{value:.0e}"[0] in "125"
        assert position == pytest.approx(math.log10(value - rosen.fmin + rosen.floor))
    st = get_surface("styblinski_tang")
    heat = compute_heat(st, {}, st.bounds)
    values = [float(t.replace("−", "-")) for _, t in heat.ticks()]
    assert values == sorted(values) and values[0] < -70 and heat.fmin > -78.34


def test_trajectory_map_draws_the_log_surface_minima_and_start(qtbot):
    surface = get_surface("rosenbrock")
    view = TrajectoryMap()
    qtbot.addWidget(view)
    assert view.vb.state["aspectLocked"] == 1.0  # 1:1 by default; here the box fills the view
    view.set_equal_aspect(False)
    view.set_surface(surface, {}, (-1.5, 2.0))
    xs, ys, z = surface.grid(surface.bounds, 200, {})
    expected, fmin, _floor = log_compress(z)
    assert view.image.image.shape == (200, 200)
    np.testing.assert_array_equal(view.image.image, expected)
    assert view.heat.fmin == fmin == z.min()
    assert same_box(view.view_box(), surface.bounds)
    rect = view.image.mapRectToParent(view.image.boundingRect())
    dx = 4 / 199
    assert rect.left() == pytest.approx(-2 - dx / 2) and rect.right() == pytest.approx(2 + dx / 2)
    assert view.colorbar.levels() == pytest.approx(view.heat.levels)
    minima = view.minima.getData()
    assert list(minima[0]) == [1.0] and list(minima[1]) == [1.0]
    assert view.start() == (-1.5, 2.0)
    assert [label.text for _sample, label in view.legend.items] == ["minimum"]
    with qtbot.assertNotEmitted(view.startMoved):
        view.set_start(0.5, -0.5)
    assert view.start() == (0.5, -0.5)
    view.set_surface(get_surface("saddle"), {}, (1.0, 0.0))  # unbounded: no minimum to mark
    assert view.legend.items == [] and len(view.minima.data) == 0


def test_trajectory_map_paths_heads_and_show_only(qtbot, race):
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.set_surface(get_surface("rosenbrock"), {}, (-1.5, 2.0))
    view.set_runs(race.styles)
    view.refresh(race)
    for i, path in enumerate(view._paths):
        np.testing.assert_array_equal(path.xData, race.column(i, "x"))
        np.testing.assert_array_equal(path.yData, race.column(i, "y"))
        assert view.head(i) == (race.column(i, "x")[-1], race.column(i, "y")[-1])
        assert path.opts["pen"].color().name() == race.styles[i].color

    def heads_drawn():  # the one scatter item's spots: where and in which colour
        return [((s.pos().x(), s.pos().y()), s.brush().color().name()) for s in view.marks.heads.points()]

    assert heads_drawn() == [(view.head(i), style.color) for i, style in enumerate(race.styles)]
    view.show_only(2)
    assert [p.isVisible() for p in view._paths] == [False, False, True, False]
    assert [view.head(i) is not None for i in range(4)] == [False, False, True, False]
    assert heads_drawn() == [(view.head(2), race.styles[2].color)]
    view.show_only(None)
    assert all(p.isVisible() for p in view._paths)
    assert len(heads_drawn()) == 4


def test_long_paths_are_thinned_keeping_the_start_and_the_end():
    n = 50_000
    x, y = np.arange(n, dtype=float), -np.arange(n, dtype=float)
    x[7] = np.nan
    px, py = path_points(x, y)
    assert PATH_MAX // 2 < len(px) <= PATH_MAX and np.isfinite(px).all()
    assert px[0] == 0 and px[-1] == n - 1 and py[-1] == -(n - 1)
    assert np.all(np.diff(px) > 0)


def test_a_longer_path_keeps_the_thinned_points_of_a_shorter_one():
    """The map paints the old part of a path once (RunPath): thinning must not move it."""
    x = np.arange(40_000, dtype=float)
    shorter, _ = path_points(x[:15_000], x[:15_000])
    longer, _ = path_points(x[:25_000], x[:25_000])  # the same stride (8): same points
    assert np.array_equal(longer[:len(shorter) - 1], shorter[:-1])
    assert shorter[-1] == 14_999 and longer[-1] == 24_999


def click_map_at(qtbot, view, x, y):
    scene_point = view.vb.mapViewToScene(QPointF(x, y))
    pixel = view.mapFromScene(scene_point)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pixel)


def test_a_click_on_the_map_picks_a_start(qtbot):
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    view.set_surface(get_surface("rosenbrock"), {}, (-1.5, 2.0))
    with qtbot.waitSignal(view.startPicked, timeout=ENGINE_MS) as blocker:
        click_map_at(qtbot, view, 0.5, 1.5)
    x, y = blocker.args
    per_pixel = 4 / view.vb.width()
    assert abs(x - 0.5) < 2 * per_pixel and abs(y - 1.5) < 2 * per_pixel
    # A drag pans instead, and picks nothing.
    port, start = view.viewport(), view.mapFromScene(view.vb.mapViewToScene(QPointF(0.5, 0.5)))
    with qtbot.assertNotEmitted(view.startPicked):
        qtbot.mousePress(port, Qt.MouseButton.LeftButton, pos=start)
        for k in range(1, 11):
            qtbot.mouseMove(port, start + QPoint(8 * k, 0))
        qtbot.mouseRelease(port, Qt.MouseButton.LeftButton, pos=start + QPoint(80, 0))
    (x0, x1), _ = view.view_box()
    assert x0 == pytest.approx(-2 - 80 * per_pixel, abs=3 * per_pixel) and x1 - x0 == pytest.approx(4)
    assert view.start() == (-1.5, 2.0)


def test_dragging_the_start_marker_emits_start_moved(qtbot):
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    view.set_surface(get_surface("rosenbrock"), {}, (-1.5, 2.0))
    box = view.view_box()  # the surface's box, widened to 1:1
    pixel = view.mapFromScene(view.vb.mapViewToScene(QPointF(-1.5, 2.0)))
    target = view.mapFromScene(view.vb.mapViewToScene(QPointF(0.5, 0.0)))
    port = view.viewport()
    with qtbot.assertNotEmitted(view.startPicked):
        with qtbot.waitSignal(view.startMoved, timeout=ENGINE_MS) as blocker:
            qtbot.mousePress(port, Qt.MouseButton.LeftButton, pos=pixel)
            for k in range(1, 11):
                qtbot.mouseMove(port, pixel + (target - pixel) * (k / 10))
            qtbot.mouseRelease(port, Qt.MouseButton.LeftButton, pos=target)
    x, y = blocker.args
    per_pixel = (box[0][1] - box[0][0]) / view.vb.width()
    assert abs(x - 0.5) < 2 * per_pixel and abs(y - 0.0) < 2 * per_pixel
    assert view.start() == (x, y)
    assert same_box(view.view_box(), box)  # no pan


def test_zooming_recomputes_the_picture_for_the_new_box(qtbot):
    surface = get_surface("rosenbrock")
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    view.set_equal_aspect(False)  # the box asked for is the box shown
    view.set_surface(surface, {}, (-1.5, 2.0))
    box = ((0.5, 1.5), (0.5, 1.25))
    view.vb.setRange(xRange=box[0], yRange=box[1], padding=0)
    assert not same_box(view.heat.box, box)  # debounced: not yet
    qtbot.waitUntil(lambda: same_box(view.heat.box, box), timeout=ENGINE_MS)
    _, _, z = surface.grid(view.view_box(), 200, {})
    np.testing.assert_array_equal(view.image.image, log_compress(z)[0])
    cx, cy = view.contours.getData()
    assert len(cx) and cx.min() >= 0.5 and cx.max() <= 1.5


def test_a_run_flying_away_does_not_move_the_view(qtbot):
    exp = default_experiment()
    exp.problem.surface, exp.problem.start = "saddle", None
    exp.runs = [Run("Steady", "sgd", {"lr": 0.01}), Run("Reckless", "sgd", {"lr": 0.9})]
    exp.steps = 100
    engine = Engine(exp, keep_history=False)
    live = LiveRuns()
    live.reset(validate(exp), 1)
    live.add_batch(1, engine.advance(100))
    assert live.run(1).status == "diverged" and abs(live.column(1, "y")[-1]) > 20
    surface = surface_of(exp.problem)
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.set_surface(surface, {}, surface.start)
    box = view.view_box()  # the surface's box, widened to 1:1
    view.refresh(live)
    assert same_box(view.view_box(), box)
    view.view_all()  # "View All": the box and the paths near it, not out to where it flew
    (x0, x1), (y0, y1) = view.view_box()
    assert x0 <= -2 and x1 >= 2 and y0 <= -2 and y1 >= 2
    assert max(abs(y0), abs(y1)) < 2 + 4 * 4 + 2 < abs(live.column(1, "y")[-1])
    assert view.exit(1) is not None and view.exit(0) is None  # ✕ where it left the map
    assert np.isfinite(view.image.image).all()


def test_non_finite_rows_leave_the_path_and_head_on_finite_points(qtbot):
    live = synthetic_live([np.ones(4)], xs=[np.array([0.0, 0.5, np.nan, 1.0])],
                          ys=[np.array([0.0, 0.5, np.inf, 1.0])])
    append_rows(live, [np.array([1.0])], xs=[np.array([np.nan])], ys=[np.array([2.0])])
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.set_surface(get_surface("rosenbrock"), {}, (-1.5, 2.0))
    box = view.view_box()
    view.refresh(live)
    assert list(view._paths[0].xData) == [0.0, 0.5, 1.0]
    assert view.head(0) == (1.0, 1.0)
    assert same_box(view.view_box(), box)


# ------------------------------------------------------------------ small multiples

def test_grid_columns_are_near_square():
    assert [grid_columns(n) for n in (1, 2, 4, 5, 9, 10, 16)] == [1, 2, 2, 3, 3, 4, 4]


def test_map_grid_one_linked_map_per_run_sharing_one_picture(qtbot, race, monkeypatch):
    calls = []
    real = map_grid_module.compute_heat
    monkeypatch.setattr(map_grid_module, "compute_heat",
                        lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    surface = get_surface("rosenbrock")
    grid = MapGrid()
    qtbot.addWidget(grid)
    grid.resize(900, 700)
    grid.set_runs(race.styles)
    for view in grid.maps:
        view.set_equal_aspect(False)  # the box asked for is the box shown
    grid.set_surface(surface, {}, (-1.5, 2.0))
    grid.refresh(race)
    grid.show()
    qtbot.waitExposed(grid)
    assert len(grid.maps) == 4 and len(calls) == 1
    positions = [grid._layout.getItemPosition(grid._layout.indexOf(m))[:2] for m in grid.maps]
    assert positions == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for i, view in enumerate(grid.maps):
        assert [p.isVisible() for p in view._paths] == [k == i for k in range(4)]
        np.testing.assert_array_equal(view._paths[i].xData, race.column(i, "x"))
        assert view.heat is grid.heat
        assert race.styles[i].name in view.plotItem.titleLabel.text
        assert view.plotItem.titleLabel.opts["color"] == race.styles[i].color
    box = ((-1.0, 0.0), (0.0, 1.0))
    grid.maps[3].vb.setRange(xRange=box[0], yRange=box[1], padding=0)
    for view in grid.maps:
        assert same_box(view.view_box(), box)
    qtbot.waitUntil(lambda: same_box(grid.heat.box, box), timeout=ENGINE_MS)
    assert len(calls) == 2  # one computation for all four maps
    assert all(view.heat is grid.heat for view in grid.maps)


def test_map_grid_rebuilds_only_when_the_number_of_runs_changes(qtbot, race):
    grid = MapGrid()
    qtbot.addWidget(grid)
    grid.set_surface(get_surface("rosenbrock"), {}, (-1.5, 2.0))
    grid.set_runs(race.styles)
    first = list(grid.maps)
    grid.set_runs(race.styles)
    assert grid.maps == first
    grid.set_runs(race.styles[:2])
    assert len(grid.maps) == 2 and isinstance(grid.maps[0].heat, Heat)
    grid.set_start(0.5, 0.5)
    assert all(view.start() == (0.5, 0.5) for view in grid.maps)
