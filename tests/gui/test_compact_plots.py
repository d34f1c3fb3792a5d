"""A low step plot gives the room of its title and axis labels to the curves, and takes
them back when it grows (three plots and the swarm dock in a 720 px window left ~5 px);
its log axis labels what fits."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QImage, QPainter

from optplayground.gui.plots import LossPlot
from optplayground.gui.plots.chrome import COMPACT_PX, TITLE_ROW_PX, DecadeAxis


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


def drawn_tick_texts(axis_item, qtbot) -> list[str]:
    """The tick labels a 90 px high log plot from 0.1 to 1 writes on `axis_item`."""
    plot = pg.PlotWidget(axisItems={"left": axis_item})
    qtbot.addWidget(plot)
    plot.resize(300, 90)
    plot.setLogMode(y=True)
    plot.setYRange(-1, 0, padding=0)
    plot.show()
    qtbot.waitUntil(lambda: plot.height() == 90)
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis_item.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in texts]


def test_a_low_log_axis_over_one_decade_labels_its_decades_not_a_pile(qtbot):
    assert len(drawn_tick_texts(pg.AxisItem("left"), qtbot)) >= 8  # pyqtgraph's: 0.1 … 0.9, 1
    assert drawn_tick_texts(DecadeAxis("left"), qtbot) == ["0.1", "1"]
    axis = DecadeAxis("left")
    axis.setLogMode(False, True)
    levels = axis.logTickValues(-1.0, 0.0, 300, [])
    assert levels[0] == (1.0, [-1.0, 0.0])
    assert len(levels[1][1]) == 8 and -1.0 not in levels[1][1]  # 2 … 9 × 0.1, each once
    assert axis.logTickValues(-0.7, -0.4, 300, [])[0][0] is None  # no decade in view: as before
