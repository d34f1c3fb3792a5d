"""The results table under the step plots: one row per run (core/results.py), sortable by
any column, refreshed a few times a second while a race runs and at its end; "Export CSV…"
writes it as a file."""
from __future__ import annotations

import math
import time

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout,
                               QLabel, QMessageBox, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ..core import experiment as xp
from ..core.atomic import write_text_atomic
from ..core.coincide import Coincidence
from ..core.i18n import tr
from ..core.params import ConfigError
from ..core.results import RunResult, best_loss, known_minima, run_result, to_csv
from .controls.common import swatch
from .live import LiveRuns

HEADERS = ("run", "status", "final loss", "best loss", "converged", "to min")  # tr() when shown
HEADER_TIPS = ("", "how the run ended (or running)", "the loss of its last row",
               "its lowest loss", "the step it converged at",
               "distance from its last point to the nearest known minimum")
SHOWN_ROWS = 6  # the table's natural height shows this many runs (more scroll)
REFRESH_S = 0.25  # while racing: at most four refreshes a second


class SortItem(QTableWidgetItem):
    """A cell shown as text and sorted by its value (numbers as numbers; none last)."""

    def __init__(self, text: str, key):
        super().__init__(text)
        self.key = key
        self.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)

    def __lt__(self, other) -> bool:
        mine, theirs = self.key, getattr(other, "key", None)
        if mine is None or theirs is None:
            return theirs is None and mine is not None  # values before blanks
        return mine < theirs


def number(value: float | int | None) -> tuple[str, float | None]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—", None
    if isinstance(value, int):
        return f"{value:,}", float(value)
    return f"{value:.3g}", float(value)


class ResultsTable(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("results-table")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 2, 0, 0)
        column.setSpacing(2)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>" + tr("Results") + "</b>"))
        head.addStretch(1)
        self.export_button = QPushButton(tr("Export CSV…"))
        self.export_button.setToolTip(tr("Write this table as a CSV file"))
        self.export_button.clicked.connect(self.export_dialog)
        head.addWidget(self.export_button)
        column.addLayout(head)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels([tr(header) for header in HEADERS])
        for c, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(c).setToolTip(tr(tip) if tip else "")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        # every column as wide as its text (after each fill), the last one fills any room left;
        # a narrow table scrolls rather than cut the runs' names ("Mo…")
        header.setStretchLastSection(True)
        self.table.setSortingEnabled(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # run order until a click
        column.addWidget(self.table)
        self.rows: list[RunResult] = []
        self.same_as: dict[int, int] = {}  # run index: the run it coincides with
        self.minima: tuple = ()  # the known minima distances are measured to
        self._same: Coincidence | None = None  # the runs on one path (core/coincide.py)
        self._dataset = False
        self._shown = (None, -1)  # (live, version) last shown
        self._at = 0.0
        self._bests: dict[int, tuple[int, float]] = {}  # id(record): (rows seen, best loss)

    def sizeHint(self) -> QSize:
        """As tall as its rows (at least two, at most SHOWN_ROWS): the step plots above it
        get the rest of the column (its default hint took ~220 px of a 720 px window)."""
        table = self.table
        rows = min(max(table.rowCount(), 2), SHOWN_ROWS)
        height = (table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
                  + rows * table.verticalHeader().defaultSectionSize()
                  + table.horizontalScrollBar().sizeHint().height())  # a narrow column scrolls
        head = self.layout().itemAt(0).sizeHint().height() + self.layout().spacing()
        margins = self.layout().contentsMargins()
        return QSize(super().sizeHint().width(), head + height + margins.top() + margins.bottom())

    def set_experiment(self, exp) -> bool:
        """A new race: the minima its distances are measured to (none on a dataset), a row
        per run that races. Whether the number of rows changed (the table's height hint)."""
        self.minima = known_minima(exp)
        self._dataset = exp.problem.is_dataset
        if self._dataset:  # the same training: the same losses
            self._same = Coincidence(("loss", "train_loss", "test_loss"))
        else:  # the same path as the map finds (gui/plots/coincide.py)
            (x0, x1), (y0, y1) = xp.surface_of(exp.problem).bounds
            self._same = Coincidence(("x", "y"), floor=max(x1 - x0, y1 - y0))
        self._shown = (None, -1)
        self._bests.clear()
        rows = sum(run.enabled for run in exp.runs)
        changed = rows != self.table.rowCount()
        self.table.setRowCount(rows)
        return changed

    def refresh(self, live: LiveRuns, force: bool = False) -> None:
        """Show the runs' results now (while racing only every REFRESH_S)."""
        now = time.perf_counter()
        if (live, live.version) == self._shown or (not force and now - self._at < REFRESH_S):
            return
        self._shown, self._at = (live, live.version), now
        self.rows = [run_result(record, self.minima, self._best(record))
                     for record in live.history.runs]
        self.same_as = self._coincident(live)
        self._fill(self.rows, [style.color for style in live.styles])

    def _coincident(self, live: LiveRuns) -> dict[int, int]:
        """Each run drawn over another (the same path, the same losses): that run."""
        if self._same is None:
            return {}
        self._same.update(live.history.runs)
        return {index: group[0] for group in self._same.groups() for index in group[1:]}

    def _best(self, record) -> float:
        """The run's best loss, kept up to date from its new rows only (a million-row run
        would cost milliseconds each time)."""
        seen, best = self._bests.get(id(record), (0, math.nan))
        if record.rows_seen < seen:
            seen, best = 0, math.nan
        loss = record.column("loss")
        new = min(record.rows_seen - seen, len(loss))
        best = best_loss(loss[len(loss) - new:], best) if new else best
        self._bests[id(record)] = (record.rows_seen, best)
        return best

    def _fill(self, rows: list[RunResult], colors: list[str]) -> None:
        """Change only the cells whose text changed, the columns' widths once at the end:
        a new item or a resize-to-contents per cell cost ~1 ms each, a quarter of a frame."""
        table = self.table
        table.setSortingEnabled(False)  # filling a sorted table moves rows under the hand
        table.setRowCount(len(rows))
        changed = False
        for r, (row, color) in enumerate(zip(rows, colors)):
            name, tip = row.run, ""
            if r in self.same_as:  # drawn over another run: say which
                other = rows[self.same_as[r]].run
                name = tr("{name} = {other}", name=name, other=other)
                tip = (tr("same losses as {other}", other=other) if self._dataset
                       else tr("same path as {other}", other=other))
            cells = [(name, row.run.lower()), (tr(row.status), row.status)]
            cells += [number(value) for value in (row.final_loss, row.best_loss,
                                                   row.steps_to_converge, row.distance_to_minimum)]
            for c, (text, key) in enumerate(cells):
                changed |= self._set_cell(r, c, text, key)
            item = table.item(r, 0)
            if item.toolTip() != tip:
                item.setToolTip(tip)
            if item.data(Qt.ItemDataRole.UserRole) != color:  # a swatch, the name in the
                item.setData(Qt.ItemDataRole.UserRole, color)  # text colour: legible whatever
                item.setIcon(swatch(color))  # the run's colour
        table.setSortingEnabled(True)
        if changed:
            table.resizeColumnsToContents()

    def _set_cell(self, r: int, c: int, text: str, key) -> bool:
        """Show `text` sorted by `key` in cell (r, c); whether its text changed."""
        item = self.table.item(r, c)
        if item is None:
            item = SortItem(text, key)
            if c:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, c, item)
            return True
        item.key = key
        if item.text() == text:
            return False
        item.setText(text)
        return True

    @Slot()
    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export the results"), "results.csv",
                                              "CSV (*.csv)")
        if path:
            try:
                self.export(path)
            except (ConfigError, OSError) as error:
                QMessageBox.warning(self, tr("Cannot export the results"), f"{path}\n\n{error}")

    def export(self, path: str) -> None:
        """Write the table as CSV (atomically: a file is never left half-written)."""
        write_text_atomic(path, to_csv(self.rows))
