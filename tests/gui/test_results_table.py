"""The results table alone: a refresh changes cells in place, and each row stays one run's
whatever column the user sorted by."""
from __future__ import annotations

from PySide6.QtCore import Qt

from optplayground.core.results import RunResult
from optplayground.gui.results_table import ResultsTable, number

from .drive import swatch_color


def results(final_losses):
    return [RunResult(f"run{i}", "adam", "running", 10, loss, loss / 2, None, float(i))
            for i, loss in enumerate(final_losses)]


def shown(table) -> list[tuple[str, str, str]]:
    t = table.table
    return [(t.item(r, 0).text(), t.item(r, 2).text(), t.item(r, 5).text())
            for r in range(t.rowCount())]


def test_rows_stay_whole_when_a_sorted_table_refreshes(qtbot):
    table = ResultsTable()
    qtbot.addWidget(table)
    colors = ["#ff0000", "#00ff00", "#0000ff"]
    table._fill(results([3.0, 1.0, 2.0]), colors)
    table.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # by final loss
    assert [name for name, _, _ in shown(table)] == ["run1", "run2", "run0"]
    first = table.table.item(0, 0)
    table._fill(results([0.5, 4.0, 2.0]), colors)  # the order flips under the sort
    rows = shown(table)
    assert [name for name, _, _ in rows] == ["run0", "run2", "run1"]
    expected = {f"run{i}": (number(loss)[0], number(float(i))[0])
                for i, loss in enumerate([0.5, 4.0, 2.0])}
    assert all(expected[name] == (loss, distance) for name, loss, distance in rows)
    assert table.table.item(0, 0) is first  # cells reused, not made anew
    colours = {table.table.item(r, 0).text(): swatch_color(table.table.item(r, 0))
               for r in range(3)}
    assert colours == {"run0": "#ff0000", "run1": "#00ff00", "run2": "#0000ff"}



def test_the_table_asks_for_the_height_of_its_rows_not_more(qtbot):
    table = ResultsTable()
    qtbot.addWidget(table)
    table._fill(results([1.0, 2.0]), ["#ff0000", "#00ff00"])
    row = table.table.verticalHeader().defaultSectionSize()
    two = table.sizeHint().height()
    assert 2 * row < two < 2 * row + 150  # its header, two rows and a scroll bar
    table._fill(results([1.0] * 20), ["#ff0000"] * 20)
    assert table.sizeHint().height() == two + 4 * row  # six rows shown, the rest scroll


def test_fit_pane_gives_the_table_its_rows_and_the_plots_the_rest(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QSplitter, QWidget

    from optplayground.gui.step_column import fit_pane

    splitter = QSplitter(Qt.Orientation.Vertical)
    qtbot.addWidget(splitter)
    plots = [QWidget(), QWidget()]
    table = ResultsTable()
    for widget in (*plots, table):
        splitter.addWidget(widget)
    splitter.resize(400, 900)
    splitter.show()
    splitter.setSizes([300, 300, 300])
    table.table.setRowCount(4)
    fit_pane(splitter, table)
    sizes = splitter.sizes()
    assert sizes[2] == table.sizeHint().height() < 300
    assert sizes[0] == sizes[1] > 300 and sum(sizes) == 900 - 2 * splitter.handleWidth()
    table.table.setRowCount(40)  # many runs: at most a third of the column
    fit_pane(splitter, table)
    assert splitter.sizes()[2] <= sum(splitter.sizes()) // 3
