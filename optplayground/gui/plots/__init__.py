"""Plot widgets: one class per plot kind, each with set_runs(styles) and refresh(live)."""
from .base import RunCurvesPlot, link_step_axes
from .grad_norm_plot import GradNormPlot
from .loss_plot import LossPlot
from .lr_plot import LRPlot
from .map_grid import MapGrid
from .trajectory_map import TrajectoryMap

__all__ = ["GradNormPlot", "LRPlot", "LossPlot", "MapGrid", "RunCurvesPlot", "TrajectoryMap",
           "link_step_axes"]
