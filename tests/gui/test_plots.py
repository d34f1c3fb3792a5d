"""The surface map and the one-map-per-run grid draw exactly the race's paths, and the maps
behave under the mouse. (The step plots: test_step_plots.py.)"""
import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from optplayground.core.engine import Engine
from optplayground.core.expression import formula_surface
from optplayground.core.experiment import Run, default_experiment, surface_of, validate
from optplayground.core.surfaces import get_surface
from optplayground.gui.live import LiveRuns
from optplayground.gui.plots import MapGrid, TrajectoryMap
from optplayground.gui.plots import heat as heat_module
from optplayground.gui.plots import map_grid as map_grid_module
from optplayground.gui.plots.heat import (Heat, compute_heat, contour_segments, log_compress,
                                          same_box)
from optplayground.gui.plots.map_grid import grid_columns
from optplayground.gui.plots.trajectory_map import PATH_MAX, path_points
from .live_rows import append_rows, synthetic_live
from .waits import ENGINE_MS


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


def shown_map(qtbot):
    """A map shown at 600×500 on the screen (the mouse tests need its pixels)."""
    view = TrajectoryMap()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


def click_map_at(qtbot, view, x, y):
    scene_point = view.vb.mapViewToScene(QPointF(x, y))
    pixel = view.mapFromScene(scene_point)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pixel)


def test_a_click_on_the_map_picks_a_start(qtbot):
    view = shown_map(qtbot)
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
    view = shown_map(qtbot)
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
    view = shown_map(qtbot)
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
