"""What gui/pgcompat.py relies on in pyqtgraph is still there: a new pyqtgraph that drops
or changes one of these fails here, not in a user's window."""
import importlib
import inspect

import pyqtgraph as pg
from PySide6.QtWidgets import QAbstractButton, QWidget

from optplayground.gui import pgcompat


def test_the_private_methods_it_calls_exist_with_their_signatures():
    assert list(inspect.signature(pg.AxisItem._updateMaxTextSize).parameters) == ["self", "x"]
    assert list(inspect.signature(pg.AxisItem._updateLabel).parameters) == ["self"]
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    assert list(inspect.signature(module.correctCoordinates).parameters) == [
        "node", "defs", "item", "options"]
    assert callable(pg.GraphicsScene.prepareForPaint)


def test_reserving_tick_text_widens_the_axis_and_it_never_narrows(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    axis = plot.getPlotItem().getAxis("left")
    axis.setStyle(autoReduceTextSpace=False)
    assert axis.minimumWidth() < 200
    pgcompat.reserve_tick_text(axis, 200)
    assert axis.minimumWidth() >= 200
    pgcompat.reserve_tick_text(axis, 10)
    assert axis.minimumWidth() >= 200


def test_a_title_row_is_set_where_pyqtgraph_keeps_it(qtbot):
    plot = pg.PlotWidget(title="a title")
    qtbot.addWidget(plot)
    item = plot.getPlotItem()
    assert item.layout.rowMaximumHeight(0) == item.titleLabel.maximumHeight() == 30
    pgcompat.set_title_row(item, 17)
    assert item.layout.rowMaximumHeight(0) == item.titleLabel.maximumHeight() == 17
    item.setTitle(None)  # a hidden title keeps its zero row
    pgcompat.set_title_row(item, 17)
    assert item.layout.rowMaximumHeight(0) == 0


def test_the_context_menu_widgets_and_item_options_it_reads(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    item = plot.getPlotItem()
    check = pgcompat.log_y_check(item)
    assert isinstance(check, QAbstractButton)
    item.setLogMode(y=True)
    assert check.isChecked()
    options = pgcompat.data_options(item)
    assert len(options) == len(pgcompat.DATA_OPTIONS)  # every one is still there
    assert all(isinstance(option, QWidget) for option in options)
    for cls in (pg.PlotCurveItem, pg.PlotDataItem):
        curve = cls(pen=pg.mkPen("r", width=3))
        assert pgcompat.item_pen(curve).widthF() == 3
        assert "shadowPen" in curve.opts
        wide = pg.mkPen("r", width=6)
        pgcompat.swap_pen(curve, "pen", wide)
        assert pgcompat.item_pen(curve) is wide
    legend = item.addLegend()
    curve = item.plot([0, 1], [1, 0], name="a")
    (sample, label), = pgcompat.legend_entries(legend)
    assert sample.item is curve and label.text == "a"


def test_an_axis_label_and_a_text_fill_recoloured_in_place(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    axis = plot.getPlotItem().getAxis("left")
    axis.setLabel("loss", color="#e6e6e6")
    axis.labelStyle["color"] = "#123456"
    pgcompat.update_axis_label(axis)
    assert "#123456" in axis.label.toHtml()
    text = pg.TextItem("hi", fill=(20, 22, 30, 200))
    pgcompat.set_text_fill(text, (255, 255, 255, 215))
    assert text.fill.color().getRgb() == (255, 255, 255, 215)


def test_it_was_checked_on_the_pyqtgraph_in_use():
    """A new pyqtgraph: run these tests, check gui/pgcompat.py, then move CHECKED_ON."""
    assert pg.__version__ == pgcompat.CHECKED_ON
