"""Small multiples: one trajectory map per run, side by side, panning and zooming together.

The maps share one picture of the surface: the grid computes it once per view box (one
debounce timer for all maps, however many there are) and hands the same arrays to every
map, so zooming a grid of 16 maps costs one computation, not 16. One colour bar serves all.
"""
from __future__ import annotations

import math
from typing import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QGridLayout, QWidget

from .. import theme
from ..live import LiveRuns, RunStyle
from .heat import RESOLUTION, Heat, compute_heat, same_box
from .heat_redraw import HeatRedraw
from .trajectory_map import LossColorBar, TrajectoryMap


def grid_columns(count: int) -> int:
    """Columns of a near-square grid: 1 → 1, 2–4 → 2, 5–9 → 3, 10–16 → 4, …"""
    return max(1, math.ceil(math.sqrt(count)))


class MapGrid(QWidget):
    startMoved = Signal(float, float)
    startPicked = Signal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.maps: list[TrajectoryMap] = []
        self.surface = None
        self.params: dict = {}
        self.heat: Heat | None = None
        self._start = (0.0, 0.0)
        self._styles: list[RunStyle] = []
        self.cursor: int | None = None  # the timeline's step, for maps built later too

        self.theme_changed(theme.current())  # the ground between the maps: the plots'
        self.setAutoFillBackground(True)
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._bar_view = pg.GraphicsLayoutWidget()
        self._bar_view.setFixedWidth(96)
        self.colorbar = LossColorBar()
        self._bar_view.addItem(self.colorbar)

        self._heat_redraw = HeatRedraw(self, self._recompute_heat)

    # ---------------------------------------------------------------- public API

    def set_surface(self, surface, params: dict, start: tuple[float, float]) -> None:
        self.surface, self.params, self._start = surface, dict(params), tuple(start)
        self._heat_redraw.cancel()
        self._show_heat(compute_heat(surface, self.params, surface.bounds))
        for view in self.maps:
            view.set_surface(surface, self.params, start, self.heat)

    def set_start(self, x: float, y: float) -> None:
        self._start = (float(x), float(y))
        for view in self.maps:
            view.set_start(x, y)

    def set_runs(self, styles: Sequence[RunStyle]) -> None:
        """A new race: one map per run (maps are rebuilt only when the count changes)."""
        styles = list(styles)
        if len(styles) != len(self.maps):
            self._build_maps(len(styles))
        self._styles = styles
        for view in self.maps:
            view.set_runs(styles)
        self.set_styles(styles)

    def set_styles(self, styles: Sequence[RunStyle]) -> None:
        if len(styles) != len(self.maps):
            self.set_runs(styles)
            return
        self._styles = list(styles)
        for view, style in zip(self.maps, self._styles):
            view.set_styles(self._styles)
            view.set_title(style.name, style.color)

    def set_racing(self, racing: bool) -> None:
        for view in self.maps:
            view.set_racing(racing)

    def set_cursor(self, step: int | None) -> None:
        self.cursor = step
        for view in self.maps:
            view.set_cursor(step)

    def refresh(self, live: LiveRuns) -> None:
        if len(live.styles) != len(self.maps):
            self.set_runs(live.styles)
        elif live.styles != self._styles:
            self.set_styles(live.styles)
        for view in self.maps:
            view.refresh(live)

    def shutdown(self) -> None:
        self._heat_redraw.cancel()
        for view in self.maps:
            view.shutdown()

    # ---------------------------------------------------------------- internals

    def _build_maps(self, count: int) -> None:
        for view in self.maps:
            view.shutdown()
            self._layout.removeWidget(view)
            view.setParent(None)
            view.deleteLater()
        self._layout.removeWidget(self._bar_view)
        self.maps = []
        columns = grid_columns(count)
        rows = max(1, math.ceil(count / columns))
        for i in range(count):
            view = TrajectoryMap(self, colorbar=False, legend=False, auto_heat=False)
            view.show_only(i)
            view.set_cursor(self.cursor)
            for side in ("left", "bottom"):  # the titles say which run; save the room
                view.plotItem.showLabel(side, False)
            if self.maps:
                view.setXLink(self.maps[0])
                view.setYLink(self.maps[0])
            view.vb.sigRangeChanged.connect(self._on_range_changed)
            view.startMoved.connect(self._on_start_moved)
            view.startPicked.connect(self.startPicked)
            self._layout.addWidget(view, i // columns, i % columns)
            self.maps.append(view)
        self._layout.addWidget(self._bar_view, 0, columns, rows, 1)
        if self.surface is not None:
            for view in self.maps:
                view.set_surface(self.surface, self.params, self._start, self.heat)

    def _show_heat(self, heat: Heat) -> None:
        self.heat = heat
        self._heat_redraw.drawn()
        for view in self.maps:
            view.show_heat(heat)
        self.colorbar.show_heat(heat)

    def _view_box(self):
        return self.maps[0].view_box() if self.maps else None

    @Slot(object, object)
    def _on_range_changed(self, *_args) -> None:
        box = self._view_box()
        if self.surface is None or box is None:
            return
        if self.heat is not None and same_box(self.heat.box, box):
            return
        self._heat_redraw.request()

    @Slot()
    def _recompute_heat(self) -> None:
        box = self._view_box()
        if self.surface is not None and box is not None:
            self._show_heat(compute_heat(self.surface, self.params, box, RESOLUTION))

    @Slot(float, float)
    def _on_start_moved(self, x: float, y: float) -> None:
        self.set_start(x, y)  # keep the other maps' markers in step
        self.startMoved.emit(x, y)

    def theme_changed(self, look: theme.Theme) -> None:
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(look.plot_background))
        self.setPalette(palette)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
