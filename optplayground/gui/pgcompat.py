"""Every use of pyqtgraph beyond its documented API, in one place.

Each function says what it relies on; all were checked on CHECKED_ON. tests/gui/
test_pgcompat.py fails if a newer pyqtgraph drops or changes one of them: fix it here.
"""
from __future__ import annotations

import contextlib
import importlib
import re
from typing import Iterator

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

CHECKED_ON = "0.14.0"

# The context menu's options for PlotDataItems (transforms, downsampling, averaging, alpha,
# points): widgets of PlotItem.ctrl, the menu's Qt Designer form.
DATA_OPTIONS = ("fftCheck", "logXCheck", "derivativeCheck", "phasemapCheck",
                "subtractMeanCheck", "decimateGroup", "averageGroup", "alphaGroup", "pointsGroup")


def reserve_tick_text(axis: pg.AxisItem, pixels: int) -> None:
    """Make room for tick labels `pixels` wide: AxisItem._updateMaxTextSize(x), the private
    method pyqtgraph calls with each label's width (it only ever grows the room)."""
    axis._updateMaxTextSize(pixels)


def set_title_row(item: pg.PlotItem, pixels: int) -> None:
    """The height of a shown title's row: PlotItem.setTitle fixes it at 30 px, as
    titleLabel's maximum height and the fixed height of row 0 of PlotItem.layout."""
    if item.titleLabel.isVisible():
        item.titleLabel.setMaximumHeight(pixels)
        item.layout.setRowFixedHeight(0, pixels)


def log_y_check(item: pg.PlotItem) -> QWidget:
    """The "Log Y" check box of a PlotItem's context menu (PlotItem.ctrl.logYCheck): it
    holds the log mode, and its `toggled` says when the menu changed it."""
    return item.ctrl.logYCheck


def data_options(item: pg.PlotItem) -> list[QWidget]:
    """The context-menu options of DATA_OPTIONS that this pyqtgraph has (PlotItem.ctrl)."""
    return [option for name in DATA_OPTIONS
            if (option := getattr(item.ctrl, name, None)) is not None]


def item_pen(item, key: str = "pen"):
    """A curve's pen ("pen" or "shadowPen") as set: PlotCurveItem/PlotDataItem.opts[key]."""
    return item.opts.get(key)


def swap_pen(item, key: str, pen) -> None:
    """Replace a curve's pen without the redraw and signals setPen() triggers (for one
    rendering): writes PlotCurveItem/PlotDataItem.opts[key]."""
    item.opts[key] = pen


def view_all_action(vb: pg.ViewBox):
    """The "View All" action of a ViewBox's context menu (ViewBox.menu.viewAll)."""
    return vb.menu.viewAll


def legend_entries(legend: pg.LegendItem) -> list:
    """(sample, label) pairs of a legend: LegendItem.items."""
    return legend.items


def update_axis_label(axis: pg.AxisItem) -> None:
    """Draw an axis's label again after its `labelStyle` dict changed (a new colour):
    AxisItem._updateLabel(), which setLabel calls (setLabel itself would show a label the
    plot hid)."""
    axis._updateLabel()


def set_text_fill(item: pg.TextItem, color) -> None:
    """A TextItem's background brush: its `fill` attribute, which only its constructor sets."""
    item.fill = pg.mkBrush(color)
    item.update()


def prepare_for_paint(item) -> None:
    """Run the lazy updates (auto-range, …) a paint would run: GraphicsScene.prepareForPaint."""
    item.scene().prepareForPaint()


# ---------------------------------------------------------------- SVG export on Qt >= 6.11

_CLOSE = re.compile(r"\s*[Zz]\s*")


@contextlib.contextmanager
def closed_paths_kept() -> Iterator[None]:
    """Let pyqtgraph's `correctCoordinates` (exporters/SVGExporter.py, a module function
    called as correctCoordinates(node, defs, item, options)) see only "x,y" pairs (issue
    #3485, fixed upstream in PR #3458, unreleased in 0.14.0).

    Qt >= 6.11 writes a closed subpath as "M0,0 L9,0 L9,9 Z"; pyqtgraph 0.14 splits every
    token at "," and fails on "Z". Around each call, the "Z"s are taken out (their places
    remembered) and put back after the coordinates were transformed. On Qt < 6.11 there
    are none and this changes nothing. Exports run in the main thread only, so swapping
    the module's function for the duration of one export is safe.
    """
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates

    def correct(node, defs, item, options):
        closes = [(path, _take_out_closes(path)) for path in node.getElementsByTagName("path")]
        original(node, defs, item, options)
        for path, places in closes:
            if places:
                _put_back_closes(path, places)

    module.correctCoordinates = correct
    try:
        yield
    finally:
        module.correctCoordinates = original


def _take_out_closes(path) -> list[int]:
    """Remove the "Z" tokens of a <path>'s data; return after how many points each stood."""
    tokens = _CLOSE.sub(" Z ", path.getAttribute("d")).split()
    places, points = [], []
    for token in tokens:
        if token == "Z":
            places.append(len(points))
        else:
            points.append(token)
    if places:
        path.setAttribute("d", " ".join(points))
    return places


def _put_back_closes(path, places: list[int]) -> None:
    points = path.getAttribute("d").split()
    for place in reversed(places):
        points.insert(place, "Z")
    path.setAttribute("d", " ".join(points))

