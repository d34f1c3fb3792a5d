"""`shot --preset` / `run --preset --png` of a preset with a swarm view: the window with the
view shown and raced to its end."""
from __future__ import annotations

import time

from .. import export
from ..headless import close, open_window, race_to_end, wait_until


def swarm_screenshot(experiment, view, out: str, size: tuple[int, int],
                     timeout_s: float = 900.0) -> float:
    """Save the window as PNG once the race and the preset's swarm view are done; the
    seconds from opening the window to its first frame."""
    opened = time.perf_counter()
    app, window = open_window(experiment, size)
    app.processEvents()
    first_frame = time.perf_counter() - opened
    try:
        race_to_end(app, window, timeout_s)
        window.swarm.show_view(view)
        wait_until(lambda: window.swarm.view_done(view), timeout_s,
                   "the swarm view did not finish")
        window.on_frame()
        app.processEvents()
        export.save_png(window.grab(), out)
    finally:
        close(app, window)
    return first_frame
