"""Issue 18's last data items in the window: runs on one path stay visible (dashed over the
first, a legend note), and File ▸ Export CSV writes the results summary beside the rows."""
import io

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPen

from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.results import to_csv
from optplayground.gui.headless import wait_until
from optplayground.gui.main_window import MainWindow
from optplayground.gui.plots.coincide import DASH, follower_pen

ENGINE_S = 120


@pytest.fixture(scope="module")
def paused(qapp, tmp_path_factory):
    """One window for the module (no qtbot: it outlives each test's leak check): Momentum,
    an exact copy of it, and Adam, stepped by hand."""
    runs = [Run("Momentum", "momentum", {"lr": 1e-3}), Run("Copy", "momentum", {"lr": 1e-3}),
            Run("Adam", "adam", {"lr": 0.02})]
    exp = Experiment(name="twins", problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
                     runs=runs, steps=60)
    settings = QSettings(str(tmp_path_factory.mktemp("s") / "s.ini"), QSettings.IniFormat)
    w = MainWindow(exp, settings=settings, autoplay=False)
    w.resize(1400, 900)
    w.show()
    wait_until(lambda: w.worker.ready, ENGINE_S, "the engine did not start")
    yield w
    w.close()


def step_to(w, step):
    for _ in range(step - w.live.step):
        w.step_once()
    wait_until(lambda: w.live.step == step, ENGINE_S, "the steps did not arrive")
    w.on_frame()


def dashed(curve) -> bool:
    return curve.opts["pen"].style() == Qt.PenStyle.CustomDashLine


def labels(legend) -> list[str]:
    return [label.text for _sample, label in legend.items]


def test_group_dashes_take_turns_along_the_line():
    """The k-th later run draws the k-th of every `size` dashes (a solid line's: DASH long);
    the first run shows in the last."""
    dashed = QPen()
    dashed.setStyle(Qt.PenStyle.DashLine)  # a test loss: Qt's dashes of 4, gaps of 2
    for pen, on, off in ((QPen(), DASH, 0.0), (dashed, 4.0, 2.0)):
        for size in (2, 3, 4):
            starts = []
            for rank in range(1, size):
                mine = follower_pen(pen, rank, size)
                assert mine.dashPattern() == [on, off + (on + off) * (size - 1)]
                starts.append(-mine.dashOffset() % (size * (on + off)))  # where its dash starts
            assert sorted(starts) == [(on + off) * k for k in range(size - 1)]


def test_a_copy_is_dashed_over_its_twin_until_an_edit_parts_them(paused):
    w = paused
    step_to(w, 20)
    plots = (w.loss_plot, w.lr_plot, w.grad_plot)
    for view in (w.map, *plots):
        assert view.followers.groups == [[0, 1]]  # Adam went its own way at once
    assert dashed(w.map._paths[1]) and not dashed(w.map._paths[0]) and not dashed(w.map._paths[2])
    assert w.map._paths[1].opts["shadowPen"] is None  # no halo over its twin's colour
    assert w.map._paths[1].zValue() > w.map._paths[0].zValue()
    assert list(w.map.marks.heads.data["size"]) == [12, 6, 12]  # its head a dot inside its twin's
    w.map.set_racing(False)
    x, _y, first = w.map.marks._trail_at[1]  # 21 points, 0 to 20: its dots are the odd ones
    assert first == 0 and np.array_equal(w.map.marks._dots(1)[0], x[1::2])
    assert np.array_equal(w.map.marks._dots(0)[0], x)  # under them, its twin's every dot
    assert labels(w.map.legend)[:3] == ["Momentum", "Copy (same path as Momentum)", "Adam"]
    assert [dashed(curve) for curve in w.loss_plot.curves] == [False, True, False]
    assert labels(w.loss_plot.legend) == ["Momentum", "Copy = Momentum", "Adam"]
    w.results.refresh(w.live, force=True)
    assert w.results.same_as == {1: 0}
    cell = w.results.table.item(1, 0)
    assert (cell.text(), cell.toolTip()) == ("Copy = Momentum", "same path as Momentum")

    runs = w.runs_panel.runs()
    runs[1].hyper = dict(runs[1].hyper, lr=2e-3)  # a live edit: from the next step on
    w.runs_panel.set_runs(runs)
    w.model.set_runs(runs)
    step_to(w, 30)
    parted = w.map.followers.detector.parted_at(0, 1)
    assert 20 <= parted <= 21
    for view in (w.map, w.loss_plot, w.grad_plot):
        assert view.followers.groups == []
    assert w.lr_plot.followers.groups == []
    assert not dashed(w.map._paths[1]) and w.map._paths[1].opts["shadowPen"] is not None
    assert labels(w.loss_plot.legend) == ["Momentum", "Copy", "Adam"]
    assert not any(dashed(curve) for curve in w.loss_plot.curves)

    w.timeline.show_step(10)  # before they parted: twins again on the map and every plot
    for view in (w.map, *plots):
        assert view.followers.groups == [[0, 1]]
    assert dashed(w.map._paths[1]) and dashed(w.loss_plot.curves[1])
    w.timeline.show_step(30)  # back to now
    assert w.map.followers.groups == [] and not dashed(w.loss_plot.curves[1])


def test_export_csv_writes_the_table_beside_the_rows_both_or_neither(paused, tmp_path):
    w = paused
    step_to(w, max(w.live.step, 5))
    w.results.refresh(w.live, force=True)
    rows = tmp_path / "race.csv"
    assert w.files.export_csv(str(rows))
    long = io.StringIO()
    w.live.history.write_csv(long)
    assert rows.read_text(encoding="utf-8") == long.getvalue()  # the rows as before
    summary = tmp_path / "race.summary.csv"
    assert summary.read_text(encoding="utf-8") == to_csv(w.results.rows)  # as the table
    message = w.statusBar().currentMessage()
    assert str(rows) in message and str(summary) in message

    (tmp_path / "blocked.summary.csv").mkdir()  # the summary cannot be written: neither is
    errors = []
    w.show_error = lambda title, text: errors.append(text)
    try:
        assert not w.files.export_csv(str(tmp_path / "blocked.csv"))
        assert not w.files.export_csv(str(tmp_path / "blocked.csv"), background=True)
    finally:
        del w.show_error
    assert not (tmp_path / "blocked.csv").exists() and "it is a folder" in errors[0]

    later = tmp_path / "later.csv"
    assert w.files.export_csv(str(later), background=True)  # the menu's way: on a thread
    wait_until(lambda: not w.files.exporting, ENGINE_S, "the export did not end")
    assert (tmp_path / "later.summary.csv").read_text(encoding="utf-8") == to_csv(w.results.rows)
    assert str(tmp_path / "later.summary.csv") in w.statusBar().currentMessage()
