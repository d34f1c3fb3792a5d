"""The form of the hyperparameters of the optimizer a run (or its switch) uses, in its place
in a panel: another optimizer replaces the form with one generated from its spec."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from PySide6.QtWidgets import QBoxLayout

from ...core.params import Spec
from .spec_form import SpecForm


class HyperFormHolder:
    """Holds the current form at the end of `layout`; its valid edits go to `edited`."""

    def __init__(self, layout: QBoxLayout, edited: Callable[[dict], None]):
        self.layout = layout
        self.edited = edited
        self.form: SpecForm | None = None

    def show(self, spec: Spec, values: Mapping[str, Any]) -> SpecForm:
        """A new form for `spec` showing `values`, in place of the one before."""
        if self.form is not None:
            self.form.hide()  # hidden, not unparented: an orphan would pop up as a window
            self.form.deleteLater()
        self.form = SpecForm.from_spec(spec, values)
        self.form.changed.connect(self.edited)
        self.layout.addWidget(self.form)
        return self.form
