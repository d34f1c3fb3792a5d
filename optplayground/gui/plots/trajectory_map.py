"""The race seen from above: the surface as a heat map with contours, and each run's path.

The picture is recomputed for whatever box the view shows, ~150 ms after the last pan or
zoom, at 200×200 samples. The view never follows the paths: a run flying away leaves it
on the surface box (auto-range and "View All" see only that box).

Mouse: drag pans, wheel zooms, the start marker can be dragged (`startMoved` on release),
and a plain left click anywhere on the map picks a new start (`startPicked`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot

from .. import pgcompat, theme
from ..live import LiveRuns, RunStyle
from ...core.i18n import tr
from .base import run_pen
from .chrome import cache_legend, cache_pixels, legend_columns, make_legend, set_title, style_plot
from .coincide import Followers
from .heat import RESOLUTION, Box, Heat, compute_heat, same_box
from .heat_redraw import HeatRedraw
from .map_marks import RunMarks, faded
from .paths import PATH_MAX, PixelPath, path_points  # noqa: F401 (known from here too)

# A perceptually uniform grey ramp (colorcet's CET-L1, lightness linear in CIELAB), from
# near black (low loss) to light grey (high), short of white: every run colour stands out
# on it and the white minima, contours and start marker still do at its light end.
COLORMAP_SPAN = (0.04, 0.80)
CONTOUR_PEN = (255, 255, 255, 55)
PATH_WIDTH = 1.4  # thin: a zigzag shows its steps instead of one band
HALO_PEN = pg.mkPen((255, 255, 255, 70), width=3.2, cosmetic=True)  # lifts paths off dark ground
# A label on the map (the start's): light on a dark box whatever the theme, the ground under
# it being the map's grey, dark or light, not the plot's background.
MAP_LABEL = {"color": "#f2f2f2", "fill": (10, 14, 28, 150), "offset": (12, -8), "anchor": (0, 1)}
SETTLED_ALPHA = 150  # the older part of a path fades; its last TAIL_POINTS stay bright
DIMMED_OPACITY = 0.45  # the runs not selected: still readable, the selected one stands out
VIEW_ALL_REACH = 4.0  # View All shows runs up to this many box sizes beyond the box
# Flat ends: where a path's cached part and its tail meet, two square ends of this
# translucent pen would overlap into a brighter dot.
HALO_PEN.setCapStyle(Qt.PenCapStyle.FlatCap)


# A path's points past its last TAIL_POINTS are painted once into a cached picture (the
# run's `settled` curve); each frame paints only the tail. Eight long paths with their
# halos cost ~5 ms a frame, repainted every frame; their tails cost a fraction of that.
TAIL_POINTS = 64


class RunPath(pg.PlotCurveItem):
    """A run's whole path (its data), of which it paints the part from point `settled` on;
    the part before is the run's cached `settled` curve."""

    def __init__(self):
        super().__init__(skipFiniteCheck=True)
        self.settled = 0

    def generatePath(self, x, y):
        return super().generatePath(x[self.settled:], y[self.settled:])


def colormap() -> pg.ColorMap:
    ramp = pg.colormap.get("CET-L1")
    positions = np.linspace(0.0, 1.0, 16)
    colors = ramp.map(np.linspace(*COLORMAP_SPAN, 16), mode="byte")
    return pg.ColorMap(positions, colors, name="optplayground-grey")


class LossColorBar(pg.ColorBarItem):
    """The colour bar of a log-compressed heat map, its ticks labelled in real loss values."""

    def __init__(self):
        super().__init__(colorMap=colormap(), interactive=False, colorMapMenu=False, width=14)
        self.axis.setWidth(58)
        self.getAxis("left").setLabel(tr("loss (log scale)"), color=theme.current().text)

    def show_heat(self, heat: Heat) -> None:
        self.setLevels(heat.levels)
        self.axis.setTicks([heat.ticks()])  # positions: log10(f − fmin + floor), or symlog(f)
        text = tr("loss (symmetric log scale)") if heat.symlog else tr("loss (log scale)")
        self.getAxis("left").setLabel(text, color=theme.current().text)


class TrajectoryMap(pg.PlotWidget):
    startMoved = Signal(float, float)
    startPicked = Signal(float, float)

    def __init__(self, parent=None, *, colorbar: bool = True, legend: bool = True,
                 auto_heat: bool = True):
        """auto_heat=False: the owner computes the picture and hands it over (`show_heat`)."""
        super().__init__(parent)
        self.auto_heat = auto_heat
        self.surface = None
        self.params: dict = {}
        self.heat: Heat | None = None
        self._styles: list[RunStyle] = []
        self._paths: list[RunPath] = []
        self._settled: list[pg.PlotCurveItem] = []  # per run: its path but the tail, cached
        self._thinned: list[PixelPath] = []  # per run: its path as the screen can show it
        self._only: int | None = None
        self._hidden: set[int] = set()  # runs hidden by a click on their legend entry
        self._selected: int | None = None  # emphasised; the others dimmed
        self.followers = Followers(("x", "y"))  # runs on one path: dashed over it
        self.cursor: int | None = None  # the timeline's step: paths end there (None: now)
        self._live: LiveRuns | None = None
        self._drawn_version: int | None = None
        self._drawn_rows: list[tuple[object, int] | None] = []  # per run: (its history, rows)

        item = self.plotItem
        style_plot(item, "", "y", "x")
        item.showGrid(x=False, y=False)
        item.hideButtons()
        item.setContentsMargins(2, 10, 2, 2)  # room for the top tick label without a title
        self.vb = item.vb
        self.vb.disableAutoRange()
        self.vb.setAspectLocked(True, 1.0)  # contours true to shape, gradients at right angles
        self.legend = make_legend(item, (-10, -10)) if legend else None
        if self.legend is not None:  # a click on a run's sample hides or shows the run
            self.legend.sigSampleClicked.connect(self._on_legend_clicked)
        pgcompat.view_all_action(self.vb).triggered.connect(self.view_all)

        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(colormap())
        self.image.setZValue(-100)
        self.contours = pg.PlotCurveItem(pen=pg.mkPen(CONTOUR_PEN, width=1), connect="pairs",
                                         skipFiniteCheck=True)
        self.contours.setZValue(-50)
        # Invisible stand-in for the surface box: the only thing auto-range looks at.
        self._box = pg.PlotDataItem([0, 1], [0, 1], pen=None)
        self.minima = pg.ScatterPlotItem(symbol="star", size=24, brush="w",
                                         pen=pg.mkPen("k", width=1))
        self.minima.setZValue(30)
        self.start_marker = pg.TargetItem(size=16, pen=pg.mkPen("w", width=2),
                                          hoverPen=pg.mkPen("#ffd700", width=2),
                                          brush=(255, 255, 255, 40), label=tr("start"),
                                          labelOpts=MAP_LABEL)
        self.start_marker.setZValue(40)
        self.marks = RunMarks(item, self.followers)  # heads, trail dots, ✕ marks
        for obj in (self.image, self.contours, self.minima, self.start_marker):
            item.addItem(obj, ignoreBounds=True)
        # The picture under the paths is still while a race runs: copy it, do not redraw it.
        cache_pixels(self.image, self.contours, self.minima)
        item.addItem(self._box)

        self.colorbar = None
        if colorbar:
            self.colorbar = LossColorBar()
            self.colorbar.setImageItem(self.image, insert_in=item)

        self._heat_redraw = HeatRedraw(self, self._recompute_heat, lambda: self.auto_heat)
        self.vb.sigRangeChanged.connect(self._on_range_changed)
        self.start_marker.sigPositionChangeFinished.connect(self._on_start_dragged)
        self.scene().sigMouseClicked.connect(self._on_scene_click)

    # ---------------------------------------------------------------- public API

    def set_surface(self, surface, params: dict, start: tuple[float, float],
                    heat: Heat | None = None) -> None:
        """A new problem: view its box, draw it, mark its minima and the start.
        `heat` may be passed when already computed for surface.bounds (shared maps)."""
        self.surface, self.params = surface, dict(params)
        (x0, x1), (y0, y1) = surface.bounds
        self._box.setData([x0, x1], [y0, y1])
        self.followers.reset(floor=max(x1 - x0, y1 - y0))  # what "equal" is near zero
        self._heat_redraw.cancel()
        self.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        if heat is not None:
            self.show_heat(heat)
        elif self.auto_heat:
            self.show_heat(compute_heat(surface, self.params, self.view_box()))
        minima = surface.minima_for(self.params)
        self.minima.setData([m[0] for m in minima], [m[1] for m in minima])
        self._fill_legend()  # "minimum" only where there is one (not on a saddle)
        self.set_start(*start)

    def set_start(self, x: float, y: float) -> None:
        """Move the start marker (no signal: the caller already knows)."""
        self.start_marker.blockSignals(True)
        self.start_marker.setPos(float(x), float(y))
        self.start_marker.blockSignals(False)

    def start(self) -> tuple[float, float]:
        pos = self.start_marker.pos()
        return float(pos.x()), float(pos.y())

    def set_runs(self, styles: Sequence[RunStyle]) -> None:
        """A new race: one path per run (and a head marker in `heads`)."""
        for obj in self._paths + self._settled:
            self.plotItem.removeItem(obj)
            if self.legend is not None:
                self.legend.removeItem(obj)
        self._styles = list(styles)
        self._paths, self._settled = [], []
        self.marks.reset(len(self._styles))
        self._hidden.clear()
        self._thinned = [PixelPath() for _ in self._styles]
        self.followers.reset()
        for style in self._styles:
            settled = pg.PlotCurveItem(skipFiniteCheck=True)
            cache_pixels(settled)
            path = RunPath()
            for obj in (settled, path):
                obj.setZValue(10)
                self.plotItem.addItem(obj, ignoreBounds=True)
            self._paths.append(path)
            self._settled.append(settled)
        self.set_styles(styles)
        self._forget_drawn()

    def set_styles(self, styles: Sequence[RunStyle]) -> None:
        """Colours or names changed: restyle without recreating."""
        if len(styles) != len(self._paths):
            self.set_runs(styles)
            return
        self._styles = list(styles)
        for i, (path, settled, style) in enumerate(zip(self._paths, self._settled, self._styles)):
            dash = self.followers.pen  # dashed over the run it coincides with (coincide.py)
            path.setPen(dash(i, run_pen(style, width=PATH_WIDTH)))
            settled.setPen(dash(i, pg.mkPen(faded(style.color, SETTLED_ALPHA), width=PATH_WIDTH,
                                            cosmetic=True)))
            for curve in (path, settled):  # a dashed run has no halo: its leader's lifts both
                curve.setShadowPen(None if self.followers.role(i) else HALO_PEN)
        self.marks.restyle(self._styles)
        self._fill_legend()
        self._apply_visibility()
        self._apply_emphasis()

    def select(self, index: int | None) -> None:
        """Emphasise run `index` (the one selected in the runs list) and dim the others;
        None: every run alike."""
        self._selected = index
        self._apply_emphasis()

    def _apply_emphasis(self) -> None:
        alike = self._selected is None or not 0 <= self._selected < len(self._paths)
        for i, items in enumerate(zip(self._paths, self._settled)):
            role = self.followers.role(i)  # a dashed run: above its leader, as bright
            chosen = alike or i == self._selected or (role and role[0] == self._selected)
            z = 11 if chosen and not alike else 10
            z = max(z, self._paths[role[0]].zValue()) + 0.5 if role else z
            for item in items:
                item.setOpacity(1.0 if chosen else DIMMED_OPACITY)
                item.setZValue(z)

    def _fill_legend(self) -> None:
        if self.legend is None:
            return
        has_minima = len(self.minima.data) > 0
        self.legend.clear()
        self.legend.setColumnCount(legend_columns(len(self._paths) + has_minima))
        names = [style.name for style in self._styles]
        for i, path in enumerate(self._paths):
            if self._only is None or self._only == i:
                self.legend.addItem(path, self.followers.label(i, names, path=True))
        if has_minima:
            self.legend.addItem(self.minima, tr("minimum"))
        cache_legend(self.legend)

    def show_only(self, index: int | None) -> None:
        """Show just run `index` (small multiples), or every run (None)."""
        self._only = index
        self.set_styles(self._styles)
        self._forget_drawn()
        if self._live is not None:
            self.refresh(self._live)

    def refresh(self, live: LiveRuns) -> None:
        if live is self._live and live.version == self._drawn_version:
            return
        self._live = live
        if len(live.styles) != len(self._paths):
            self.set_runs(live.styles)
        elif live.styles != self._styles:
            self.set_styles(live.styles)
        self._drawn_version = live.version
        moved = False
        for i in self._shown():
            run, drawn = live.run(i), self._drawn_rows[i]
            if drawn is not None and drawn[0] is run and drawn[1] == run.rows_seen:
                continue  # this run has not moved since the last frame
            x, y = self._points(live, i)
            self._settle(i, x, y)
            self._paths[i].setData(x, y)
            self.marks.follow(i, x, y, self.surface.bounds if self.surface else None,
                              run.status == "diverged")
            self._drawn_rows[i] = (run, run.rows_seen)
            moved = True
        if self.followers.update(live.history, self.cursor, self._shown()):
            self.set_styles(self._styles)  # pens, legend and stacking of the dashed runs
            moved = True  # the heads' sizes and the dots' turns too
        if moved:
            self.marks.place(self._shown())

    def set_cursor(self, step: int | None) -> None:
        """Show the race at the timeline's step (paths cut there), or as it is now (None)."""
        if step != self.cursor:
            self.cursor = step
            self._forget_drawn()
            if self._live is not None:
                self.refresh(self._live)

    def _points(self, live: LiveRuns, index: int) -> tuple[np.ndarray, np.ndarray]:
        """What to draw of run `index`'s path: up to the cursor, thinned for the screen."""
        x, y = live.column(index, "x"), live.column(index, "y")
        if self.cursor is not None:
            n = int(np.searchsorted(live.column(index, "step"), self.cursor, side="right"))
            return path_points(x[:n], y[:n])
        return self._thinned[index].points(x, y, live.run(index), self.vb.viewPixelSize())

    def head(self, index: int) -> tuple[float, float] | None:
        """Where run `index`'s head marker is (None: not shown)."""
        return self.marks.head(index) if index in self._shown() else None

    def exit(self, index: int) -> tuple[float, float] | None:
        """Where run `index`'s ✕ stands (None: it stayed on the map and did not diverge)."""
        return self.marks.exit(index) if index in self._shown() else None

    def set_racing(self, racing: bool) -> None:
        """A race at full speed (no trail dots) or not (the dots come back)."""
        if racing != self.marks.racing:
            self.marks.racing = racing
            self.marks.place(self._shown())

    def set_equal_aspect(self, on: bool) -> None:
        """One unit of x as long as one of y on screen (the default), or fill the view."""
        self.vb.setAspectLocked(bool(on), 1.0)

    @Slot()
    def view_all(self) -> None:
        """Show the surface's box and every shown run's path in it or near it (a run that
        flew off far is marked where it left, not followed)."""
        if self.surface is not None:
            self._show_extent(self._extent())

    def fit_runs(self) -> None:
        """At a race's end: if some path of a run that stayed (near the box) runs outside the
        view, show the box and those paths; one that left is marked, not followed (it zoomed
        a map of ±10 out to ±70)."""
        if self.surface is None:
            return
        (x0, x1), (y0, y1) = extent = self._extent(escaped=False)
        (v0, v1), (w0, w1) = self.view_box()
        if x0 < v0 or x1 > v1 or y0 < w0 or y1 > w1:
            self._show_extent(extent)

    def _show_extent(self, extent: Box) -> None:
        (x0, x1), (y0, y1) = extent
        self.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.03)

    def _extent(self, escaped: bool = True) -> Box:
        """The surface's box and the shown paths' points within VIEW_ALL_REACH of it (of
        the runs that left the box or diverged too, unless `escaped` is False)."""
        (x0, x1), (y0, y1) = self.surface.bounds
        w, h = x1 - x0, y1 - y0
        xs, ys = [x0, x1], [y0, y1]
        for i in self._shown():
            if not escaped and self.marks.exit(i) is not None:
                continue
            for curve in (self._paths[i], self._settled[i]):
                px, py = curve.getData()
                if px is None or not len(px):
                    continue
                near = ((px > x0 - VIEW_ALL_REACH * w) & (px < x1 + VIEW_ALL_REACH * w)
                        & (py > y0 - VIEW_ALL_REACH * h) & (py < y1 + VIEW_ALL_REACH * h))
                if near.any():
                    xs += [float(px[near].min()), float(px[near].max())]
                    ys += [float(py[near].min()), float(py[near].max())]
        return (min(xs), max(xs)), (min(ys), max(ys))

    def _settle(self, index: int, x: np.ndarray, y: np.ndarray) -> None:
        """Hand the run's path but its last TAIL_POINTS to its cached curve, which is
        repainted only when that part grows (or changed: a zoom, a longer stride)."""
        path, settled = self._paths[index], self._settled[index]
        kept_x, kept_y = settled.getData()
        n = 0 if kept_x is None else len(kept_x)
        if n and not (n <= len(x) and np.array_equal(kept_x, x[:n])
                      and np.array_equal(kept_y, y[:n])):
            n = 0  # the path changed under the cached part
        if len(x) - n > TAIL_POINTS:
            n = len(x) - TAIL_POINTS // 4  # a quarter of the tail stays live: fewer repaints
        if kept_x is None or n != len(kept_x):
            # Copies: x and y may be views of PixelPath's buffers, which a zoom rewrites.
            settled.setData(x[:n].copy(), y[:n].copy())
        path.settled = max(n - 1, 0)  # the tail starts where the settled part ends

    def view_box(self) -> Box:
        (x0, x1), (y0, y1) = self.vb.viewRange()
        return ((float(x0), float(x1)), (float(y0), float(y1)))

    def show_heat(self, heat: Heat) -> None:
        """Draw a computed picture (own, or shared by a MapGrid)."""
        self.heat = heat
        self._heat_redraw.drawn()
        self.image.setImage(heat.image, autoLevels=False, levels=heat.levels)
        self.image.setRect(QRectF(*heat.pixel_rect()))
        self.contours.setData(heat.contour_x, heat.contour_y)
        if self.colorbar is not None:
            self.colorbar.show_heat(heat)

    def set_title(self, text: str, color: str | None = None) -> None:
        set_title(self.plotItem, text, color, "10pt")

    def shutdown(self) -> None:
        self._heat_redraw.cancel()

    # ---------------------------------------------------------------- internals

    def _forget_drawn(self) -> None:
        self._drawn_version = None
        self._drawn_rows = [None] * len(self._paths)

    def _shown(self) -> list[int]:
        if self._only is None:
            return [i for i in range(len(self._paths)) if i not in self._hidden]
        return [self._only] if 0 <= self._only < len(self._paths) else []

    @Slot(object)
    def _on_legend_clicked(self, item) -> None:
        if item in self._paths:
            self._hidden.symmetric_difference_update({self._paths.index(item)})
            self._apply_visibility()
            self._forget_drawn()
            if self._live is not None:
                self.refresh(self._live)

    def _apply_visibility(self) -> None:
        shown = set(self._shown())
        for i, items in enumerate(zip(self._paths, self._settled)):
            for item in items:
                item.setVisible(i in shown)
        self.marks.place(self._shown())

    @Slot(object, object)
    def _on_range_changed(self, *_args) -> None:
        if self._live is not None:  # zoomed: the paths' pixel grid may have changed
            self._forget_drawn()
            self.refresh(self._live)
        if not self.auto_heat or self.surface is None:
            return
        if self.heat is not None and same_box(self.heat.box, self.view_box()):
            return
        self._heat_redraw.request()

    @Slot()
    def _recompute_heat(self) -> None:
        if self.surface is not None:
            self.show_heat(compute_heat(self.surface, self.params, self.view_box(), RESOLUTION))

    @Slot(object)
    def _on_start_dragged(self, _marker) -> None:
        self.startMoved.emit(*self.start())

    @Slot(object)
    def _on_scene_click(self, event) -> None:
        if (event.button() != Qt.MouseButton.LeftButton or event.double()
                or event.isAccepted() or self.surface is None):
            return
        if not self.vb.sceneBoundingRect().contains(event.scenePos()):
            return
        point = self.vb.mapSceneToView(event.scenePos())
        self.startPicked.emit(float(point.x()), float(point.y()))

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

