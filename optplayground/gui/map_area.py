"""The middle of the window: the trajectory map, the small multiples (one map per run,
built when first shown), or in a dataset race the dataset views."""
from __future__ import annotations

from typing import Sequence

from PySide6.QtWidgets import QStackedWidget, QWidget

from ..core import experiment as xp
from ..core.experiment import Experiment
from .dataset_area import DatasetArea
from .live import RunStyle
from .plots import MapGrid, TrajectoryMap


class MapArea(QStackedWidget):
    def __init__(self):
        super().__init__()
        self.map = TrajectoryMap()
        self.grid = MapGrid()
        self.dataset_area = DatasetArea()  # a dataset race's views replace the map
        for view in (self.map, self.grid, self.dataset_area):
            self.addWidget(view)
        self.grid_wanted = False  # the user asked for one map per run
        self._surface_race: tuple | None = None  # (surface, params, start) of a surface race
        self._styles: Sequence[RunStyle] = []
        self._generation = 0
        self._grid_generation = -1  # the race the small multiples were set up for

    def show_race(self, exp: Experiment, generation: int, styles: Sequence[RunStyle]) -> None:
        """A new (validated) race: a dataset race shows its views, a surface race the map."""
        self._generation, self._styles = generation, styles
        dataset = exp.problem.is_dataset
        self.setCurrentWidget(self.dataset_area if dataset else self._surface_map())
        self.dataset_area.show_step_plots(dataset)
        if dataset:
            self.dataset_area.set_experiment(exp, generation, styles)
            return
        surface = xp.surface_of(exp.problem)
        self._surface_race = (surface, exp.problem.params, exp.problem.start or surface.start)
        self._set_up(self.map)
        if self.grid_wanted:
            self._set_up(self.grid)

    def restyle(self, styles: Sequence[RunStyle]) -> None:
        self._styles = styles
        grid = (self.grid,) if self._grid_generation == self._generation else ()
        for view in (self.map, *grid, self.dataset_area):
            view.set_styles(styles)

    def show_grid(self, grid: bool, dataset: bool) -> None:
        """One map per run (or the overlay); a dataset race keeps its views in front."""
        self.grid_wanted = grid
        if dataset:
            return
        # The grid's maps are built when first needed: at start-up they cost ~0.15 s.
        if grid and self._grid_generation != self._generation and self._surface_race:
            self._set_up(self.grid)
        self.setCurrentWidget(self._surface_map())

    def shown_view(self) -> QWidget:
        """The view a user sees: the map as shown (overlay or grid), or the dataset view in
        front."""
        shown = self.currentWidget()
        return self.dataset_area.currentWidget() if shown is self.dataset_area else shown

    def shutdown(self) -> None:
        for view in (self.map, self.grid, self.dataset_area):
            if hasattr(view, "shutdown"):
                view.shutdown()

    def _surface_map(self) -> QWidget:
        return self.grid if self.grid_wanted else self.map

    def _set_up(self, view) -> None:
        """Give the map (or the grid) the race's surface, start and runs."""
        view.set_surface(*self._surface_race)
        view.set_runs(self._styles)
        if view is self.grid:
            self._grid_generation = self._generation
