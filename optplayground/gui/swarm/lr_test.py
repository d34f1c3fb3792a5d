"""The LR range test in the window (dataset races): the swarm child runs core/lrfind.py's
test for the selected run; the dock plots it; one click applies the suggested lr."""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, Slot

from ...core import experiment as xp
from ...core.i18n import tr


class LRTest(QObject):
    def __init__(self, window, client, panel):
        super().__init__(window)
        self.window, self.client, self.panel = window, client, panel
        self._ticket = 0
        client.lrFound.connect(self._on_lr_found)
        panel.lrFindRequested.connect(self.start_lr_find)
        panel.lrApplyRequested.connect(self.apply_suggested_lr)

    def _selected(self):
        """(the dataset experiment with the selected run only, its index in the panel)."""
        exp = self.window.experiment
        row = max(0, self.window.runs_panel.selected())
        if not exp.problem.is_dataset or row >= len(exp.runs):
            return None, row
        try:
            return xp.validate(dataclasses.replace(exp, runs=[exp.runs[row]])), row
        except Exception:  # noqa: BLE001 — the race reports it
            return None, row

    def show_run(self) -> None:
        exp, _ = self._selected()
        if exp is not None:
            self.panel.run_label.setText(tr("Run: <b>{name}</b> ({title})", name=exp.runs[0].name,
                                                 title=exp.runs[0].optimizer))

    @Slot()
    def start_lr_find(self) -> None:
        exp, _ = self._selected()
        if exp is None:
            self.panel.lr_status.setText(tr("The LR range test trains a model: pick a dataset race."))
            return
        try:
            start, end, steps = self.panel.lr_range()
        except ValueError as error:
            self.panel.lr_status.setText(str(error))
            return
        self.panel.lr_plot.clear_result()
        self.panel.lr_apply.setEnabled(False)
        self._ticket = self.client.lr_find(exp, start, end, steps)
        self.panel.lr_status.setText(tr("testing {name}: {steps} updates…", name=exp.runs[0].name, steps=steps))

    @Slot(int, object, str)
    def _on_lr_found(self, ticket: int, result, error: str) -> None:
        if ticket != self._ticket:
            return
        if error:
            self.panel.lr_status.setText(tr("Cannot test it: {error}", error=error))
            return
        self.panel.lr_plot.show_result(result)
        ended = (tr("stopped at update {n} (loss > 5× its best)", n=result.diverged_at)
                 if result.diverged_at is not None else tr("ran every update"))
        suggestion = (tr("no suggestion (too few updates)") if result.suggested_lr is None
                      else tr("suggested lr {lr}", lr=f"{result.suggested_lr:.3g}"))
        self.panel.lr_status.setText(tr("{ended}; {suggestion}", ended=ended, suggestion=suggestion))
        self.panel.lr_apply.setEnabled(result.suggested_lr is not None)

    @Slot()
    def apply_suggested_lr(self) -> None:
        result = self.panel.lr_plot.result
        if result is None or result.suggested_lr is None:
            return
        row = max(0, self.window.runs_panel.selected())
        runs = self.window.runs_panel.runs()
        runs[row].hyper["lr"] = float(f"{result.suggested_lr:.3g}")
        self.window.runs_panel.set_runs(runs)
        self.window.model.set_runs(runs)
        self.window.runs_panel.select(row)
        self.panel.lr_status.setText(f"{runs[row].name}: lr = {runs[row].hyper['lr']:g}")
