"""A diverged run leaves the step plots' axes to the runs still racing: its curve runs off
the plot, and an ✕ stands at its last finite value, or on the edge it ran off."""
import math

import numpy as np

from optplayground.gui.plots import LossPlot, LRPlot

from .live_rows import synthetic_live


def diverge(live, *indices):
    for i in indices:
        live.run(i).status = "diverged"
    live.version += 1  # as a batch that brings the status


def marks(plot):
    x, y = plot._diverged_marks.getData()
    return [(float(a), float(b)) for a, b in zip(x, y)]


def test_a_diverged_run_does_not_stretch_the_axis_and_its_x_is_where_it_ended(qtbot):
    racing = np.linspace(5.0, 3.0, 5000)  # long: the plot draws its pixel columns' extremes
    live = synthetic_live([racing, np.array([5.0, 4.5, 3.5, np.nan]),
                           np.array([5.0, 20.0, 1e9]), np.array([5.0, -1e9])])
    plot = LossPlot(log_y=False)
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.refresh(live)
    diverge(live, 1, 2, 3)
    plot.refresh(live)
    assert plot._box[1] == [3.0, 5.0]  # nice_bounds around the racing run alone
    plot.plotItem.vb.updateAutoRange()
    lo, hi = plot.plotItem.vb.viewRange()[1]
    assert 2.5 < lo < 3.0 and 5.0 < hi < 5.5  # not out to ±1e9 (the curves' own bounds)
    # inside: at its last finite value; above: the top edge; below: the bottom edge
    assert marks(plot) == [(3.0, 3.5), (2.0, 5.0), (1.0, 3.0)]


def test_on_a_log_axis_the_marks_stand_at_the_log_of_their_values(qtbot):
    live = synthetic_live([np.linspace(5.0, 3.0, 50), np.array([5.0, 4.5, 3.5, np.nan]),
                           np.array([5.0, 20.0, 1e12]), np.array([5.0, 0.2])])
    plot = LossPlot(log_y=True)
    qtbot.addWidget(plot)
    diverge(live, 1, 2, 3)
    plot.refresh(live)
    assert plot._box[1] == [1.0, 10.0]
    assert marks(plot) == [(3.0, math.log10(3.5)), (2.0, 1.0), (1.0, 0.0)]


def test_a_long_diverged_run_s_mark_is_at_its_last_row_and_value(qtbot):
    long = np.linspace(9.0, 4.0, 5000)  # reduced to ~2 points a pixel column, ending on
    live = synthetic_live([np.linspace(5.0, 3.0, 10), long])  # a column's minimum
    plot = LossPlot(log_y=False)
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    diverge(live, 1)
    plot.refresh(live)
    assert len(plot.curves[1].getOriginalDataset()[0]) < 5000
    assert marks(plot) == [(4999.0, 4.0)]


def test_when_every_run_diverged_the_axes_take_them_all_and_marks_sit_on_them(qtbot):
    """saddle_escape: both runs escape downwards, SGD at lr 0.01 and Adam at 0.05."""
    live = synthetic_live([np.array([1.0, -10.0, -1800.0]), np.array([1.0, -1700.0])],
                          lrs=[0.01, 0.05])
    diverge(live, 0, 1)
    loss, lr = LossPlot(log_y=False), LRPlot()
    for plot in (loss, lr):
        qtbot.addWidget(plot)
        plot.refresh(live)
    assert loss._box[1] == [-2000.0, 500.0]
    assert marks(loss) == [(2.0, -1800.0), (1.0, -1700.0)]  # not on the top edge
    assert marks(lr) == [(2.0, 0.01), (1.0, 0.05)]  # each at its own lr
