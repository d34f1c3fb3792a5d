"""The runs in the race: a checkable list (name, colour) and the selected run's editor."""
from __future__ import annotations

import copy

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QColorDialog, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from ...core.experiment import PALETTE, Run, run_color, validate_run
from ...core.i18n import tr
from ...core.optimizers import OPTIMIZERS, get_optimizer
from .. import theme
from .run_editor import RunEditor
from .common import SWATCH, error_label, show_error, swatch

LIST_ROWS = (3, 8)  # the run list shows this many rows at least, at most


def unique_name(base: str, taken: set[str]) -> str:
    """`base`, or `base 2`, `base 3`, … whichever is free."""
    if base not in taken:
        return base
    n = 2
    while f"{base} {n}" in taken:
        n += 1
    return f"{base} {n}"


def next_color(runs: list[Run]) -> str:
    """The first palette colour no run shows yet (cycling when all are taken)."""
    used = {run_color(runs, i).lower() for i in range(len(runs))}
    return next((c for c in PALETTE if c not in used), PALETTE[len(runs) % len(PALETTE)])


class RunsPanel(QWidget):
    """Edits the list of runs.

    `runsChanged(runs, restart)`: restart is True for structural edits (add, remove,
    duplicate, enable, optimizer, Lookahead on/off, schedule stages, algorithm flags) and False
    for values that apply live. `runStyled(runs)`: only a name or colour changed.
    """

    runsChanged = Signal(object, bool)
    runStyled = Signal(object)

    def __init__(self, runs: list[Run] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._runs: list[Run] = []
        self._updating = False
        self._color_dialog: QColorDialog | None = None
        self._build()
        self.set_runs(runs or [Run("SGD")])

    def _build(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(QLabel(f"<b>{tr('Runs')}</b>"))
        self.list = QListWidget()
        self.list.setIconSize(QSize(SWATCH, SWATCH))
        self.list.setEditTriggers(QAbstractItemView.DoubleClicked
                                  | QAbstractItemView.EditKeyPressed)
        self.list.setToolTip(tr("Tick a run to race it; double-click to rename it"))
        self.list.itemChanged.connect(self._item_changed)
        self.list.currentRowChanged.connect(self._row_selected)
        column.addWidget(self.list)

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        self.add_button = self._button(tr("Add"), tr("A new run with an optimizer not racing yet"),
                                       self.add_run)
        self.remove_button = self._button(tr("Remove"), tr("Remove the selected run"), self.remove_run)
        self.duplicate_button = self._button(tr("Duplicate"), tr("A copy of the selected run, to "
                                                   "compare one setting"), self.duplicate_run)
        self.color_button = self._button(tr("Colour…"), tr("Pick the selected run's colour"),
                                         self.choose_color)
        for button in (self.add_button, self.remove_button, self.duplicate_button,
                       self.color_button):
            buttons.addWidget(button)
        column.addLayout(buttons)
        self.message = error_label()
        column.addWidget(self.message)

        self.editor = RunEditor()
        self.editor.runEdited.connect(self._run_edited)
        column.addWidget(self.editor, 1)

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------ API

    def runs(self) -> list[Run]:
        return copy.deepcopy(self._runs)

    def set_runs(self, runs: list[Run]) -> None:
        """Show `runs` without emitting; keeps the selected row where it can."""
        row = max(0, self.selected())
        self._runs = [validate_run(run, f"runs[{i}]") for i, run in enumerate(runs)]
        self._refresh(min(row, len(self._runs) - 1))
        show_error(self.message, "")

    def set_total_steps(self, steps: int) -> None:
        self.editor.set_total_steps(steps)

    def selected(self) -> int:
        """Index of the selected run (-1 when there is none)."""
        return self.list.currentRow()

    def select(self, index: int) -> None:
        self.list.setCurrentRow(index)

    @Slot()
    def add_run(self) -> None:
        used = {r.optimizer for r in self._runs}
        name = next((n for n in OPTIMIZERS if n not in used), "sgd")
        spec = OPTIMIZERS[name]
        run = Run(unique_name(spec.title, self._names()), name, spec.defaults(),
                  color=next_color(self._runs))
        self._runs.append(validate_run(run, "run"))
        self._structural(len(self._runs) - 1)

    @Slot()
    def remove_run(self) -> None:
        row = self.selected()
        if row < 0 or len(self._runs) <= 1:
            return
        self._pin_colors()
        del self._runs[row]
        self._structural(min(row, len(self._runs) - 1))

    @Slot()
    def duplicate_run(self) -> None:
        row = self.selected()
        if row < 0:
            return
        self._pin_colors()
        run = copy.deepcopy(self._runs[row])
        run.name = unique_name(f"{run.name} copy", self._names())
        run.color = next_color(self._runs)
        self._runs.insert(row + 1, run)
        self._structural(row + 1)

    def _pin_colors(self) -> None:
        """A run without a colour of its own shows the palette's by its position: give each
        the colour it shows before a run is removed or inserted, so none changes colour."""
        for i, run in enumerate(self._runs):
            run.color = run_color(self._runs, i)

    def set_enabled(self, index: int, enabled: bool) -> None:
        if self._runs[index].enabled == enabled:
            return
        self._runs[index].enabled = enabled
        self._structural(self.selected())

    def rename(self, index: int, name: str) -> bool:
        """Rename a run; False (and a message, until the next edit) if the name is empty
        or taken: the run keeps its name."""
        name, old = name.strip(), self._runs[index].name
        if not name:
            error = tr("a run needs a name: it keeps the name {name}", name=repr(old))
        elif name in self._names() - {old}:
            error = tr("there is already a run named {name}", name=repr(name))
        else:
            error = ""
        show_error(self.message, error)
        if error:
            self._refresh(self.selected(), editor=False)
            return False
        if name != self._runs[index].name:
            self._runs[index].name = name
            self._refresh(self.selected(), editor=False)
            self.runStyled.emit(self.runs())
        return True

    @Slot()
    def choose_color(self) -> None:
        """Open a (non-blocking) colour dialog for the selected run."""
        row = self.selected()
        if row < 0:
            return
        if self._color_dialog is not None:
            self._color_dialog.close()
        dialog = QColorDialog(QColor(run_color(self._runs, row)), self)
        dialog.setWindowTitle(tr("Colour of {name}", name=self._runs[row].name))
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.colorSelected.connect(self._color_picked)
        dialog.destroyed.connect(self._color_dialog_gone)
        self._color_dialog = dialog
        dialog.open()

    def hideEvent(self, event) -> None:
        if self._color_dialog is not None:  # it belongs to this panel: it goes with it
            self._color_dialog.close()
        super().hideEvent(event)

    def set_color(self, index: int, color: str) -> None:
        color = QColor(color).name()
        if self._runs[index].color == color:
            return
        self._runs[index].color = color
        show_error(self.message, "")
        self._refresh(self.selected(), editor=False)
        self.runStyled.emit(self.runs())

    # ------------------------------------------------------------ internals

    def _names(self) -> set[str]:
        return {r.name for r in self._runs}

    def _structural(self, row: int) -> None:
        show_error(self.message, "")
        self._refresh(row)
        self.runsChanged.emit(self.runs(), True)

    def theme_changed(self, _look) -> None:
        """theme.apply's hook: the swatches in the colours the new theme draws."""
        self._refresh(self.selected(), editor=False)

    def _refresh(self, row: int, editor: bool = True) -> None:
        """Show the runs in the list, select `row` and (with `editor`) show it there.

        Items are updated in place when their number is unchanged: this may run inside the
        list's own itemChanged signal, where deleting the item would pull the rug.
        """
        self._updating = True
        try:
            if self.list.count() != len(self._runs):
                self.list.clear()
                for _ in self._runs:
                    item = QListWidgetItem()
                    item.setFlags(item.flags() | Qt.ItemIsUserCheckable | Qt.ItemIsEditable)
                    self.list.addItem(item)
            for i, run in enumerate(self._runs):
                item = self.list.item(i)
                item.setIcon(swatch(theme.run_color(run_color(self._runs, i))))
                item.setText(run.name)
                item.setCheckState(Qt.Checked if run.enabled else Qt.Unchecked)
                item.setToolTip(f"{run.name}: {tr(get_optimizer(run.optimizer).title)}"
                                + ("" if run.enabled else tr(" (not racing)")))
            self.list.setCurrentRow(row)
            self._fit_list()
            if editor and 0 <= row < len(self._runs):
                self.editor.set_run(self._runs[row])
        finally:
            self._updating = False
        self.remove_button.setEnabled(len(self._runs) > 1)

    def _fit_list(self) -> None:
        """Tall enough for every run (3 to 8 rows; it scrolls beyond)."""
        row_height = self.list.sizeHintForRow(0)
        if row_height <= 0:
            row_height = self.list.fontMetrics().height() + 6
        rows = min(max(len(self._runs), LIST_ROWS[0]), LIST_ROWS[1])
        self.list.setFixedHeight(rows * row_height + 2 * self.list.frameWidth() + 2)

    @Slot(int)
    def _row_selected(self, row: int) -> None:
        if not self._updating and 0 <= row < len(self._runs):
            self.editor.set_run(self._runs[row])
            show_error(self.message, "")

    @Slot(QListWidgetItem)
    def _item_changed(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        index = self.list.row(item)
        run = self._runs[index]
        enabled = item.checkState() == Qt.Checked
        if enabled != run.enabled:
            self.set_enabled(index, enabled)
        elif item.text() != run.name:
            self.rename(index, item.text())

    @Slot(object, bool)
    def _run_edited(self, run: Run, restart: bool) -> None:
        """The editor owns the optimizer and its settings; this panel the name, colour and
        whether the run races."""
        row = self.selected()
        if row < 0:
            return
        show_error(self.message, "")  # a rename refused before is old news
        old = self._runs[row]
        run.name, run.color, run.enabled = old.name, old.color, old.enabled
        if run.optimizer != old.optimizer:
            run.name = self._renamed_for(old, run)
        self._runs[row] = run
        if run.name != old.name or restart:
            self._refresh(row, editor=False)
        self.runsChanged.emit(self.runs(), restart)

    def _renamed_for(self, old: Run, new: Run) -> str:
        """A run still named after its optimizer ("Adam", "Adam 2") follows it to the new one."""
        title = get_optimizer(old.optimizer).title
        suffix = old.name[len(title):].strip()
        if not old.name.startswith(title) or (suffix and not suffix.isdigit()):
            return old.name
        return unique_name(get_optimizer(new.optimizer).title, self._names() - {old.name})

    @Slot(QColor)
    def _color_picked(self, color: QColor) -> None:
        row = self.selected()
        if color.isValid() and row >= 0:
            self.set_color(row, color.name())

    @Slot()
    def _color_dialog_gone(self) -> None:
        self._color_dialog = None


__all__ = ["RunsPanel", "unique_name"]
