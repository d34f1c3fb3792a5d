"""A step plot's legend leaves the curves room: it hides where it would cover more than half
of a low plot, comes back when the plot grows, and stays off where the window turned it off."""
from __future__ import annotations

from PySide6.QtGui import QTextDocument

from optplayground.core.experiment import Clip, Experiment, Problem, Run
from optplayground.gui import pgcompat
from optplayground.gui.live import RunStyle
from optplayground.gui.plots import LossPlot
from optplayground.gui.plots.chrome import LEGEND_MAX_SHARE

STYLES = [RunStyle(f"run number {i}", f"#{40 * i:02x}8040", "adam", Clip()) for i in range(6)]


def covers(plot) -> float:
    box, view = plot.legend.boundingRect(), plot.plotItem.vb
    return max(box.height() / view.height(), box.width() / view.width())


def test_a_legend_too_big_for_its_plot_hides_and_returns(qtbot):
    plot = LossPlot(log_y=False)
    qtbot.addWidget(plot)
    plot.set_runs(STYLES)
    plot.resize(500, 420)
    plot.show()
    qtbot.waitUntil(lambda: plot.plotItem.vb.height() > 200, timeout=10_000)
    assert covers(plot) <= LEGEND_MAX_SHARE and plot.legend.isVisible()
    plot.resize(500, 140)  # a strip of a 720 px window: six names would cover the curves
    qtbot.waitUntil(lambda: not plot.legend.isVisible(), timeout=10_000)
    assert covers(plot) > LEGEND_MAX_SHARE
    plot.resize(500, 420)
    qtbot.waitUntil(plot.legend.isVisible, timeout=10_000)
    plot.show_legend(False)  # the window shows one legend, not one per plot
    assert not plot.legend.isVisible()
    plot.resize(500, 430)
    qtbot.wait(50)
    assert not plot.legend.isVisible()


def test_a_run_name_is_shown_as_typed_not_as_html(window):
    """Legends, titles and the status bar are HTML labels: a name with markup (typed, or
    from a stranger's experiment file) is shown as its text."""
    name = 'My SGD <b>bold</b> & <img src="x">'
    exp = Experiment(problem=Problem(surface="booth", start=(-2.0, 3.0)), steps=5,
                     runs=[Run(name, "sgd", {"lr": 0.01}), Run("Adam", "adam")])
    w = window(exp, autoplay=False)
    w.set_grid_view(True)
    shown = [label.item.toPlainText() for plot in (w.map, w.loss_plot)
             for _sample, label in pgcompat.legend_entries(plot.legend)]
    assert shown.count(name) == 2
    assert w.grid.maps[0].plotItem.titleLabel.item.toPlainText() == name
    w.status.show(w.live, exp.steps, False, "cpu")
    status = QTextDocument()
    status.setHtml(w.status.runs_label.text())
    assert name in status.toPlainText()
