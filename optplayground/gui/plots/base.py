"""What every step plot shares: one set of items per run, a legend, a step (or epoch) x-axis, log-y.

A plot's items are made once per race (`set_runs`) and then only fed new arrays with
`setData` from `refresh`, which returns at once when the race has not changed since the
last frame. A run's curve is reduced to the highest and lowest value of each pixel column
of the part in view (`Envelope`, kept up to date with the new rows only), so a million-step
run draws about as fast as a short one and its spikes stay visible.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot

from .. import pgcompat
from ...core.i18n import tr
from ..live import LiveRuns, RunStyle
from .chrome import (LEGEND_MAX_SHARE, Chrome, DecadeAxis, StepAxis, cache_legend,
                     disable_data_options, legend_columns, make_legend, style_plot)
from .coincide import Followers
from .envelope import Envelope, last_point
from .step_cursor import StepCursor

CURVE_WIDTH = 1.8
# A curve reduced to each pixel column's extremes is a dense band of strokes: drawn with a
# hairline it costs Qt a tenth of the time (a million noisy steps: 100 -> 10 ms per curve).
DENSE_WIDTH = 1.0
# While a race runs at full speed every frame redraws every curve; a wide antialiased
# stroke of a noisy curve costs Qt 0.5-0.8 ms (2-3 ms for a hairline... of 8 curves): the
# step plots draw hairlines then, and their full width once the race pauses or ends.


def run_pen(style: RunStyle, dash: Qt.PenStyle = Qt.PenStyle.SolidLine,
            width: float = CURVE_WIDTH) -> pg.QtGui.QPen:
    pen = pg.mkPen(style.color, width=width, style=dash)
    pen.setCosmetic(True)
    return pen


class RunCurve(pg.PlotCurveItem):
    """A run's curve on a step plot. It is fed what the screen can show (an `Envelope` of
    the part in view), so it skips what PlotDataItem redoes on every setData (bounds,
    downsampling, clipping to view: 40 % of a frame's Python time with 8 runs), and keeps
    PlotDataItem's log-y mapping and its `getOriginalDataset`."""

    def __init__(self, pen: pg.QtGui.QPen):
        self._log_y = False
        self._original = (np.empty(0), np.empty(0))
        self.tip: tuple[float, float | None] | None = None  # (x, y) where it ends: last_point
        super().__init__(pen=pen)

    def setData(self, *args, **kwargs) -> None:
        if len(args) == 2:
            x, y = (np.asarray(a, dtype=np.float64) for a in args)
            self._original = (x, y)
            self.tip = last_point(x, y)
            if self._log_y:
                with np.errstate(divide="ignore", invalid="ignore"):
                    y = np.log10(y)
                y[~np.isfinite(y)] = np.nan  # zero or below: a gap, as PlotDataItem draws it
            args = (x, y)
        super().setData(*args, **kwargs)

    def setLogMode(self, x_mode: bool, y_mode: bool) -> None:
        """Called by the PlotItem (log-y only: the step axis stays linear)."""
        if bool(y_mode) != self._log_y:
            self._log_y = bool(y_mode)
            self.setData(*self._original)

    def getOriginalDataset(self) -> tuple[np.ndarray, np.ndarray]:
        return self._original


def run_curve(style: RunStyle, dash: Qt.PenStyle = Qt.PenStyle.SolidLine) -> RunCurve:
    return RunCurve(run_pen(style, dash))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k at or above a positive value."""
    decade = 10.0 ** math.floor(math.log10(value))
    return next(m * decade for m in (1.0, 2.0, 5.0, 10.0) if m * decade >= value)


def nice_bounds(lo: float, hi: float, log: bool) -> tuple[float, float]:
    """Round bounds around [lo, hi] (whole decades on a log axis) that the data crosses
    only now and then: an axis fitted to them keeps its ticks while a race goes on. Over
    many decades the lower bound moves in steps of several (Adam's loss falls through a
    decade every ~150 steps, and each new bound repaints the plot's axes: 10-20 ms)."""
    if log:
        low, high = math.floor(math.log10(lo)), math.floor(math.log10(hi)) + 1
        step = int(nice_ceiling((high - low) / 5)) if high - low > 5 else 1
        return 10.0 ** (high - -(-(high - low) // step) * step), 10.0 ** high
    step = nice_ceiling((hi - lo) / 4 if hi > lo else abs(hi) / 10 or 1.0)
    low, high = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return (low, high) if high > low else (low - step, high + step)


X_AXES = ("step", "epoch")


class RunCurvesPlot(pg.PlotWidget):
    """Base of the step plots: subclasses say which items a run has and how to fill them."""

    title = ""
    y_label = ""
    readout_column = ""  # the column a hover or the timeline reads out (StepCursor)
    coincide_columns: tuple[str, ...] = ()  # runs equal in these are dashed (coincide.py)
    chrome: Chrome | None = None  # (pyqtgraph resizes the view before __init__ makes it)

    def __init__(self, parent=None, log_y: bool = False):
        self.x_axis = "step"  # or "epoch": every row of a dataset race has one
        self.racing = False  # a race at full speed: hairlines (see DENSE_WIDTH)
        super().__init__(parent, axisItems={"left": DecadeAxis("left"),
                                            "bottom": StepAxis("bottom")})
        style_plot(self.plotItem, self.title, self.y_label, "step")
        self.chrome = Chrome(self.plotItem, tr(self.title))  # compact when low (resizeEvent)
        disable_data_options(self.plotItem)
        self.legend = make_legend(self.plotItem, (-10, 10))
        self.legend_wanted = True  # shown where it leaves the curves room (see _fit_legend)
        # Auto-range fits this invisible box (round bounds around the data) rather than the
        # data itself, so axes and grid keep still while the curves grow.
        self._bounds = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))  # a hidden item has no bounds
        self._box: tuple[list, list] = ([], [])
        self.plotItem.addItem(self._bounds)
        self._diverged_marks = pg.ScatterPlotItem(symbol="x", size=13)  # see _fit_bounds
        self._diverged_marks.setZValue(40)
        self.plotItem.addItem(self._diverged_marks, ignoreBounds=True)
        self._styles: list[RunStyle] = []
        self._items: list[list[pg.GraphicsObject]] = []  # per run; [0] stands for it in the legend
        self._live: LiveRuns | None = None
        self._drawn_version: int | None = None
        self._drawn_rows: list[tuple[object, int] | None] = []  # per run: (its history, rows)
        self._envelopes: dict[int, Envelope] = {}  # by id of the curve they feed
        self._sliced = False  # some curve holds only the part in view (zoomed in)
        # The context menu can toggle log-y too: follow the checkbox, whoever sets it.
        pgcompat.log_y_check(self.plotItem).toggled.connect(self._on_log_y_toggled)
        self.plotItem.vb.sigXRangeChanged.connect(self._on_x_range_changed)
        self.plotItem.vb.sigResized.connect(self._on_resized)
        self._width = 0.0
        self.paint_s = 0.0  # time spent painting since the window last reset it (pacing)
        self.set_log_y(log_y)
        self.cursor = StepCursor(self, self.readout_column) if self.readout_column else None
        self.followers = Followers(self.coincide_columns)

    # ---------------------------------------------------------------- public API

    def set_runs(self, styles: Sequence[RunStyle]) -> None:
        """A new race: one fresh item set per run."""
        for items in self._items:
            for item in items:
                self.removeItem(item)
        self._styles = list(styles)
        self._items = [self._make_items(style) for style in self._styles]
        self._envelopes.clear()
        self.followers.reset()
        for items in self._items:
            for item in items:  # a curve's own bounds would undo the box's (_fit_bounds)
                self.plotItem.addItem(item, ignoreBounds=isinstance(item, RunCurve))
        self._fill_legend()
        self._runs_changed()
        self._forget_drawn()

    def set_styles(self, styles: Sequence[RunStyle]) -> None:
        """Colours, names or clip settings changed: restyle the items without recreating them."""
        if len(styles) != len(self._items):
            self.set_runs(styles)
            return
        self._styles = list(styles)
        self._restyle_all()
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
        self._fit_bounds(live.steps if self.x_axis == "step" else 0)
        self._show_followers()
        if self.cursor is not None and self.cursor.step() is not None:
            self.cursor.update()  # the values under it may have changed

    def set_scrub(self, step: int | None) -> None:
        """The timeline's step (a line and each run's value there), None: none."""
        if self.cursor is not None:
            self.cursor.set_scrub(step)
            self._show_followers()

    def leaveEvent(self, event) -> None:
        if self.cursor is not None:
            self.cursor.leave()
        super().leaveEvent(event)

    def shows(self, live: LiveRuns) -> bool:
        """Whether the plot already shows the race as it is now."""
        return live is self._live and live.version == self._drawn_version

    def paintEvent(self, event) -> None:
        start = time.perf_counter()
        super().paintEvent(event)
        self.paint_s += time.perf_counter() - start

    def set_x_axis(self, name: str) -> None:
        """"step" or "epoch" (dataset races)."""
        if name not in X_AXES:
            raise ValueError(f"x-axis must be one of {X_AXES}, got {name!r}")
        self.x_axis = name
        self.getPlotItem().getAxis("bottom").whole = name == "step"
        self.chrome.set_label("bottom", tr(name))
        self._redraw()
        self.plotItem.enableAutoRange(x=True)

    def x_column(self, live: LiveRuns, index: int) -> np.ndarray:
        """Every row's x: its step, or its epoch (a surface race has none: the step)."""
        epoch = self.x_axis == "epoch" and "epoch" in live.history.columns
        return live.column(index, "epoch" if epoch else "step")

    def set_log_y(self, on: bool) -> None:
        self.plotItem.setLogMode(y=bool(on))

    @property
    def log_y(self) -> bool:
        return pgcompat.log_y_check(self.plotItem).isChecked()

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

    def _set_curve(self, curve: pg.PlotDataItem, run, steps: np.ndarray, values: np.ndarray,
                   tag: str = "", transform: Callable[[np.ndarray], np.ndarray] | None = None
                   ) -> None:
        """Show `values` (a column of `run`, or derived from one as `tag` says) against the
        steps: the part in view, at most two points per pixel column; `transform` must keep
        the order of values (it is applied after the reduction)."""
        envelope = self._envelopes.setdefault(id(curve), Envelope())
        envelope.update(values, run, tag)
        i0, i1 = self._in_view(steps)
        self._sliced |= i1 - i0 < len(steps)
        x, y = envelope.points(steps, values, i0, i1, self.plotItem.vb.width())
        pen = pgcompat.item_pen(curve)
        width = DENSE_WIDTH if self.racing or len(x) < i1 - i0 else CURVE_WIDTH
        if pen.widthF() != width:
            pen = pg.mkPen(pen)
            pen.setWidthF(width)
            curve.setPen(pen)
        curve.setData(x, transform(y) if transform is not None else y)
        if len(x) < len(steps):  # reduced: its last point need not be the run's
            tip = last_point(steps, values)
            if tip is not None and tip[1] is not None and transform is not None:
                tip = tip[0], float(transform(np.array([tip[1]]))[0])
            curve.tip = tip

    def _in_view(self, steps: np.ndarray) -> tuple[int, int]:
        """Indices of the steps in view and one beyond on each side; all while x auto-ranges."""
        vb = self.plotItem.vb
        if vb.autoRangeEnabled()[0] or len(steps) < 2:
            return 0, len(steps)
        lo, hi = vb.viewRange()[0]
        i0 = int(np.searchsorted(steps, lo)) - 1
        i1 = int(np.searchsorted(steps, hi, side="right")) + 1
        return max(0, i0), min(len(steps), i1)

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
        self._sliced = False

    # ---------------------------------------------------------------- internals

    def _diverged(self) -> set[int]:
        """The runs that diverged."""
        live = self._live
        if live is None or len(live.history.runs) != len(self._items):
            return set()
        return {i for i in range(len(self._items)) if live.run(i).status == "diverged"}

    def _fit_bounds(self, last_step: int = 0) -> None:
        """Round bounds around every shown point, for auto-range (see `nice_bounds`); on
        the step axis no further than the race's `last_step`, where it ends. A diverged
        run does not stretch the y-axis (its values reach 1e10 and flatten the others):
        its curve runs off the plot, and an ✕ on the edge marks the step it diverged at."""
        log = self.log_y
        diverged = self._diverged()
        unscaled = diverged if len(diverged) < len(self._items) else set()  # all: scale to them
        x_hi, y_lo, y_hi = -math.inf, math.inf, -math.inf
        for index, items in enumerate(self._items):
            for item in items:
                if not isinstance(item, RunCurve) or not item.isVisible():
                    continue
                x, y = item.getOriginalDataset()
                if x is None or not len(x):
                    continue
                x_hi = max(x_hi, float(x[-1]))
                if index in unscaled:
                    continue
                y = y[np.isfinite(y) & (y > 0)] if log else y[np.isfinite(y)]
                if len(y):
                    y_lo, y_hi = min(y_lo, float(y.min())), max(y_hi, float(y.max()))
        if x_hi == -math.inf or y_lo == math.inf:
            box = ([], [])
        else:
            y_lo, y_hi = nice_bounds(y_lo, y_hi, log)
            x_end = nice_ceiling(x_hi) if x_hi > 0 else 1.0
            if last_step >= x_hi:
                x_end = min(x_end, max(last_step, 1))
            box = ([0.0, x_end], [y_lo, y_hi])
        if box != self._box:
            self._box = box
            self._bounds.setData(*box)
        self._mark_diverged(diverged)

    def _mark_diverged(self, diverged: set[int]) -> None:
        """An ✕ at each diverged run's last step: at its last finite value, or on the edge
        of the y bounds it ran off (the top edge for a run with no finite value)."""
        if not diverged and not len(self._diverged_marks.data):
            return
        spots = []
        for index in sorted(diverged):
            curve = self.curves[index]
            if self._box[1] and curve.tip is not None and curve.isVisible():
                x, y = curve.tip
                y = self._mark_height(y)
                spots.append({"pos": (x, y), "brush": self._styles[index].color,
                              "pen": pg.mkPen(self._styles[index].color, width=2)})
        self._diverged_marks.setData(spots)

    def _mark_height(self, y: float | None) -> float:
        """Where an ✕ for value y stands (view units): at y inside the y bounds, else
        on the edge it lies beyond; None (no finite value) on the top edge."""
        lo, hi = self._box[1]
        if y is None or y > hi:
            y = hi
        elif y < lo:  # (on a log axis lo > 0: a value at or below 0 too)
            y = lo
        return math.log10(y) if self.log_y else y

    def _fill_legend(self) -> None:
        self.legend.clear()
        self.legend.setColumnCount(legend_columns(len(self._styles)))
        names = [style.name for style in self._styles]
        for index, items in enumerate(self._items):
            self.legend.addItem(items[0], self.followers.label(index, names))
        cache_legend(self.legend)
        self._fit_legend()

    def _restyle_all(self, keep_widths: bool = False) -> None:
        """Every run's own pens (as wide as they are now: see _set_curve), its curves dashed
        where it coincides with an earlier run; the legend says with which."""
        for index, (items, style) in enumerate(zip(self._items, self._styles)):
            curves = [item for item in items if isinstance(item, RunCurve)]
            widths = [pgcompat.item_pen(curve).widthF() for curve in curves]
            self._restyle(items, style)
            for curve, width in zip(curves, widths):
                pen = pg.mkPen(pgcompat.item_pen(curve))
                if keep_widths:
                    pen.setWidthF(width)
                curve.setPen(self.followers.pen(index, pen))
        self._fill_legend()

    def _show_followers(self) -> None:
        """Find the runs that coincide up to the step shown; restyle when that changed."""
        if self._live is None or len(self._live.history.runs) != len(self._items):
            return
        step = self.cursor.scrub_step if self.cursor is not None else None
        if self.followers.update(self._live.history, step):
            self._restyle_all(keep_widths=True)

    @Slot(bool)
    def _on_log_y_toggled(self, _on: bool) -> None:
        self._log_mode_changed()
        self._box = ([], [])  # the bounds of the other scale
        self._redraw()

    @Slot(object, object)
    def _on_x_range_changed(self, *_args) -> None:
        """Panned or zoomed: reduce the part now in view (auto-range already shows all)."""
        if not self.plotItem.vb.autoRangeEnabled()[0] or self._sliced:
            self._redraw()

    @Slot(object)
    def show_legend(self, wanted: bool) -> None:
        self.legend_wanted = wanted
        self._fit_legend()

    def _fit_legend(self) -> None:
        """A legend that would cover much of a low plot (a 720 px window, many runs) hides:
        the runs list, the map's legend and the results table name the colours too."""
        box, view = self.legend.boundingRect(), self.plotItem.vb
        fits = (box.height() <= LEGEND_MAX_SHARE * view.height()
                and box.width() <= LEGEND_MAX_SHARE * view.width())
        self.legend.setVisible(self.legend_wanted and fits)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.chrome is not None:
            self.chrome.fit(self.height())

    def _on_resized(self, *_args) -> None:
        self._fit_legend()
        width = self.plotItem.vb.width()
        if width != self._width:
            self._width = width
            self._redraw()


def link_step_axes(plots: Sequence[pg.PlotWidget]) -> None:
    """Pan or zoom the steps of one plot and the others follow."""
    for plot in plots[1:]:
        plot.setXLink(plots[0])
