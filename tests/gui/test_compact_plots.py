"""A low step plot gives the room of its title and axis labels to the curves, and takes
them back when it grows (three plots and the swarm dock in a 720 px window left ~5 px)."""
from __future__ import annotations

from optplayground.gui.plots import LossPlot
from optplayground.gui.plots.chrome import COMPACT_PX, TITLE_ROW_PX


def chrome_of(plot: LossPlot) -> tuple[float, bool, bool, str]:
    """(title row height, left label shown, bottom label shown, title text)."""
    item = plot.plotItem
    return (item.layout.rowMaximumHeight(0), item.getAxis("left").label.isVisible(),
            item.getAxis("bottom").label.isVisible(), item.titleLabel.text)


def test_a_low_plot_is_compact_and_a_tall_one_full(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(400, COMPACT_PX + 100)
    plot.show()
    qtbot.waitUntil(lambda: plot.height() == COMPACT_PX + 100)
    assert chrome_of(plot) == (TITLE_ROW_PX[0], True, True, "Loss")
    plot.resize(400, COMPACT_PX - 60)
    qtbot.waitUntil(lambda: plot.height() == COMPACT_PX - 60)
    assert chrome_of(plot) == (TITLE_ROW_PX[1], False, False, "Loss")
    plot.set_smoothing(0.5)  # a new title and new labels keep the compact look
    plot.set_x_axis("epoch")
    plot.set_log_y(not plot.log_y)
    assert chrome_of(plot)[:3] == (TITLE_ROW_PX[1], False, False)
    assert chrome_of(plot)[3].startswith("Loss  (smoothed")
    plot.resize(400, COMPACT_PX + 100)
    qtbot.waitUntil(lambda: plot.height() == COMPACT_PX + 100)
    assert chrome_of(plot)[:3] == (TITLE_ROW_PX[0], True, True)
    assert plot.plotItem.getAxis("bottom").labelText == "epoch"
