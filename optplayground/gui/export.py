"""Export what the window shows: a plot as PNG (1×, 2×, 4×) or SVG, a region of the window
as PNG, the runs as CSV, a picture on the clipboard. Every file is written atomically
(a temporary file beside it, then a rename): a failed export leaves no file and never a
half-written one.

SVG comes from pyqtgraph's SVGExporter. pyqtgraph 0.14 reads path data as "x,y" pairs,
and Qt >= 6.11 ends closed paths with "Z" (pyqtgraph issue #3485):
`pgcompat.closed_paths_kept` takes the "Z"s out around pyqtgraph's coordinate fix and puts
them back, so SVG export works on either side of Qt 6.11.
"""
from __future__ import annotations

import contextlib
import os
import xml.etree.ElementTree as ET
from typing import Iterator

import pyqtgraph as pg
from pyqtgraph.exporters import SVGExporter
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage, QPainter, QPen, QRegion
from PySide6.QtWidgets import QApplication, QWidget

from ..core.atomic import write_atomic, write_text_atomic
from ..core.history import History
from ..core.i18n import tr
from ..core.params import ConfigError
from ..core.results import write_csv_with_summary
from . import pgcompat

SCALES = (1, 2, 4)
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


# ---------------------------------------------------------------- pictures

def plot_image(widget: QWidget, scale: float = 1, rect: QRect | None = None) -> QImage:
    """A widget (or the part `rect` of it) as it looks on screen, at `scale` times its pixels.

    Everything grows with the scale: text, markers and the curves' line widths (pyqtgraph
    draws curves with cosmetic pens, whose width is in device pixels: they are widened for
    the rendering), so a 2× picture is the screen's picture, only sharper; hairlines stay
    one pixel wide.
    """
    rect = QRect(rect) if rect is not None else widget.rect()
    width, height = _scaled(rect.size(), scale)
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(width / rect.width())
    image.fill(widget.palette().window().color())
    with _curves_widened(_views(widget), width / rect.width()), _legend_shown(widget):
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        QWidget.render(widget, painter, QPoint(0, 0), QRegion(rect))  # not a view's scene render
        painter.end()
    image.setDevicePixelRatio(1)  # a file's pixels are its pixels
    return image


def plot_svg(widget: QWidget) -> str:
    """A plot as SVG text. A widget of several plots (the map grid) becomes one picture
    with each plot placed where it is on screen."""
    views = _views(widget)
    if views == [widget]:
        with _legend_shown(widget):
            return _item_svg(_root_item(widget))
    root = ET.Element(f"{{{SVG_NS}}}svg", {"version": "1.1", "width": str(widget.width()),
                                           "height": str(widget.height()),
                                           "viewBox": f"0 0 {widget.width()} {widget.height()}"})
    color = widget.palette().window().color().name()
    ET.SubElement(root, f"{{{SVG_NS}}}rect", {"width": "100%", "height": "100%", "fill": color})
    for i, view in enumerate(views):
        part = ET.fromstring(_item_svg(_root_item(view)))
        _prefix_ids(part, f"p{i}-")
        corner = view.mapTo(widget, QPoint(0, 0))
        # A group, not a nested <svg>: Qt's own SVG renderer (Tiny 1.2) skips nested ones.
        group = ET.SubElement(root, f"{{{SVG_NS}}}g",
                              {"transform": f"translate({corner.x()},{corner.y()})"})
        for child in part:
            if child.tag in (f"{{{SVG_NS}}}title", f"{{{SVG_NS}}}desc"):
                continue
            if child.get("width") == "100%":  # the part's background: its own size
                child.set("width", str(view.width()))
                child.set("height", str(view.height()))
            group.append(child)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def copy_image(image: QImage) -> None:
    QApplication.clipboard().setImage(image)


# ---------------------------------------------------------------- files

def save_png(image: QImage, path: str) -> None:
    if image.isNull():
        raise ConfigError("output", tr("cannot write {path}: nothing to draw", path=path))

    def write(tmp: str) -> None:
        if not image.save(tmp, "PNG"):
            raise OSError(f"could not encode {path}")

    write_atomic(path, write)


def save_plot_png(widget: QWidget, path: str, scale: float = 1, rect: QRect | None = None) -> None:
    save_png(plot_image(widget, scale, rect), path)


def save_plot_svg(widget: QWidget, path: str) -> None:
    write_text_atomic(path, plot_svg(widget))


def save_csv(history, path: str, progress=None, minima=()) -> bool:
    """The same files `optplayground run --csv` writes: every row, streamed, and beside it
    the results (`<stem>.summary.csv`, distances to `minima`), both or neither.
    `progress(done, total)` may stop it by returning False: then False, no file left, an
    existing one untouched."""
    return write_csv_with_summary(history, path, minima, progress)


def snapshot(history: History) -> History:
    """A copy of every run's rows, status and message, for an export on another thread
    while the race goes on appending to the original."""
    size = max([len(run) for run in history.runs], default=0) or 1
    copy = History([r.name for r in history.runs], [r.optimizer for r in history.runs],
                   size, size, history.columns)
    for source, target in zip(history.runs, copy.runs):
        target.append(source.array())
        target.status, target.message = source.status, source.message
    return copy


def per_plot_paths(path: str, names, ext: str = ".svg") -> dict[str, str]:
    """'out.svg' -> {'map': 'out-map.svg', 'loss': 'out-loss.svg', …}."""
    stem, given = os.path.splitext(path)
    return {name: f"{stem}-{name}{given or ext}" for name in names}


# ---------------------------------------------------------------- internals

def _views(widget: QWidget) -> list[pg.GraphicsView]:
    """The pyqtgraph views shown in a widget, in reading order."""
    if isinstance(widget, pg.GraphicsView):
        return [widget]
    views = [v for v in widget.findChildren(pg.GraphicsView) if v.isVisibleTo(widget)]
    return sorted(views, key=lambda v: (v.mapTo(widget, QPoint(0, 0)).y(),
                                        v.mapTo(widget, QPoint(0, 0)).x()))


def _root_item(view: pg.GraphicsView):
    """The item that fills a view: a PlotWidget's PlotItem, a layout widget's layout."""
    if isinstance(view, pg.PlotWidget):
        return view.plotItem
    return getattr(view, "ci", None) or view.scene()


def _scaled(size, scale: float) -> tuple[int, int]:
    if scale <= 0:
        raise ConfigError("scale", tr("must be positive, got {value}", value=scale))
    return max(1, round(size.width() * scale)), max(1, round(size.height() * scale))


@contextlib.contextmanager
def _legend_shown(widget: QWidget) -> Iterator[None]:
    """A plot exported alone shows its legend, also where the window hides it (the step
    plots below the first share its legend on screen)."""
    legend = getattr(widget, "legend", None) if isinstance(widget, pg.PlotWidget) else None
    hidden = legend is not None and not legend.isVisible()
    if hidden:
        legend.setVisible(True)
    try:
        yield
    finally:
        if hidden:
            legend.setVisible(False)


@contextlib.contextmanager
def _curves_widened(views: list[pg.GraphicsView], factor: float) -> Iterator[None]:
    """Curves (and their legend samples) drawn `factor` times as wide, for the duration.

    Hairlines (contours, 1-pixel lines) stay hairlines, as axes and grid do: widening
    thousands of contour segments would cost seconds and add nothing.
    """
    saved = []
    if factor != 1:
        for view in views:
            for item in view.scene().items():
                if isinstance(item, (pg.PlotCurveItem, pg.PlotDataItem)):
                    for key in ("pen", "shadowPen"):
                        pen = pgcompat.item_pen(item, key)
                        wide = _widened(pen, factor)
                        if wide is not None:
                            saved.append((item, key, pen))
                            pgcompat.swap_pen(item, key, wide)
    try:
        yield
    finally:
        for item, key, pen in saved:
            pgcompat.swap_pen(item, key, pen)


def _widened(pen, factor: float) -> QPen | None:
    """`pen` `factor` times as wide if it is a cosmetic pen wider than a hairline (a curve's
    pen: its width is in device pixels), else None."""
    if isinstance(pen, QPen) and pen.isCosmetic() and pen.widthF() > 1:
        wide = QPen(pen)
        wide.setWidthF(pen.widthF() * factor)
        return wide
    return None


def _item_svg(item) -> str:
    # The SVG exporter paints item by item, without the scene's paint preparation: views
    # would keep the range they had before the latest data (auto-range is lazy).
    pgcompat.prepare_for_paint(item)
    with pgcompat.closed_paths_kept():
        return SVGExporter(item).export(toBytes=True).decode("utf-8")


def _prefix_ids(root: ET.Element, prefix: str) -> None:
    """Keep ids (clip paths) unique when several SVG documents become one."""
    for element in root.iter():
        if "id" in element.attrib:
            element.attrib["id"] = prefix + element.attrib["id"]
        for key, value in element.attrib.items():
            if "url(#" in value:
                element.attrib[key] = value.replace("url(#", f"url(#{prefix}")
            elif key == f"{{{XLINK_NS}}}href" and value.startswith("#"):
                element.attrib[key] = "#" + prefix + value[1:]
