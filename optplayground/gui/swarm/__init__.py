"""Swarm views: thousands of runs at once in the window (basin map, sweep heat map, what-if
fan), raced in a child process by the batched engine (core/swarm.py, core/swarm_process.py).

    views.py        SwarmViews: wires the views to the race model and the child
    client.py       the child's answers, handed to the main thread
    panel.py        the controls (dock), generated from the run's optimizer spec
    basin_layer.py  the basin map over the trajectory map
    sweep_plot.py   the sweep heat map
    fan.py          the what-if fan
    colors.py       cell colours (cividis, Okabe–Ito for minima)
"""
from .views import SwarmViews

__all__ = ["SwarmViews"]
