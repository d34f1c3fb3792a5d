"""The swarm views in the window (gui/swarm): the basin map fills in and a cell picks its
start, a sweep cell joins the race as a run, a slider drag draws the what-if fan, and the LR
range test's suggestion applies with one click. One window and one swarm child for all."""
import numpy as np
import pytest

from optplayground import cli
from optplayground.core import experiment as xp
from optplayground.core.swarm import grid_starts
from optplayground.gui.swarm import colors

from .waits import ENGINE_MS


def _surface_race():
    return xp.Experiment(name="swarm", problem=xp.Problem(surface="himmelblau", start=(0.5, -0.5)),
                         runs=[xp.Run("Adam", "adam", {"lr": 0.05}),
                               xp.Run("SGD", "sgd", {"lr": 0.01})], steps=80)


@pytest.fixture
def views(window, qtbot):
    w = window(_surface_race(), autoplay=False)
    qtbot.waitUntil(lambda: w.swarm.panel.run_label.text().startswith("Run:"), timeout=ENGINE_MS)
    w.swarm.dock.show()
    return w, w.swarm


def test_basin_sweep_fan_and_lr_range_test(views, qtbot, tmp_path):
    w, sw = views
    # The basin map: 32×32 starts of the selected run (Adam), coloured by the minimum reached.
    sw.panel.grid_size.setCurrentIndex(0)
    sw.panel.show_basin.setChecked(True)
    qtbot.waitUntil(lambda: sw.basin.frame is not None and sw.basin.frame.done, timeout=ENGINE_MS)
    frame = sw.basin.frame
    assert len(frame.x) == 32 * 32 and sw.basin.image.image.shape == (32, 32, 4)
    starts = grid_starts(((-5.0, 5.0), (-5.0, 5.0)), 32)
    at = min(range(len(starts)), key=lambda r: np.hypot(starts[r][0] - 3, starts[r][1] - 2))
    assert frame.minimum[at] == 0  # a start beside (3, 2) ends there, in its colour
    assert tuple(sw.basin.image.image.reshape(-1, 4)[at, :3]) <= colors.MINIMUM_COLORS[0]
    sw.basin._on_click(3.1, 2.1)  # a click picks the cell's start for the race
    assert w.experiment.problem.start == sw.basin.cell_start(3.1, 2.1) == starts[at]
    qtbot.waitUntil(lambda: not sw._recompute.isActive(), timeout=ENGINE_MS)  # that restart's

    # A 1-D sweep of lr; a cell's click adds a run with that lr.
    sw.panel.axis1.show_axis(sw.panel.axis1.axis().__class__("lr", 1e-3, 1e-1, 3, True))
    sw.panel.axis2.show_axis(None)
    sw.panel.sweep_button.click()
    qtbot.waitUntil(lambda: sw.sweep_map.frame is not None and sw.sweep_map.frame.done,
                    timeout=ENGINE_MS)
    assert sw.sweep_map.cell_at(-2.0, 0.5) == 1  # log10(0.01): the middle cell
    assert "lr = 0.01" in sw.sweep_map.describe(1)
    # File ▸ Export offers its CSV: the rows `optplayground sweep` writes for it.
    w.files.export_menu.aboutToShow.emit()
    titles = [a.text() for a in w.files.export_menu.actions()]
    assert "Sweep CSV…" in titles and "Basin map CSV…" in titles and "Sweep as PNG…" in titles
    ours, theirs = tmp_path / "window.csv", tmp_path / "cli.csv"
    sw.export_csv("sweep", str(ours))
    qtbot.waitUntil(ours.exists, timeout=ENGINE_MS)
    start = ",".join(repr(v) for v in w.experiment.problem.start)
    assert cli.main(["sweep", "--surface", "himmelblau", "--start", start, "--opt", "adam:lr=0.05",
                     "--vary", "lr=0.001..0.1:log:3", "--steps", "80", "--quiet",
                     "--csv", str(theirs)]) == 0
    assert ours.read_bytes() == theirs.read_bytes()
    sw.sweep_map.cellPicked.emit({"lr": 0.01})
    assert [r.hyper["lr"] for r in w.experiment.runs] == [0.05, 0.01, 0.01]
    assert w.experiment.runs[2].name == "Adam lr=0.01"

    # The what-if fan: dragging lr's slider races the path for the new value and 3 ghosts.
    slider = w.runs_panel.editor.hyper_form().slider("lr")
    slider.setSliderDown(True)
    slider.setValue(slider.value() + 30)
    qtbot.waitUntil(lambda: sw.fan.shown, timeout=ENGINE_MS)
    slider.setSliderDown(False)
    assert [len(c.getData()[0]) for c in sw.fan.curves] == [81] * 4
    assert sw.fan.curves[0].getData()[0][0] == w.experiment.problem.start[0]

    # A dataset race: the LR range test, its suggestion applied with one click.
    exp = xp.Experiment(problem=xp.Problem(dataset="linear", data={"n_points": 40}),
                        runs=[xp.Run("SGD", "sgd", {"lr": 0.1})], steps=20)
    assert w.load_experiment(exp)
    qtbot.waitUntil(lambda: sw.panel.lr_group.isVisibleTo(sw.panel), timeout=ENGINE_MS)
    sw.panel.end_lr.setText("100")
    sw.panel.lr_button.click()
    qtbot.waitUntil(lambda: sw.panel.lr_apply.isEnabled(), timeout=ENGINE_MS)
    suggested = sw.lr_plot.result.suggested_lr
    sw.panel.lr_apply.click()
    assert w.experiment.runs[0].hyper["lr"] == float(f"{suggested:.3g}")

    # File ▸ Presets from here: the preset's view shows once the preset is the experiment
    # (the menu's own signal comes before the load: it showed the old race's view, or none).
    sw.dock.hide()
    w.mark_saved()  # the applied lr is no edit to ask about
    preset = {a.data(): a for a in w.files.presets_menu.actions()}
    preset["basins_himmelblau"].trigger()
    assert w.experiment.problem.surface == "himmelblau" and sw.dock.isVisible()
    assert sw.panel.show_basin.isChecked() and sw.panel.right.currentWidget() is sw.sweep_map
    qtbot.waitUntil(lambda: sw.basin.frame is not None and sw.basin.image.isVisible(), timeout=ENGINE_MS)
    preset["lr_momentum_sweep"].trigger()
    qtbot.waitUntil(lambda: not sw._recompute.isActive(), timeout=ENGINE_MS)  # the restart's refresh
    wanted = ((1e-5, 1e-2, 40, True), (0.0, 0.99, 40, False))
    assert [(a.low, a.high, a.count, a.log) for a in sw.panel.axes()] == list(wanted)
    assert [(a.low, a.high, a.count, a.log) for a in sw._sweep_key[1]] == list(wanted)  # as raced
