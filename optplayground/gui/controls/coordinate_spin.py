"""A spin box for a start coordinate that takes a number as a person types it: 0.25, -3,
1e9, 2.5e-3. QDoubleSpinBox drops the "e" (1e9 became 19) and clamps silently."""
from __future__ import annotations

import math

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox

from ...core.i18n import tr

PARTIAL = ("", "-", "+", ".", "-.", "+.")  # on the way to a number


def typed_number(text: str) -> float | None:
    """The finite number `text` says, or None."""
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class CoordinateSpin(QDoubleSpinBox):
    """`take_note()`: why the value just entered is not the one typed ("" if it is)."""

    def __init__(self, limit: float, decimals: int = 4):
        super().__init__()
        self._note = ""
        self.setDecimals(decimals)
        self.setRange(-limit, limit)

    def validate(self, text: str, pos: int):
        number = typed_number(text)
        if number is None:
            partial = text.strip() in PARTIAL or text.strip().lower().endswith(("e", "e-", "e+"))
            return QValidator.Intermediate if partial else QValidator.Invalid, text, pos
        state = QValidator.Acceptable if abs(number) <= self.maximum() else QValidator.Intermediate
        return state, text, pos

    def fixup(self, text: str) -> str:
        """Return or focus-out on a number beyond the range: the nearest end, said."""
        number = typed_number(text)
        if number is None or abs(number) <= self.maximum():
            return text
        taken = math.copysign(self.maximum(), number)
        self._note = tr("{typed} is beyond ±{limit}: {value} is taken", typed=text.strip(),
                        limit=f"{self.maximum():g}", value=f"{taken:g}")
        return self.textFromValue(taken)

    def take_note(self) -> str:
        note, self._note = self._note, ""
        return note

    def valueFromText(self, text: str) -> float:
        number = typed_number(text)
        return self.value() if number is None else number

    def textFromValue(self, value: float) -> str:
        return f"{value:.{self.decimals()}f}" if abs(value) < 1e6 else f"{value:.6g}"
