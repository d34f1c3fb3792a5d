"""What every step plot shares: one set of items per run, a legend, a step x-axis, log-y.

A plot's items are made once per race (`set_runs`) and then only fed new arrays with
`setData` from `refresh`, which returns at once when the race has not changed since the
last frame. Curves downsample by peaks and clip to the view, so a million-step run draws
about as fast as a short one and its spikes stay visible.
"""
from __future__ import annotations

from typing import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot

from ..live import LiveRuns, RunStyle

LEGEND_BRUSH = (18, 18, 24, 200)
LEGEND_PEN = (140, 140, 150, 160)
TEXT_COLOR = "#e6e6e6"
CURVE_WIDTH = 1.8


def run_pen(style: RunStyle, dash: Qt.PenStyle = Qt.PenStyle.SolidLine,
            width: float = CURVE_WIDTH) -> pg.QtGui.QPen:
    pen = pg.mkPen(style.color, width=width, style=dash)
    pen.setCosmetic(True)
    return pen


def run_curve(style: RunStyle, dash: Qt.PenStyle = Qt.PenStyle.SolidLine) -> pg.PlotDataItem:
    """A step-indexed curve (its PlotItem makes it downsample by peaks and clip to view)."""
    return pg.PlotDataItem(pen=run_pen(style, dash))


def set_title(item: pg.PlotItem, title: str, color: str = TEXT_COLOR, size: str = "11pt") -> None:
    """A title line, or none at all for an empty title."""
    item.setTitle(title or None, color=color, size=size)


def style_plot(item: pg.PlotItem, title: str, left: str, bottom: str) -> None:
    """Readable title, labels and a faint grid."""
    set_title(item, title)
    item.setLabel("left", left, color=TEXT_COLOR, **{"font-size": "10pt"})
    item.setLabel("bottom", bottom, color=TEXT_COLOR, **{"font-size": "10pt"})
    item.showGrid(x=True, y=True, alpha=0.15)
    # One huge value (a run flying off) must not rescale the whole axis to "x1e+15".
    item.getAxis("left").enableAutoSIPrefix(False)


LEGEND_ROWS = 8  # more entries than this wrap into another column


def legend_columns(entries: int) -> int:
    return max(1, -(-entries // LEGEND_ROWS))


def make_legend(item: pg.PlotItem, offset: tuple[int, int]) -> pg.LegendItem:
    return item.addLegend(offset=offset, brush=LEGEND_BRUSH, pen=LEGEND_PEN,
                          labelTextColor=TEXT_COLOR, labelTextSize="9pt",
                          verSpacing=-4)


class RunCurvesPlot(pg.PlotWidget):
    """Base of the step plots: subclasses say which items a run has and how to fill them."""

    title = ""
    y_label = ""

    def __init__(self, parent=None, log_y: bool = False):
        super().__init__(parent)
        style_plot(self.plotItem, self.title, self.y_label, "step")
        # PlotItem imposes its own (context-menu) settings on every curve added to it:
        # set them there, so million-step curves stay fast and keep their spikes.
        self.plotItem.setDownsampling(auto=True, mode="peak")
        self.plotItem.setClipToView(True)
        self.legend = make_legend(self.plotItem, (-10, 10))
        self._styles: list[RunStyle] = []
        self._items: list[list[pg.GraphicsObject]] = []  # per run; [0] stands for it in the legend
        self._live: LiveRuns | None = None
        self._drawn_version: int | None = None
        self._drawn_rows: list[tuple[object, int] | None] = []  # per run: (its history, rows)
        # The context menu can toggle log-y too: follow the checkbox, whoever sets it.
        self.plotItem.ctrl.logYCheck.toggled.connect(self._on_log_y_toggled)
        self.set_log_y(log_y)

    # ---------------------------------------------------------------- public API

    def set_runs(self, styles: Sequence[RunStyle]) -> None:
        """A new race: one fresh item set per run."""
        for items in self._items:
            for item in items:
                self.removeItem(item)
        self._styles = list(styles)
        self._items = [self._make_items(style) for style in self._styles]
        for items in self._items:
            for item in items:
                self.addItem(item)
        self._fill_legend()
        self._runs_changed()
        self._forget_drawn()

    def set_styles(self, styles: Sequence[RunStyle]) -> None:
        """Colours, names or clip settings changed: restyle the items without recreating them."""
        if len(styles) != len(self._items):
            self.set_runs(styles)
            return
        self._styles = list(styles)
        for items, style in zip(self._items, self._styles):
            self._restyle(items, style)
        self._fill_legend()
        self._forget_drawn()  # a restyled item may need data it did not draw before

    def refresh(self, live: LiveRuns) -> None:
        """Draw the latest rows; nothing to do when the race has not changed."""
        if live is self._live and live.version == self._drawn_version:
            return
        self._live = live
        if len(live.styles) != len(self._items):
            self.set_runs(live.styles)
        elif live.styles != self._styles:
            self.set_styles(live.styles)
        self._drawn_version = live.version
        redraw_all = self._prepare(live)
        for i in range(len(self._items)):
            run = live.run(i)
            drawn = self._drawn_rows[i]
            if redraw_all or drawn is None or drawn[0] is not run or drawn[1] != run.rows_seen:
                self._draw_run(i, live)
                self._drawn_rows[i] = (run, run.rows_seen)

    def set_log_y(self, on: bool) -> None:
        self.plotItem.setLogMode(y=bool(on))

    @property
    def log_y(self) -> bool:
        return self.plotItem.ctrl.logYCheck.isChecked()

    @property
    def curves(self) -> list[pg.PlotDataItem]:
        """The main curve of every run, in run order."""
        return [items[0] for items in self._items]

    # ---------------------------------------------------------------- for subclasses

    def _make_items(self, style: RunStyle) -> list[pg.GraphicsObject]:
        raise NotImplementedError

    def _restyle(self, items: list[pg.GraphicsObject], style: RunStyle) -> None:
        items[0].setPen(run_pen(style))

    def _prepare(self, live: LiveRuns) -> bool:
        """Hook before drawing the runs with new rows; True redraws every run."""
        return False

    def _draw_run(self, index: int, live: LiveRuns) -> None:
        raise NotImplementedError

    def _runs_changed(self) -> None:
        """Hook: the set of runs was replaced."""

    def _log_mode_changed(self) -> None:
        """Hook: log-y was switched on or off (before the redraw)."""

    def _redraw(self) -> None:
        """Draw again now, e.g. after a display option changed while the race is idle."""
        self._forget_drawn()
        if self._live is not None:
            self.refresh(self._live)

    def _forget_drawn(self) -> None:
        self._drawn_version = None
        self._drawn_rows = [None] * len(self._items)

    # ---------------------------------------------------------------- internals

    def _fill_legend(self) -> None:
        self.legend.clear()
        self.legend.setColumnCount(legend_columns(len(self._styles)))
        for items, style in zip(self._items, self._styles):
            self.legend.addItem(items[0], style.name)

    @Slot(bool)
    def _on_log_y_toggled(self, _on: bool) -> None:
        self._log_mode_changed()
        self._redraw()


def link_step_axes(plots: Sequence[pg.PlotWidget]) -> None:
    """Pan or zoom the steps of one plot and the others follow."""
    for plot in plots[1:]:
        plot.setXLink(plots[0])
