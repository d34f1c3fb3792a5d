"""The data and each run's fit, from the model snapshots the worker sends (core/views.py).

- 1-D regression: one plot, the train (●) and test (■) points and every run's prediction
  curve in its colour.
- 2-D inputs: small multiples, one map per run side by side: the model's decision surface
  as a heat map (two classes: P(class 1) from tan to teal; more
  classes: the predicted class; regression: the prediction), under the train (●) and test
  (■, dark outline) points coloured by their label, titled with the run's name and
  accuracy (regression: its test loss).

The snapshots carry their own metrics, so a title always describes the picture under it.
The view keeps some of each run's snapshots (`Kept`): while the timeline is moved back it
shows each run's last snapshot at or before that step, or where it can the fit at that very
step (`exact_at`: a line fit is its row's (w, b)).
"""
from __future__ import annotations

import bisect
import dataclasses
import html
import math
from typing import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from ...core.datasets import Dataset
from ...core.i18n import tr
from ...core.views import RunView
from ..live import LiveRuns, RunStyle
from .. import theme
from .base import run_pen
from .chrome import make_legend, set_title, style_plot
from .map_grid import grid_columns

# Class 0 tan, class 1 teal (ColorBrewer's BrBG, safe for colour-blind eyes): none of the
# runs' colours (tab10), so a point's class is never read as a run. More classes: pale tones
# of other hues, still apart from the runs' saturated ones.
CLASS_COLORS = ("#c9a24d", "#2f9a8f", "#8c6bb1", "#e7298a", "#66a61e", "#a6761d")
MIDDLE = "#e8eaed"  # the undecided middle of the two-class and regression maps
MAX_POINTS = 1500  # points drawn per set (the sets are shuffled: a fair sample)
TRAIN_PEN = pg.mkPen((255, 255, 255, 220), width=1)
TEST_PEN = pg.mkPen((10, 10, 10, 255), width=1.6)
POINT_SIZE = 7
CURVE_WIDTH = 2.4
MAX_KEPT = 64  # snapshots kept per run for the timeline (a 2-D one: 32 KB)


def _rgb(color: str) -> tuple[int, int, int]:
    c = pg.mkColor(color)
    return c.red(), c.green(), c.blue()


def diverging_map() -> pg.ColorMap:
    """Tan (low, class 0) through a pale middle to teal (high, class 1)."""
    return pg.ColorMap([0.0, 0.5, 1.0], [_rgb(CLASS_COLORS[0]), _rgb(MIDDLE),
                                         _rgb(CLASS_COLORS[1])])


def class_lut(n_classes: int) -> np.ndarray:
    """One pale colour per class for the map behind the points, shape (n_classes, 3)."""
    colors = np.array([_rgb(CLASS_COLORS[c % len(CLASS_COLORS)]) for c in range(n_classes)])
    return (0.55 * colors + 0.45 * 255).astype(np.uint8)


class _Scheme:
    """How one dataset's values become colours: the map's levels and the points' brushes."""

    def __init__(self, dataset: Dataset):
        self.classes = dataset.n_classes if dataset.task == "classification" else 0
        self.cmap: pg.ColorMap | None = diverging_map()
        if self.classes == 2:
            self.levels = (0.0, 1.0)
        elif self.classes:  # class c sits in the middle of the lut's c-th slot
            self.levels, self.cmap = (-0.5, self.classes - 0.5), None
        else:  # regression: symmetric around 0, as far as the data reach
            targets = np.concatenate([dataset.y_train.numpy(), dataset.y_test.numpy()])
            top = float(np.max(np.abs(targets))) if targets.size else 1.0
            self.levels = (-max(top, 1e-9), max(top, 1e-9))
        self.lut = (self.cmap.getLookupTable(nPts=256) if self.cmap is not None
                    else class_lut(self.classes))

    def brushes(self, labels: np.ndarray) -> list:
        if self.classes:
            palette = [pg.mkBrush(CLASS_COLORS[c % len(CLASS_COLORS)]) for c in range(self.classes)]
            return [palette[int(c)] for c in labels]
        lo, hi = self.levels
        colors = self.cmap.map(np.clip((labels - lo) / (hi - lo), 0.0, 1.0), mode="qcolor")
        return [pg.mkBrush(c) for c in colors]


class Kept:
    """One run's snapshots for the timeline: the latest, and before it at most MAX_KEPT
    others at least `spacing` steps apart (the spacing doubles when they are too many, so
    they cover the race evenly however long it is). BatchNorm's big arrays are not kept."""

    def __init__(self):
        self.views: list[RunView] = []
        self.spacing = 1

    def add(self, view: RunView) -> None:
        views = self.views
        if views and (views[-1].step >= view.step  # the same step again (a pause, the end)
                      or len(views) > 1 and views[-1].step - views[-2].step < self.spacing):
            views.pop()  # it was kept only as the latest
        views.append(dataclasses.replace(view, preactivations=None))
        while len(views) > MAX_KEPT:
            self.spacing *= 2
            thinned = views[:1]
            for kept in views[1:-1]:
                if kept.step - thinned[-1].step >= self.spacing:
                    thinned.append(kept)
            views[:] = thinned + views[-1:]

    def at(self, step: int | None) -> RunView | None:
        """The last snapshot at or before `step` (the first if none; None: the latest)."""
        if not self.views or step is None:
            return self.views[-1] if self.views else None
        at = bisect.bisect_right([view.step for view in self.views], step)
        return self.views[max(at - 1, 0)]


def _points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x[:MAX_POINTS], y[:MAX_POINTS]


class FitView(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.plots: list[pg.PlotItem] = []  # 2-D: one per run; 1-D: the single plot
        self.images: list[pg.ImageItem] = []  # 2-D: per run
        self.curves: list[pg.PlotCurveItem] = []  # 1-D: per run
        self.grids: list[np.ndarray | None] = []  # the snapshot each run shows
        self.views: list[RunView] = []  # the snapshots shown
        self.kept: list[Kept] = []  # per run (for the timeline)
        self.cursor: int | None = None  # the timeline's step, None: the latest snapshots
        self.exact_at: Callable[[int, int], RunView | None] | None = None  # (run, step)
        self._styles: list[RunStyle] = []
        self._scheme: _Scheme | None = None
        self._caption: pg.LabelItem | None = None  # 2-D: what the marks and colours mean
        self.legend: pg.LegendItem | None = None  # 1-D: runs, train and test
        self._point_items: tuple[pg.ScatterPlotItem, pg.ScatterPlotItem] | None = None

    # ---------------------------------------------------------------- public API

    @property
    def one_dimensional(self) -> bool:
        return self.dataset is not None and self.dataset.input_dim == 1

    def set_dataset(self, dataset: Dataset) -> None:
        """A new problem: its points (CPU) and how its values are coloured."""
        self.dataset = dataset
        self._scheme = _Scheme(dataset)
        self._rebuild()

    def set_runs(self, styles: Sequence[RunStyle]) -> None:
        self._styles = list(styles)
        self.views = []
        self.kept = [Kept() for _ in self._styles]
        self._rebuild()

    def set_styles(self, styles: Sequence[RunStyle]) -> None:
        if len(styles) != len(self._styles):
            self.set_runs(styles)
            return
        self._styles = list(styles)
        if self.one_dimensional:
            for curve, style in zip(self.curves, self._styles):
                curve.setPen(run_pen(style, width=CURVE_WIDTH))
            self._fill_legend()
        self._set_titles()

    def set_views(self, views: Sequence[RunView]) -> None:
        """New snapshots: kept, and drawn unless the timeline shows an earlier step."""
        for view in views:
            if 0 <= view.index < len(self.kept):
                self.kept[view.index].add(view)
        self._draw()

    def set_cursor(self, step: int | None) -> None:
        """Show each run's last snapshot at or before the timeline's step (None: the latest)."""
        if step != self.cursor:
            self.cursor = step
            self._draw()

    def refresh(self, live: LiveRuns) -> None:
        """The pictures come with `set_views`; here only names and colours follow the race."""
        if len(live.styles) != len(self._styles):
            self.set_runs(live.styles)
        elif live.styles != self._styles:
            self.set_styles(live.styles)

    # ---------------------------------------------------------------- building

    def _rebuild(self) -> None:
        self.clear()
        self.plots, self.images, self.curves, self._caption = [], [], [], None
        self._point_items = None
        self.grids = [None] * len(self._styles)
        if self.dataset is None:
            return
        if self.one_dimensional:
            self._build_curve_plot()
        else:
            self._build_maps()
        self._set_titles()

    def _build_curve_plot(self) -> None:
        plot = self.addPlot(0, 0)
        style_plot(plot, "Data and fits", "y", "x")
        self.legend = make_legend(plot, (10, 10))  # top left: rising data leave it free
        data = self.dataset
        train = pg.ScatterPlotItem(*_points(data.x_train[:, 0].numpy(), data.y_train.numpy()),
                                   size=POINT_SIZE, pen=TRAIN_PEN, brush=theme.current().data_points)
        test = pg.ScatterPlotItem(*_points(data.x_test[:, 0].numpy(), data.y_test.numpy()),
                                  symbol="s", size=POINT_SIZE, pen=TEST_PEN,
                                  brush=(230, 230, 235, 230))
        self._point_items = (train, test)
        for item in (train, test):
            plot.addItem(item)
        for style in self._styles:
            curve = pg.PlotCurveItem(pen=run_pen(style, width=CURVE_WIDTH))
            curve.setZValue(10)
            plot.addItem(curve)
            self.curves.append(curve)
        (x0, x1), _ = data.bounds
        targets = np.concatenate([data.y_train.numpy(), data.y_test.numpy()])
        low, high = float(targets.min()), float(targets.max())
        margin = 0.15 * max(high - low, 1e-9)
        plot.setRange(xRange=(x0, x1), yRange=(low - margin, high + margin), padding=0.02)
        plot.vb.disableAutoRange()  # diverging fits must not drag the data out of view
        self.plots.append(plot)
        self._fill_legend()

    def _fill_legend(self) -> None:
        self.legend.clear()
        for curve, style in zip(self.curves, self._styles):
            self.legend.addItem(curve, html.escape(style.name))
        train, test = self._point_items
        self.legend.addItem(train, tr("train"))
        if self.dataset.n_test:
            self.legend.addItem(test, tr("test"))

    def _build_maps(self) -> None:
        data, scheme = self.dataset, self._scheme
        columns = grid_columns(max(1, len(self._styles)))
        train_x, train_y = data.x_train[:MAX_POINTS].numpy(), data.y_train[:MAX_POINTS].numpy()
        test_x, test_y = data.x_test[:MAX_POINTS].numpy(), data.y_test[:MAX_POINTS].numpy()
        train_brushes, test_brushes = scheme.brushes(train_y), scheme.brushes(test_y)
        (x0, x1), (y0, y1) = data.bounds
        for i, _style in enumerate(self._styles):
            plot = self.addPlot(i // columns, i % columns)
            style_plot(plot, "", "", "")
            plot.showGrid(x=False, y=False)
            plot.hideButtons()
            # Not aspect-locked: the picture fills the plot (a locked view left bands
            # outside the data's box, drawn black).
            image = pg.ImageItem(axisOrder="row-major")
            image.setLookupTable(scheme.lut)
            image.setLevels(scheme.levels)
            image.setZValue(-10)
            plot.addItem(image)
            for x, brushes, symbol, pen in ((train_x, train_brushes, "o", TRAIN_PEN),
                                            (test_x, test_brushes, "s", TEST_PEN)):
                if len(x):
                    plot.addItem(pg.ScatterPlotItem(x[:, 0], x[:, 1], symbol=symbol,
                                                    size=POINT_SIZE, pen=pen, brush=brushes))
            plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            self.plots.append(plot)  # not linked: linked aspect-locked views grow each other
            self.images.append(image)
        self._caption = self.addLabel(self._caption_text(), row=math.ceil(len(self._styles)
                                                                          / columns), col=0,
                                      colspan=columns, color=theme.current().text, size="9pt")

    def _caption_text(self) -> str:
        test = "  ■ " + tr("test") if self.dataset.n_test else ""
        if self._scheme.classes == 2:
            colours = tr("background: P(teal class), tan 0 → teal 1")
        elif self._scheme.classes:
            colours = tr("background: the predicted class")
        else:
            low, high = self._scheme.levels
            colours = tr("colour: the value, tan {low} → teal {high}", low=f"{low:.3g}", high=f"{high:.3g}")
        return f"● {tr('train')}{test}    {colours}"

    # ---------------------------------------------------------------- drawing

    def _draw(self) -> None:
        exact = self.exact_at if self.cursor is not None else None
        shown = ((exact and exact(i, self.cursor)) or kept.at(self.cursor)
                 for i, kept in enumerate(self.kept))
        self.views = [view for view in shown if view is not None]
        for view in self.views:
            if self.grids[view.index] is view.grid:
                continue  # drawn already
            self.grids[view.index] = view.grid
            if self.one_dimensional:
                self.curves[view.index].setData(view.xs, view.grid)
            else:
                self._show_map(view)
        self._set_titles()

    def _show_map(self, view: RunView) -> None:
        image = self.images[view.index]
        image.setImage(view.grid, autoLevels=False, levels=self._scheme.levels)
        dx = (view.xs[-1] - view.xs[0]) / (len(view.xs) - 1)
        dy = (view.ys[-1] - view.ys[0]) / (len(view.ys) - 1)
        image.setRect(QRectF(view.xs[0] - dx / 2, view.ys[0] - dy / 2,
                             view.xs[-1] - view.xs[0] + dx, view.ys[-1] - view.ys[0] + dy))

    def _set_titles(self) -> None:
        if self.one_dimensional or not self.plots:
            return
        by_index = {view.index: view for view in self.views}
        for i, (plot, style) in enumerate(zip(self.plots, self._styles)):
            view = by_index.get(i)
            set_title(plot, f"{style.name}{self._metric(view)}", style.color, "10pt")

    def _metric(self, view: RunView | None) -> str:
        if view is None:
            return ""
        if self._scheme.classes:
            return "   " + tr("accuracy {percent}%", percent=f"{100 * view.accuracy:.1f}") if math.isfinite(view.accuracy) else ""
        loss, which = ((view.test_loss, "test") if math.isfinite(view.test_loss)
                       else (view.train_loss, "train"))
        text = tr("test loss {loss}") if which == "test" else tr("train loss {loss}")
        return "   " + text.format(loss=f"{loss:.4g}") if math.isfinite(loss) else ""

    def theme_changed(self, look: theme.Theme) -> None:
        """The 1-D fit's train points: grey on black, dark grey on white."""
        if self._point_items is not None:
            self._point_items[0].setBrush(look.data_points)

    def titles(self) -> list[str]:
        """Each map's title text (2-D; a 1-D fit has a legend instead)."""
        return [plot.titleLabel.text for plot in self.plots] if not self.one_dimensional else []
