"""The step plots (loss, LR, gradient norms) draw exactly the race's numbers; the loss plot's
log scale and smoothing equal plain loops."""
import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from optplayground.core.experiment import Clip
from optplayground.gui.plots import GradNormPlot, LossPlot, LRPlot, link_step_axes
from optplayground.gui.plots.loss_plot import Smoother, debiased_ema, ema
from .live_rows import append_rows, original, synthetic_live


def hand_debiased_ema(x, w):
    out, s = [], 0.0
    for t, v in enumerate(x, start=1):
        s = w * s + (1 - w) * v
        out.append(s / (1 - w ** t))
    return np.array(out)



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
