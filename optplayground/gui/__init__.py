"""Everything that imports Qt: the window, its panels, plots and the worker thread."""
