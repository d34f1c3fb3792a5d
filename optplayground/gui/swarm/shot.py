"""`shot --preset` / `run --preset --png` of a preset with a swarm view: the window with the
view shown and raced to its end."""
from __future__ import annotations

from ..headless import take_screenshot, wait_until


def swarm_screenshot(experiment, view, out: str, size: tuple[int, int],
                     timeout_s: float = 900.0, look: str = "dark") -> float:
    """Save the window as PNG once the race and the preset's swarm view are done; the
    seconds from opening the window to its first frame."""

    def show_view(app, window) -> None:
        window.swarm.show_view(view)
        wait_until(lambda: window.swarm.view_done(view), timeout_s,
                   "the swarm view did not finish")
        window.on_frame()
        app.processEvents()

    return take_screenshot(experiment, out, size, timeout_s, then=show_view, look=look)
