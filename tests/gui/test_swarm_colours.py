"""The swarm views' colours and chrome without a window: a run that never reached the loss
threshold is grey (not the red of a diverged one) and the legend says so; the steps' colour
range is the steps seen; the sweep's hover label goes with the mouse; the empty LR range test
labels no LRs."""
from types import SimpleNamespace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent

from optplayground.core.swarm import SweepAxis
from optplayground.gui.swarm import colors
from optplayground.gui.swarm.basin_layer import BasinLayer
from optplayground.gui.swarm.lr_finder_plot import LRFinderPlot
from optplayground.gui.swarm.sweep_plot import SweepHeatMap

# four runs of 100 steps: reached at 10, never (done), diverged, reached at 30
FRAME = SimpleNamespace(x=np.zeros(4), status=np.array([1, 1, 3, 1]), reached=np.array([10, -1, -1, 30]),
                        loss=np.array([1e-4, 5.801, np.inf, 1e-4]), stopped=np.array([100, 100, 7, 100]),
                        minimum=np.array([0, -1, -1, 0]), steps=100, done=True)


def _legend(legend) -> list[str]:
    return [label.text for _sample, label in legend.items]


def test_numbers_rgba_tells_no_value_from_diverged():
    scale = colors.Scale(0.0, 1.0, False, "")
    rgba = colors.numbers_rgba(np.array([0.0, np.nan, 0.5, 1.0]), scale, 200, missing=colors.NO_VALUE,
                               diverged=np.array([False, False, True, False]))
    assert [tuple(c) for c in rgba[:, :3]] == [tuple(colors.lut()[0]), colors.NO_VALUE, colors.DIVERGED,
                                               tuple(colors.lut()[255])]
    assert (rgba[:, 3] == 200).all()


def test_sweep_steps_never_reached_is_grey_and_said(qtbot):
    sweep = SweepHeatMap()
    qtbot.addWidget(sweep)
    sweep.threshold = 0.001
    sweep.start_job([SweepAxis("lr", 0.1, 0.4, 4, False)], [(0.1,), (0.2,), (0.3,), (0.4,)], (0.1,))
    sweep.set_metric("steps")
    sweep.show_frame(FRAME)
    pixels = [tuple(c) for c in sweep.image.image.reshape(-1, 4)[:, :3]]
    assert pixels == [tuple(colors.lut()[0]), colors.NO_VALUE, colors.DIVERGED, tuple(colors.lut()[255])]
    assert sweep.bar.levels() == (10.0, 30.0)  # the steps seen, not 0..100
    assert _legend(sweep.legend) == ["diverged", "never reached the threshold"]
    assert sweep.describe(1).endswith("loss 5.801 (done)\nnever reached loss ≤ 0.001")
    sweep.set_metric("diverged")
    assert [tuple(c) for c in sweep.image.image.reshape(-1, 4)[:, :3]].count(colors.NO_VALUE) == 3
    assert _legend(sweep.legend) == ["diverged", "did not diverge"]

    # The hover label goes when the mouse leaves; no tooltip covers it.
    sweep.hover.setVisible(True)
    sweep.leaveEvent(QEvent(QEvent.Type.Leave))
    assert not sweep.hover.isVisible() and sweep.toolTip() == ""


def test_basin_steps_scale_to_the_steps_seen(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    basin = BasinLayer(plot)
    basin.threshold = 0.001
    basin.set_mode("steps")
    basin.start_job(2, ((0.0, 1.0), (0.0, 1.0)), [(0.0, 0.0)])
    basin.show_frame(FRAME)
    pixels = [tuple(c) for c in basin.image.image.reshape(-1, 4)[:, :3]]
    assert pixels == [tuple(colors.lut()[0]), colors.NO_VALUE, colors.DIVERGED, tuple(colors.lut()[255])]
    assert basin.bar.levels() == (10.0, 30.0)
    assert _legend(basin.legend) == ["diverged", "never reached the threshold"]


def test_empty_lr_range_test_labels_no_lrs(qtbot):
    plot = LRFinderPlot()
    qtbot.addWidget(plot)
    axis = plot.plotItem.getAxis("bottom")
    assert axis.style["showValues"] is False
    lrs = np.geomspace(1e-6, 10, 8)
    plot.show_result(SimpleNamespace(lrs=lrs, losses=np.ones(8), smoothed=np.ones(8), suggested_lr=None))
    assert axis.style["showValues"] is True
    plot.clear_result()
    assert axis.style["showValues"] is False
