"""What surrounds a plot's data: its title, axis labels, tick room, legend, and the
compact look of a low plot.

A step plot lower than COMPACT_PX (three of them and the swarm dock in a 720 px window)
spent most of its height on its title, "step" and tick rows: ~5 px were left for the
curves. Compact, the title is a smaller line and the axis labels go (the title names the
plot; the linked x-axis says steps on a taller neighbour or in the table).
"""
from __future__ import annotations

import html
import math

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

from .. import pgcompat, theme
from ...core.i18n import tr

COMPACT_PX = 180  # a plot lower than this is compact
TITLE_ROW_PX = (30, 17)  # the title's row: full, compact


def set_title(item: pg.PlotItem, title: str, color: str | None = None, size: str = "11pt") -> None:
    """A title line, or none at all for an empty title; in the theme's text colour unless
    another is given (a run's). The text is shown as written (a label takes HTML: a run
    named "<b>x</b>" would be bold)."""
    item.setTitle(html.escape(title) or None, color=color or theme.current().text, size=size)


def style_plot(item: pg.PlotItem, title: str, left: str, bottom: str) -> None:
    """Readable title, labels (translated here) and a faint grid."""
    set_title(item, tr(title))
    text = theme.current().text
    item.setLabel("left", tr(left), color=text, **{"font-size": "10pt"})
    item.setLabel("bottom", tr(bottom), color=text, **{"font-size": "10pt"})
    item.showGrid(x=True, y=True, alpha=0.15)
    # One huge value (a run flying off) must not rescale the whole axis to "x1e+15".
    item.getAxis("left").enableAutoSIPrefix(False)
    reserve_tick_text(item.getAxis("left"))
    cache_pixels(item.getAxis("left"), item.getAxis("bottom"))


def disable_data_options(item: pg.PlotItem) -> None:
    """The context menu's options for PlotDataItems: the step plots' curves are RunCurves,
    reduced already, which ignore them."""
    for option in pgcompat.data_options(item):
        option.setEnabled(False)
        option.setToolTip(tr("Not for these curves: they show every spike already."))


class DecadeAxis(pg.AxisItem):
    """A log axis whose whole decades are its first tick level. Over about one decade
    pyqtgraph's first level is the minor ticks (2 … 9 × 10^k), and the first level is
    labelled however crowded: 0.2, 0.3 … 0.9 written over each other on a low plot. As a
    second level they are labelled only where they have room, as on a linear axis."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        ticks = super().logTickValues(minVal, maxVal, size, stdTicks)
        decades = [float(k) for k in range(math.ceil(minVal), math.floor(maxVal) + 1)]
        if not decades or not ticks or ticks[0][0] is not None:
            return ticks  # decades first already, or none in view (zoomed in)
        minor = [v for v in ticks[0][1] if not any(math.isclose(v, d) for d in decades)]
        return [(1.0, decades), (None, minor), *ticks[1:]]


class StepAxis(pg.AxisItem):
    """Steps are whole numbers: no tick level finer than one step (a race whose runs all
    stopped at step 1 had its x-axis labelled 0, 0.2, 0.4 …). `whole = False`: any ticks
    (an axis of epochs)."""

    whole = True

    def tickValues(self, minVal, maxVal, size):
        levels = super().tickValues(minVal, maxVal, size)
        if not self.whole:
            return levels
        kept = [(spacing, values) for spacing, values in levels if spacing >= 1]
        if kept or not maxVal - minVal <= 10:  # (NaN bounds: no ticks)
            return kept
        return [(1.0, [float(k) for k in range(math.ceil(minVal), math.floor(maxVal) + 1)])]


TICK_TEXT_PX = 44  # "10⁻²⁵", "0.00105": the widest tick labels a race usually reaches


def reserve_tick_text(axis: pg.AxisItem) -> None:
    """Room for wide tick labels from the start, and an axis that widens for wider ones
    but never narrows again: each change of its width resized the plot mid-race, which
    redrew it and its linked plots (50-70 ms, the longest frames of a race)."""
    axis.setStyle(autoReduceTextSpace=False)
    pgcompat.reserve_tick_text(axis, TICK_TEXT_PX)


def cache_pixels(*items: QGraphicsItem) -> None:
    """Repaint these from a pixmap of their last look until they change: axes (their grid
    spans the whole plot, so every new point of a curve repainted them), legends, the heat
    map. A frame then copies them instead of drawing them again."""
    for item in items:
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def cache_legend(legend: pg.LegendItem) -> None:
    cache_pixels(legend, *(part for entry in pgcompat.legend_entries(legend) for part in entry))


LEGEND_ROWS = 8  # more entries than this wrap into another column
LEGEND_MAX_SHARE = 0.5  # a step plot's legend shows while it is at most half its height and width


def legend_columns(entries: int) -> int:
    return max(1, -(-entries // LEGEND_ROWS))


def make_legend(item: pg.PlotItem, offset: tuple[int, int]) -> pg.LegendItem:
    look = theme.current()
    return item.addLegend(offset=offset, brush=look.legend_brush, pen=look.legend_pen,
                          labelTextColor=look.text, labelTextSize="9pt", verSpacing=-4)


class Chrome:
    """A step plot's title and axis labels, in full or compact as its height asks (`fit`)."""

    def __init__(self, item: pg.PlotItem, title: str):
        self.item, self.title, self.compact = item, title, False

    def set_title(self, title: str) -> None:
        self.title = title
        self._show()

    def set_label(self, axis: str, text: str) -> None:
        """An axis label's text (hidden while compact)."""
        self.item.setLabel(axis, text)
        self.item.showLabel(axis, not self.compact)

    def fit(self, height: int) -> None:
        """The plot is `height` px high now."""
        compact = height < COMPACT_PX
        if compact != self.compact:
            self.compact = compact
            self._show()

    def _show(self) -> None:
        set_title(self.item, self.title, size="9pt" if self.compact else "11pt")
        pgcompat.set_title_row(self.item, TITLE_ROW_PX[self.compact])
        for axis in ("left", "bottom"):
            self.item.showLabel(axis, not self.compact)
